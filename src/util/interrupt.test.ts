import { execa } from 'execa';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const hanging = new URL('../torch/test-fixtures/hanging.py', import.meta.url).pathname;
const stuck = new URL('../torch/test-fixtures/hangs_in_forward.py', import.meta.url).pathname;

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

describe('cleanupOnInterrupt', () => {
  it('a SIGTERM of `torchport verify` mid-recording removes its temporary golden and bridge folders', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'interrupt-test-'));
    try {
      const cli = execa(process.execPath, [join(root, 'bin/torchport.mjs'), 'verify', hanging, '--targets', 'keras', '--report', join(temp, 'reports')], {
        cwd: root,
        env: { ...process.env, CI: 'false', TMPDIR: temp, TORCHPORT_BRIDGE_TIMEOUT_MS: '600000' },
        reject: false,
      });
      // The temporary golden appears once the worker is up and recording has begun.
      const started = await waitFor(async () => ((await readdir(temp)).some((n) => n.startsWith('torchport-golden-')) ? true : undefined), 60_000);
      expect(started).toBe(true);
      await new Promise((r) => setTimeout(r, 1000));
      cli.kill('SIGTERM');
      const result = await cli;
      expect(result.exitCode).toBe(143);
      // Before: an empty torchport-golden-* (and the bridge's folder) stayed behind.
      expect((await readdir(temp)).filter((n) => n.startsWith('torchport-'))).toEqual([]);
      expect(result.stderr).not.toMatch(/internal error/);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }, 120_000);

  it('a SIGTERM of `torchport golden add` mid-recording removes its staging folder from the golden root', async () => {
    const temp = await mkdtemp(join(tmpdir(), 'interrupt-test-'));
    const goldenRoot = join(temp, 'golden');
    try {
      const cli = execa(process.execPath, [join(root, 'bin/torchport.mjs'), 'golden', 'add', stuck, '--golden', goldenRoot], {
        cwd: root,
        env: { ...process.env, CI: 'false', TMPDIR: temp, TORCHPORT_BRIDGE_TIMEOUT_MS: '600000' },
        reject: false,
      });
      const staging = await waitFor(async () => (await readdir(goldenRoot).catch(() => [])).find((n) => n.startsWith('.hangs_in_forward.tmp-')), 60_000);
      expect(staging).toBeDefined();
      cli.kill('SIGTERM');
      expect((await cli).exitCode).toBe(143);
      // Before: the staging folder stayed until the next `golden add` of that name.
      expect(await readdir(goldenRoot)).toEqual([]);
      expect((await readdir(temp)).filter((n) => n.startsWith('torchport-'))).toEqual([]);
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }, 120_000);
});
