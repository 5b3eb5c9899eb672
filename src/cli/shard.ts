import { UsageError } from '../errors.ts';

/** Shard `index` (1-based) of `count`: CI runs one per job and merges the reports afterwards. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) throw new UsageError(`--shard must be i/n with 1 <= i <= n (e.g. 2/4), got ${JSON.stringify(text)}`);
  return { index, count };
}

/**
 * The shard's contiguous slice of `items`: shards in order cover the list in order, each item
 * exactly once, so reports merged in shard order list models as one unsharded run does.
 */
export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  const start = Math.floor(((shard.index - 1) * items.length) / shard.count);
  const end = Math.floor((shard.index * items.length) / shard.count);
  return items.slice(start, end);
}
