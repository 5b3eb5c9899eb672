// CLI start-up and end-to-end `convert` time, run from the compiled dist/ (what bin/torchport.mjs
// runs) against the TypeScript sources through tsx (what the bin ran before dist/ existed), the two
// interleaved so machine load hits both alike. The model is a ResNet18 (torchvision's layout:
// BasicBlock [2, 2, 2, 2], 64-512 channels, 1000 classes, 11.7 M parameters) at 1x3x64x64, recorded
// once into a temporary golden (needs torch), and from its fixture file (recording included). Median of --runs.
//   npm run build && npx tsx scripts/bench-startup.ts [--runs 5] [--convert-runs 3] [--quantize fp32,fp16,dynamic-int8,int8]
import { execa } from 'execa';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from '../src/bench/index.ts';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, 'convert-runs': { type: 'string', default: '3' }, quantize: { type: 'string', default: 'fp32,fp16,dynamic-int8,int8' } },
});
const root = new URL('..', import.meta.url).pathname;
// The bin falls back to tsx when any source is newer than dist/: that would time tsx twice.
const newestSource = (dir: string): number =>
  Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestSource(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0)));
const compiled = join(root, 'dist/cli/main.js');
if (!existsSync(compiled) || statSync(compiled).mtimeMs < newestSource(join(root, 'src'))) {
  console.error('dist/ is missing or older than src/: run `npm run build` first');
  process.exit(2);
}

const WAYS = {
  'dist (node bin/torchport.mjs)': ['node', join(root, 'bin/torchport.mjs')],
  'sources via tsx': ['node', '--import', 'tsx', join(root, 'src/cli/main.ts')],
} as const;

/** torchvision's resnet18 layout (11.7 M parameters), from the suite's BasicBlock. */
const RESNET18_FIXTURE = `import sys
sys.path.insert(0, FIXTURES_DIR)
import torch
import torch.nn as nn
from _common import randomize_normalization
from _resnet import BasicBlock, conv1x1

INPUT_SHAPES = [[1, 3, 64, 64]]
SEED = 0


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._stage(64, 1)
        self.layer2 = self._stage(128, 2)
        self.layer3 = self._stage(256, 2)
        self.layer4 = self._stage(512, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, 1000)

    def _stage(self, planes, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes, stride), nn.BatchNorm2d(planes))
        blocks = [BasicBlock(self.inplanes, planes, stride, downsample), BasicBlock(planes, planes)]
        self.inplanes = planes
        return nn.Sequential(*blocks)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def build():
    return randomize_normalization(ResNet18())
`;

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
    console.log(
      `${label.padEnd(34)} ${way.padEnd(30)} median ${(median(sorted) / 1000).toFixed(2)} s  (min ${(sorted[0]! / 1000).toFixed(2)}, max ${(sorted.at(-1)! / 1000).toFixed(2)}, n ${ms.length})`,
    );
  }
}

const work = await mkdtemp(join(tmpdir(), 'bench-startup-'));
try {
  await compare('torchport --help', Number(values.runs), () => ['--help']);
  await compare('torchport --version', Number(values.runs), () => ['--version']);

  const fixture = join(work, 'resnet18.py');
  await writeFile(fixture, RESNET18_FIXTURE.replace('FIXTURES_DIR', JSON.stringify(join(root, 'suites/fixtures'))));
  const goldens = join(work, 'golden');
  await execa('node', [join(root, 'bin/torchport.mjs'), 'golden', 'add', fixture, '--golden', goldens, '--seeds', '1'], { cwd: root, stdout: 'ignore' });
  // From the fixture: the user's whole command (record a scratch golden in torch, then convert), the number
  // to hold against another converter's PyTorch-to-TFLite process.
  await compare(`convert resnet18.py (${values.quantize})`, Number(values['convert-runs']), (way, run) => [
    'convert',
    fixture,
    '--out',
    join(work, `fixture-out-${run}-${way.split(' ')[0]}`),
    '--quantize',
    values.quantize!,
  ]);
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
