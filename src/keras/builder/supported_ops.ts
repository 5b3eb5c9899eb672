// The "supported operations" page (docs/supported-ops.md), rendered from the op registry, the
// TFLite builtin records and the TFLite builtins each call was observed to lower to (collected by
// src/convert/op-lowering.ts from the committed goldens), so the docs cannot drift from the code:
// scripts/write-supported-ops.ts writes it, a test compares.
import { BUILTINS } from '../../tflite/schema/builtins.ts';
import type { OpFamily } from './family.ts';

export const SUPPORTED_OPS_FILE = 'docs/supported-ops.md';

/** Captured call name -> the TFLite builtins it lowered to in some golden (absent: no golden uses it). */
export type ObservedLowering = ReadonlyMap<string, ReadonlySet<string>>;

const code = (name: string) => `\`${name}\``;

/** Builtins whose record keeps them float32 between DEQUANTIZE and QUANTIZE in a full-int8 model. */
function keptFloat(builtins: Iterable<string>): string[] {
  return [...builtins].filter((name) => (BUILTINS as Record<string, { int8: unknown }>)[name]?.int8 === 'float').sort();
}

function list(names: Iterable<string>, none: string): string {
  const sorted = [...names].sort();
  return sorted.length ? sorted.map(code).join(', ') : none;
}

export function supportedOpsMarkdown(families: readonly OpFamily[], lowering: ObservedLowering): string {
  const lines = [
    '# Supported PyTorch operations',
    '',
    '<!-- Generated from the op registry (src/keras/builder/registry.ts), the TFLite builtin records (src/tflite/schema/builtins.ts) and the committed goldens by `npx tsx scripts/write-supported-ops.ts`; do not edit. -->',
    '',
    'Each family is one module under src/keras/builder/ops/. A call marked with * is checked before',
    'anything is built: arguments the converter cannot reproduce exactly are refused up front, with',
    'every refused node listed in one error.',
    '',
    'The TFLite columns are observed, not declared: every committed golden with a captured graph is',
    'converted, and each TFLite operator is credited to the captured call whose Keras layers wrote it',
    '(before the graph passes that fold BatchNorm into convolutions and fuse activations). "Float under',
    'full int8" lists the builtins whose record in src/tflite/schema/builtins.ts keeps them float32',
    '(between DEQUANTIZE and QUANTIZE) in a full-int8 model; a model may keep more float (tensors',
    'holding infinities, `--keep-float` layers), and its conversion.json lists each such operator.',
    '',
    '| Family | Modules | Functions and Tensor methods | torchport Keras layers | TFLite builtins | Float under full int8 |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const family of families) {
    const names = Object.keys(family.ops).sort();
    const label = (name: string) => code(name) + (family.ops[name]!.check ? '*' : '');
    const modules = names.filter((name) => !name.includes('.')).map(label);
    const calls = names.filter((name) => name.includes('.')).map(label);
    const layers = [...new Set(family.layers.map((layer) => layer.className))].sort().map(code);
    const builtins = new Set(names.flatMap((name) => [...(lowering.get(name) ?? [])]));
    const observed = names.some((name) => lowering.has(name));
    lines.push(
      `| ${family.name} | ${modules.join(', ') || '-'} | ${calls.join(', ') || '-'} | ${layers.join(', ') || '-'} | ${observed ? list(builtins, 'none') : 'no golden'} | ${observed ? list(keptFloat(builtins), '-') : '-'} |`,
    );
  }
  const total = families.reduce((n, family) => n + Object.keys(family.ops).length, 0);
  lines.push('', `${total} captured call names in ${families.length} families.`, '');

  lines.push('## Per call', '', 'Calls no committed golden uses are listed after the table.', '', '| Call | Family | TFLite builtins | Float under full int8 |', '| --- | --- | --- | --- |');
  const unobserved: string[] = [];
  for (const family of families) {
    for (const name of Object.keys(family.ops).sort()) {
      const builtins = lowering.get(name);
      if (!builtins) {
        unobserved.push(name);
        continue;
      }
      lines.push(`| ${code(name)} | ${family.name} | ${list(builtins, 'none (no operator)')} | ${list(keptFloat(builtins), '-')} |`);
    }
  }
  lines.push('', `Not used by a committed golden (${unobserved.length}): ${unobserved.sort().map(code).join(', ') || 'none'}.`, '');
  return lines.join('\n');
}
