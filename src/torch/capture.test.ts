// The graph capture (scripts/torchport_capture.py) on what model libraries write: subclasses of torch.nn
// modules defined outside torch (recorded by what they compute, or traced into their calls; never refused for
// their class name), models that compute more than they return (those nodes are left out) and concatenations
// onto an empty cache (the empty operand is left out), and in-place writes (recorded as the new value of the
// tensor written, or refused when they reach it through a view the graph cannot show), and attribute reads
// (x.T and x.mT are nodes, x.shape or x.dtype are not). Each fixture is
// captured through the bridge and then verified against torch on keras and tflite-fp32.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { Tensor } from '../tensor/index.ts';
import { TorchBridge } from './index.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const fixture = (name: string) => join(import.meta.dirname, 'test-fixtures', `${name}.py`);

interface Graph {
  readonly nodes: ReadonlyArray<{ readonly name: string; readonly kind: string; readonly op: string; readonly args: ReadonlyArray<{ readonly list?: readonly unknown[] }> }>;
  readonly modules: Readonly<Record<string, { readonly type: string; readonly class: string; readonly leaf: boolean; readonly parameters: readonly string[] }>>;
  readonly values: Readonly<Record<string, unknown>>;
}

describe('graph capture of library-style modules', () => {
  let bridge: TorchBridge;
  let dir: string;
  beforeAll(async () => {
    bridge = new TorchBridge();
    dir = await mkdtemp(join(tmpdir(), 'torchport-capture-'));
  });
  afterAll(async () => {
    await bridge.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function capture(name: string): Promise<Graph> {
    const handle = await bridge.loadFixture(fixture(name));
    const graphPath = join(dir, `${name}.json`);
    await bridge.captureGraph(
      handle,
      handle.inputShapes.map((shape) => Tensor.zeros('float32', shape)),
      { graphPath, constantsPath: join(dir, `${name}.safetensors`) },
    );
    return JSON.parse(await readFile(graphPath, 'utf8')) as Graph;
  }

  it('records a subclass that only changes __init__ as the torch.nn module it computes', async () => {
    const graph = await capture('subclass_init_only');
    expect(graph.nodes.map((n) => `${n.kind} ${n.op}`)).toEqual(['module Conv2d', 'module BatchNorm2d', 'function Tensor.relu']);
    expect(graph.modules['norm']).toMatchObject({ type: 'BatchNorm2d', leaf: true });
    expect(graph.modules['norm']!.class).toMatch(/\.Norm$/);
  });

  it('traces a subclass whose forward is overridden outside torch into its calls', async () => {
    const graph = await capture('subclass_forward');
    expect(graph.nodes.map((n) => n.op)).toEqual(['Conv2d', 'Tensor.permute', 'F.layer_norm', 'Tensor.permute']);
    expect(graph.modules['norm']).toMatchObject({ type: 'LayerNorm2d', leaf: false });
  });

  it('leaves out the nodes the outputs do not depend on, and their values', async () => {
    const graph = await capture('unused_head');
    expect(graph.nodes.map((n) => n.name)).toEqual(['body', 'tanh']);
    expect(Object.keys(graph.values)).toHaveLength(3);
  });

  it('records torch.cat without its empty operands (a key/value cache on its first call)', async () => {
    const graph = await capture('empty_cache_cat');
    const cats = graph.nodes.filter((n) => n.op === 'torch.cat');
    expect(cats.map((n) => n.args[0]!.list!.length)).toEqual([1, 2]);
  });

  it('records an assignment into a tensor, and a write into an indexing view of it, as nodes making its new value', async () => {
    const graph = await capture('index_assign');
    expect(graph.nodes.map((n) => n.op)).toEqual([
      'Tensor.mul',
      'Tensor.__setitem__',
      'Tensor.__getitem__',
      'Tensor.__getitem__',
      'Tensor.add_',
      'Tensor.__setitem__',
      'Tensor.__setitem__',
      'Tensor.add',
    ]);
  });

  it('refuses a tensor written through a view it cannot follow, naming the tensor, its producer and the fix', async () => {
    await expect(capture('write_through_view')).rejects.toThrow(
      /2x3x4 float32, made by node 'add' \(Tensor\.add\)\) was changed by an in-place write torchport cannot follow.*write that step out of place/s,
    );
  });

  it('records the attribute reads that compute a tensor (x.mT, x.T) and no other attribute read', async () => {
    const graph = await capture('attribute_reads');
    expect(graph.nodes.map((n) => n.op)).toEqual(['Tensor.mT', 'Linear', 'Tensor.mT', 'Tensor.relu', 'Tensor.T']);
  });

  it('all of them convert and match torch on keras and tflite-fp32', async () => {
    const names = ['subclass_init_only', 'subclass_forward', 'unused_head', 'empty_cache_cat', 'constant_written', 'index_assign', 'attribute_reads'];
    const result = await runCli(['verify', ...names.map(fixture), '--targets', 'keras,tflite-fp32', '--json', '--report', join(dir, 'reports')], { cwd: ROOT, env: { ...process.env, CI: 'false' } });
    const rows = (JSON.parse(result.out) as { results: Array<{ model: string; target: string; status: string; reason?: string }> }).results;
    expect(rows.filter((r) => r.status !== 'pass').map((r) => `${r.model} ${r.target}: ${r.reason ?? r.status}`)).toEqual([]);
    expect(new Set(rows.map((r) => `${r.model} ${r.target}`)).size).toBe(14);
  }, 600_000);
});
