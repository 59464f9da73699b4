import { emptyCall, type Call, type Direction, type Disposition } from '../../core/call.js';
import { causeCodeByName, dispositionFromCause } from '../../core/hangup-causes.js';
import { isValidLocal, offsetAt, toIso, ZoneClock, type LocalTime } from '../../core/time.js';
import { csvField, splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';
import { compileDatePattern, compileDurationPattern, emptyParts, type DatePattern, type DurationPattern } from './patterns.js';
import {
  CALL_TARGETS,
  compileRegex,
  layoutFields,
  TESTS,
  type CallTarget,
  type Definition,
  type FieldFormat,
  type OneSource,
  type Test,
  type Timestamp,
  type ValueSource,
} from './schema.js';

// A validated definition → a Format, like the hand-written ones. Everything that can be worked out
// once (field positions, date readers, rule tests) is, so a record costs slices and integer reads.

/** A Format made from a definition; keeps the definition (its samples, for `calltrail format test`). */
export interface DeclarativeFormat extends Format {
  definition: Definition;
}

type Values = string[];
type Result<T> = T | { error: string };
const NO_VALUES: Values = [];
const DAY_MS = 24 * 3600 * 1000;
const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F\u2400]/;
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');

const isError = <T>(r: Result<T>): r is { error: string } => typeof r === 'object' && r !== null && 'error' in r;

// --- fields --------------------------------------------------------------------------------------

interface Fields {
  names: string[];
  index(name: string): number;
}

function fieldsOf(def: Definition): Fields {
  const names = layoutFields(def.layout);
  if (!names) throw new Error(`${def.id}: the layout is not valid; validate the definition before compiling it`);
  const byName = new Map(names.map((n, i) => [n, i]));
  return {
    names,
    index(name) {
      const i = byName.get(name);
      if (i === undefined) throw new Error(`${def.id}: "${name}" is not a field of the layout`);
      return i;
    },
  };
}

/** The field names anything in the definition reads: a fixed layout slices only these. */
function usedFields(def: Definition): Set<string> {
  const used = new Set<string>();
  const timestamp = (ts: Timestamp | undefined): void => {
    if (!ts) return;
    if ('field' in ts) used.add(ts.field);
    else used.add(ts.date.field).add(ts.time.field);
  };
  const source = (s: ValueSource | OneSource | undefined): void => {
    if (s === undefined || s === null) return;
    if (typeof s === 'string') used.add(s);
    else if ('field' in s) used.add(s.field);
    else Object.values(s).forEach(source);
  };
  timestamp(def.start);
  timestamp(def.end);
  for (const f of Object.values(def.durations)) if (f) used.add(f.field);
  for (const r of [...def.skip, ...def.require, ...def.direction, ...def.disposition]) if (r.field) used.add(r.field);
  Object.values(def.call).forEach(source);
  for (const e of Object.values(def.extra)) used.add(typeof e === 'string' ? e : e.field);
  return used;
}

type Extract = (text: string) => Result<Values>;

function compileExtract(def: Definition, fields: Fields): Extract {
  const layout = def.layout;
  const trim = def.trim;
  const count = fields.names.length;
  switch (layout.kind) {
    case 'fixed': {
      const used = usedFields(def);
      const slots = fields.names.flatMap((name, i) => (used.has(name) ? [i] : []));
      const starts = slots.map((i) => layout.fields[fields.names[i]!]![0]);
      const ends = slots.map((i) => layout.fields[fields.names[i]!]![1]);
      const minLength = layout.minLength ?? 0;
      // Parsing is synchronous and nothing keeps the values, so one array serves every record.
      const values = new Array<string>(count).fill('');
      return (text) => {
        if (text.length < minLength) return { error: `record is ${text.length} characters, shorter than minLength ${minLength}` };
        for (let k = 0; k < slots.length; k++) {
          const v = text.slice(starts[k], ends[k]);
          values[slots[k]!] = trim ? v.trim() : v;
        }
        return values;
      };
    }
    case 'delimited': {
      const columns = layout.columns.map((c) => (c === '-' ? -1 : fields.index(c)));
      const expected = columns.length;
      return (text) => {
        let cells: string[];
        if (layout.quoted) {
          const split = splitCsv(text, layout.delimiter);
          if (!split.ok) return { error: split.error };
          cells = split.fields;
        } else {
          cells = text.split(layout.delimiter);
        }
        if (cells.length < expected || (!layout.extraColumns && cells.length > expected)) {
          return { error: `expected ${expected} columns, found ${cells.length}` };
        }
        const values = new Array<string>(count).fill('');
        for (let c = 0; c < expected; c++) {
          const i = columns[c]!;
          if (i >= 0) values[i] = trim ? cells[c]!.trim() : cells[c]!;
        }
        return values;
      };
    }
    case 'regex': {
      const re = compileRegex(layout.pattern, layout.ignoreCase ? 'i' : '') as RegExp;
      return (text) => {
        const m = re.exec(text);
        if (!m) return { error: 'record does not match layout.pattern' };
        const groups = m.groups ?? {};
        return fields.names.map((n) => {
          const v = groups[n] ?? '';
          return trim ? v.trim() : v;
        });
      };
    }
  }
}

