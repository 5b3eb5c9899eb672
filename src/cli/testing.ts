// For tests: runs the CLI in-process with captured output streams.
import { PassThrough } from 'node:stream';
import { main } from './main.ts';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(argv: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk) => (out += chunk));
  stderr.on('data', (chunk) => (err += chunk));
  const code = await main(argv, { stdout, stderr, cwd: options.cwd, env: options.env });
  return { code, out, err };
}
