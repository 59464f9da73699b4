import { emptyCall, type Call, type Direction, type Disposition } from '../../core/call.js';
import { digitsAt, readDigits } from '../../core/digits.js';
import { daysInMonth, isoInZone, notBefore, toIso, ZoneClock, type ZonedInstant } from '../../core/time.js';
import { splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// 3CX cdr.log: one comma-separated line per call (CR LF, no header, no quoting unless a value
// needs it). Older builds write 20 fields ending in the chain; newer ones add the party types and
// display names (26), some also the missed queue calls (27). Older builds spell extensions
// `Ext.201`, types `Extension`/`Line` and reasons `TerminatedBySrc`; newer ones `201`,
// `extension`/`external_line` and `src_participant_terminated`.

export const COLUMNS_V1 = [
  'historyid', 'callid', 'duration', 'time-start', 'time-answered', 'time-end', 'reason-terminated', 'from-no', 'to-no', 'from-dn',
  'to-dn', 'dial-no', 'reason-changed', 'final-number', 'final-dn', 'bill-code', 'bill-rate', 'bill-cost', 'bill-name', 'chain',
] as const;
export const COLUMNS_V2 = [...COLUMNS_V1, 'from-type', 'to-type', 'final-type', 'from-dispname', 'to-dispname', 'final-dispname'] as const;
export const COLUMNS_V3 = [...COLUMNS_V2, 'missed-queue-calls'] as const;
const LAYOUTS: Record<number, readonly string[]> = { 20: COLUMNS_V1, 26: COLUMNS_V2, 27: COLUMNS_V3 };
type Column = (typeof COLUMNS_V3)[number];
const AT = Object.fromEntries(COLUMNS_V3.map((c, i) => [c, i])) as Record<Column, number>;

const EXTENSION_RE = /^\d{2,5}$/;
const EXTERNAL_TYPE_RE = /^(line|external_?line|externalline|provider|trunk|gateway)$/i;
const BUSY_RE = /busy/i;
const FAILED_RE = /fail|error|reject|notavailable|not_available|unavailable/i;

function orNull(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

/** `Ext.201` → 201 (older spelling); `Line:10000>>0207…` → the number after the line. */
function number(s: string | null): string | null {
  if (s === null) return null;
  if (s.startsWith('Ext.')) return s.slice(4) || null;
  const arrow = s.search(/>>|<</);
  if (s.startsWith('Line:') && arrow > 0) return s.slice(arrow + 2) || null;
  return s;
}

/** `2026/01/15 08:00:05` (older) or `2026-01-15 08:00:05[.fff]` → local time; a string says what is wrong. */
function readTime(name: string, text: string, clock: ZoneClock): ZonedInstant | string {
  const sep = text[4];
  if (text.length < 19 || (sep !== '/' && sep !== '-') || text[7] !== sep || text[10] !== ' ' || text[13] !== ':' || text[16] !== ':' || (text.length > 19 && text[19] !== '.')) {
    return `${name} "${text}" is not YYYY/MM/DD hh:mm:ss`;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return `${name} "${text}" is not YYYY/MM/DD hh:mm:ss`;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 || (day > 28 && day > daysInMonth(year, month))) {
    return `${name} "${text}" is not a real date and time`;
  }
  return clock.instant(year, month, day, (hour * 60 + minute) * 60 + second);
}

/** `hh:mm:ss` (hours may pass 24) or plain seconds. */
function readDuration(text: string): number | string {
  const n = text.length;
  const c1 = text.indexOf(':');
  if (c1 < 0) {
    const seconds = n > 0 && n <= 9 ? readDigits(text, 0, n) : -1;
    if (seconds >= 0) return seconds;
  } else if (c1 >= 1 && c1 <= 5 && n === c1 + 6 && text[c1 + 3] === ':') {
    const h = readDigits(text, 0, c1);
    const m = readDigits(text, c1 + 1, c1 + 3);
    const sec = readDigits(text, c1 + 4, n);
    if (h >= 0 && m >= 0 && m < 60 && sec >= 0 && sec < 60) return (h * 60 + m) * 60 + sec;
  }
  return `duration "${text}" is not hh:mm:ss`;
}

function isExternal(type: string | null, value: string | null, dn: string | null): boolean {
  if (type !== null) return EXTERNAL_TYPE_RE.test(type);
  if (value !== null && (value.startsWith('Ext.') || EXTENSION_RE.test(value))) return false;
  if (dn !== null && EXTENSION_RE.test(dn) && value === dn) return false;
  return value !== null;
}

function parseRecord(line: string, clock: ZoneClock): ParseResult {
  const split = splitCsv(line);
  if (!split.ok) return { kind: 'error', error: split.error };
  const f = split.fields;
  if (f[0] === 'historyid') return { kind: 'skip', reason: 'header line' };
  if (!LAYOUTS[f.length]) return { kind: 'error', error: `expected 20, 26 or 27 fields, found ${f.length}` };
  const get = (name: Column): string | null => orNull(f[AT[name]]);
  const callid = get('callid');
  if (callid === null) return { kind: 'error', error: 'callid is empty' };
  const startText = get('time-start');
  if (startText === null) return { kind: 'error', error: 'time-start is empty' };
  const start = readTime('time-start', startText, clock);
  if (typeof start === 'string') return { kind: 'error', error: start };
  const answeredText = get('time-answered');
  let answered = answeredText === null ? null : readTime('time-answered', answeredText, clock);
  if (typeof answered === 'string') return { kind: 'error', error: answered };
  const endText = get('time-end');
  if (endText === null) return { kind: 'error', error: 'time-end is empty' };
  let end = readTime('time-end', endText, clock);
  if (typeof end === 'string') return { kind: 'error', error: end };
  // The night the clocks go back, a later time can read earlier than the start: its second occurrence.
  answered = notBefore(answered, start.epochMs, clock.timeZone);
  end = notBefore(end, answered?.epochMs ?? start.epochMs, clock.timeZone);
  if (end.epochMs < start.epochMs) return { kind: 'error', error: `time-end ${endText} is before time-start ${startText}` };
  if (answered !== null && (answered.epochMs < start.epochMs || answered.epochMs > end.epochMs)) {
    return { kind: 'error', error: `time-answered ${answeredText} is not between time-start and time-end` };
  }
  const durationText = get('duration');
  const talk = durationText === null ? (answered ? Math.round((end.epochMs - answered.epochMs) / 1000) : 0) : readDuration(durationText);
  if (typeof talk === 'string') return { kind: 'error', error: talk };
  const total = Math.round((end.epochMs - start.epochMs) / 1000);
  if (talk > total) return { kind: 'error', error: `duration ${durationText} exceeds the ${total} s from time-start to time-end` };

  const reason = get('reason-terminated');
  let disposition: Disposition;
  let cause: number;
  if (answered !== null) [disposition, cause] = ['answered', 16];
  else if (reason !== null && BUSY_RE.test(reason)) [disposition, cause] = ['busy', 17];
  else if (reason !== null && FAILED_RE.test(reason)) [disposition, cause] = ['failed', 41];
  else [disposition, cause] = ['no_answer', reason !== null && /src|cancel/i.test(reason) ? 16 : 19];

  const fromRaw = get('from-no');
  const toRaw = get('to-no');
  const fromType = f.length > 20 ? get('from-type') : null;
  const toType = f.length > 20 ? get('to-type') : null;
  const finalType = f.length > 20 ? get('final-type') : null;
  const fromDn = get('from-dn');
  const toDn = get('to-dn');
  const finalDn = get('final-dn');
  const finalNumber = number(get('final-number'));
  const fromExternal = isExternal(fromType, fromRaw, fromDn);
  const toExternal = isExternal(finalType ?? toType, finalNumber !== null && finalType !== null ? finalNumber : toRaw, toDn);
  const direction: Direction = fromExternal ? (toExternal ? 'unknown' : 'inbound') : toExternal ? 'outbound' : 'internal';

  const call: Call = emptyCall('3cx', toIso(start.epochMs, start.offsetMinutes), line);
  call.callId = callid;
  call.direction = direction;
  call.callerNumber = number(fromRaw);
  call.callerName = f.length > 20 ? get('from-dispname') : null;
  call.dialedNumber = get('dial-no') ?? number(toRaw);
  call.calledNumber = number(toRaw);
  call.answeredAt = answered ? toIso(answered.epochMs, answered.offsetMinutes) : null;
  call.endedAt = toIso(end.epochMs, end.offsetMinutes);
  call.ringSeconds = answered ? Math.round((answered.epochMs - start.epochMs) / 1000) : total;
  call.talkSeconds = talk;
  call.durationSeconds = total;
  call.disposition = disposition;
  call.hangupCause = cause;
  call.extension = direction === 'inbound' ? (finalDn ?? toDn) : fromDn;
  call.trunk = direction === 'inbound' ? fromDn : direction === 'outbound' ? toDn : null;
  call.answeredBy = answered ? (direction === 'outbound' ? (finalNumber ?? call.calledNumber) : (finalDn ?? toDn)) : null;
  call.transferredTo = get('reason-changed') !== null ? finalNumber : null;
  call.accountCode = get('bill-code');
  const extra = call.extra;
  // Named stores, not a loop over names: this runs for every record and keyed stores cost more.
  const historyId = get('historyid');
  if (historyId !== null) extra.historyId = historyId;
  if (reason !== null) extra.reasonTerminated = reason;
  const reasonChanged = get('reason-changed');
  if (reasonChanged !== null) extra.reasonChanged = reasonChanged;
  if (fromDn !== null) extra.fromDn = fromDn;
  if (toDn !== null) extra.toDn = toDn;
  const finalNumberRaw = get('final-number');
  if (finalNumberRaw !== null) extra.finalNumber = finalNumberRaw;
  if (finalDn !== null) extra.finalDn = finalDn;
  const billRate = get('bill-rate');
  if (billRate !== null) extra.billRate = billRate;
  const billCost = get('bill-cost');
  if (billCost !== null) extra.billCost = billCost;
  const billName = get('bill-name');
  if (billName !== null) extra.billName = billName;
  const chain = get('chain');
  if (chain !== null) extra.chain = chain;
  if (f.length > 20) {
    if (fromType !== null) extra.fromType = fromType;
    if (toType !== null) extra.toType = toType;
    if (finalType !== null) extra.finalType = finalType;
    const toDispname = get('to-dispname');
    if (toDispname !== null) extra.toDispname = toDispname;
    const finalDispname = get('final-dispname');
    if (finalDispname !== null) extra.finalDispname = finalDispname;
  }
  if (f.length > 26) {
    const missed = get('missed-queue-calls');
    if (missed !== null) extra.missedQueueCalls = missed;
  }
  return { kind: 'call', call };
}

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** Even calls as an older build writes them (20 fields, `Ext.201`), odd ones as a newer build. */
function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const older = sim.index % 2 === 0;
  const stamp = (ms: number): string => {
    const iso = isoInZone(ms, ctx.timeZone);
    const date = iso.slice(0, 10);
    return `${older ? date.replace(/-/g, '/') : date} ${iso.slice(11, 19)}`;
  };
  const talk = sim.answered ? sim.talkSeconds : 0;
  const answerMs = sim.startedAtMs + sim.ringSeconds * 1000;
  const endMs = answerMs + talk * 1000;
  const line = `1000${sim.trunk.slice(-1)}`;
  const ext = (n: string): string => (older ? `Ext.${n}` : n);
  const inbound = sim.direction === 'inbound';
  const outbound = sim.direction === 'outbound';
  const fromNo = inbound ? sim.externalNumber : ext(sim.extension);
  const toNo = inbound ? ext(sim.extension) : outbound ? sim.externalNumber : ext(sim.externalNumber);
  const fromDn = inbound ? line : sim.extension;
  const toDn = inbound ? sim.extension : outbound ? line : sim.externalNumber;
  const busy = !sim.answered && sim.index % 6 === 1;
  const reason = sim.answered || !busy ? (older ? 'TerminatedBySrc' : 'src_participant_terminated') : older ? 'TerminatedByDst' : 'busy';
  const fields: (string | number)[] = [
    String(10_000 + sim.index),
    `00000C${(0x4e6e2b9c + sim.index).toString(16).toUpperCase()}_${sim.index}`,
    hms(talk),
    stamp(sim.startedAtMs),
    sim.answered ? stamp(answerMs) : '',
    stamp(endMs),
    reason,
    fromNo,
    toNo,
    fromDn,
    toDn,
    inbound ? sim.extension : sim.externalNumber,
    '',
    '',
    '',
    sim.accountCode ?? '',
    '',
    '',
    '',
    `Chain: ${fromNo};${toNo};`,
  ];
  if (!older) {
    const type = (external: boolean): string => (external ? 'external_line' : 'extension');
    fields.push(type(inbound), type(outbound), '', sim.callerName, '', '');
  }
  return [fields.map((v) => (String(v).includes(',') || String(v).includes('"') ? '"' + String(v).replace(/"/g, '""') + '"' : String(v))).join(',')];
}

function detect(sample: readonly string[]): number {
  let hits = 0;
  for (const line of sample) {
    const split = splitCsv(line);
    if (!split.ok || !LAYOUTS[split.fields.length]) continue;
    const f = split.fields;
    if (f[1]!.trim() !== '' && /^\d+:\d\d:\d\d$/.test(f[2]!.trim()) && /^\d{4}[/-]\d\d[/-]\d\d \d\d:\d\d:\d\d/.test(f[3]!.trim())) hits++;
  }
  return sample.length === 0 ? 0 : (0.95 * hits) / sample.length;
}

export const threeCx: Format = {
  id: '3cx',
  name: '3CX cdr.log',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const clock = new ZoneClock(ctx.timeZone);
    return (record) => parseRecord(record, clock);
  },
  render,
};
