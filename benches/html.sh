#!/usr/bin/env bash
# Benchmark: the HTML report of the lab's 4096-address farm, its size and the time until it
# is interactive in headless Chromium (1366x900 window), for this tree's release build
# (AFTER) and optionally another build (BEFORE), rendered from the same stored scan.
#
#   benches/html.sh [RUNS]                               # default 3 Chromium loads per report
#   BEFORE=/path/to/old/smbaudit benches/html.sh         # also measure an older build
#   DB=/work/bench-data/farm4096.db SCAN=1 benches/html.sh   # an existing stored scan
#
# Without an existing DB, the farm is scanned into $OUT/farm4096.db first: that needs the
# lab (`sudo ../shared/lab/lab up --farm 4096`) and sends traffic only to 10.213.16.0/20,
# inside 10.213.0.0/16, which the lab routes into its namespaces (checked with
# `lab route-check` before anything is sent). Chromium loads only the local files.
#
# Interactive: a probe appended to a copy of each report forces a layout at the load event
# and records performance.now() (load_ms; the same probe for every build). The report's own
# script also records data-ready-ms (its set-up done, after the first layout) where it has
# one. wall_s is the whole `chromium --headless --dump-dom` run, browser start included; the
# wall time of an empty page is printed for reference. "fits" says whether the host table's
# box is as wide as its content (no horizontal scroll) at 1366 px.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
BEFORE_RUNS=${BEFORE_RUNS:-1}
LAB=${LAB:-../shared/lab/lab}
OUT=${OUT:-/tmp/smbaudit-bench-html}
DB=${DB:-$OUT/farm4096.db}
SCAN=${SCAN:-last}
BIN=${CARGO_TARGET_DIR:-target}/release/smbaudit
mkdir -p "$OUT"

# shellcheck source=common.sh
. benches/common.sh

cargo build --release --locked -p smbaudit >/dev/null
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome) \
  || { echo "chromium missing (apt-get install chromium)"; exit 1; }

if [ ! -e "$DB" ]; then
  "$LAB" route-check 10.213.16.0 10.213.31.255 >/dev/null \
    || { echo "no $DB, and 10.213.0.0/16 is not routed into the lab: run 'sudo $LAB up --farm 4096' first"; exit 1; }
  echo "== scanning the farm 10.213.16.0/20 into $DB"
  "$BIN" scan -q --db "$DB" --vantage lan -f jsonl 10.213.16.0/20 >/dev/null
fi

PROBE='<script>addEventListener("load",function(){var d=document.documentElement,b=document.getElementById("host-table");d.dataset.height=String(document.body.offsetHeight);d.dataset.loadMs=String(Math.round(performance.now()));if(b){b=b.parentNode;d.dataset.fits=(b.scrollWidth<=b.clientWidth?"yes":"no")+" ("+b.scrollWidth+"/"+b.clientWidth+" px)"}})</script>'

# load FILE N: prints "wall_s load_ms ready_ms fits" for one headless load
load() {
  local profile=$OUT/profile-$2 dom=$OUT/dom-$2.html start end
  rm -rf "$profile"
  start=$(date +%s.%N)
  HOME=$profile timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --no-first-run --disable-sync --disable-extensions \
    --disable-component-update --host-resolver-rules="MAP * ~NOTFOUND" \
    --user-data-dir="$profile" --window-size=1366,900 --dump-dom "file://$1" >"$dom" 2>/dev/null
  end=$(date +%s.%N)
  local html body load ready fits
  html=$(grep -o '<html[^>]*>' "$dom" | head -1 || true)
  body=$(grep -o '<body[^>]*>' "$dom" | head -1 || true)
  load=$(sed -n 's/.*data-load-ms="\([0-9]*\)".*/\1/p' <<<"$html")
  ready=$(sed -n 's/.*data-ready-ms="\([0-9]*\)".*/\1/p' <<<"$body")
  fits=$(sed -n 's/.*data-fits="\([^"]*\)".*/\1/p' <<<"$html" | tr ' ' '_')
  # "-" for a value the page did not record, so the fields stay in place
  printf '%s %s %s %s\n' "$(echo "$end - $start" | bc)" "${load:--}" "${ready:--}" "${fits:--}"
}

bench() { # LABEL BINARY RUNS
  local label=$1 bin=$2 runs=$3 file=$OUT/$1.html probe=$OUT/$1.probe.html
  "$bin" show --db "$DB" "$SCAN" -f html >"$file"
  { cat "$file"; echo "$PROBE"; } >"$probe"
  local walls=() loads=() readies=() w l r fits
  for i in $(seq "$runs"); do
    read -r w l r fits < <(load "$probe" "$label-$i")
    walls+=("$w"); loads+=("$l"); readies+=("$r")
  done
  printf '%-7s %5d hosts %10d bytes (%5.1f MB) | load_ms median %6s | ready_ms median %6s | wall_s median %6.2f (%d runs) | fits 1366 px: %s\n' \
    "$label" "$(grep -o '<tr id="row-' "$file" | wc -l)" "$(stat -c %s "$file")" "$(awk -v b="$(stat -c %s "$file")" 'BEGIN{print b/1e6}')" \
    "$(printf '%s\n' "${loads[@]}" | median)" \
    "$(if [ "${readies[0]}" = - ]; then echo -; else printf '%s\n' "${readies[@]}" | median; fi)" \
    "$(printf '%s\n' "${walls[@]}" | median)" "$runs" "${fits//_/ }"
}

echo "== HTML report of scan $SCAN in $DB, $("$CHROMIUM" --version 2>/dev/null)"
echo '<!DOCTYPE html><title>empty</title>' >"$OUT/empty.html"
read -r w _ < <(load "$OUT/empty.html" empty)
echo "empty page: wall_s $w"
if [ -n "${BEFORE:-}" ]; then bench before "$BEFORE" "$BEFORE_RUNS"; fi
bench after "$BIN" "$RUNS"
