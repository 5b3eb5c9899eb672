/**
 * The start of JSON.stringify(value), at most `maxChars` characters (then "…"), built without
 * serialising the whole value: metadata can hold strings and shared lists whose full text would
 * exceed what a JavaScript string can hold.
 */
export function jsonPreview(value: unknown, maxChars: number): string {
  let out = '';
  const full = (): boolean => out.length > maxChars;
  const emit = (text: string): void => {
    out += text.length > maxChars + 1 - out.length ? text.slice(0, maxChars + 1 - out.length) : text;
  };
  const walk = (node: unknown): void => {
    if (full()) return;
    if (node === null || typeof node !== 'object') {
      emit(JSON.stringify(typeof node === 'string' ? node.slice(0, maxChars + 1) : node) ?? 'null');
      return;
    }
    const array = Array.isArray(node);
    emit(array ? '[' : '{');
    let first = true;
    for (const [key, child] of array ? node.entries() : Object.entries(node as object)) {
      if (full()) return;
      if (!first) emit(',');
      first = false;
      if (!array) emit(`${JSON.stringify(String(key).slice(0, maxChars + 1))}:`);
      walk(child);
    }
    emit(array ? ']' : '}');
  };
  walk(value);
  return full() ? `${out.slice(0, maxChars)}…` : out;
}
