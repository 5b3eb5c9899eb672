// The per-builtin records agree with themselves: a version a record can give its operator has the
// runtime release that first shipped it (else the model's minimum runtime would silently be too old).
import { describe, expect, it } from 'vitest';
import { BUILTINS, type BuiltinRecord, type VersionQuery } from './builtins.ts';
import { OPTIONS_TABLES } from './options.ts';

const records = Object.entries(BUILTINS as Readonly<Record<string, BuiltinRecord>>);
const query = (type: 'float32' | 'int8'): VersionQuery => ({ input: type, weights: type, output: type, perChannelWeights: type === 'int8', inputs: [0, 1, 2], options: {} });

describe('builtin records', () => {
  it('give a first runtime for the float32 and (where quantized) int8 versions of every operator with a runtime table', () => {
    const missing: string[] = [];
    for (const [name, record] of records) {
      if (Object.keys(record.firstRuntime).length === 0) continue;
      const versions = [record.version(query('float32')), ...(record.int8 === 'float' ? [] : [record.version(query('int8'))])];
      for (const version of versions) if (record.firstRuntime[version] === undefined) missing.push(`${name}/${version}`);
    }
    expect(missing).toEqual([]);
  });

  it('have distinct codes, and every options table belongs to some operator', () => {
    const codes = records.map(([, record]) => record.code);
    expect(new Set(codes).size).toBe(codes.length);
    const used = new Set(records.map(([, record]) => record.options));
    expect(Object.keys(OPTIONS_TABLES).filter((table) => !used.has(table as BuiltinRecord['options']))).toEqual([]);
  });
});
