// Stress test of the PyTorch bridge under CPU load (issue #17, defect 0): busy-loop processes
// occupy the cores while one bridge runs a many-output fixture again and again, with the run's
// output files read back each time. Under such load the bridge used to remove a run's folder
// before its outputs were read (ENOENT, an unhandled rejection that ended the whole process).
// Prints runs, failures by message, wall time and whether any temporary folder was left.
//
// Run: npx tsx scripts/stress-bridge.ts [--runs 300] [--load 4]
// (--load is the number of busy-loop processes; every one is ended before the script exits.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Tensor } from '../src/tensor/index.ts';
import { TorchBridge } from '../src/torch/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '300' }, load: { type: 'string', default: '4' } } });
const runs = Number(values.runs);
const load = Number(values.load);

const work = await mkdtemp(join(tmpdir(), 'stress-bridge-'));
const fixture = join(work, 'many_outputs.py');
await writeFile(
  fixture,
  'import torch\nINPUT_SHAPES = [[64, 64]]\n\nclass M(torch.nn.Module):\n    def forward(self, x):\n        return tuple(x * k for k in range(16))\n\ndef build():\n    return M()\n',
);

const busy: ChildProcess[] = [];
for (let i = 0; i < load; i++) busy.push(spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const endLoad = () => busy.forEach((child) => child.kill('SIGKILL'));
process.on('exit', endLoad);

// The bridge's scratch folders live in the system temp dir: point it at our own to count leftovers.
const temp = join(work, 'tmp');
await import('node:fs/promises').then((fs) => fs.mkdir(temp));
process.env['TMPDIR'] = temp;

const bridge = new TorchBridge();
const failures = new Map<string, number>();
let unhandled = 0;
process.on('unhandledRejection', (reason) => {
  unhandled += 1;
  const message = `unhandled: ${String((reason as Error)?.message ?? reason).replace(/\/[^ ']+/g, '<path>')}`;
  failures.set(message, (failures.get(message) ?? 0) + 1);
});
const input = Tensor.fromNumbers(
  [64, 64],
  Array.from({ length: 64 * 64 }, (_, i) => i % 7),
);
const started = performance.now();
let ok = 0;
try {
  const handle = await bridge.loadFixture(fixture);
  for (let i = 0; i < runs; i++) {
    try {
      const outputs = await bridge.run(handle, [input]);
      if (outputs.length !== 16 || outputs[15]!.tensor.toArray()[1] !== 15) throw new Error('wrong outputs');
      ok += 1;
    } catch (error) {
      const message = String((error as Error).message).replace(/\/[^ ']+/g, '<path>');
      failures.set(message, (failures.get(message) ?? 0) + 1);
    }
  }
} finally {
  await bridge.close();
  endLoad();
}
const seconds = (performance.now() - started) / 1000;
const left = await readdir(temp);
console.log(`runs ${runs}, ok ${ok}, failed ${runs - ok}, unhandled rejections ${unhandled}, busy-loop processes ${load}, ${seconds.toFixed(1)} s`);
for (const [message, count] of failures) console.log(`  ${count} x ${message.split('\n')[0]}`);
console.log(`temporary folders left: ${left.length === 0 ? 'none' : left.join(', ')}`);
await rm(work, { recursive: true, force: true });
process.exitCode = ok === runs && unhandled === 0 && left.length === 0 ? 0 : 1;
