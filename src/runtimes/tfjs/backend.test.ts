import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../config/index.ts';
import { activeTfjsBackend, describeTfjsBackend, initTfjsBackend } from './index.ts';

const TFJS_BACKEND_ENV = ENV.tfjsBackend;

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

describe('tfjs backend choice', () => {
  it('auto picks tfjs-node when installed, else wasm, and says why it skipped tfjs-node', async () => {
    const status = await initTfjsBackend('auto');
    expect(activeTfjsBackend()).toBe(status);
    if (tfjsNodeInstalled()) {
      expect(status.kind).toBe('node');
    } else {
      expect(status.kind).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(status.skipped).toEqual([{ kind: 'node', reason: '@tensorflow/tfjs-node is not installed' }]);
      expect(describeTfjsBackend(status)).toMatch(/^wasm \(\d+ threads?\) \[skipped node: @tensorflow\/tfjs-node is not installed\]$/);
    }
  });

  it('an explicit request switches backends; an impossible one fails listing the cause', async () => {
    const cpu = await initTfjsBackend('cpu');
    expect(cpu).toMatchObject({ kind: 'cpu', requested: 'cpu', skipped: [] });
    expect(tf.getBackend()).toBe('cpu');
    if (!tfjsNodeInstalled()) {
      await expect(initTfjsBackend('node')).rejects.toThrow(/no TensorFlow.js backend could be initialised.*\n {2}node: @tensorflow\/tfjs-node is not installed/);
    }
    expect((await initTfjsBackend('wasm')).kind).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it(`reads ${TFJS_BACKEND_ENV} when no request is given`, async () => {
    const saved = process.env[TFJS_BACKEND_ENV];
    process.env[TFJS_BACKEND_ENV] = 'cpu';
    try {
      expect((await initTfjsBackend()).kind).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
      process.env[TFJS_BACKEND_ENV] = 'bogus';
      await expect(initTfjsBackend()).rejects.toMatchObject({ code: 'E_CONFIG' });
    } finally {
      if (saved === undefined) delete process.env[TFJS_BACKEND_ENV];
      else process.env[TFJS_BACKEND_ENV] = saved;
    }
  });
});
