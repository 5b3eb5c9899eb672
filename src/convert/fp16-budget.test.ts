// The float16-budget rule end to end, with real torch and a real conversion: a deep model (24
// conv + BatchNorm + ReLU blocks, statistics re-estimated on random batches, as for a
// random-weight torchvision model) amplifies float16 weight rounding beyond 1e-3 of its output, so
// a correct tflite-fp16 port fails the relative rule; the budget recorded by `golden add` passes
// it by the built-in default, and a file whose float16 weights are off by a few ulps more than
// rounding still fails.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { parseManifest } from '../golden/index.ts';
import { readTflite, writeTflite } from '../tflite/index.ts';
import { CONVERSION_FILE, hashArtifactFiles } from './artifacts-record.ts';
import { tfliteFileName } from './convert.ts';

const FIXTURE = `
import torch
import torch.nn as nn

INPUT_SHAPES = [[1, 3, 8, 8]]
SEED = 7


class Net(nn.Module):
    def __init__(self, depth=24, width=8):
        super().__init__()
        layers = []
        channels = 3
        for _ in range(depth):
            layers += [nn.Conv2d(channels, width, 3, padding=1), nn.BatchNorm2d(width, momentum=None), nn.ReLU()]
            channels = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        return self.head(self.body(x).mean(dim=(2, 3)))


def build():
    model = Net()
    model.train()
    with torch.no_grad():
        for _ in range(4):
            model(torch.randn(8, 3, 8, 8))
    return model.eval()
`;

interface Row {
  readonly status: string;
  readonly rule: string;
  readonly relError: number;
  readonly needed: { parameter: string; value: number };
  readonly reason?: string;
}

describe('the float16-budget rule on a deep model', () => {
  let work: string;
  let golden: string;
  let artifacts: string;
  const cli = (argv: string[]) => runCli(argv, { cwd: work, env: { ...process.env, CI: '' } });
  const verify = async (dir: string): Promise<{ code: number; rows: Row[] }> => {
    const result = await cli(['verify', golden, '--artifacts', dir, '--targets', 'tflite-fp16', '--report', join(work, 'reports')]);
    const report = JSON.parse(await readFile(join(work, 'reports', 'latest', 'report.json'), 'utf8'));
    return { code: result.code, rows: report.results };
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'fp16-budget-'));
    await writeFile(join(work, 'deep_net.py'), FIXTURE);
    const added = await cli(['golden', 'add', 'deep_net.py', '--targets', 'torch']);
    expect(added.code, added.err).toBe(0);
    golden = join(work, 'golden', 'deep_net');
    artifacts = join(work, 'artifacts');
    const converted = await cli(['convert', golden, '--out', artifacts, '--quantize', 'fp16']);
    expect(converted.code, converted.err).toBe(0);
  }, 300_000);
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('passes the correct fp16 port whose error the relative rule would fail, within k x the recorded budget', async () => {
    const manifest = parseManifest(await readFile(join(golden, 'manifest.json'), 'utf8'), 'manifest');
    if (!manifest.float16Weights || !('maxAbsDiff' in manifest.float16Weights)) throw new Error(`no float16-weights budget: ${JSON.stringify(manifest.float16Weights)}`);
    const { code, rows } = await verify(artifacts);
    expect(rows.length).toBe(3);
    for (const row of rows) {
      expect(row, row.reason).toMatchObject({ status: 'pass', rule: 'float16-budget', needed: { parameter: 'k' } });
      expect(row.relError).toBeGreaterThan(1e-3); // the relative rule's bound
      expect(row.needed.value).toBeGreaterThan(0);
      expect(row.needed.value).toBeLessThanOrEqual(4);
    }
    expect(code).toBe(0);
  }, 300_000);

  it('fails an fp16 file whose float16 weights are 3 ulps off (a fault a few times the size of float16 rounding)', async () => {
    const faulty = join(work, 'faulty');
    await cp(artifacts, faulty, { recursive: true });
    const path = join(faulty, tfliteFileName('fp16'));
    const model = readTflite(new Uint8Array(await readFile(path))).model;
    let state = 12345;
    let perturbed = 0;
    for (const op of model.operators.filter((o) => o.op === 'DEQUANTIZE')) {
      const tensor = model.tensors[op.inputs[0]!]!;
      const bits = new Uint16Array(tensor.data!.slice().buffer);
      for (let i = 0; i < bits.length; i++) {
        if ((bits[i]! & 0x7fff) <= 3) continue; // keep zeros (and their neighbours) from crossing into the other sign
        state = (state * 1103515245 + 12345) % 2 ** 31;
        bits[i] = bits[i]! + (state & 1 ? 3 : -3);
        perturbed++;
      }
      tensor.data = new Uint8Array(bits.buffer);
    }
    expect(perturbed).toBeGreaterThan(5_000);
    await writeFile(path, writeTflite(model));
    const record = JSON.parse(await readFile(join(faulty, CONVERSION_FILE), 'utf8'));
    record.files = await hashArtifactFiles(faulty);
    record.tflite.fp16.sha256 = record.files[record.tflite.fp16.file];
    record.tflite.fp16.bytes = (await readFile(path)).byteLength;
    await writeFile(join(faulty, CONVERSION_FILE), JSON.stringify(record, null, 2));
    const { code, rows } = await verify(faulty);
    expect(code).toBe(1);
    expect(rows.some((r) => r.status === 'fail')).toBe(true);
    for (const row of rows.filter((r) => r.status === 'fail')) expect(row.reason).toMatch(/^error vs float64 \S+ is \S+x what float16 weights cost in float64 \(\S+\); limit max\(4 x /);
  }, 300_000);
});
