import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectedParityFiles, PARITY_DIR } from './parity-files.ts';

describe('parity test files', () => {
  it('exist for every golden and only for goldens (else run `npx tsx scripts/make-parity-tests.ts`)', () => {
    const expected = expectedParityFiles();
    const present = existsSync(PARITY_DIR) ? readdirSync(PARITY_DIR).filter((f) => f.endsWith('.test.ts')) : [];
    expect(present.sort()).toEqual([...expected.keys()].sort());
    for (const [file, text] of expected) expect(readFileSync(`${PARITY_DIR}/${file}`, 'utf8')).toBe(text);
  });
});
