import { describe, expect, it } from 'vitest';
import { RecordsPerMinute } from './records-per-minute.js';

describe('RecordsPerMinute', () => {
  it('counts since the start for the first minute, then over the last minute', () => {
    const meter = new RecordsPerMinute(0);
    expect(meter.rate('a', 0, 0)).toBe(0);
    expect(meter.rate('a', 50, 30_000)).toBe(100); // 50 records in half a minute
    expect(meter.rate('a', 50, 60_000)).toBe(50);
    // 90 s in: the sample at 30 s is the newest one a minute old; 40 more records since then.
    expect(meter.rate('a', 90, 90_000)).toBe(40);
    // A quiet minute after that.
    expect(meter.rate('a', 90, 150_000)).toBe(0);
    expect(meter.rate('a', 90, 180_000)).toBe(0);
  });

  it('keeps each source apart and holds about a minute of samples however often it is read', () => {
    const meter = new RecordsPerMinute(1_000);
    for (let s = 1; s <= 600; s++) meter.rate('busy', s * 10, 1_000 + s * 1_000); // 10 records/s for 10 minutes
    expect(meter.rate('busy', 6_000, 601_000)).toBe(600);
    expect(meter.rate('quiet', 3, 61_000)).toBe(3);
    expect((meter as unknown as { history: Map<string, unknown[]> }).history.get('busy')!.length).toBeLessThanOrEqual(62);
  });
});
