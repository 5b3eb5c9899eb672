#!/bin/sh
# Many fixtures in one `torchport verify` run under artificial CPU load (issue #17, defect 0): a
# temporary golden is recorded for every fixture (state_dict, graph capture, ONNX export, three
# seeded runs), then the torch and keras targets run them, while LOAD busy-loop processes occupy the
# cores. Prints the exit code, the time, the summary line and what was left in the temp dir.
# Usage: scripts/stress-run.sh SCRATCH_DIR [LOAD=4] [FIXTURES=41]   (bounded: 30 minutes at most)
set -u
scratch=$(mkdir -p "$1" && cd "$1" && pwd)
load=${2:-4}
count=${3:-41}
repo=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$scratch/tmp" "$scratch/golden" "$scratch/reports"
mkdir -p "$scratch/tmp" "$scratch/golden"
pids=""
i=0
while [ "$i" -lt "$load" ]; do
  node -e 'for (;;) {}' &
  pids="$pids $!"
  i=$((i + 1))
done
trap 'kill $pids 2>/dev/null' EXIT INT TERM
start=$(date +%s)
cd "$repo"
TMPDIR="$scratch/tmp" timeout 1800 node bin/torchport.mjs verify $(ls suites/fixtures/*.py | grep -v '/_' | head -n "$count") \
  --golden "$scratch/golden" --targets torch,keras --report "$scratch/reports" >"$scratch/out.txt" 2>&1
code=$?
echo "exit $code after $(($(date +%s) - start)) s with $load busy loops; $(grep -E '^(PASS|FAIL)' "$scratch/out.txt" | tail -n 1)"
grep -E 'internal error|ENOENT' "$scratch/out.txt" | head -n 5
echo "left in the temp dir (tsx's own cache aside): $(ls "$scratch/tmp" | grep -v '^tsx-' | tr '\n' ' ')"
