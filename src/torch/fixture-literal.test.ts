// The TOLERANCE verify reads from a fixture's source must be the value Python gives it: each case
// is evaluated by a real Python (no torch needed) and compared with the TypeScript reader.
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { FixtureLiteralError, readFixtureLiteral } from './index.ts';

async function pythonValue(source: string): Promise<unknown> {
  const script = `import json, sys\nns = {}\nexec(sys.stdin.read(), ns)\nprint(json.dumps(ns.get("TOLERANCE")))`;
  const { stdout } = await execa('python3', ['-c', script], { input: source });
  return JSON.parse(stdout);
}

const read = (source: string) => readFixtureLiteral(source, 'TOLERANCE', 'fixture.py');

describe('readFixtureLiteral', () => {
  const readable: Record<string, string> = {
    'a plain dict': 'TOLERANCE = {"atol": 1e-5, "rtol": 0}\n',
    'a map by target over several lines, comments and trailing commas': [
      '"""Docstring that mentions',
      'TOLERANCE = {"atol": 1}',
      'at column 0 inside a string."""',
      'import os  # TOLERANCE in a comment',
      'TOLERANCE = {  # the per-target map',
      "    'tflite-int8': {'rule': 'quant-steps', 'steps': 6, 'minCosine': .99},",
      "    '*': {'atol': 2E-5, 'rtol': 1_0e-6,},",
      '}',
      'def build():',
      '    TOLERANCE = {"atol": 1}  # a local, not the module constant',
      '    return os.sep',
    ].join('\n'),
    'an annotated assignment, tuples, negatives, True/False/None, implicit string concatenation and a line continuation': [
      'TOLERANCE: dict = \\',
      "    {'a': (1, -2.5, +3), 'b': (), 'c': (4,), 'd': (5), 'e': [True, False, None], 'f': 'x' \"y\", 'g': 0x10, 'h': r'\\d'}",
    ].join('\n'),
    'no TOLERANCE at all': 'INPUT_SHAPES = [[1, 3]]\nTOLERANCES = 1\nx = TOLERANCE_OTHER = 2\n',
  };
  for (const [name, source] of Object.entries(readable)) {
    it(`reads ${name} as Python evaluates it`, async () => {
      expect(read(source) ?? null).toEqual(await pythonValue(source));
    });
  }

  const refused: Record<string, [string, RegExp]> = {
    'a computed value': ['import math\nTOLERANCE = {"atol": math.sqrt(1e-10)}\n', /fixture\.py:2: TOLERANCE must be a literal .*found the name `math`/],
    'an imported value': ['from shared import TOLERANCE\n', /fixture\.py:1: TOLERANCE is imported/],
    'two assignments': ['TOLERANCE = {"atol": 1e-5}\nTOLERANCE = {"atol": 1}\n', /assigned 2 times at module level \(lines 1, 2\)/],
    'a later change': ['TOLERANCE = {"atol": 1e-5}\nTOLERANCE["atol"] = 1\n', /fixture\.py:2: TOLERANCE is changed after it is assigned/],
    'an f-string': ['TOLERANCE = {"rule": f"scaled"}\n', /found the string f"scaled"/],
  };
  for (const [name, [source, message]] of Object.entries(refused)) {
    it(`refuses ${name}, naming the line`, () => {
      expect(() => read(source)).toThrow(FixtureLiteralError);
      expect(() => read(source)).toThrow(message);
    });
  }
});
