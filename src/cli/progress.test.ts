import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { CliContext } from './context.ts';
import { readConfig } from '../config/index.ts';
import { createProgress } from './progress.ts';

function capture(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = Object.assign(new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) }), { isTTY });
  return { stream, text: () => text };
}

const ctx = (env: NodeJS.ProcessEnv = {}): CliContext => ({ stdout: process.stdout, stderr: process.stderr, cwd: '.', env, config: readConfig(env), exitCode: 0 });

describe('progress', () => {
  it('on a TTY: one redrawn line with model n/N and the time left from the models done so far', () => {
    let clock = 0;
    const out = capture(true);
    const progress = createProgress(ctx(), { total: 4, stream: out.stream, now: () => clock });
    progress.update('a: keras');
    clock = 5_000;
    progress.update('a: onnx');
    clock = 10_000;
    progress.update('b: keras'); // one model took 10 s; three remain
    progress.done();
    const frames = out.text().split('\r\x1b[2K').filter(Boolean);
    expect(frames).toEqual(['[0s] model 1/4 a: keras', '[5s] model 1/4 a: onnx', '[10s, ~30s left] model 2/4 b: keras']);
  });

  it('CI=false on a TTY is not CI: the live line stays (CI is read one way, src/config)', () => {
    const out = capture(true);
    const progress = createProgress(ctx({ CI: 'false' }), { total: 2, stream: out.stream, now: () => 0 });
    progress.update('m1: keras');
    progress.done();
    expect(out.text().split('\r\x1b[2K').filter(Boolean)).toEqual(['[0s] model 1/2 m1: keras']);
  });

  it('elsewhere (CI logs): plain lines, no escape codes', () => {
    let clock = 0;
    const out = capture(true);
    const progress = createProgress(ctx({ CI: '1' }), { total: 2, stream: out.stream, now: () => clock });
    progress.update('a: keras');
    clock = 1_500;
    progress.update('b: keras');
    progress.done();
    expect(out.text()).toBe('[0.0s] model 1/2 a: keras\n[1.5s] model 2/2 b: keras\n');
  });
});
