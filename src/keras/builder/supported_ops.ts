// The "supported operations" page (docs/supported-ops.md), rendered from the op registry so the
// docs cannot drift from the code: scripts/write-supported-ops.ts writes it, a test compares.
import type { OpFamily } from './family.ts';

export const SUPPORTED_OPS_FILE = 'docs/supported-ops.md';

const code = (name: string) => `\`${name}\``;

export function supportedOpsMarkdown(families: readonly OpFamily[]): string {
  const lines = [
    '# Supported PyTorch operations',
    '',
    '<!-- Generated from the op registry (src/keras/builder/registry.ts) by `npx tsx scripts/write-supported-ops.ts`; do not edit. -->',
    '',
    'Each family is one module under src/keras/builder/ops/. A call marked with * is checked before',
    'anything is built: arguments the converter cannot reproduce exactly are refused up front, with',
    'every refused node listed in one error.',
    '',
    '| Family | Modules | Functions and Tensor methods | torchport Keras layers |',
    '| --- | --- | --- | --- |',
  ];
  for (const family of families) {
    const names = Object.keys(family.ops).sort();
    const label = (name: string) => code(name) + (family.ops[name]!.check ? '*' : '');
    const modules = names.filter((name) => !name.includes('.')).map(label);
    const calls = names.filter((name) => name.includes('.')).map(label);
    const layers = [...new Set(family.layers.map((layer) => layer.className))].sort().map(code);
    lines.push(`| ${family.name} | ${modules.join(', ') || '-'} | ${calls.join(', ') || '-'} | ${layers.join(', ') || '-'} |`);
  }
  const total = families.reduce((n, family) => n + Object.keys(family.ops).length, 0);
  lines.push('', `${total} captured call names in ${families.length} families.`, '');
  return lines.join('\n');
}
