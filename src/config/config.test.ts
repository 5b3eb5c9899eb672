import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { ConfigError, DEFAULT_BRIDGE_TIMEOUT_MS, ENV, readConfig } from './index.ts';

describe('readConfig', () => {
  it('gives the defaults for an empty environment', () => {
    expect(readConfig({})).toEqual({
      ci: false,
      python: undefined,
      tfPython: undefined,
      basePython: 'python3',
      bridgeTimeoutMs: DEFAULT_BRIDGE_TIMEOUT_MS,
      tfjsBackend: 'auto',
      suite: undefined,
      benchSlowdown: new Map(),
      fuzzSeed: undefined,
    });
  });

  it('reads CI one way: on unless unset, empty, 0 or false (any case)', () => {
    for (const off of [undefined, '', ' ', '0', 'false', 'FALSE', 'False']) expect(readConfig({ CI: off }).ci, String(off)).toBe(false);
    for (const on of ['1', 'true', 'yes', 'github-actions']) expect(readConfig({ CI: on }).ci, on).toBe(true);
  });

  it('trims paths and treats blank as unset', () => {
    const config = readConfig({ TORCHPORT_PYTHON: ' /opt/py/bin/python ', TORCHPORT_TF_PYTHON: '  ', TORCHPORT_SUITE: 'suites/mine.json' });
    expect(config.python).toBe('/opt/py/bin/python');
    expect(config.tfPython).toBeUndefined();
    expect(config.suite).toBe('suites/mine.json');
    expect(readConfig({ TORCHPORT_FUZZ_SEED: '42' }).fuzzSeed).toBe(42);
    expect(() => readConfig({ TORCHPORT_FUZZ_SEED: 'abc' })).toThrow(/TORCHPORT_FUZZ_SEED="abc" is not a whole number/);
  });

  it('parses the tfjs backend override, refusing an unknown backend instead of guessing', () => {
    expect(readConfig({ TORCHPORT_TFJS_BACKEND: ' WASM ' }).tfjsBackend).toBe('wasm');
    expect(readConfig({ TORCHPORT_TFJS_BACKEND: 'node' }).tfjsBackend).toBe('node');
    expect(readConfig({ TORCHPORT_TFJS_BACKEND: 'auto' }).tfjsBackend).toBe('auto');
    expect(() => readConfig({ TORCHPORT_TFJS_BACKEND: 'webgpu' })).toThrow(/TORCHPORT_TFJS_BACKEND="webgpu" is not a backend: use one of auto, node, wasm, cpu/);
  });

  it('refuses a bridge timeout that is not a positive whole number (it used to fall back silently)', () => {
    expect(readConfig({ TORCHPORT_BRIDGE_TIMEOUT_MS: '600000' }).bridgeTimeoutMs).toBe(600_000);
    for (const bad of ['10s', '-5', '0', '1.5']) {
      expect(() => readConfig({ TORCHPORT_BRIDGE_TIMEOUT_MS: bad }), bad).toThrow(ConfigError);
    }
  });

  it('parses the slowdown hook and names every malformed entry at once', () => {
    expect([...readConfig({ [ENV.benchSlowdown]: 'onnx:0.25, tflite-fp32:1,keras:.5' }).benchSlowdown]).toEqual([
      ['onnx', 0.25],
      ['tflite-fp32', 1],
      ['keras', 0.5],
    ]);
    expect(readConfig({ [ENV.benchSlowdown]: '  ' }).benchSlowdown.size).toBe(0);
    expect(() => readConfig({ [ENV.benchSlowdown]: 'onnx,keras:0,tflite:-1,onnx:x' })).toThrow(/"onnx" is not.*"keras:0" is not.*"tflite:-1" is not.*"onnx:x" is not/);
    expect(() => readConfig({ [ENV.benchSlowdown]: 'onnx:0.1,onnx:0.2' })).toThrow(/named twice/);
  });

  it('reports every malformed variable in one error', () => {
    expect(() => readConfig({ TORCHPORT_TFJS_BACKEND: 'gpu', TORCHPORT_BRIDGE_TIMEOUT_MS: 'soon' })).toThrow(/TORCHPORT_BRIDGE_TIMEOUT_MS="soon".*; TORCHPORT_TFJS_BACKEND="gpu"/);
  });
});

describe('the CLI', () => {
  it('refuses a malformed variable before running any command, naming it (exit 2)', async () => {
    const result = await runCli(['report', '--help'], { cwd: process.cwd(), env: { ...process.env, TORCHPORT_TFJS_BACKEND: 'gpu' } });
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^torchport: environment: TORCHPORT_TFJS_BACKEND="gpu" is not a backend.*\[E_CONFIG\]/);
  });
});
