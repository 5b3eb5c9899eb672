// Reads a module-level constant of a fixture (TOLERANCE) from its Python source without running
// Python: `verify` must know a fixture's policy where no torch (or no Python at all) is installed,
// and policy must come from the fixture, never from a golden's recorded data. Only literals are
// read (numbers, strings, True/False/None, dicts, lists, tuples); `golden add`, which does run the
// fixture, refuses a fixture whose evaluated value differs from what this reads.
import { TorchportError } from '../errors.ts';

export class FixtureLiteralError extends TorchportError {
  readonly code = 'E_FIXTURE_LITERAL';
}

type Token =
  | { readonly kind: 'name'; readonly text: string; readonly line: number; readonly column: number }
  | { readonly kind: 'number'; readonly text: string; readonly line: number; readonly column: number }
  | { readonly kind: 'string'; readonly text: string; readonly value: string | null; readonly line: number; readonly column: number }
  | { readonly kind: 'op'; readonly text: string; readonly line: number; readonly column: number }
  | { readonly kind: 'newline'; readonly text: ''; readonly line: number; readonly column: number };

const OPENERS = '([{';
const AUGMENTED = new Set(['+=', '-=', '*=', '/=', '//=', '%=', '**=', '>>=', '<<=', '&=', '|=', '^=', '@=', ':=']);
const CLOSERS = ')]}';

/**
 * Python's tokens, enough to find module-level statements: strings (every prefix and triple
 * quotes) and comments are skipped whole, and a logical line ends only outside brackets.
 */
function tokenize(source: string, where: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  const fail = (problem: string): never => {
    throw new FixtureLiteralError(`${where}:${line}: ${problem}`);
  };
  while (i < source.length) {
    const c = source[i]!;
    const column = i - lineStart;
    if (c === '\n') {
      if (depth === 0 && tokens.length > 0 && tokens.at(-1)!.kind !== 'newline') tokens.push({ kind: 'newline', text: '', line, column });
      i++;
      line++;
      lineStart = i;
    } else if (c === '\\' && source[i + 1] === '\n') {
      i += 2;
      line++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
    } else if (c === '#') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200))!;
      const quote = source[i + match[0].length];
      if ((quote === '"' || quote === "'") && /^[rRbBuUfF]{1,2}$/.test(match[0])) {
        i = readString(i + match[0].length, match[0]);
      } else {
        tokens.push({ kind: 'name', text: match[0], line, column });
        i += match[0].length;
      }
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const match = /^(?:0[xXoObB][0-9a-fA-F_]+|(?:[0-9][0-9_]*)?\.?[0-9_]*(?:[eE][+-]?[0-9_]+)?)[jJ]?/.exec(source.slice(i, i + 200))!;
      tokens.push({ kind: 'number', text: match[0], line, column });
      i += match[0].length;
    } else if (c === '"' || c === "'") {
      i = readString(i, '');
    } else {
      const three = source.slice(i, i + 3);
      const two = source.slice(i, i + 2);
      const text = ['**=', '//=', '>>=', '<<=', '...'].includes(three) ? three : /^(?:[=!<>+\-*/%&|^@:]=|\*\*|\/\/|>>|<<|->)$/.test(two) ? two : c;
      if (OPENERS.includes(text)) depth++;
      if (CLOSERS.includes(text)) depth = Math.max(0, depth - 1);
      tokens.push({ kind: 'op', text, line, column });
      i += text.length;
    }
  }
  if (tokens.length > 0 && tokens.at(-1)!.kind !== 'newline') tokens.push({ kind: 'newline', text: '', line, column: 0 });
  return tokens;

  /** Skips a string literal starting at its quote; records its value when it is a plain (non-f, non-bytes) string. */
  function readString(start: number, prefix: string): number {
    const startLine = line;
    const column = start - prefix.length - lineStart;
    const quote = source[start]!;
    const triple = source.slice(start, start + 3) === quote.repeat(3);
    const close = triple ? quote.repeat(3) : quote;
    const raw = /[rR]/.test(prefix);
    let j = start + close.length;
    let value = '';
    for (;;) {
      if (j >= source.length) return fail(`unterminated string starting on line ${startLine}`);
      const ch = source[j]!;
      if (source.startsWith(close, j)) break;
      if (ch === '\n') {
        if (!triple) return fail('unterminated string');
        line++;
        lineStart = j + 1;
      }
      if (ch === '\\' && j + 1 < source.length) {
        const next = source[j + 1]!;
        if (next === '\n') {
          line++;
          lineStart = j + 2;
        }
        value += raw ? ch + next : (({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '\n': '' } as Record<string, string>)[next] ?? ch + next);
        j += 2;
        continue;
      }
      value += ch;
      j++;
    }
    const plain = !/[bBfF]/.test(prefix);
    tokens.push({ kind: 'string', text: source.slice(start - prefix.length, j + close.length), value: plain ? value : null, line: startLine, column });
    return j + close.length;
  }
}

/**
 * The value of `NAME = <literal>` at module level of a fixture's Python source (column 0), or
 * undefined when the source has no such statement. A second module-level assignment, an
 * augmented assignment, an import of NAME, or a value that is not a literal is an error naming
 * the line.
 */
