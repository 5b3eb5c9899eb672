// Loads the reference tensors scripts/make_tflite_references.py wrote with torch.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { decodeNpy, type Tensor } from '../../tensor/index.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(testCase: string, name: string): Tensor {
  const path = `${FIXTURES}${testCase}/${name}.npy`;
  return decodeNpy(readFileSync(path), path);
}

export function values(tensor: Tensor): number[] {
  return Array.from(tensor.toFloat32().data);
}

export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  const x = a.toFloat32().data;
  const y = b.toFloat32().data;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

export function cosineSimilarity(a: Tensor, b: Tensor): number {
  const x = a.toFloat32().data;
  const y = b.toFloat32().data;
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < x.length; i++) {
    dot += x[i]! * y[i]!;
    nx += x[i]! * x[i]!;
    ny += y[i]! * y[i]!;
  }
  return dot / Math.sqrt(nx * ny);
}
