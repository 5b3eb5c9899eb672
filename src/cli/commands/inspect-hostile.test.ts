// `torchport inspect` on hostile and heavy files (issue #17): crafted checkpoints whose tensors or
// names multiply memory, metadata that would not fit in a string, 130k tensors, a 2 GiB .tflite.
// The files come from scripts/make_hostile_weights.py (crafted bytes, no torch) and, for the
// shared-storage case, from real torch.save.
import { execa } from 'execa';
import { truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectTfliteFile } from '../../tflite/index.ts';
import { findTorchPython, readCheckpointFile } from '../../torch/index.ts';
import { runCli } from '../testing.ts';

const script = new URL('../../../scripts/make_hostile_weights.py', import.meta.url).pathname;

describe('inspect on hostile and heavy files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inspect-hostile-'));
    await execa('python3', [script, dir]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const inspect = (...args: string[]) => runCli(['inspect', ...args], { cwd: dir, env: process.env });

  it('shares one storage saved under 500 names instead of copying it per name', async () => {
    const { executable } = await findTorchPython();
    const path = join(dir, 'shared.pt');
    await execa(executable, ['-c', `import torch; t = torch.arange(2*1024*1024, dtype=torch.float32); torch.save({f'w{i}': t for i in range(500)}, ${JSON.stringify(path)})`]);
    // 8 MB of storage: a 64 MB budget holds it only when it is read once (torch.load: ~240 MB RSS;
    // before, every name got its own 8 MB copy, 4.2 GB in all).
    const { tensors } = readCheckpointFile(path, { limits: { maxTotalBytes: 64 * 1024 * 1024 } });
    expect(tensors.size).toBe(500);
    const buffers = new Set([...tensors.values()].map((t) => t.data.buffer));
    expect(buffers.size).toBe(1);
    expect(tensors.get('w499')!.data[2 * 1024 * 1024 - 1]).toBe(2 * 1024 * 1024 - 1);
    // A budget below the storage itself is refused before anything is read.
    expect(() => readCheckpointFile(path, { limits: { maxTotalBytes: 4 * 1024 * 1024 } })).toThrow(expect.objectContaining({ code: 'E_CHECKPOINT_LIMIT' }));
  });

  it('charges a stride-0 view at its dense size and refuses it against the total budget before allocating', () => {
    // 500 bytes on disk, 1.5 GB as a dense float32[375000000].
    const read = () => readCheckpointFile(join(dir, 'expand.pt'), { limits: { maxTotalBytes: 256 * 1024 * 1024 } });
    expect(read).toThrow(expect.objectContaining({ code: 'E_CHECKPOINT_LIMIT' }));
    expect(read).toThrow(/tensor "w0", float32\[375000000\]: 1500000000 bytes from a 4-byte storage record/);
  });

  it('refuses names that unfold exponentially (10^10 from 1.7 KB) before walking them', async () => {
    // Before: 24-54 s and 1.4-1.6 GB before E_PICKLE_LIMIT (this test's 10 s bound).
    const { code, err } = await inspect('laughs.pt');
    expect(code).toBe(2);
    expect(err).toMatch(/would take more than 10000000 steps .*\[E_PICKLE_LIMIT\]/);
  }, 10_000);

  it('prints metadata that is too large for one string, cut to a bounded size', async () => {
    // {'w': tensor, 'x': [s] * 600} with s a 1 MB string: torch.load reads it. Before: "Invalid string length", exit 1.
    const json = await inspect('strings.pt', '--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.out) as { tensors: unknown[]; metadata: { x: string[] } };
    expect(report.tensors).toHaveLength(1);
    expect(report.metadata.x).toHaveLength(600);
    expect(report.metadata.x[0]).toMatch(/^B{4096}… \(1048576 characters\)$/);
    expect(report.metadata.x.join('').length).toBeLessThan(2 ** 21);
    const table = await inspect('strings.pt');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/\n {2}x: \["B{190,}…\n/);
  });

  it('lists 130,000 tensors in a table', async () => {
    // Before: Math.max(...rows) overflowed the stack, exit 1.
    const { code, out } = await inspect('many.safetensors');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(130_002);
    expect(lines[0]).toMatch(/130000 tensors, 520000 bytes/);
    expect(lines.at(-1)).toMatch(/^layer129999\.weight +float32 +\[1\] +4 +df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119$/);
  });

  it('refuses a 2 GiB file that is not a TFLite model from its first bytes, without reading it', async () => {
    const path = join(dir, 'zero.tflite');
    writeFileSync(path, '');
    truncateSync(path, 2 ** 31); // sparse
    // Before: ERR_FS_FILE_TOO_LARGE as an internal error (2 GiB), or 34 s and 4.3 GB (2 GiB - 1) before this message.
    expect(() => inspectTfliteFile(path)).toThrow(/file identifier is "\\u0000\\u0000\\u0000\\u0000", expected "TFL3"/);
    const { code, err } = await inspect('zero.tflite');
    expect(code).toBe(2);
    expect(err).toMatch(/\[E_TFLITE_FORMAT\]/);
  });
});
