import { describe, expect, it } from 'vitest';
import { boundHeapGrowth } from '../../src/cli/heap-growth.js';

describe('boundHeapGrowth', () => {
  it('bounds the heap when the operator chose no heap flags', () => {
    expect(boundHeapGrowth([], '')).toBe(true);
    expect(boundHeapGrowth(['--enable-source-maps'], '--trace-warnings')).toBe(true);
  });

  it("leaves the heap to the operator's own flags, in NODE_OPTIONS or as node arguments, in either spelling", () => {
    expect(boundHeapGrowth([], '--max-old-space-size=512')).toBe(false);
    expect(boundHeapGrowth(['--max_old_space_size=512'], '')).toBe(false);
    expect(boundHeapGrowth(['--max-heap-size=300'], '')).toBe(false);
    expect(boundHeapGrowth([], '--heap-growing-percent=50')).toBe(false);
  });
});
