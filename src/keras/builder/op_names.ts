// Op names as the table knows them. Graphs captured before the capture script normalized them
// name some functions by where they are defined (torch._C._nn.gelu is F.gelu, torch.functional.split
// is torch.split); both spellings are accepted.
const PREFIXES: ReadonlyArray<readonly [string, string]> = [
  ['torch._C._nn.', 'F.'],
  ['torch.nn.functional.', 'F.'],
  ['torch.functional.', 'torch.'],
];

export function canonicalOpName(op: string): string {
  for (const [from, to] of PREFIXES) if (op.startsWith(from)) return to + op.slice(from.length);
  return op;
}
