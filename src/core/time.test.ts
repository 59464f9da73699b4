import { describe, expect, it } from 'vitest';
import { fromLocal, isoInZone, isValidLocal, isValidTimeZone, toIso } from './time.js';

const at = (year: number, month: number, day: number, hour: number, minute = 0, second = 0) => ({ year, month, day, hour, minute, second });
const iso = (t: ReturnType<typeof at>, tz: string) => {
  const z = fromLocal(t, tz);
  return toIso(z.epochMs, z.offsetMinutes);
};

describe('local time in a zone', () => {
  it('gives the offset of the zone at that moment', () => {
    expect(iso(at(2026, 1, 15, 9), 'Europe/London')).toBe('2026-01-15T09:00:00+00:00');
    expect(iso(at(2026, 7, 15, 9), 'Europe/London')).toBe('2026-07-15T09:00:00+01:00');
    expect(iso(at(2026, 7, 15, 9), 'America/New_York')).toBe('2026-07-15T09:00:00-04:00');
    expect(iso(at(2026, 7, 15, 9), 'Asia/Kathmandu')).toBe('2026-07-15T09:00:00+05:45');
    expect(iso(at(2026, 7, 15, 9), 'UTC')).toBe('2026-07-15T09:00:00+00:00');
  });

  it('moves a time skipped by the spring change forward, and takes the first of a repeated hour', () => {
    // Europe/London 2026-03-29: 01:00 GMT → 02:00 BST; 2026-10-25: 02:00 BST → 01:00 GMT.
    expect(iso(at(2026, 3, 29, 1, 30), 'Europe/London')).toBe('2026-03-29T02:30:00+01:00');
    expect(iso(at(2026, 3, 29, 0, 59, 59), 'Europe/London')).toBe('2026-03-29T00:59:59+00:00');
    expect(iso(at(2026, 3, 29, 2, 0), 'Europe/London')).toBe('2026-03-29T02:00:00+01:00');
    expect(iso(at(2026, 10, 25, 1, 30), 'Europe/London')).toBe('2026-10-25T01:30:00+01:00');
    expect(iso(at(2026, 10, 25, 2, 0), 'Europe/London')).toBe('2026-10-25T02:00:00+00:00');
  });

  it('writes later instants of a call in the offset they fall in', () => {
    const start = fromLocal(at(2026, 10, 25, 0, 50), 'Europe/London').epochMs;
    expect(isoInZone(start + 3600_000, 'Europe/London')).toBe('2026-10-25T01:50:00+01:00');
    expect(isoInZone(start + 2 * 3600_000, 'Europe/London')).toBe('2026-10-25T01:50:00+00:00');
  });

  it('knows real dates and zones', () => {
    expect(isValidLocal(at(2024, 2, 29, 0))).toBe(true);
    expect(isValidLocal(at(2026, 2, 29, 0))).toBe(false);
    expect(isValidLocal(at(2026, 4, 31, 0))).toBe(false);
    expect(isValidLocal(at(2026, 4, 30, 24))).toBe(false);
    expect(isValidTimeZone('Europe/Madrid')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
