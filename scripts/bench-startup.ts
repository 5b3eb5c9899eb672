// CLI start-up and end-to-end `convert` time, run from the compiled dist/ (what bin/torchport.mjs
// runs) against the TypeScript sources through tsx (what the bin ran before dist/ existed), the two
// interleaved so machine load hits both alike. The model is a ResNet18 (torchvision's layout:
// BasicBlock [2, 2, 2, 2], 64-512 channels, 1000 classes, 11.7 M parameters) at 1x3x64x64, recorded
// once into a temporary golden (needs torch). Median of --runs.
//   npm run build && npx tsx scripts/bench-startup.ts [--runs 5] [--convert-runs 3] [--quantize fp32,fp16,dynamic-int8,int8]
import { execa } from 'execa';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../src/bench/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'convert-runs': { type: 'string', default: '3' }, quantize: { type: 'string', default: 'fp32,fp16,dynamic-int8,int8' } } });
const root = new URL('..', import.meta.url).pathname;
if (!existsSync(join(root, 'dist/cli/main.js')) || statSync(join(root, 'dist/cli/main.js')).mtimeMs < statSync(join(root, 'src/cli/main.ts')).mtimeMs) {
  console.error('dist/ is missing or older than src/: run `npm run build` first');
  process.exit(2);
}

const WAYS = {
  'dist (node bin/torchport.mjs)': ['node', join(root, 'bin/torchport.mjs')],
  'sources via tsx': ['node', '--import', 'tsx', join(root, 'src/cli/main.ts')],
} as const;

async function timed(command: readonly string[], args: readonly string[]): Promise<number> {
  const t0 = performance.now();
  await execa(command[0]!, [...command.slice(1), ...args], { cwd: root, stdout: 'ignore', stderr: 'pipe' });
  return performance.now() - t0;
}

async function compare(label: string, runs: number, args: (way: string, run: number) => readonly string[]): Promise<void> {
  const samples = new Map<string, number[]>(Object.keys(WAYS).map((w) => [w, []]));
  for (let run = 0; run < runs; run++) {
    for (const [way, command] of Object.entries(WAYS)) samples.get(way)!.push(await timed(command, args(way, run)));
  }
  for (const [way, ms] of samples) {
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(`${label.padEnd(34)} ${way.padEnd(30)} median ${(median(sorted) / 1000).toFixed(2)} s  (min ${(sorted[0]! / 1000).toFixed(2)}, max ${(sorted.at(-1)! / 1000).toFixed(2)}, n ${ms.length})`);
  }
}

const work = await mkdtemp(join(tmpdir(), 'bench-startup-'));
try {
  await compare('torchport --help', Number(values.runs), () => ['--help']);
  await compare('torchport --version', Number(values.runs), () => ['--version']);

  const fixture = join(work, 'resnet18.py');
  await writeFile(
    fixture,
    [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(join(root, 'suites/fixtures'))})`,
      'from _common import randomize_normalization',
      'from _resnet import BasicBlock, ResNet',
      'INPUT_SHAPES = [[1, 3, 64, 64]]',
      'SEED = 0',
      'def build():',
      '    return randomize_normalization(ResNet(BasicBlock, [2, 2, 2, 2], planes=(64, 128, 256, 512), num_classes=1000))',
      '',
    ].join('\n'),
  );
  const goldens = join(work, 'golden');
  await execa('node', [join(root, 'bin/torchport.mjs'), 'golden', 'add', fixture, '--golden', goldens, '--seeds', '1'], { cwd: root, stdout: 'ignore' });
  await compare(`convert resnet18 (${values.quantize})`, Number(values['convert-runs']), (way, run) => [
    'convert',
    join(goldens, 'resnet18'),
    '--out',
    join(work, `out-${run}-${way.split(' ')[0]}`),
    '--quantize',
    values.quantize!,
  ]);
} finally {
  await rm(work, { recursive: true, force: true });
}
