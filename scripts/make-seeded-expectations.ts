// Records the SHA-256 of seeded inputs so tests can prove the generator yields the same bytes on
// every machine and in every later version. Re-run only when the generator is changed on purpose
// (which invalidates every golden's inputs): npx tsx scripts/make-seeded-expectations.ts
import { writeFileSync } from 'node:fs';
import { seededInput, type InputDistribution } from '../src/tensor/index.ts';
import { sha256 } from '../src/util/index.ts';

const cases: Array<{ shape: number[]; distribution: InputDistribution; seed: number; input: number }> = [
  { shape: [1, 3, 224, 224], distribution: { kind: 'normal', mean: 0, std: 1 }, seed: 0, input: 0 },
  { shape: [1, 3, 224, 224], distribution: { kind: 'normal', mean: 0, std: 1 }, seed: 1, input: 0 },
  { shape: [1, 3, 32, 32], distribution: { kind: 'normal', mean: 0, std: 1 }, seed: 0, input: 1 },
  { shape: [2, 7], distribution: { kind: 'normal', mean: 0.5, std: 2 }, seed: 3, input: 0 },
  { shape: [1, 3, 64, 64], distribution: { kind: 'image' }, seed: 0, input: 0 },
  { shape: [4, 5, 6], distribution: { kind: 'uniform', low: -3, high: 5 }, seed: 42, input: 2 },
];

const expectations = cases.map((c) => {
  const tensor = seededInput(c.shape, c.distribution, c.seed, c.input);
  const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  return { ...c, sha256: sha256(bytes), first: Array.from(tensor.data.slice(0, 4)) };
});
const out = new URL('../src/tensor/fixtures/seeded-inputs.json', import.meta.url);
writeFileSync(out, `${JSON.stringify(expectations, null, 1)}\n`);
console.log(`wrote ${expectations.length} expectations to ${out.pathname}`);
