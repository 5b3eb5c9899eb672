// How long the Python worker and whatever it starts live: timeouts end the whole process group
// without waiting on pipes a grandchild holds, a node that dies takes the worker with it, crash
// messages quote the dying worker only, and failed writes leave no temporary file behind.
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/index.ts';
import { BridgeCrashedError, BridgeTimeoutError, TorchBridge } from './index.ts';

const fixture = (name: string) => new URL(`./test-fixtures/${name}`, import.meta.url).pathname;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}

const scratch: string[] = [];
afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bridge-lifetime-'));
  scratch.push(dir);
  return dir;
}

describe('TorchBridge process lifetime', () => {
  it('returns at the timeout although a grandchild holds the worker stdio, and ends the grandchild too', async () => {
    const dir = await tempDir();
    const pidFile = join(dir, 'child.pid');
    const bridge = new TorchBridge({ requestTimeoutMs: 3000, env: { ...process.env, TORCHPORT_TEST_PID_FILE: pidFile } });
    try {
      await bridge.versions(); // start-up (import torch) is not part of the timed request
      const started = Date.now();
      const error = await bridge.loadFixture(fixture('spawns_child.py')).catch((e: unknown) => e);
      // Before: the promise settled only when `sleep 300` exited (this test timed out).
      expect(error).toBeInstanceOf(BridgeTimeoutError);
      expect(Date.now() - started).toBeLessThan(30_000);
      const child = Number(await readFile(pidFile, 'utf8'));
      expect(await waitUntil(() => !alive(child), 5000)).toBe(true);
      // The bridge goes on with a fresh worker.
      await expect(bridge.versions()).resolves.toBeDefined();
    } finally {
      await bridge.close();
    }
  }, 60_000);

  it('quotes only the crashed worker, not a failed interpreter candidate or an earlier worker', async () => {
    const bridge = new TorchBridge({ requestTimeoutMs: 3000 });
    try {
      const timeout = await bridge.loadFixture(fixture('hanging.py')).catch((e: unknown) => e);
      expect(timeout).toBeInstanceOf(BridgeTimeoutError);
      expect((timeout as Error).message).toMatch(/hanging\.py/);
      const crash = await bridge.loadFixture(fixture('exits.py')).catch((e: unknown) => e);
      expect(crash).toBeInstanceOf(BridgeCrashedError);
      expect((crash as Error).message).toMatch(/exited with code 1/);
      // Before: the earlier worker's faulthandler dump, and (with a torch-less python3 first on
      // PATH) that candidate's "cannot import torch", were quoted as this worker's last output.
      expect((crash as Error).message).not.toMatch(/hanging\.py/);
      expect((crash as Error).message).not.toMatch(/cannot import torch/);
      expect(bridge.recentStderr()).not.toMatch(/hanging\.py|cannot import torch/);
    } finally {
      await bridge.close();
    }
  }, 60_000);

  it('ends the worker when node is killed with SIGKILL (no chance to clean up)', async () => {
    const node = execa(process.execPath, ['--import', 'tsx', fixture('hold-bridge.ts'), fixture('hanging.py')], { reject: false, stdout: 'pipe', stderr: 'ignore' });
    try {
      const line = await new Promise<string>((settle) => createInterface({ input: node.stdout! }).once('line', settle));
      const worker = Number(line);
      expect(alive(worker)).toBe(true);
      await new Promise((r) => setTimeout(r, 1000)); // the worker is inside build() now
      node.kill('SIGKILL');
      await node;
      // Before: the worker ran on with ppid 1 until the fixture returned (here: never).
      expect(await waitUntil(() => !alive(worker), 5000)).toBe(true);
    } finally {
      node.kill('SIGKILL');
    }
  }, 120_000);

  it('leaves no partial model.onnx when the export fails', async () => {
    const dir = await tempDir();
    const bridge = new TorchBridge();
    try {
      const handle = await bridge.loadFixture(fixture('onnx_unexportable.py'));
      // torch 1.13 writes the file, then its checker refuses the graph; newer versions may export it.
      await bridge.exportOnnx(handle, [Tensor.zeros('float32', [2, 3])], join(dir, 'model.onnx')).catch(() => undefined);
      const left = await readdir(dir);
      expect(left.filter((name) => name !== 'model.onnx')).toEqual([]);
    } finally {
      await bridge.close();
    }
  });
});