// --- tests (skip, require, direction, disposition rules) ---------------------------------------------------

interface CompiledTest {
  field: number | null;
  /** A rule without a test (a catch-all). */
  always: boolean;
  fieldName: string | null;
  check(values: Values, record: string): boolean;
  /** Why a value failed the test, for require rules. */
  explain(value: string): string;
  /** A value for the field that passes the test, starting from what the renderer put there; null when it cannot tell. */
  satisfy(current: string): string | null;
}

function compileTest(rule: Test, fields: Fields): CompiledTest {
  const field = rule.field === undefined ? null : fields.index(rule.field);
  const get = field === null ? (_v: Values, record: string) => record : (v: Values) => v[field]!;
  const base = { field, fieldName: rule.field ?? null, always: false };
  if (rule.equals !== undefined) {
    const x = rule.equals;
    return { ...base, check: (v, r) => get(v, r) === x, explain: () => `is not "${x}"`, satisfy: () => x };
  }
  if (rule.in !== undefined) {
    const set = new Set(rule.in);
    const first = rule.in[0]!;
    return { ...base, check: (v, r) => set.has(get(v, r)), explain: () => `is not one of ${rule.in!.join(', ')}`, satisfy: (c) => (set.has(c) ? c : first) };
  }
  if (rule.startsWith !== undefined) {
    const p = rule.startsWith;
    return { ...base, check: (v, r) => get(v, r).startsWith(p), explain: () => `does not start with "${p}"`, satisfy: (c) => (c.startsWith(p) ? c : p + c) };
  }
  if (rule.contains !== undefined) {
    const p = rule.contains;
    return { ...base, check: (v, r) => get(v, r).includes(p), explain: () => `does not contain "${p}"`, satisfy: (c) => (c.includes(p) ? c : c + p) };
  }
  if (rule.matches !== undefined) {
    const re = compileRegex(rule.matches) as RegExp;
    return { ...base, check: (v, r) => re.test(get(v, r)), explain: () => `does not match /${rule.matches}/`, satisfy: (c) => (re.test(c) ? c : null) };
  }
  if (rule.empty !== undefined) {
    const empty = rule.empty;
    return {
      ...base,
      check: (v, r) => (get(v, r) === '') === empty,
      explain: () => (empty ? 'is not empty' : 'is empty'),
      satisfy: (c) => (empty ? '' : c || '-'),
    };
  }
  return { ...base, always: true, check: () => true, explain: () => '', satisfy: (c) => c };
}

function describeTest(rule: Test): string {
  const t = TESTS.find((k) => rule[k] !== undefined);
  return `${rule.field ?? 'the record'} ${t ?? 'always'}${t ? ' ' + JSON.stringify(rule[t]) : ''}`;
}

// --- times ---------------------------------------------------------------------------------------

interface Instant {
  ms: number;
  offset: number;
}

let lastReference = '';
let referenceYear = 0;
let referenceMs = 0;

/** Year of a date printed without one: the reference year, or the year before for a date after it (12-31 read on 01-01). */
function inferYear(month: number, day: number, referenceDate: string): number {
  if (referenceDate !== lastReference) {
    referenceYear = Number(referenceDate.slice(0, 4));
    referenceMs = Date.UTC(referenceYear, Number(referenceDate.slice(5, 7)) - 1, Number(referenceDate.slice(8, 10)));
    lastReference = referenceDate;
  }
  return Date.UTC(referenceYear, month - 1, day) > referenceMs + DAY_MS ? referenceYear - 1 : referenceYear;
}

