import { hash } from 'node:crypto';

// Dedupe keys (DESIGN.md "store"): the switch plus the vendor's call id and start where the format
// has ids; otherwise the switch plus a hash of the record text (line endings and trailing spaces
// normalized) plus the ordinal of that text among identical records of the same stream and window.

/**
 * A UUID-shaped key: the call's start (seconds, 6 bytes) then 10 bytes of an MD5 of the identity.
 * Leading with time keeps inserts into the primary-key index mostly in order, which makes bulk
 * loads several times faster than with fully random keys.
 */
function keyOf(startedAtMs: number, identity: string): string {
  const time = Math.max(0, Math.floor(startedAtMs / 1000)).toString(16).padStart(12, '0').slice(-12);
  const h = hash('md5', identity, 'hex');
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-${h.slice(0, 4)}-${h.slice(4, 8)}-${h.slice(8, 20)}`;
}

/** The record text as every collector sees it, whatever line endings and padding it arrived with. */
export function normalizeRecordText(raw: string): string {
  // Fixed-width records are mostly spaces: a regex over them costs more than the rest of the
  // record's way into the store, so lines are trimmed from their ends by hand.
  if (raw.indexOf('\n') === -1) return trimLineEnd(raw, 0, raw.length);
  return raw
    .split('\n')
    .map((line) => trimLineEnd(line, 0, line.length))
    .join('\n');
}

function trimLineEnd(s: string, from: number, to: number): string {
  let end = to;
  for (let c = s.charCodeAt(end - 1); end > from && (c === 32 || c === 9 || c === 13); c = s.charCodeAt(end - 1)) end--;
  return end === to && from === 0 ? s : s.slice(from, end);
}

/** A short hash of the normalized record text. */
export function recordTextHash(raw: string): string {
  return hash('md5', normalizeRecordText(raw), 'base64');
}

export function callIdKey(switchName: string, callId: string, startedAtMs: number): string {
  return keyOf(startedAtMs, `${switchName}\u001fid\u001f${callId}\u001f${startedAtMs}`);
}

/** The key of a record-hash call; `startedAtMs` is the parsed start, which the record text fixes. */
export function recordKey(switchName: string, startedAtMs: number, textHash: string, ordinal: number): string {
  return keyOf(startedAtMs, `${switchName}\u001frec\u001f${textHash}\u001f${ordinal}`);
}

/**
 * Counts identical record texts within a window of receive time: the third identical line in a
 * minute is ordinal 2 here and at every redundant collector that received the same stream.
 */
export class OrdinalTracker {
  private readonly seen = new Map<string, { count: number; lastMs: number }>();
  private lastSweepMs = 0;

  constructor(private readonly windowMs = 3600 * 1000) {}

  next(textHash: string, receivedMs: number): number {
    if (receivedMs - this.lastSweepMs > this.windowMs) this.sweep(receivedMs);
    const entry = this.seen.get(textHash);
    if (!entry || receivedMs - entry.lastMs > this.windowMs) {
      this.seen.set(textHash, { count: 1, lastMs: receivedMs });
      return 0;
    }
    entry.lastMs = receivedMs;
    return entry.count++;
  }

  private sweep(nowMs: number): void {
    for (const [key, entry] of this.seen) if (nowMs - entry.lastMs > this.windowMs) this.seen.delete(key);
    this.lastSweepMs = nowMs;
  }
}
