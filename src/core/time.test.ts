import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromLocal, isoInZone, isValidLocal, isValidTimeZone, offsetAt, toIso, ZoneClock } from './time.js';

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

  it('writes ISO as Date does, in any order of days', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: Date.UTC(1971, 0, 1), max: Date.UTC(2099, 0, 1) }), fc.integer({ min: -12 * 60, max: 14 * 60 })), { minLength: 1 }),
        (pairs) => {
          for (const [ms, offset] of pairs) {
            const abs = Math.abs(offset);
            const suffix = (offset < 0 ? '-' : '+') + String(Math.floor(abs / 60)).padStart(2, '0') + ':' + String(abs % 60).padStart(2, '0');
            expect(toIso(ms, offset)).toBe(new Date(ms + offset * 60000).toISOString().slice(0, 19) + suffix);
          }
        },
      ),
    );
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

describe('ZoneClock', () => {
  const DAY = 86_400_000;
  // Lord Howe moves by half an hour, Chatham changes at 02:45, Santiago at midnight (the local day
  // starts at 01:00 in spring), Nuuk late in the evening (23:00), Kathmandu and UTC never change.
  const zones = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Chatham', 'America/Santiago', 'America/Nuuk', 'UTC'];

  /** Naive midnights of the local days on which the zone's offset changes, 2025-2027. */
  function changeDays(zone: string): number[] {
    const days: number[] = [];
    for (let ms = Date.UTC(2025, 0, 1); ms < Date.UTC(2028, 0, 1); ms += DAY) {
      const before = offsetAt(zone, ms);
      if (before !== offsetAt(zone, ms + DAY)) {
        // The change happens within UTC day `ms`; name the local day it happens on.
        let at = ms;
        while (offsetAt(zone, at) === before) at += 15 * 60_000;
        days.push(Math.floor((at + before * 60_000) / DAY) * DAY);
      }
    }
    return days;
  }
  const changes = new Map(zones.map((z) => [z, changeDays(z)]));

  it('finds the DST changes the property below leans on', () => {
    expect(changes.get('Europe/London')).toContain(Date.UTC(2026, 2, 29));
    expect(changes.get('America/New_York')).toContain(Date.UTC(2026, 10, 1));
    expect(changes.get('Australia/Lord_Howe')).toContain(Date.UTC(2026, 3, 5));
    expect(changes.get('Pacific/Chatham')).toContain(Date.UTC(2026, 8, 27));
    expect(changes.get('America/Nuuk')).toContain(Date.UTC(2026, 2, 28));
    expect(changes.get('Asia/Kathmandu')).toEqual([]);
    expect(changes.get('UTC')).toEqual([]);
  });

  /**
   * A stream of conversions for one zone, like a parser's: local times within a few days of a day
   * (mostly a DST change day), each with an instant near it written as ISO (a call's end).
   */
  const stream = fc.constantFrom(...zones).chain((zone) => {
    const anyDay = fc.integer({ min: Date.UTC(2025, 0, 1) / DAY, max: Date.UTC(2027, 11, 31) / DAY }).map((d) => d * DAY);
    const days = changes.get(zone)!;
    const centre = days.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...days) }, { weight: 1, arbitrary: anyDay }) : anyDay;
    const step = fc.record({
      day: fc.integer({ min: -3, max: 3 }),
      // Any second, or one next to a quarter hour (offsets change on one).
      second: fc.oneof(
        fc.integer({ min: 0, max: 86_399 }),
        fc.tuple(fc.integer({ min: 0, max: 24 * 4 - 1 }), fc.constantFrom(0, 1, 899)).map(([q, s]) => q * 900 + s),
      ),
      later: fc.oneof(fc.integer({ min: 0, max: 7200 }), fc.integer({ min: -2 * 86_400, max: 2 * 86_400 })),
      how: fc.constantFrom('instant', 'local', 'naive'),
    });
    return fc.tuple(fc.constant(zone), centre, fc.array(step, { minLength: 1, maxLength: 40 }));
  });

  it('converts as fromLocal and isoInZone do, on every day, in any order', () => {
    fc.assert(
      fc.property(stream, ([zone, centre, steps]) => {
        const clock = new ZoneClock(zone);
        for (const { day, second, later, how } of steps) {
          const naive = centre + day * DAY + second * 1000;
          const d = new Date(naive);
          const t = at(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
          const got = how === 'instant' ? clock.instant(t.year, t.month, t.day, second) : how === 'local' ? clock.local(t) : clock.fromNaive(naive);
          expect(got, `${zone} ${JSON.stringify(t)}`).toEqual(fromLocal(t, zone));
          expect(clock.iso(got.epochMs)).toBe(isoInZone(got.epochMs, zone));
          const end = got.epochMs + later * 1000;
          expect(clock.iso(end), `${zone} ${end}`).toBe(isoInZone(end, zone));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reads a skipped time and a repeated one as fromLocal does', () => {
    const london = new ZoneClock('Europe/London');
    const lordHowe = new ZoneClock('Australia/Lord_Howe');
    const show = (clock: ZoneClock, t: ReturnType<typeof at>) => clock.iso(clock.local(t).epochMs);
    // Warm the window on the day before, then step into the change.
    expect(show(london, at(2026, 3, 28, 12))).toBe('2026-03-28T12:00:00+00:00');
    expect(show(london, at(2026, 3, 29, 1, 30))).toBe('2026-03-29T02:30:00+01:00');
    expect(show(london, at(2026, 10, 25, 1, 30))).toBe('2026-10-25T01:30:00+01:00');
    // Lord Howe moves by half an hour: 02:00 → 02:30 in October, 02:00 → 01:30 in April.
    expect(show(lordHowe, at(2026, 10, 4, 2, 15))).toBe('2026-10-04T02:45:00+11:00');
    expect(show(lordHowe, at(2026, 4, 5, 1, 45))).toBe('2026-04-05T01:45:00+11:00');
    expect(show(lordHowe, at(2026, 4, 5, 2, 0))).toBe('2026-04-05T02:00:00+10:30');
  });
});