function localOf(ms: number, timeZone: string): LocalTime {
  const d = new Date(ms + offsetAt(timeZone, ms) * 60000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

/** The zone's clock; one per zone serves every parser (it only caches). */
const clocks = new Map<string, ZoneClock>();
let lastClock = new ZoneClock('UTC');
function clockOf(timeZone: string): ZoneClock {
  if (timeZone === lastClock.timeZone) return lastClock;
  let clock = clocks.get(timeZone);
  if (!clock) {
    clock = new ZoneClock(timeZone);
    clocks.set(timeZone, clock);
  }
  lastClock = clock;
  return clock;
}

interface CompiledTimestamp {
  read(values: Values, ctx: ParseContext): Result<Instant>;
  write(values: Values, ms: number, timeZone: string): void;
  hasSeconds: boolean;
}

const EPOCH_RE = /^\d{1,12}(\.\d+)?$/;

function compileTimestamp(ts: Timestamp, fields: Fields): CompiledTimestamp {
  const parts: FieldFormat[] = 'field' in ts ? [ts] : [ts.date, ts.time];
  if (parts.length === 1 && parts[0]!.format === 'epoch') {
    const name = parts[0]!.field;
    const i = fields.index(name);
    return {
      hasSeconds: true,
      read(values, ctx) {
        const t = values[i]!;
        if (!EPOCH_RE.test(t)) return { error: t === '' ? `${name} is empty` : `${name} "${t}" is not epoch seconds` };
        const ms = Math.floor(Number(t)) * 1000;
        return { ms, offset: offsetAt(ctx.timeZone, ms) };
      },
      write(values, ms) {
        values[i] = String(Math.floor(ms / 1000));
      },
    };
  }
  const readers = parts.map((p) => ({
    name: p.field,
    i: fields.index(p.field),
    pattern: compileDatePattern(p.format) as DatePattern,
    orReferenceDate: 'whenEmpty' in p && p.whenEmpty === 'reference-date',
  }));
  const got = emptyParts();
  const hasSeconds = readers.some((r) => r.pattern.has.second);
  return {
    hasSeconds,
    read(values, ctx) {
      got.year = got.month = got.day = got.hour = got.minute = got.second = -1;
      for (const r of readers) {
        const t = values[r.i]!;
        if (t === '' && r.orReferenceDate) {
          const d = ctx.referenceDate;
          got.year = Number(d.slice(0, 4));
          got.month = Number(d.slice(5, 7));
          got.day = Number(d.slice(8, 10));
          continue;
        }
        if (t === '') return { error: `${r.name} is empty` };
        if (!r.pattern.read(t, got)) return { error: `${r.name} "${t}" is not ${r.pattern.source}` };
      }
      const local: LocalTime = {
        year: got.year >= 0 ? got.year : inferYear(got.month, got.day, ctx.referenceDate),
        month: got.month,
        day: got.day,
        hour: got.hour,
        minute: got.minute,
        second: got.second >= 0 ? got.second : 0,
      };
      if (!isValidLocal(local)) {
        return { error: `${readers.map((r) => `${r.name} "${values[r.i]}"`).join(' ')} is not a real date and time` };
      }
      const at = clockOf(ctx.timeZone).local(local);
      return { ms: at.epochMs, offset: at.offsetMinutes };
    },
    write(values, ms, timeZone) {
      const local = localOf(ms, timeZone);
      for (const r of readers) values[r.i] = r.pattern.write(local);
    },
  };
}

// --- durations and values ------------------------------------------------------------------------------

interface CompiledDuration {
  i: number;
  read(values: Values): Result<number | null>;
  pattern: DurationPattern;
}

function compileDuration(f: FieldFormat | undefined, fields: Fields): CompiledDuration | null {
  if (!f) return null;
  const i = fields.index(f.field);
  const pattern = compileDurationPattern(f.format) as DurationPattern;
  return {
    i,
    pattern,
    read(values) {
      const t = values[i]!;
      if (t === '') return null;
      const n = pattern.read(t);
      return n < 0 ? { error: `${f.field} "${t}" is not ${pattern.description}` } : n;
    },
  };
}

interface Getter {
  i: number;
  get(values: Values): string | null;
}

function compileOne(source: OneSource | undefined, fields: Fields, trim: boolean): Getter | null {
  if (source === undefined || source === null) return null;
  if (typeof source === 'string') {
    const i = fields.index(source);
    return { i, get: (v) => v[i] || null };
  }
  const i = fields.index(source.field);
  const ignore = new Set(source.ignore ?? []);
  const prefix = source.stripPrefix;
  return {
    i,
    get(v) {
      let t = v[i]!;
      if (prefix !== undefined && t.startsWith(prefix)) t = trim ? t.slice(prefix.length).trim() : t.slice(prefix.length);
      return t === '' || ignore.has(t) ? null : t;
    },
  };
}

type ByDirection = Record<Direction, Getter | null>;

function compileSource(source: ValueSource | undefined, fields: Fields, trim: boolean): ByDirection | null {
  if (source === undefined) return null;
  if (typeof source === 'string' || 'field' in source) {
    const g = compileOne(source, fields, trim);
    return { inbound: g, outbound: g, internal: g, unknown: g };
  }
  return {
    inbound: compileOne(source.inbound, fields, trim),
    outbound: compileOne(source.outbound, fields, trim),
    internal: compileOne(source.internal, fields, trim),
    unknown: compileOne(source.unknown, fields, trim),
  };
}

const NUMBER_RE = /^\+?\d+$/;

/** The dialled digits for calledNumber: a leading + and the digits. */
function digitsOf(dialed: string | null): string | null {
  if (dialed === null || NUMBER_RE.test(dialed)) return dialed;
  const d = (dialed.startsWith('+') ? '+' : '') + dialed.replace(/\D/g, '');
  return d.replace('+', '') === '' ? null : d;
}

function causeOf(text: string | null): number | null {
  if (text === null) return null;
  if (/^\d{1,3}$/.test(text)) return Number(text);
  return causeCodeByName(text);
}

/** What the simulator's call puts in each call-record target, for render. */
function simValue(target: CallTarget, sim: SimulatedCall): string {
  switch (target) {
    case 'callId':
      return String(sim.index + 1);
    case 'callerNumber':
      return sim.direction === 'inbound' ? sim.externalNumber : sim.extension;
    case 'callerName':
      return sim.callerName;
    case 'dialedNumber':
      return sim.direction === 'inbound' ? sim.extension : sim.externalNumber;
    case 'extension':
      return sim.extension;
    case 'trunk':
      return sim.direction === 'internal' ? '' : sim.trunk;
    case 'accountCode':
      return sim.accountCode ?? '';
    case 'transferredTo':
    case 'answeredBy':
      return '';
    case 'hangupCause':
      return sim.answered ? '16' : '19';
  }
}

// --- the format ------------------------------------------------------------------------------------

interface Rule<T> {
  test: CompiledTest;
  then: T;
  label: string;
}

export function compileDefinition(def: Definition): DeclarativeFormat {
  const fields = fieldsOf(def);
  const extract = compileExtract(def, fields);
  const skips = def.skip.map((r) => ({ test: compileTest(r, fields), reason: r.reason ?? `skip rule: ${describeTest(r)}` }));
  const recordSkips = skips.filter((s) => s.test.field === null);
  const fieldSkips = skips.filter((s) => s.test.field !== null);
  const requires = def.require.map((r) => ({ test: compileTest(r, fields), message: r.message ?? null, label: describeTest(r) }));
  const directions: Rule<Direction>[] = def.direction.map((r) => ({ test: compileTest(r, fields), then: r.then, label: describeTest(r) }));
  const dispositions: Rule<Disposition>[] = def.disposition.map((r) => ({ test: compileTest(r, fields), then: r.then, label: describeTest(r) }));
  const start = def.start ? compileTimestamp(def.start, fields) : null;
  const end = def.end ? compileTimestamp(def.end, fields) : null;
  const talkD = compileDuration(def.durations.talk, fields);
  const ringD = compileDuration(def.durations.ring, fields);
  const holdD = compileDuration(def.durations.hold, fields);
  const totalD = compileDuration(def.durations.total, fields);
  const targets = new Map<CallTarget, ByDirection>();
  for (const target of CALL_TARGETS) {
    const s = compileSource(def.call[target], fields, def.trim);
    if (s) targets.set(target, s);
  }
  // Per direction, the text targets that have a field: filled in one loop per record.
  type TextTarget = Exclude<CallTarget, 'hangupCause'>;
  const fills = {} as Record<Direction, { target: TextTarget; getter: Getter }[]>;
  for (const direction of ['inbound', 'outbound', 'internal', 'unknown'] as const) {
    fills[direction] = [...targets].flatMap(([target, by]) => {
      const getter = by[direction];
      return target !== 'hangupCause' && getter ? [{ target, getter }] : [];
    });
  }
  const causeSource = targets.get('hangupCause') ?? null;
  const extras = Object.entries(def.extra).map(([key, spec]) => {
    const name = typeof spec === 'string' ? spec : spec.field;
    return { key, name, i: fields.index(name), number: typeof spec !== 'string' && spec.type === 'number' };
  });
  const startPrecisionSeconds = (start ? start.hasSeconds : end!.hasSeconds) ? 1 : 60;

  const readDuration = (d: CompiledDuration | null, values: Values): Result<number | null> => (d ? d.read(values) : null);

  function parse(record: string, ctx: ParseContext): ParseResult {
    const error = (e: string): ParseResult => ({ kind: 'error', error: e });
    if (record.length > def.maxLength) return error(`record is ${record.length} characters, longer than maxLength ${def.maxLength}`);
    const text = def.stripControl && CONTROL.test(record) ? record.replace(CONTROL_ALL, '') : record;
    if (text.trim() === '') return { kind: 'skip', reason: 'blank record' };
    for (const s of recordSkips) if (s.test.check(NO_VALUES, text)) return { kind: 'skip', reason: s.reason };
    const values = extract(text);
    if (isError(values)) return error(values.error);
    for (const s of fieldSkips) if (s.test.check(values, text)) return { kind: 'skip', reason: s.reason };
    for (const r of requires) {
      if (!r.test.check(values, text)) {
        const value = r.test.field === null ? text : values[r.test.field]!;
        return error(r.message ?? `${r.test.fieldName ?? 'record'} "${value}" ${r.test.explain(value)}`);
      }
    }

    const startAt = start ? start.read(values, ctx) : null;
    if (startAt && isError(startAt)) return error(startAt.error);
    const endAt = end ? end.read(values, ctx) : null;
    if (endAt && isError(endAt)) return error(endAt.error);
    const talkRaw = readDuration(talkD, values);
    if (isError(talkRaw)) return error(talkRaw.error);
    const ringRaw = readDuration(ringD, values);
    if (isError(ringRaw)) return error(ringRaw.error);
    const holdRaw = readDuration(holdD, values);
    if (isError(holdRaw)) return error(holdRaw.error);
    const totalRaw = readDuration(totalD, values);
    if (isError(totalRaw)) return error(totalRaw.error);

    let direction: Direction = 'unknown';
    for (const r of directions) {
      if (r.test.check(values, text)) {
        direction = r.then;
        break;
      }
    }

    // Start to end, when the record says it (a total, or both times).
    const span = startAt && endAt ? (endAt.ms - startAt.ms) / 1000 : null;
    if (span !== null && span < 0) return error('the end time is before the start time');
    const known = totalRaw ?? span;
    let talk = talkRaw ?? (known !== null ? Math.max(0, known - (ringRaw ?? 0)) : 0);
    const causeText = causeSource?.[direction]?.get(values) ?? null;
    const cause = causeOf(causeText);
    let disposition: Disposition | null = null;
    for (const r of dispositions) {
      if (r.test.check(values, text)) {
        disposition = r.then;
        break;
      }
    }
    disposition ??= cause !== null ? dispositionFromCause(cause, talk) : talk > 0 ? 'answered' : 'no_answer';
    if (disposition !== 'answered') talk = 0;
    const total = known ?? (ringRaw ?? 0) + talk;
    if (talk > total) return error(`talk time ${talk}s is longer than the whole call (${total}s)`);
    const ring = ringRaw ?? (known !== null && talkRaw !== null ? total - talk : null);

    const clock = clockOf(ctx.timeZone);
    const startMs = startAt ? startAt.ms : endAt!.ms - total * 1000;
    const startedAt = startAt ? toIso(startAt.ms, startAt.offset) : clock.iso(startMs);
    const call: Call = emptyCall(def.id, startedAt, record);
    call.direction = direction;
    call.disposition = disposition;
    call.talkSeconds = talk;
    call.ringSeconds = ring;
    call.holdSeconds = holdRaw;
    call.durationSeconds = total;
    const endMs = startMs + total * 1000;
    call.endedAt = endAt ? toIso(endAt.ms, endAt.offset) : clock.iso(endMs);
    if (disposition === 'answered') {
      const answeredMs = endMs - talk * 1000;
      call.answeredAt = clock.iso(answeredMs);
    }
    for (const f of fills[direction]) call[f.target] = f.getter.get(values);
    call.calledNumber = digitsOf(call.dialedNumber);
    call.hangupCause = cause;
    if (causeText !== null && cause === null) call.extra.hangupCause = causeText;
    for (const x of extras) {
      const v = values[x.i]!;
      if (v === '') continue;
      if (x.number) {
        const n = Number(v);
        if (!Number.isFinite(n)) return error(`${x.name} "${v}" is not a number`);
        call.extra[x.key] = n;
      } else {
        call.extra[x.key] = v;
      }
    }
    return { kind: 'call', call };
  }

  // --- render: the definition read backwards ---

  const satisfy = (test: CompiledTest, values: Values, label: string): void => {
    if (test.always) return;
    if (test.field === null) throw new Error(`${def.id}: cannot print a record for the rule "${label}", which tests the whole record`);
    const next = test.satisfy(values[test.field]!);
    if (next === null) throw new Error(`${def.id}: cannot print a value of ${test.fieldName} for the rule "${label}"; give render.defaults.${test.fieldName}`);
    values[test.field] = next;
  };

  function renderValues(sim: SimulatedCall, ctx: ParseContext): Values {
    const values = new Array<string>(fields.names.length).fill('');
    for (const [name, v] of Object.entries(def.render.defaults)) values[fields.index(name)] = v;
    for (const [target, byDirection] of targets) {
      const g = byDirection[sim.direction];
      if (g) values[g.i] = simValue(target, sim);
    }
    const talk = sim.answered ? sim.talkSeconds : 0;
    const total = sim.ringSeconds + talk;
    start?.write(values, sim.startedAtMs, ctx.timeZone);
    end?.write(values, sim.startedAtMs + total * 1000, ctx.timeZone);
    for (const [d, seconds] of [
      [talkD, talk],
      [ringD, sim.ringSeconds],
      [holdD, 0],
      [totalD, total],
    ] as const) {
      if (d) values[d.i] = d.pattern.write(seconds);
    }
    for (const r of requires) satisfy(r.test, values, r.label);
    const direction = directions.find((r) => r.then === sim.direction);
    if (!direction) throw new Error(`${def.id}: no direction rule gives ${sim.direction}, so such a call cannot be printed`);
    satisfy(direction.test, values, direction.label);
    const disposition = dispositions.find((r) => r.then === (sim.answered ? 'answered' : 'no_answer'));
    if (disposition) satisfy(disposition.test, values, disposition.label);
    return values;
  }

  const layout = def.layout;
  function assemble(values: Values): string {
    switch (layout.kind) {
      case 'fixed': {
        let line = '';
        const placed = fields.names.map((n, i) => [i, ...layout.fields[n]!] as const).sort((a, b) => a[1] - b[1]);
        for (const [i, s, e] of placed) {
          if (s < line.length) continue; // overlapping fields: the first one prints
          line = line.padEnd(s) + values[i]!.slice(0, e - s).padEnd(e - s);
        }
        return line.padEnd(layout.minLength ?? 0);
      }
      case 'delimited':
        return layout.columns
          .map((c) => {
            const v = c === '-' ? '' : values[fields.index(c)]!;
            return layout.quoted ? csvField(v, layout.delimiter) : v.split(layout.delimiter).join(' ');
          })
          .join(layout.delimiter);
      case 'regex': {
        const template = layout.template;
        if (template === undefined) throw new Error(`${def.id}: a regex layout needs layout.template to print records`);
        return template.replace(/\{([^}]*)\}/g, (_, name: string) => values[fields.index(name)]!);
      }
    }
  }

  function detect(sample: readonly string[]): number {
    const parser = (r: string): ParseResult => parse(r, { timeZone: 'UTC', referenceDate: '2000-01-01' });
    let considered = 0;
    let calls = 0;
    for (const line of sample) {
      const r = parser(line);
      if (r.kind === 'skip') continue;
      considered++;
      if (r.kind === 'call') calls++;
    }
    return calls === 0 ? 0 : (0.95 * calls) / considered;
  }

  return {
    id: def.id,
    name: def.name,
    framing: def.framing === 'lines' ? { kind: 'lines' } : def.framing === 'stx-etx' ? { kind: 'stx-etx' } : def.framing,
    dedupe: def.dedupe,
    startPrecisionSeconds,
    detect,
    createParser: (ctx) => (record) => parse(record, ctx),
    render: (sim, ctx) => [assemble(renderValues(sim, ctx))],
    definition: def,
  };
}
