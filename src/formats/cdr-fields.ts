import { readDigits } from '../core/digits.js';
import { readStamp, type ZoneClock, type ZonedInstant } from '../core/time.js';

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
