import { readDigits } from '../core/digits.js';
import { notBefore, readStamp, type ZoneClock, type ZonedInstant } from '../core/time.js';

// Field readers the VoIP CDR formats share (Asterisk and FreeSWITCH write the same stamps and
// second counts): a value or the reason it is not one, naming the field.

/** `YYYY-MM-DD hh:mm:ss` in the switch's zone; null when empty and not required. */
export function parseStamp(name: string, text: string, clock: ZoneClock, required: boolean): ZonedInstant | null | string {
  if (text === '') return required ? `${name} is empty` : null;
  const t = readStamp(text, '-');
  if (t === null) return `${name} "${text}" is not YYYY-MM-DD hh:mm:ss`;
  if (t === 'invalid') return `${name} "${text}" is not a real date and time`;
  return clock.instant(t.year, t.month, t.day, (t.hour * 60 + t.minute) * 60 + t.second);
}

/** A whole number of seconds. */
export function parseSeconds(name: string, text: string): number | string {
  if (text === '') return `${name} is empty`;
  const n = text.length <= 9 ? readDigits(text, 0, text.length) : -1;
  return n < 0 ? `${name} "${text}" is not a whole number of seconds` : n;
}

export interface CallTimes {
  start: ZonedInstant;
  answer: ZonedInstant | null;
  end: ZonedInstant | null;
}

/**
 * A CDR's start (required), answer and end stamps, each given as [field name, text]. The night the
 * clocks go back, a later stamp can read earlier than the one before it: it is the repeated hour.
 */
export function readCallTimes(clock: ZoneClock, start: [string, string], answer: [string, string], end: [string, string]): CallTimes | string {
  const s = parseStamp(start[0], start[1], clock, true);
  if (typeof s === 'string') return s;
  const a = parseStamp(answer[0], answer[1], clock, false);
  if (typeof a === 'string') return a;
  const e = parseStamp(end[0], end[1], clock, false);
  if (typeof e === 'string') return e;
  const answerAt = notBefore(a, s!.epochMs, clock.timeZone);
  return { start: s!, answer: answerAt, end: notBefore(e, answerAt?.epochMs ?? s!.epochMs, clock.timeZone) };
}
