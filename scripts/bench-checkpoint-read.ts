// Read throughput of torchport's checkpoint reader next to torch.load, on the same 100 MB+
// checkpoint written by torch in a temporary directory.
//
//   npx tsx scripts/bench-checkpoint-read.ts [--mb 120] [--runs 5]
//
// Python: $TORCHPORT_PYTHON, else /usr/bin/python3 (it must import torch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readConfig } from '../src/config/index.ts';
import { readCheckpointFile, type Checkpoint } from '../src/torch/index.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '120' }, runs: { type: 'string', default: '5' } } });
const targetMb = Number(values.mb);
const runs = Number(values.runs);
const python = readConfig().python ?? '/usr/bin/python3';

const MAKE = `
import sys, torch
torch.manual_seed(0)
target = int(sys.argv[2]) * 1024 * 1024
sd, total, i = {}, 0, 0
while total < target:
    w = torch.randn(512, 1024)                      # 2 MiB float32
    sd[f'layer{i}.weight'] = w
    sd[f'layer{i}.bias'] = torch.randn(1024)
    sd[f'layer{i}.running_mean'] = torch.randn(512).half()
    sd[f'layer{i}.num_batches_tracked'] = torch.tensor(i)
    total += w.numel() * 4
    i += 1
sd['head.weight_t'] = torch.randn(1024, 256).t()     # a non-contiguous view
torch.save({'state_dict': sd, 'epoch': 3}, sys.argv[1])
print(len(sd))
`;

const LOAD = `
import sys, time, torch
path, runs = sys.argv[1], int(sys.argv[2])
for weights_only in (False, True):
    torch.load(path, weights_only=weights_only)      # warm-up (page cache, imports)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        torch.load(path, weights_only=weights_only)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(weights_only, times[len(times) // 2])
`;

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function timeRead(path: string, verifyChecksums: boolean): { seconds: number; checkpoint: Checkpoint } {
  let checkpoint = readCheckpointFile(path, { verifyChecksums }); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    checkpoint = readCheckpointFile(path, { verifyChecksums });
    // Touch every tensor so nothing lazy escapes the timed region.
    let touched = 0;
    for (const tensor of checkpoint.tensors.values()) touched += tensor.data.length > 0 ? 1 : 0;
    samples.push(Number(process.hrtime.bigint() - start) / 1e9);
    if (touched === 0) throw new Error('no tensors read');
  }
  return { seconds: median(samples), checkpoint };
}

const dir = mkdtempSync(join(tmpdir(), 'torchport-bench-'));
try {
  const path = join(dir, 'bench.pth');
  const count = execFileSync(python, ['-c', MAKE, path, String(targetMb)], { encoding: 'utf8' }).trim();
  const mb = statSync(path).size / (1024 * 1024);
  console.log(`checkpoint: ${mb.toFixed(1)} MiB, ${count} tensors, written by torch (${path})`);
  console.log(`median of ${runs} runs after one warm-up, file in page cache, ${process.version}`);
  for (const verify of [true, false]) {
    const { seconds, checkpoint } = timeRead(path, verify);
    console.log(`torchport readCheckpointFile (CRC-32 ${verify ? 'checked' : 'skipped'}): ${(seconds * 1000).toFixed(0)} ms, ${(mb / seconds).toFixed(0)} MiB/s (${checkpoint.tensors.size} tensors)`);
  }
  const lines = execFileSync(python, ['-c', LOAD, path, String(runs)], { encoding: 'utf8' })
    .trim()
    .split('\n');
  for (const line of lines) {
    const [weightsOnly, seconds] = line.split(' ');
    console.log(
      `torch ${execFileSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).trim()} torch.load(weights_only=${weightsOnly}): ${(Number(seconds) * 1000).toFixed(0)} ms, ${(mb / Number(seconds)).toFixed(0)} MiB/s`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
