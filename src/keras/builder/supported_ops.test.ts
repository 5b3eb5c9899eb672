import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { observeOpLowering } from '../../convert/op-lowering.ts';
import { listGoldenDirs, loadGolden } from '../../golden/index.ts';
import { BUILTINS } from '../../tflite/schema/builtins.ts';
import { FAMILIES, findOp } from './index.ts';
import { SUPPORTED_OPS_FILE, supportedOpsMarkdown } from './supported_ops.ts';

const goldens = await Promise.all((await listGoldenDirs('golden')).map((dir) => loadGolden(dir)));
const lowering = await observeOpLowering(goldens);

describe('docs/supported-ops.md', () => {
  it('is what the op registry, the builtin records and the goldens render (regenerate with `npx tsx scripts/write-supported-ops.ts`)', () => {
    const onDisk = readFileSync(SUPPORTED_OPS_FILE, 'utf8');
    expect(onDisk, 'docs/supported-ops.md is stale: run `npx tsx scripts/write-supported-ops.ts`').toBe(supportedOpsMarkdown(FAMILIES, lowering));
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

  it('credits each call with the builtins its layers lowered to, and marks float under full int8 from the builtin records', () => {
    // Only registered calls are observed, and only real builtins.
    for (const [name, builtins] of lowering) {
      expect(findOp(name), name).toBeDefined();
      for (const builtin of builtins) expect(Object.keys(BUILTINS), `${name} -> ${builtin}`).toContain(builtin);
    }
    expect([...lowering.get('Conv2d')!]).toContain('CONV_2D');
    expect([...lowering.get('Linear')!]).toContain('FULLY_CONNECTED');
    const page = readFileSync(SUPPORTED_OPS_FILE, 'utf8');
    const rows = page.split('\n').filter((line) => /^\| `[^`]+` \| [^|]+ \| [^|]+ \| [^|]+ \|$/.test(line));
    expect(rows.length).toBe(lowering.size);
    for (const row of rows) {
      const [, , builtins, float] = row.split(' | ');
      const names = [...builtins!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
      const expected = names.filter((name) => (BUILTINS as Record<string, { int8: unknown }>)[name]!.int8 === 'float');
      expect(
        [...float!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]),
        row,
      ).toEqual(expected);
    }
  });
});
