import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../main.ts';
import { EXPECTED, FIXTURES } from '../../torch/checkpoint/test-support.ts';
import { inspectFile } from './inspect.ts';

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await main(argv, { stdout, stderr, cwd: FIXTURES });
  return { code, stdout: out, stderr: err };
}

describe('torchport inspect', () => {
  it('--json lists every tensor with the SHA-256 torch computed', async () => {
    const { code, stdout } = await run('inspect', 'shape_training.pt', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { format: string; selectedKey: string; tensors: unknown[]; metadata: Record<string, unknown> };
    const expected = EXPECTED['shape_training.pt']!;
    if (expected.error !== undefined) throw new Error('unreachable');
    expect(report.format).toBe('pytorch');
    expect(report.selectedKey).toBe('model_state_dict');
    expect(report.tensors).toEqual(expected.tensors);
    expect(report.metadata).toEqual(expected.metadata);
  });

  it('reads safetensors through the same command', async () => {
    const { code, stdout } = await run('inspect', 'dtypes.safetensors', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).tensors).toEqual((EXPECTED['dtypes.safetensors'] as unknown as { tensors: unknown }).tensors);
  });

  it('prints a table with one row per tensor', async () => {
    const { code, stdout } = await run('inspect', 'views.pt');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^views\.pt: pytorch, weights at the root, 15 tensors, \d+ bytes$/);
    expect(lines[1]).toMatch(/^name\s+dtype\s+shape\s+bytes\s+sha256$/);
    expect(lines).toHaveLength(2 + 15);
    const expected = EXPECTED['views.pt']!;
    if (expected.error !== undefined) throw new Error('unreachable');
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['base', 'float32', '[3, 4, 5]', '240', expected.tensors[0]!.sha256]);
  });

  it('passes --key through to the checkpoint reader', async () => {
    expect((await run('inspect', 'shape_ambiguous.pt')).code).toBe(2);
    const { code, stdout } = await run('inspect', 'shape_ambiguous.pt', '--key', 'teacher', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout).selectedKey).toBe('teacher');
  });

  it.each([
    ['evil_os_system.pt', 'E_PICKLE_GLOBAL'],
    ['legacy.pt', 'E_CHECKPOINT_LEGACY'],
    ['torchscript.pt', 'E_CHECKPOINT_TORCHSCRIPT'],
    ['missing.pt', 'E_INPUT_FILE'],
    ['expected.json', 'E_INPUT_FILE'],
  ])('%s: exit code 2 and the error code on stderr', async (file, errorCode) => {
    const { code, stdout, stderr } = await run('inspect', file);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`[${errorCode}]`);
  });

  it('recognises files by content, whatever their extension', () => {
    const dir = mkdtempSync(join(tmpdir(), 'torchport-inspect-'));
    try {
      copyFileSync(`${FIXTURES}dtypes.safetensors`, join(dir, 'weights.dat'));
      copyFileSync(`${FIXTURES}dtypes.pt`, join(dir, 'weights.data'));
      expect(inspectFile(join(dir, 'weights.dat')).format).toBe('safetensors');
      expect(inspectFile(join(dir, 'weights.data')).format).toBe('pytorch');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
