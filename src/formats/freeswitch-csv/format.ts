import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { readDigits } from '../../core/digits.js';
import { CalltrailError } from '../../core/errors.js';
import { mapFreeswitchCause } from '../../core/hangup-causes.js';
import { isoInZone, readStamp, toIso, ZoneClock } from '../../core/time.js';
import { parseSeconds, readCallTimes } from '../cdr-fields.js';
import { splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// FreeSWITCH mod_cdr_csv: one CSV line per leg, its columns whatever the template names. The
// default is the "example" template of cdr_csv.conf.xml; freeswitchCsvFormat(columns) reads a
// site's own (columnsFromTemplate turns a template into its column list).

export const EXAMPLE_TEMPLATE =
  '"${caller_id_name}","${caller_id_number}","${destination_number}","${context}","${start_stamp}","${answer_stamp}","${end_stamp}","${duration}","${billsec}","${hangup_cause}","${uuid}","${bleg_uuid}","${accountcode}","${read_codec}","${write_codec}"';

/** The variables a template writes, in order: `"${caller_id_name}","${uuid}"` → ['caller_id_name', 'uuid']. */
export function columnsFromTemplate(template: string): string[] {
  return [...template.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!);
}

export const EXAMPLE_COLUMNS: readonly string[] = columnsFromTemplate(EXAMPLE_TEMPLATE);
const REQUIRED = ['start_stamp', 'duration', 'billsec', 'uuid'];
const MAPPED = [
  'caller_id_name', 'caller_id_number', 'destination_number', 'context', 'start_stamp', 'answer_stamp', 'end_stamp', 'duration', 'billsec',
  'hangup_cause', 'hangup_cause_q850', 'uuid', 'accountcode',
] as const;
/** Kept in `extra` too, though read. */
const ALSO_EXTRA = new Set(['context']);

/** A template's columns: where each mapped variable is (-1 when absent), and the rest for `extra`. */
interface Layout {
  count: number;
  at: Record<(typeof MAPPED)[number], number>;
  others: [string, number][];
}

function layoutOf(columns: readonly string[]): Layout {
  const at = Object.fromEntries(MAPPED.map((c) => [c, columns.indexOf(c)])) as Layout['at'];
  const mapped = new Set<string>(MAPPED);
  const others = columns.flatMap((c, i): [string, number][] => (!mapped.has(c) || ALSO_EXTRA.has(c) ? [[c, i]] : []));
  return { count: columns.length, at, others };
}

function field(f: readonly string[], i: number): string {
  return i < 0 ? '' : f[i]!.trim();
}
const EXTENSION_RE = /^\d{2,5}$/;

function orNull(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

function direction(context: string | null, caller: string | null, destination: string | null): Direction {
  if (context === 'public') return 'inbound';
  const callerExt = caller !== null && EXTENSION_RE.test(caller);
  const destExt = destination !== null && EXTENSION_RE.test(destination);
  if (callerExt && destExt) return 'internal';
  if (callerExt) return 'outbound';
  if (destExt) return 'inbound';
  return 'unknown';
}

function parseRecord(line: string, l: Layout, clock: ZoneClock): ParseResult {
  const split = splitCsv(line);
  if (!split.ok) return { kind: 'error', error: split.error };
  const f = split.fields;
  if (f.length !== l.count) return { kind: 'error', error: `expected ${l.count} fields, found ${f.length}` };
  const x = l.at;
  const uuid = field(f, x.uuid);
  if (uuid === '') return { kind: 'error', error: 'uuid is empty' };
  const times = readCallTimes(clock, ['start_stamp', field(f, x.start_stamp)], ['answer_stamp', field(f, x.answer_stamp)], ['end_stamp', field(f, x.end_stamp)]);
  if (typeof times === 'string') return { kind: 'error', error: times };
  const { start, answer, end } = times;
  const duration = parseSeconds('duration', field(f, x.duration));
  if (typeof duration === 'string') return { kind: 'error', error: duration };
  const billsec = parseSeconds('billsec', field(f, x.billsec));
  if (typeof billsec === 'string') return { kind: 'error', error: billsec };
  if (billsec > duration) return { kind: 'error', error: `billsec ${billsec} exceeds duration ${duration}` };
  const s = start;
  if (end !== null && end.epochMs < s.epochMs) return { kind: 'error', error: `end_stamp ${field(f, x.end_stamp)} is before start_stamp ${field(f, x.start_stamp)}` };
  const answered = answer !== null || billsec > 0;
  const causeName = field(f, x.hangup_cause);
  const q850Text = field(f, x.hangup_cause_q850);
  let cause: number | null = null;
  let disposition: Call['disposition'] = answered ? 'answered' : 'unknown';
  if (causeName !== '') {
    const mapped = mapFreeswitchCause(causeName, billsec);
    if (!mapped) return { kind: 'error', error: `hangup_cause "${causeName}" is not a FreeSWITCH cause name` };
    cause = mapped.cause;
    if (!answered) disposition = mapped.disposition;
  }
  if (q850Text !== '') {
    const q850 = q850Text.length <= 3 ? readDigits(q850Text, 0, q850Text.length) : -1;
    if (q850 < 0 || q850 > 127) return { kind: 'error', error: `hangup_cause_q850 "${q850Text}" is not a Q.850 cause` };
    cause = q850;
  }

  const call: Call = emptyCall('freeswitch-csv', toIso(s.epochMs, s.offsetMinutes), line);
  const caller = orNull(field(f, x.caller_id_number));
  const destination = orNull(field(f, x.destination_number));
  const context = orNull(field(f, x.context));
  call.callId = uuid;
  call.direction = direction(context, caller, destination);
  call.callerNumber = caller;
  call.callerName = orNull(field(f, x.caller_id_name));
  call.dialedNumber = destination;
  call.calledNumber = destination;
  call.answeredAt = answered ? (answer ? toIso(answer.epochMs, answer.offsetMinutes) : clock.iso(s.epochMs + (duration - billsec) * 1000)) : null;
  call.endedAt = end ? toIso(end.epochMs, end.offsetMinutes) : clock.iso(s.epochMs + duration * 1000);
  call.talkSeconds = billsec;
  call.durationSeconds = duration;
  call.ringSeconds = answer !== null ? Math.max(0, Math.round((answer.epochMs - s.epochMs) / 1000)) : duration - billsec;
  call.disposition = disposition;
  call.hangupCause = cause;
  call.extension = call.direction === 'inbound' ? destination : caller;
  call.answeredBy = answered && call.direction !== 'outbound' ? destination : null;
  call.accountCode = orNull(field(f, x.accountcode));
  if (causeName !== '') call.extra.hangupCauseName = causeName;
  for (const [name, i] of l.others) {
    const v = f[i]!.trim();
    if (v !== '') call.extra[name] = v;
  }
  return { kind: 'call', call };
}

/** A leg is known by its uuid; the a-leg also names its b-leg (bleg_uuid), a b-leg may name its a-leg. */
function legKeys(call: Call): readonly string[] {
  const keys: string[] = call.callId ? [call.callId] : [];
  for (const name of ['bleg_uuid', 'originating_leg_uuid', 'call_uuid']) {
    const v = call.extra[name];
    if (typeof v === 'string' && !keys.includes(v)) keys.push(v);
  }
  return keys;
}

function localStamp(ms: number, timeZone: string): string {
  const iso = isoInZone(ms, timeZone);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

const uuidOf = (index: number, leg: number): string =>
  `${leg === 0 ? 'a' : 'b'}${index.toString(16).padStart(7, '0')}-7bd1-11e5-a230-5c514f6a0f72`;

function renderFor(columns: readonly string[]) {
  return (sim: SimulatedCall, ctx: ParseContext): string[] => {
    const talk = sim.answered ? sim.talkSeconds : 0;
    const answerMs = sim.startedAtMs + sim.ringSeconds * 1000;
    const endMs = answerMs + talk * 1000;
    const inbound = sim.direction === 'inbound';
    const caller = inbound ? sim.externalNumber : sim.extension;
    const destination = inbound ? sim.extension : sim.externalNumber;
    const unansweredCause = ['NO_ANSWER', 'ORIGINATOR_CANCEL', 'USER_BUSY', 'NO_USER_RESPONSE'][sim.index % 4]!;
    // Every third answered call is logged with both legs (cdr_csv legs="ab"): the b-leg first, as it hangs up first.
    const bothLegs = sim.answered && sim.index % 3 === 0;
    const row = (leg: 0 | 1): string => {
      const values: Record<string, string | number> = {
        caller_id_name: sim.callerName,
        caller_id_number: caller,
        destination_number: destination,
        context: inbound ? 'public' : 'default',
        start_stamp: localStamp(sim.startedAtMs, ctx.timeZone),
        answer_stamp: sim.answered ? localStamp(answerMs, ctx.timeZone) : '',
        end_stamp: localStamp(endMs, ctx.timeZone),
        duration: Math.round((endMs - sim.startedAtMs) / 1000),
        billsec: talk,
        hangup_cause: sim.answered ? 'NORMAL_CLEARING' : unansweredCause,
        uuid: uuidOf(sim.index, leg),
        bleg_uuid: leg === 0 && bothLegs ? uuidOf(sim.index, 1) : '',
        accountcode: sim.accountCode ?? '',
        read_codec: 'PCMA',
        write_codec: 'PCMA',
      };
      return columns.map((c) => '"' + String(values[c] ?? '').replace(/"/g, '""') + '"').join(',');
    };
    return bothLegs ? [row(1), row(0)] : [row(0)];
  };
}

function detectFor(l: Layout) {
  return (sample: readonly string[]): number => {
    let hits = 0;
    for (const line of sample) {
      const split = splitCsv(line);
      if (!split.ok || split.fields.length !== l.count) continue;
      const start = field(split.fields, l.at.start_stamp);
      const cause = field(split.fields, l.at.hangup_cause);
      if (readStamp(start, '-') !== null && (cause === '' || mapFreeswitchCause(cause, 0) !== null)) hits++;
    }
    return sample.length === 0 ? 0 : (0.95 * hits) / sample.length;
  };
}

/** The freeswitch-csv format for a template's columns (default: the "example" template). */
export function freeswitchCsvFormat(columns: readonly string[] = EXAMPLE_COLUMNS): Format {
  const missing = REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length > 0) throw new CalltrailError('CONFIG_INVALID', `freeswitch-csv template lacks ${missing.map((c) => '${' + c + '}').join(', ')}`);
  const layout = layoutOf(columns);
  return {
    id: 'freeswitch-csv',
    name: 'FreeSWITCH mod_cdr_csv',
    framing: { kind: 'lines' },
    dedupe: 'call-id',
    detect: detectFor(layout),
    createParser: (ctx) => {
      const clock = new ZoneClock(ctx.timeZone);
      return (record) => parseRecord(record, layout, clock);
    },
    render: renderFor(columns),
    legKeys,
  };
}

export const freeswitchCsv: Format = freeswitchCsvFormat();
