import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { causeCodeByName, dispositionFromCause } from '../../core/hangup-causes.js';
import { readDigits } from '../../core/digits.js';
import { fromLocal, isValidLocal, isoInZone, readStamp, toIso, type LocalTime } from '../../core/time.js';
import { csvField, splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// CDR-Stats' CSV import layout (seed 004): a fixed header line, then one call per row.

export const HEADER =
  'switch,cdr_source_type,callid,caller_id_number,caller_id_name,destination_number,dialcode,state,channel,starting_date,duration,billsec,progresssec,answersec,waitsec,hangup_cause_id,hangup_cause,direction,country_code,accountcode,buy_rate,buy_cost,sell_rate,sell_cost,extradata';
const COLUMNS = HEADER.split(',');
const FIELD_COUNT = COLUMNS.length;
const col = (name: string): number => COLUMNS.indexOf(name);
const C = {
  switch: col('switch'),
  sourceType: col('cdr_source_type'),
  callId: col('callid'),
  callerNumber: col('caller_id_number'),
  callerName: col('caller_id_name'),
  destination: col('destination_number'),
  dialcode: col('dialcode'),
  startingDate: col('starting_date'),
  duration: col('duration'),
  billsec: col('billsec'),
  waitsec: col('waitsec'),
  causeId: col('hangup_cause_id'),
  cause: col('hangup_cause'),
  direction: col('direction'),
  countryCode: col('country_code'),
  accountCode: col('accountcode'),
  buyRate: col('buy_rate'),
  buyCost: col('buy_cost'),
  sellRate: col('sell_rate'),
  sellCost: col('sell_cost'),
  extradata: col('extradata'),
};

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const UINT_RE = /^\d+$/;
const DIRECTIONS: Record<string, Direction> = { '0': 'unknown', '1': 'inbound', '2': 'outbound' };

function orNull(s: string | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

/** `fixed` when the record gave its own UTC offset, which then holds for the whole call. */
type Instant = { epochMs: number; offsetMinutes: number; fixed: boolean };

function parseStart(text: string, timeZone: string): Instant | string {
  // The common shape, `YYYY-MM-DD hh:mm:ss`, is read by position; every other accepted one by pattern.
  const stamp = readStamp(text, '-');
  const t = stamp === null ? slowLocal(text) : stamp === 'invalid' ? null : { local: stamp, zone: undefined };
  if (t === null && stamp !== 'invalid') return `starting_date "${text}" is not YYYY-MM-DD hh:mm:ss`;
  if (t === null || !isValidLocal(t.local)) return `starting_date "${text}" is not a real date and time`;
  if (t.zone === undefined) {
    const z = fromLocal(t.local, timeZone);
    return { epochMs: z.epochMs, offsetMinutes: z.offsetMinutes, fixed: false };
  }
  const { local } = t;
  const offsetMinutes =
    t.zone === 'Z' ? 0 : (t.zone[0] === '-' ? -1 : 1) * (Number(t.zone.slice(1, 3)) * 60 + Number(t.zone.slice(-2)));
  const epochMs = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second) - offsetMinutes * 60000;
  return { epochMs, offsetMinutes, fixed: true };
}

type ParsedDate = { local: LocalTime; zone: string | undefined };

/** Every other accepted shape: a `T`, no seconds, fractions, an offset. */
function slowLocal(text: string): ParsedDate | null {
  const m = DATE_RE.exec(text.trim());
  if (!m) return null;
  return {
    local: { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: m[6] ? +m[6] : 0 },
    zone: m[7],
  };
}

function parseSeconds(fields: string[], index: number, required: boolean): number | null | string {
  const v = fields[index]!.trim();
  if (v === '') return required ? `${COLUMNS[index]} is empty` : null;
  const n = v.length <= 9 ? readDigits(v, 0, v.length) : -1;
  if (n < 0) return `${COLUMNS[index]} "${v}" is not a whole number of seconds`;
  return n;
}

const EXTENSION_RE = /^\d{2,5}$/;

function bothExtensions(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && EXTENSION_RE.test(a) && EXTENSION_RE.test(b);
}

function setExtra(call: Call, key: string, value: string | number | null): void {
  if (value !== null) call.extra[key] = value;
}

function money(v: string | undefined): number | null {
  const t = v?.trim();
  if (!t) return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : null;
}

function parseRow(line: string, ctx: ParseContext): ParseResult {
  if (line.trim() === HEADER) return { kind: 'skip', reason: 'header line' };
  const split = splitCsv(line);
  if (!split.ok) return { kind: 'error', error: split.error };
  const f = split.fields;
  if (f.length !== FIELD_COUNT) {
    return { kind: 'error', error: `expected ${FIELD_COUNT} fields, found ${f.length}` };
  }
  const callId = orNull(f[C.callId]);
  if (!callId) return { kind: 'error', error: 'callid is empty' };
  const start = parseStart(f[C.startingDate]!, ctx.timeZone);
  if (typeof start === 'string') return { kind: 'error', error: start };
  const duration = parseSeconds(f, C.duration, true);
  if (typeof duration === 'string') return { kind: 'error', error: duration };
  const billsec = parseSeconds(f, C.billsec, true);
  if (typeof billsec === 'string') return { kind: 'error', error: billsec };
  const waitsec = parseSeconds(f, C.waitsec, false);
  if (typeof waitsec === 'string') return { kind: 'error', error: waitsec };
  if (billsec! > duration!) return { kind: 'error', error: `billsec ${billsec} exceeds duration ${duration}` };

  const causeText = f[C.causeId]!.trim();
  let cause: number | null = null;
  if (causeText !== '') {
    if (!UINT_RE.test(causeText)) return { kind: 'error', error: `hangup_cause_id "${causeText}" is not a number` };
    cause = Number(causeText);
  } else if (f[C.cause]!.trim() !== '') {
    cause = causeCodeByName(f[C.cause]!);
  }
  const directionText = f[C.direction]!.trim();
  const direction = DIRECTIONS[directionText];
  if (directionText !== '' && !direction) {
    return { kind: 'error', error: `direction "${directionText}" is not 0, 1 or 2` };
  }

  const talk = billsec!;
  const total = duration!;
  const startMs = start.epochMs;
  const at = (seconds: number): string => {
    const ms = startMs + seconds * 1000;
    return start.fixed ? toIso(ms, start.offsetMinutes) : isoInZone(ms, ctx.timeZone);
  };
  const answered = talk > 0;
  const call: Call = emptyCall('cdrstats-csv', toIso(startMs, start.offsetMinutes), line);
  call.callId = callId;
  call.callerNumber = orNull(f[C.callerNumber]);
  call.dialedNumber = orNull(f[C.destination]);
  // CDR-Stats knows inbound and outbound only; two extension-length numbers make an internal call.
  call.direction = direction && direction !== 'unknown' ? direction : bothExtensions(call.callerNumber, call.dialedNumber) ? 'internal' : 'unknown';
  call.answeredAt = answered ? at(total - talk) : null;
  call.endedAt = at(total);
  call.ringSeconds = waitsec ?? total - talk;
  call.talkSeconds = talk;
  call.durationSeconds = total;
  call.hangupCause = cause;
  call.disposition = dispositionFromCause(cause, talk);
  call.callerName = orNull(f[C.callerName]);
  call.calledNumber = call.dialedNumber;
  call.accountCode = orNull(f[C.accountCode]);
  setExtra(call, 'sourceSwitch', orNull(f[C.switch]));
  setExtra(call, 'cdrSourceType', orNull(f[C.sourceType]));
  setExtra(call, 'dialcode', orNull(f[C.dialcode]));
  setExtra(call, 'countryCode', orNull(f[C.countryCode]));
  setExtra(call, 'buyRate', money(f[C.buyRate]));
  setExtra(call, 'buyCost', money(f[C.buyCost]));
  setExtra(call, 'sellRate', money(f[C.sellRate]));
  setExtra(call, 'sellCost', money(f[C.sellCost]));
  const extradata = f[C.extradata]!.trim();
  if (extradata !== '{}') setExtra(call, 'extradata', orNull(extradata));
  return { kind: 'call', call };
}

function detect(sample: readonly string[]): number {
  if (sample.some((l) => l.trim() === HEADER)) return 1;
  let hits = 0;
  for (const line of sample) {
    const split = splitCsv(line);
    if (split.ok && split.fields.length === FIELD_COUNT && DATE_RE.test(split.fields[C.startingDate]!.trim())) hits++;
  }
  return sample.length === 0 ? 0 : (0.9 * hits) / sample.length;
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const iso = isoInZone(sim.startedAtMs, ctx.timeZone);
  const local = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  const talk = sim.answered ? sim.talkSeconds : 0;
  const duration = sim.ringSeconds + talk;
  const [caller, destination] =
    sim.direction === 'inbound' ? [sim.externalNumber, sim.extension] : [sim.extension, sim.externalNumber];
  const cause = sim.answered ? 16 : 19;
  const row = [
    '127.0.0.1',
    1,
    `00000000-0000-4000-8000-${sim.index.toString(16).padStart(12, '0')}`,
    caller,
    sim.callerName,
    destination,
    '',
    '',
    '',
    local,
    duration,
    talk,
    '',
    '',
    sim.ringSeconds,
    cause,
    '',
    sim.direction === 'inbound' ? 1 : sim.direction === 'outbound' ? 2 : 0,
    '',
    sim.accountCode ?? '',
    '',
    '',
    '',
    '',
    '{}',
  ];
  return [row.map((v) => csvField(v)).join(',')];
}

export const cdrstatsCsv: Format = {
  id: 'cdrstats-csv',
  name: 'CDR-Stats CSV import',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => (record) => parseRow(record, ctx),
  render,
};
