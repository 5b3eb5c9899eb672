#!/bin/sh
# Peak RSS and wall time of `torchport inspect` on hostile and heavy weights files (issue #17,
# defects 4, 10, 11). Usage: scripts/measure-inspect.sh SCRATCH_DIR [REPO_DIR [FILE...]]
# SCRATCH_DIR receives the generated files (2 GiB for big.pt; the other 2 GiB files are sparse) and is
# where they stay; REPO_DIR (default: this checkout) is the torchport whose CLI is measured, so the
# same script measures an older checkout for a before/after comparison. Every run is bounded by
# `timeout`; a case that needs more than 120 s or refuses to finish shows as exit 124 and '>120'.
set -eu
scratch=$(cd "$1" && pwd)
repo=$(cd "${2:-$(dirname "$0")/..}" && pwd)
python=${TORCHPORT_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)

cd "$scratch"
[ -f shared.pt ] || "$python" -c "import torch; t = torch.zeros(2*1024*1024); torch.save({f'w{i}': t for i in range(500)}, 'shared.pt')"
[ -f expand.pt ] || "$python" "$here/make_hostile_weights.py" "$scratch"
[ -f big.safetensors ] || "$python" - <<'PY'
import json, struct
n = 2**31
h = json.dumps({'embed.weight': {'dtype': 'U8', 'shape': [n], 'data_offsets': [0, n]}}).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
with open('big.safetensors', 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h)
    f.truncate(8 + len(h) + n)
PY
[ -f big.pt ] || "$python" -c "import torch; torch.save({'e': torch.zeros(2**31, dtype=torch.uint8)}, 'big.pt')"
[ -f zero.tflite ] || truncate -s 2147483647 zero.tflite
[ -f big.tflite ] || truncate -s 2G big.tflite

printf '%-18s %5s %9s %11s  %s\n' file exit seconds 'max RSS MB' 'first line of output'
shift $(($# > 1 ? 2 : 1))
for file in ${*:-shared.pt expand.pt laughs.pt strings.pt many.safetensors big.safetensors big.pt zero.tflite big.tflite}; do
  /usr/bin/time -f '%e %M' -o "$scratch/time.txt" timeout 120 node "$repo/bin/torchport.mjs" inspect "$file" >"$scratch/out.txt" 2>&1 && code=0 || code=$?
  read -r seconds kb <<EOT
$(tail -n 1 "$scratch/time.txt")
EOT
  [ "$code" = 124 ] && seconds=">$seconds"
  printf '%-18s %5s %9s %11s  %s\n' "$file" "$code" "$seconds" "$((kb / 1024))" "$(grep -v '^npm warn' "$scratch/out.txt" | head -c 150 | head -n 1)"
done
