#!/bin/sh
# Regenerates the JSON fixtures: loads each NAME.nft into a fresh network namespace
# (fwt-capture) and saves `nft -j list ruleset` as NAME.json. Needs root; sends nothing.
set -eu
cd "$(dirname "$0")"
ns=fwt-capture
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
# netdev-ingress.nft names device vx0, which must exist in the namespace.
ip -n "$ns" link add vx0 type veth peer name vx1
for f in *.nft; do
	ip netns exec "$ns" nft -f "$f"
	ip netns exec "$ns" nft -j list ruleset >"${f%.nft}.json"
	ip netns exec "$ns" nft -a list ruleset >"${f%.nft}.txt"
done
