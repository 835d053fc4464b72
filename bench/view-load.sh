#!/usr/bin/env bash
# Issue 14's speed target: the site of a backup holding a 1,000,000-point series loads in headless Chromium in < 2 s.
# Starts the emulator (--size tiny --huge-points N), exports it, writes the site, then opens the run page of the huge
# series in headless Chromium and reads the page's own performance.now() at the end of rendering (#swv-status
# data-load-ms: navigation start to charts drawn). Prints the figure with the machine's load average (it is shared).
# Usage: bench/view-load.sh [POINTS]   (needs chromium: apt-get install -y chromium)
set -euo pipefail
POINTS=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/swanlab-view-bench.XXXXXX)
KEY=ViewBench0123456789ab
PORT=${PORT:-58231}
cleanup() { [[ -n "${EMU:-}" ]] && kill "$EMU" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
dotnet build "$ROOT/src/SwanLab.Crawler" -c Release -v q >/dev/null
dotnet "$ROOT/src/SwanLab.Emulator/bin/Release/net10.0/SwanLab.Emulator.dll" --port "$PORT" --size tiny --huge-points "$POINTS" --api-key "$KEY" >"$WORK/emulator.log" 2>&1 &
EMU=$!
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
CRAWLER="$ROOT/src/SwanLab.Crawler/bin/Release/net10.0/swanlab-crawler.dll"
dotnet "$CRAWLER" export --host "http://127.0.0.1:$PORT" --api-key "$KEY" --out "$WORK/backup" --rate-limit 2000 >"$WORK/export.log" 2>&1 || { tail -20 "$WORK/export.log"; exit 1; }
start=$(date +%s.%N)
dotnet "$CRAWLER" view --out "$WORK/backup" >"$WORK/view.log"
viewsec=$(echo "$(date +%s.%N) - $start" | bc)
# The run whose index lists the most points.
RUN=$(python3 - "$WORK/backup/view/data/index.js" "$WORK/backup/view/data" <<'PY'
import json, sys, re, glob
best = (-1, 0)
for f in glob.glob(sys.argv[2] + "/s*.js"):
    t = open(f).read(); d = json.loads(t[t.index(",") + 1:t.rindex(")")])
    n = max([s["points"] for s in d.values()] or [0])
    best = max(best, (n, int(re.search(r"s(\d+)\.js$", f).group(1))))
print(best[1], best[0])
PY
)
set -- $RUN
URL="file://$WORK/backup/view/index.html#/r/$1"
for i in 1 2 3; do
  ms=$(chromium --headless=new --no-sandbox --disable-gpu --user-data-dir="$WORK/profile" --dump-dom "$URL" 2>/dev/null \
       | grep -o 'data-load-ms="[0-9]*"' | grep -o '[0-9]*')
  echo "load $i: ${ms} ms (performance.now() when the charts are drawn; real time, no virtual-time budget)"
done
echo "series: $2 points in the backup, drawn from $(grep -o '"step":\[[^]]*\]' "$WORK/backup/view/data/s$1.js" | head -1 | tr -cd ',' | wc -c | awk '{print $1+1}') points; view command ${viewsec} s"
echo "site size: $(du -sh "$WORK/backup/view" | cut -f1); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
