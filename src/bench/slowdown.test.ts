import { describe, expect, it } from 'vitest';
import { withSlowdown } from './slowdown.ts';

describe('the test-only slowdown hook', () => {
  it('wraps a function without changing its result', async () => {
    const slowed = withSlowdown(async () => 42, 0.5);
    await expect(slowed()).resolves.toBe(42);
  });
});
