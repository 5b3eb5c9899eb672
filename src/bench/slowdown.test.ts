import { describe, expect, it } from 'vitest';
import { SLOWDOWN_ENV_VAR, SlowdownHookError, parseSlowdownHook, withSlowdown } from './slowdown.ts';

describe('the test-only slowdown hook', () => {
  it('is empty when unset or blank', () => {
    expect(parseSlowdownHook({}).size).toBe(0);
    expect(parseSlowdownHook({ [SLOWDOWN_ENV_VAR]: '  ' }).size).toBe(0);
  });

  it('parses target:fraction pairs', () => {
    const plan = parseSlowdownHook({ [SLOWDOWN_ENV_VAR]: 'onnx:0.25, tflite-fp32:1,keras:.5' });
    expect([...plan]).toEqual([
      ['onnx', 0.25],
      ['tflite-fp32', 1],
      ['keras', 0.5],
    ]);
  });

  it('names every malformed entry at once', () => {
    const parse = () => parseSlowdownHook({ [SLOWDOWN_ENV_VAR]: 'onnx,keras:0,tflite:-1,onnx:x' });
    expect(parse).toThrow(SlowdownHookError);
    expect(parse).toThrow(/"onnx" is not.*"keras:0" is not.*"tflite:-1" is not.*"onnx:x" is not/);
    expect(() => parseSlowdownHook({ [SLOWDOWN_ENV_VAR]: 'onnx:0.1,onnx:0.2' })).toThrow(/named twice/);
  });

  it('wraps a function without changing its result', async () => {
    const slowed = withSlowdown(async () => 42, 0.5);
    await expect(slowed()).resolves.toBe(42);
  });
});
