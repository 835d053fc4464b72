#!/usr/bin/env bash
# Emulator throughput and start-up: starts the demo emulator (Release), logs in, then drives small GETs with wrk.
# Needs wrk (apt-get install wrk). Usage: bench/emulator-rps.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
connections=${2:-32}
dotnet build src/SwanLab.Emulator -c Release -v q >/dev/null
bin=src/SwanLab.Emulator/bin/Release/net10.0/SwanLab.Emulator
out=$(mktemp)
start=$(date +%s%N)
"$bin" --port 0 --size demo >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$out"' EXIT
until grep -q listening "$out"; do sleep 0.01; done
echo "demo start-up: $(( ($(date +%s%N) - start) / 1000000 )) ms"
base=$(sed -n 's/^listening on //p' "$out")
sid=$(curl -s -X POST -H 'authorization: 0123456789abcdefABCDE' "$base/api/login/api_key" | sed -E 's/.*"sid":"([^"]+)".*/\1/')
for path in "/api/project/alice/mnist-baseline" "/api/project/alice?page=1&size=20" "/api/group/alice"; do
  rps=$(wrk -t2 -c"$connections" -d"${seconds}s" -H "Cookie: sid=$sid" "$base$path" | sed -n 's/^Requests\/sec: *//p')
  echo "GET $path: $rps req/s"
done
