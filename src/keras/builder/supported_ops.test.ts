import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAMILIES, findOp } from './index.ts';
import { SUPPORTED_OPS_FILE, supportedOpsMarkdown } from './supported_ops.ts';

describe('docs/supported-ops.md', () => {
  it('is what the op registry renders (regenerate with `npx tsx scripts/write-supported-ops.ts`)', () => {
    const onDisk = readFileSync(SUPPORTED_OPS_FILE, 'utf8');
    expect(onDisk, 'docs/supported-ops.md is stale: run `npx tsx scripts/write-supported-ops.ts`').toBe(supportedOpsMarkdown(FAMILIES));
  });

  it('names every op the builder finds, each in exactly one family', () => {
    const page = readFileSync(SUPPORTED_OPS_FILE, 'utf8');
    for (const family of FAMILIES) {
      for (const name of Object.keys(family.ops)) {
        expect(findOp(name)?.family).toBe(family.name);
        expect(page).toContain(`\`${name}\``);
      }
    }
  });
});
