import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../tensor/index.ts';
import { BridgeRequestError, BridgeTimeoutError, TorchBridge, TorchUnavailableError, decodeSafetensors } from './index.ts';

const fixture = (name: string) => new URL(`./test-fixtures/${name}`, import.meta.url).pathname;

describe('TorchBridge with real torch', () => {
  let bridge: TorchBridge;
  const stderr: string[] = [];
  beforeAll(() => {
    bridge = new TorchBridge({ onStderr: (line) => stderr.push(line) });
  });
  afterAll(() => bridge.close());

  it('reports the torch and Python versions of the interpreter it found', async () => {
    const versions = await bridge.versions();
    expect(versions.torch).toMatch(/^\d+\.\d+/);
    expect(versions.python).toMatch(/^3\./);
  });

  it('loads a fixture, exports its state_dict with original dtypes and runs it on given inputs', async () => {
    const handle = await bridge.loadFixture(fixture('two_outputs_noisy.py'));
    expect(handle.inputShapes).toEqual([
      [2, 3],
      [2, 3],
    ]);
    expect(handle.seed).toBe(5);
    expect(handle.inputDistribution).toEqual({ kind: 'uniform', low: -2, high: 2 });
    expect(handle.tolerance).toEqual({ atol: 1e-6 });

    const dir = await mkdtemp(join(tmpdir(), 'bridge-test-'));
    const entries = await bridge.saveStateDict(handle, join(dir, 'w.safetensors'));
    expect(entries.map((e) => `${e.name}:${e.dtype}`)).toEqual(['counter:int64', 'offset:float32']);
    const { tensors } = decodeSafetensors(await readFile(join(dir, 'w.safetensors')));
    expect(tensors.get('offset')!.toArray()).toEqual([0, 1, 2]);
    expect(Array.from(tensors.get('counter')!.data as BigInt64Array)).toEqual([7n]);

    const a = Tensor.fromNumbers([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = Tensor.fromNumbers([2, 3], [1, 0, -1, 2, 0.5, 0]);
    const outputs = await bridge.run(handle, [a, b]);
    expect(outputs.map((o) => o.name)).toEqual(['output_0', 'output_1']);
    expect(outputs[0]!.tensor.toArray()).toEqual([2, 5, 8, 8, 11, 14]);
    expect(outputs[1]!.tensor.shape).toEqual([2]);
    expect(outputs[1]!.tensor.toArray()).toEqual([-2, 10.5]);
    // What the fixture printed went to stderr, not into the protocol.
    expect(stderr).toContain('forward called');
  });

  it('captures indexing with a plain int (which skips torch-function modes) as a node, not a constant', async () => {
    const handle = await bridge.loadFixture(fixture('int_index.py'));
    const dir = await mkdtemp(join(tmpdir(), 'bridge-capture-'));
    const captured = await bridge.captureGraph(handle, [Tensor.zeros('float32', [1, 5, 3])], { graphPath: join(dir, 'graph.json'), constantsPath: join(dir, 'constants.safetensors') });
    expect(captured.constants).toBe(0);
    const graph = JSON.parse(await readFile(join(dir, 'graph.json'), 'utf8')) as { nodes: Array<{ op: string; args: unknown[] }> };
    const indexing = graph.nodes.filter((node) => node.op === 'Tensor.__getitem__');
    expect(indexing.map((node) => node.args[1])).toEqual([{ const: -1 }, { const: 0 }]);
  });

  it('replaces weights from a safetensors file and refuses one made for another model', async () => {
    const handle = await bridge.loadFixture(fixture('two_outputs_noisy.py'));
    const dir = await mkdtemp(join(tmpdir(), 'bridge-test-'));
    await bridge.saveStateDict(handle, join(dir, 'w.safetensors'));
    await bridge.loadWeights(handle, join(dir, 'w.safetensors'));
    const conv = await bridge.loadFixture(new URL('../../suites/fixtures/seed_single_conv.py', import.meta.url).pathname);
    await bridge.saveStateDict(conv, join(dir, 'conv.safetensors'));
    await expect(bridge.loadWeights(handle, join(dir, 'conv.safetensors'))).rejects.toThrow(
      /WeightsError in load_weights: .*conv\.safetensors does not fit the fixture's model: missing \['offset', 'counter'\], unexpected \['weight'\]/,
    );
  });

  it('returns the Python traceback of a fixture that raises, and keeps serving', async () => {
    const error = await bridge.loadFixture(fixture('raising.py')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeRequestError);
    expect((error as Error).message).toMatch(/ValueError: this fixture is broken on purpose/);
    expect((error as Error).message).toMatch(/Traceback[\s\S]*raising\.py", line 6, in build/);
    await expect(bridge.versions()).resolves.toBeDefined();
  });

  it('refuses a build() that returns no nn.Module and malformed INPUT_SHAPES, naming the file', async () => {
    await expect(bridge.loadFixture(fixture('non_module.py'))).rejects.toThrow(/non_module\.py: build\(\) must return a torch\.nn\.Module, got int/);
    await expect(bridge.loadFixture(fixture('bad_shapes.py'))).rejects.toThrow(/bad_shapes\.py: INPUT_SHAPES\[0\] must be a list of positive integers/);
    await expect(bridge.loadFixture(fixture('does_not_exist.py'))).rejects.toThrow(/fixture file not found/);
  });
});

describe('TorchBridge failure handling', () => {
  it('kills a hanging fixture after the timeout, shows where Python was, and starts a fresh worker', async () => {
    const bridge = new TorchBridge({ requestTimeoutMs: 4000 });
    try {
      const firstPid = (await bridge.versions()).pid;
      const error = await bridge.loadFixture(fixture('hanging.py')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BridgeTimeoutError);
      expect((error as Error).message).toMatch(/did not finish within 4000 ms/);
      expect((error as Error).message).toMatch(/hanging\.py", line 9 in build/); // faulthandler's dump
      expect(() => process.kill(firstPid, 0)).toThrow(); // the old worker is gone, not a zombie
      const second = await bridge.versions();
      expect(second.pid).not.toBe(firstPid);
    } finally {
      await bridge.close();
    }
  });

  it('explains every interpreter it tried when none has torch', async () => {
    const bridge = new TorchBridge({ env: { ...process.env, TORCHPORT_PYTHON: '/nonexistent/python3' } });
    const error = await bridge.versions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TorchUnavailableError);
    expect((error as Error).message).toMatch(/\/nonexistent\/python3: not found/);
    expect((error as Error).message).toMatch(/apt-get install -y --no-install-recommends python3-torch/);
    await bridge.close();
  });
});
