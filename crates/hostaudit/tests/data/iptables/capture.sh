#!/bin/sh
# Regenerates the iptables fixtures (ONLY=NAME for one): for each NAME, loads NAME.v4.rules with
# iptables-nft-restore and NAME.v6.rules with ip6tables-nft-restore in a fresh network
# namespace (fwt-ipt-capture), then saves iptables-nft-save / ip6tables-nft-save output as
# NAME.v4.save / NAME.v6.save and the same ruleset as nft sees it as NAME.nft.json.
# Needs root; sends nothing.
set -eu
cd "$(dirname "$0")"
ns=fwt-ipt-capture
for name in ${ONLY:-$(ls *.rules | sed 's/\.v[46]\.rules$//' | sort -u)}; do
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns"
	trap 'ip netns del "$ns"' EXIT
	if [ -f "$name.v4.rules" ]; then
		ip netns exec "$ns" iptables-nft-restore <"$name.v4.rules"
		ip netns exec "$ns" iptables-nft-save >"$name.v4.save"
	fi
	if [ -f "$name.v6.rules" ]; then
		ip netns exec "$ns" ip6tables-nft-restore <"$name.v6.rules"
		ip netns exec "$ns" ip6tables-nft-save >"$name.v6.save"
	fi
	ip netns exec "$ns" nft -j list ruleset >"$name.nft.json"
	ip netns del "$ns"
	# The same rules through iptables-legacy (x_tables, not nftables) for NAME in $LEGACY.
	case " ${LEGACY:-outside-drop} " in *" $name "*)
		ip netns add "$ns"
		ip netns exec "$ns" iptables-legacy-restore <"$name.v4.rules"
		ip netns exec "$ns" iptables-legacy-save >"$name.legacy.v4.save"
		ip netns del "$ns"
	esac
	trap - EXIT
done
