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
