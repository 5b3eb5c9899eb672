import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseShard, shardOf } from './shard.ts';

describe('shards', () => {
  it('in order, cover the list in order, each item once, sizes differing by at most one', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), (items, count) => {
        const pieces = Array.from({ length: count }, (_, i) => shardOf(items, { index: i + 1, count }));
        expect(pieces.flat()).toEqual(items);
        const sizes = pieces.map((p) => p.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('--shard is i/n with 1 <= i <= n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '2', '1/0', 'a/b', '-1/2']) expect(() => parseShard(bad)).toThrow(/--shard must be i\/n/);
  });
});
