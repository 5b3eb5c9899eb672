// Helpers shared by this module's tests: the committed fixtures and what torch says they hold.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '../../tensor/index.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  bytes: number;
  sha256: string;
}

export type ExpectedFile =
  | { error?: undefined; selectedKey: string | null; tensors: ExpectedTensor[]; metadata: Record<string, unknown> }
  | { error: string; mentions?: string; withKey?: { key: string; tensors: ExpectedTensor[]; metadata: Record<string, unknown> } };

export const EXPECTED = (JSON.parse(readFileSync(`${FIXTURES}expected.json`, 'utf8')) as { files: Record<string, ExpectedFile> }).files;

export function fixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}${name}`));
}

/** name, dtype, shape, bytes and SHA-256 of the C-order little-endian bytes (tests run on little-endian hosts). */
export function describeTensors(tensors: ReadonlyMap<string, Tensor>): ExpectedTensor[] {
  return [...tensors].map(([name, t]) => ({
    name,
    dtype: t.dtype,
    shape: [...t.shape],
    bytes: t.byteLength,
    sha256: createHash('sha256')
      .update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))
      .digest('hex'),
  }));
}
