import type { Format, ParseContext, ParseResult } from '../format.js';
import { ReferenceDate, SwitchClock } from './clock.js';
import { FIXED_KINDS, readFixed, RecordError, type Env } from './columns.js';
import { readFlexible } from './flexible.js';
import { buildCall, FORMAT_ID } from './record.js';
import { renderRecord } from './render.js';
import { readDigits } from '../../core/digits.js';
import { isBlank, shown } from '../../core/text.js';

// NEC NEAX 2400 / SV8500 / SV9500 SMDR ("NEAX format"): one call per STX … ETX frame, sent when
// the call ends. Every record starts with station address "0", unit address "!", "K" and the record
// kind: normal KA/KB/KE and extended KH/KI/KJ records have fixed columns (columns.ts), flexible
// KK/KL/KM records a run of numbered items (flexible.ts). No call id: dedupe on the record's hash.

const FLEXIBLE_KINDS = 'KLM';
const KINDS = 'KA KB KE KH KI KJ KK KL KM';

/** The record without its framing, should a capture have kept STX, ETX or line ends. */
function unframed(record: string): string {
  const from = record.charCodeAt(0) === 2 ? 1 : 0;
  let to = record.length;
  for (let c = record.charCodeAt(to - 1); to > from && (c === 3 || c === 10 || c === 13); c = record.charCodeAt(to - 1)) to--;
  return from === 0 && to === record.length ? record : record.slice(from, to);
}

function headerProblem(body: string): string | null {
  if (body.length === 0 || (body.charCodeAt(0) === 32 && isBlank(body, 0, body.length))) return 'empty record';
  const c = body.charCodeAt(0);
  if (body.length < 4 || c < 48 || c > 57 || body[1] !== '!' || body[2] !== 'K') {
    return `header [0:4] ${shown(body.slice(0, 4))} is not station address, "!", "K" and the record kind (e.g. "0!KA")`;
  }
  const letter = body[3]!;
  if (!FIXED_KINDS[letter] && !FLEXIBLE_KINDS.includes(letter)) return `record kind [2:4] ${shown(body.slice(2, 4))} is not one of ${KINDS}`;
  return null;
}

function parseRecord(record: string, env: Env): ParseResult {
  const body = unframed(record);
  const problem = headerProblem(body);
  if (problem) return { kind: 'error', error: problem };
  const letter = body[3]!;
  try {
    if (FIXED_KINDS[letter]) {
      const { parties, span } = readFixed(body, letter, env);
      return { kind: 'call', call: buildCall(record, parties, { started: span.start, answered: span.start, ended: span.end }) };
    }
    const { parties, span, arrived } = readFlexible(body, letter, env);
    return { kind: 'call', call: buildCall(record, parties, { started: arrived ?? span.start, answered: span.start, ended: span.end }) };
  } catch (err) {
    if (err instanceof RecordError) return { kind: 'error', error: err.message };
    return { kind: 'error', error: `K${letter} record could not be read: ${(err as Error).message}` };
  }
}

function createParser(ctx: ParseContext): (record: string) => ParseResult {
  const env: Env = { clock: new SwitchClock(ctx.timeZone), reference: ReferenceDate.parse(ctx.referenceDate), referenceText: ctx.referenceDate };
  return (record) => parseRecord(record, env);
}

/** A record's header and, for fixed kinds, its two MMDDhhmmss times; for flexible ones a first item. */
function looksLikeNeax(line: string): boolean {
  const body = unframed(line);
  if (headerProblem(body)) return false;
  if (FIXED_KINDS[body[3]!]) return readDigits(body, 19, 39) >= 0;
  return readDigits(body, 4, 8) >= 0;
}

/** Only control characters (XON/XOFF, NUL fill between frames): line noise, not a record. */
function isNoise(line: string): boolean {
  for (let i = 0; i < line.length; i++) if (line.charCodeAt(i) > 32) return false;
  return true;
}

/** Works on lines split at STX/ETX (src/formats/sample.ts) and on lines that still hold them. */
function detect(sample: readonly string[]): number {
  const lines = sample.filter((l) => !isNoise(l));
  if (lines.length === 0) return 0;
  let hits = 0;
  for (const line of lines) if (looksLikeNeax(line)) hits++;
  return (0.95 * hits) / lines.length;
}

export const necNeax: Format = {
  id: FORMAT_ID,
  name: 'NEC NEAX 2400 / SV8500 / SV9500 SMDR',
  framing: { kind: 'stx-etx' },
  dedupe: 'record-hash',
  detect,
  createParser,
  render: (sim, ctx) => [renderRecord(sim, ctx, 'normal')],
};
