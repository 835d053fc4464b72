#!/bin/bash
# usage: bench/requests-before-after.sh BIN_DIR LABEL  (BIN_DIR holds swanlab-crawler.dll and SwanLab.Emulator.dll, e.g. a Release build of another commit)
# Starts the emulator, exports 1 and 21 four-key runs and the demo, prints the emulator's API/total request counts and the wall time.
B=$1; L=$2; W=/tmp/measure-$L; rm -rf $W; mkdir -p $W; cd $W
run() { # args: emulator args...; prints api, total, crawl wall
  dotnet $B/SwanLab.Emulator.dll --port 0 "$@" > emu.out 2>&1 &
  EPID=$!
  for i in $(seq 1 50); do grep -q listening emu.out && break; sleep 0.2; done
  URL=$(grep -o 'http://[^ ]*' emu.out)
  S=$(date +%s.%N)
  dotnet $B/swanlab-crawler.dll export --host $URL --api-key 0123456789abcdefABCDE --out $W/out-$RANDOM $EXTRA > crawl.out 2>&1
  RC=$?
  E=$(date +%s.%N)
  curl -s $URL/__emulator/stats > stats.json
  kill $EPID; wait $EPID 2>/dev/null
  python3 -c "
import json;b=json.load(open('stats.json'));r=b['requestsByEndpoint']
api=sum(v for k,v in r.items() if ' /api/' in k); print('rc=$RC api',api,'total',b['totalRequests'],'429',b['rateLimited'],'wall',round($E-$S,2))"
}
echo "[$L] 4 keys, 1 run:";  EXTRA="--project alice/bench-000" run --size large --runs 1 --keys 4 --points 100
echo "[$L] 4 keys, 21 runs:"; EXTRA="--project alice/bench-000" run --size large --runs 21 --keys 4 --points 100
echo "[$L] demo:"; EXTRA="" run --size demo