export function readFixtureLiteral(source: string, name: string, where: string): unknown {
  const tokens = tokenize(source, where);
  const statements: Token[][] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.kind === 'newline') {
      if (current.length > 0) statements.push(current);
      current = [];
    } else current.push(token);
  }
  const found: Array<{ line: number; value: Token[] }> = [];
  for (const statement of statements) {
    const [first, second] = statement;
    if (first!.column !== 0) continue;
    const mentions = statement.some((t) => t.kind === 'name' && t.text === name);
    if (!mentions) continue;
    if (first!.kind === 'name' && (first!.text === 'import' || first!.text === 'from')) {
      throw new FixtureLiteralError(`${where}:${first!.line}: ${name} is imported; write it in the fixture as a literal (e.g. ${name} = {"atol": 1e-4}) so verify can read it without running Python`);
    }
    if (first!.kind !== 'name' || first!.text !== name) continue;
    if (second?.kind === 'op' && second.text === '=') {
      found.push({ line: first!.line, value: statement.slice(2) });
    } else if (second?.kind === 'op' && second.text === ':') {
      const equals = statement.findIndex((t, k) => k > 1 && t.kind === 'op' && t.text === '=');
      if (equals > 0) found.push({ line: first!.line, value: statement.slice(equals + 1) });
    } else if (second?.kind === 'op' && (AUGMENTED.has(second.text) || second.text === '[' || second.text === '.')) {
      throw new FixtureLiteralError(`${where}:${first!.line}: ${name} is changed after it is assigned; assign it once at module level as a literal so verify reads the value the fixture uses`);
    }
  }
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw new FixtureLiteralError(`${where}: ${name} is assigned ${found.length} times at module level (lines ${found.map((f) => f.line).join(', ')}); assign it once, as a literal`);
  }
  const { line, value } = found[0]!;
  const parser = new LiteralParser(value, `${where}:${line}`, name);
  return parser.document();
}

class LiteralParser {
  private position = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly where: string,
    private readonly name: string,
  ) {}

  document(): unknown {
    const value = this.value();
    if (this.peek()?.text === ',') return this.fail('a bare tuple');
    if (this.position < this.tokens.length) return this.fail(`\`${this.tokens[this.position]!.text}\` after the value`);
    return value;
  }

  private fail(what: string): never {
    throw new FixtureLiteralError(
      `${this.where}: ${this.name} must be a literal (numbers, strings, True/False/None, dicts, lists), found ${what}; ` +
        `verify reads it from the source without running Python, e.g. ${this.name} = {"atol": 1e-4, "rtol": 1e-5}`,
    );
  }

  private peek(): Token | undefined {
    return this.tokens[this.position];
  }

  private next(): Token {
    const token = this.tokens[this.position++];
    return token ?? this.fail('the end of the statement');
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text) this.fail(`\`${token.text}\` where \`${text}\` was expected`);
  }

  private value(): unknown {
    const token = this.next();
    switch (token.kind) {
      case 'number':
        return this.number(token.text, 1);
      case 'string': {
        let text = this.stringValue(token);
        while (this.peek()?.kind === 'string') text += this.stringValue(this.next());
        return text;
      }
      case 'name':
        if (token.text === 'True') return true;
        if (token.text === 'False') return false;
        if (token.text === 'None') return null;
        return this.fail(`the name \`${token.text}\``);
      case 'op':
        if (token.text === '-' || token.text === '+') {
          const operand = this.next();
          return operand.kind === 'number' ? this.number(operand.text, token.text === '-' ? -1 : 1) : this.fail(`\`${token.text}\` before \`${operand.text}\``);
        }
        if (token.text === '{') return this.dict();
        if (token.text === '[') return this.sequence(']');
        if (token.text === '(') return this.parenthesized();
        return this.fail(`\`${token.text}\``);
      case 'newline':
        return this.fail('the end of the statement');
    }
  }

  private number(text: string, sign: number): number {
    const clean = text.replace(/_/g, '');
    if (/[jJ]$/.test(clean)) return this.fail(`the complex number ${text}`);
    const value = /^0[xXoObB]/.test(clean) ? Number(clean.toLowerCase()) : Number(clean);
    return Number.isNaN(value) ? this.fail(`the number ${text}`) : sign * value;
  }

  private stringValue(token: Token): string {
    return token.kind === 'string' && token.value !== null ? token.value : this.fail(`the string ${token.text} (bytes and f-strings are not literals)`);
  }

  private dict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.peek()?.text !== '}') {
      const key = this.value();
      if (typeof key !== 'string') this.fail(`the dict key ${JSON.stringify(key)} (keys must be strings)`);
      this.expect(':');
      out[key as string] = this.value();
      if (this.peek()?.text !== ',') break;
      this.next();
    }
    this.expect('}');
    return out;
  }

  private sequence(close: string): unknown[] {
    const out: unknown[] = [];
    while (this.peek()?.text !== close) {
      out.push(this.value());
      if (this.peek()?.text !== ',') break;
      this.next();
    }
    this.expect(close);
    return out;
  }

  /** `(x)` is x; `(x,)`, `(x, y)` and `()` are tuples (JSON arrays, as the bridge sends them). */
  private parenthesized(): unknown {
    if (this.peek()?.text === ')') {
      this.next();
      return [];
    }
    const first = this.value();
    if (this.peek()?.text === ')') {
      this.next();
      return first;
    }
    this.expect(',');
    return [first, ...this.sequence(')')];
  }
}
