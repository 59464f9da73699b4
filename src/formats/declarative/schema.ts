import { z } from 'zod';
import { DIRECTIONS, DISPOSITIONS } from '../../core/call.js';
import { compileDatePattern, compileDurationPattern } from './patterns.js';

// The YAML definition of a declarative format (FORMATS.md "Everything else"): how to cut a record
// into named fields (fixed columns, delimited columns or a regular expression), which records to
// skip, how fields become the call record, and how to tell direction and disposition. Every problem
// is reported with its path; references to fields the layout does not define are problems too.

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const fieldName = z.string().regex(NAME_RE, 'a field name: letters, digits and "_", not starting with a digit');

/** YAML reads `in: [0, 1]` as numbers; values compared with record text are text. */
const text = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));

// --- layouts -----------------------------------------------------------------------------------

const fixedLayout = z
  .object({
    kind: z.literal('fixed'),
    /** name → [start, end): 0-based columns, end exclusive (as FORMATS.md writes them). */
    fields: z.record(fieldName, z.tuple([z.number().int().min(0), z.number().int().min(1)])),
    /** Records shorter than this are errors (default: any length; missing columns read as empty). */
    minLength: z.number().int().min(0).optional(),
  })
  .strict();

const delimitedLayout = z
  .object({
    kind: z.literal('delimited'),
    delimiter: z.string().length(1, 'one character, such as "," ";" "|" or "\\t"'),
    /** RFC 4180 double quotes around fields that need them. */
    quoted: z.boolean().default(true),
    /** Column names in order; "-" for a column to ignore. */
    columns: z.array(z.union([fieldName, z.literal('-')], { error: 'a field name, or "-" for a column to ignore' })).min(1),
    /** Accept records with more columns than named (newer firmware adding columns at the end). */
    extraColumns: z.boolean().default(false),
  })
  .strict();

const regexLayout = z
  .object({
    kind: z.literal('regex'),
    /** A JavaScript regular expression with named groups `(?<name>…)`: the groups are the fields. */
    pattern: z.string().min(1),
    ignoreCase: z.boolean().default(false),
    /** How to print a record for the simulator: the text with `{name}` for each group. */
    template: z.string().optional(),
  })
  .strict();

const layoutSchema = z.discriminatedUnion('kind', [fixedLayout, delimitedLayout, regexLayout], {
  error: 'layout.kind must be fixed, delimited or regex',
});

// --- rules ---------------------------------------------------------------------------------------

export const TESTS = ['equals', 'in', 'startsWith', 'contains', 'matches', 'empty'] as const;

/** A test on one field (or, without `field`, on the whole record text). */
const test = {
  field: fieldName.optional(),
  equals: text.optional(),
  in: z.array(text).min(1).optional(),
  startsWith: z.string().min(1).optional(),
  contains: z.string().min(1).optional(),
  /** A JavaScript regular expression the text must match. */
  matches: z.string().min(1).optional(),
  empty: z.boolean().optional(),
};

const skipRule = z.object({ ...test, reason: z.string().min(1).optional() }).strict();
const requireRule = z.object({ ...test, message: z.string().min(1).optional() }).strict();
const directionRule = z.object({ ...test, then: z.enum(DIRECTIONS) }).strict();
const dispositionRule = z.object({ ...test, then: z.enum(DISPOSITIONS) }).strict();

// --- times and durations -----------------------------------------------------------------------------

const fieldFormat = z.object({ field: fieldName, format: z.string().min(1) }).strict();

const dateFieldFormat = z
  .object({
    field: fieldName,
    format: z.string().min(1),
    /** What an empty date means: an error, or the day the record was received (NEC leaves it out of extension calls). */
    whenEmpty: z.enum(['error', 'reference-date']).default('error'),
  })
  .strict();

/** One field with date and time (`YYYYMMDD HH:mm:ss`, or `epoch` seconds), or a date field and a time field. */
const timestamp = z.union([fieldFormat, z.object({ date: dateFieldFormat, time: fieldFormat }).strict()], {
  error: 'expected { field, format } or { date: { field, format }, time: { field, format } }',
});

const durationsSchema = z
  .object({
    /** Answered to end (billable time). */
    talk: fieldFormat.optional(),
    /** Ringing before answer or before giving up. */
    ring: fieldFormat.optional(),
    hold: fieldFormat.optional(),
    /** Start to end. */
    total: fieldFormat.optional(),
  })
  .strict();

// --- mapping to the call record ---------------------------------------------------------------------

const fieldRef = z
  .object({
    field: fieldName,
    /** Values that mean "nothing here" (e.g. "NO ANSWER" printed in the account column). */
    ignore: z.array(text).optional(),
    /** Removed from the start of the value when present (e.g. "<I>"). */
    stripPrefix: z.string().min(1).optional(),
  })
  .strict();
const oneSource = z.union([fieldName, fieldRef, z.null()], { error: 'a field name, { field, ignore, stripPrefix }, or null' });

/** A field, or a field per direction (`DIALLED No./CLI` is the dialled number outbound and the caller inbound). */
const valueSource = z.union(
  [
    fieldName,
    fieldRef,
    z
      .object({
        inbound: oneSource.optional(),
        outbound: oneSource.optional(),
        internal: oneSource.optional(),
        unknown: oneSource.optional(),
      })
      .strict(),
  ],
  { error: 'a field name, { field, ignore, stripPrefix }, or a choice per direction { inbound, outbound, internal, unknown }' },
);

export const CALL_TARGETS = [
  'callId',
  'callerNumber',
  'callerName',
  'dialedNumber',
  'extension',
  'trunk',
  'accountCode',
  'transferredTo',
  'answeredBy',
  'hangupCause',
] as const;
export type CallTarget = (typeof CALL_TARGETS)[number];

const callMap = z
  .object({
    callId: valueSource.optional(),
    callerNumber: valueSource.optional(),
    callerName: valueSource.optional(),
    dialedNumber: valueSource.optional(),
    extension: valueSource.optional(),
    trunk: valueSource.optional(),
    accountCode: valueSource.optional(),
    transferredTo: valueSource.optional(),
    answeredBy: valueSource.optional(),
    /** A Q.850 cause code, or its name (NORMAL_CLEARING). */
    hangupCause: valueSource.optional(),
  })
  .strict();

const extraSpec = z.union([fieldName, z.object({ field: fieldName, type: z.enum(['string', 'number']).default('string') }).strict()], {
  error: 'a field name, or { field, type: string | number }',
});

const renderSchema = z
  .object({
    /** Values printed in fields nothing else fills (a version stamp, a constant flag). */
    defaults: z.record(fieldName, text).default({}),
  })
  .strict();

// --- the definition ---------------------------------------------------------------------------------

export const definitionSchema = z
  .object({
    /** The format id calls carry (`format`), stored in the switch row. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and "-", e.g. "samsung-officeserv"'),
    name: z.string().min(1),
    description: z.string().optional(),
    /**
     * How records are cut from the stream: `lines` (CR LF, LF or CR), `stx-etx`, or
     * `{ kind: fixed, length }` for switches that send fixed-size records without line ends.
     */
    framing: z
      .union([z.literal('lines'), z.literal('stx-etx'), z.object({ kind: z.literal('fixed'), length: z.number().int().min(1).max(65536) }).strict()], {
        error: 'lines, stx-etx, or { kind: fixed, length: N }',
      })
      .default('lines'),
    layout: layoutSchema,
    /** Trim spaces around every field value. */
    trim: z.boolean().default(true),
    /** Remove control characters (NUL, STX/ETX, XON/XOFF, form feeds …) before anything else. */
    stripControl: z.boolean().default(true),
    /** Longer records are errors, not calls. */
    maxLength: z.number().int().min(1).max(1_000_000).default(4096),
    /** Records that are not calls and not errors: headers, banners, page breaks. First match wins. */
    skip: z.array(skipRule).default([]),
    /** Tests every call record must pass; a failing one is an error with the rule's message. */
    require: z.array(requireRule).default([]),
    start: timestamp.optional(),
    end: timestamp.optional(),
    durations: durationsSchema.default({}),
    /** First matching rule wins; none matching means unknown. */
    direction: z.array(directionRule).default([]),
    /** First matching rule wins; none matching: from the hangup cause, else answered when talk > 0. */
    disposition: z.array(dispositionRule).default([]),
    call: callMap.default({}),
    extra: z.record(z.string().regex(NAME_RE, 'a key: letters, digits and "_"'), extraSpec).default({}),
    dedupe: z.enum(['record-hash', 'call-id']).default('record-hash'),
    render: renderSchema.default({ defaults: {} }),
    /** Sample records pasted from the switch, for `calltrail format test`. */
    samples: z.array(z.string()).default([]),
  })
  .strict()
  .superRefine((def, ctx) => crossCheck(def, ctx));

export type Definition = z.output<typeof definitionSchema>;
export type Layout = Definition['layout'];
export type FieldFormat = z.output<typeof fieldFormat>;
export type Timestamp = z.output<typeof timestamp>;
export type Test = Pick<z.output<typeof skipRule>, 'field' | (typeof TESTS)[number]>;
export type ValueSource = z.output<typeof valueSource>;
export type OneSource = z.output<typeof oneSource>;
export type FieldRef = z.output<typeof fieldRef>;

// --- checks across keys --------------------------------------------------------------------------------

type Ctx = z.RefinementCtx;
type Path = (string | number)[];

function problem(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: 'custom', path, message });
}

/** The field names a layout defines, or null when the layout itself is broken. */
export function layoutFields(layout: Layout): string[] | null {
  switch (layout.kind) {
    case 'fixed':
      return Object.keys(layout.fields);
    case 'delimited':
      return layout.columns.filter((c) => c !== '-');
    case 'regex': {
      const re = compileRegex(layout.pattern, layout.ignoreCase ? 'i' : '');
      if (typeof re === 'string') return null;
      // Matching the empty alternative lists every named group, matched or not.
      return Object.keys(new RegExp(`${re.source}|`, re.flags).exec('')?.groups ?? {});
    }
  }
}

export function compileRegex(source: string, flags = ''): RegExp | string {
  try {
    return new RegExp(source, flags);
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
}

function checkLayout(layout: Layout, ctx: Ctx): void {
  if (layout.kind === 'fixed') {
    for (const [name, [start, end]] of Object.entries(layout.fields)) {
      if (end <= start) problem(ctx, ['layout', 'fields', name], `end ${end} must be after start ${start} ([start, end) columns, 0-based)`);
    }
    if (Object.keys(layout.fields).length === 0) problem(ctx, ['layout', 'fields'], 'define at least one field');
  } else if (layout.kind === 'delimited') {
    const seen = new Set<string>();
    layout.columns.forEach((c, i) => {
      if (c !== '-' && seen.has(c)) problem(ctx, ['layout', 'columns', i], `column name "${c}" is used twice`);
      seen.add(c);
    });
  } else {
    const re = compileRegex(layout.pattern, layout.ignoreCase ? 'i' : '');
    if (typeof re === 'string') {
      problem(ctx, ['layout', 'pattern'], re);
      return;
    }
    const groups = layoutFields(layout) ?? [];
    if (groups.length === 0) problem(ctx, ['layout', 'pattern'], 'has no named groups (?<name>…): the groups are the fields');
    if (layout.template !== undefined) {
      for (const m of layout.template.matchAll(/\{([^}]*)\}/g)) {
        if (!groups.includes(m[1]!)) problem(ctx, ['layout', 'template'], `{${m[1]}} is not a named group of the pattern`);
      }
    }
  }
}

function checkTimestamp(ts: Timestamp | undefined, key: 'start' | 'end', ctx: Ctx, ref: (name: string, path: Path) => void): boolean {
  if (!ts) return false;
  const parts: [FieldFormat, Path][] = 'field' in ts ? [[ts, [key]]] : [[ts.date, [key, 'date']], [ts.time, [key, 'time']]];
  const has = { month: false, day: false, hour: false, minute: false };
  let ok = true;
  for (const [f, path] of parts) {
    ref(f.field, [...path, 'field']);
    if (f.format === 'epoch') {
      if (parts.length > 1) problem(ctx, [...path, 'format'], 'epoch is a whole timestamp: give it as { field, format: epoch }');
      else Object.assign(has, { month: true, day: true, hour: true, minute: true });
      continue;
    }
    const p = compileDatePattern(f.format);
    if (typeof p === 'string') {
      problem(ctx, [...path, 'format'], `"${f.format}" ${p}`);
      ok = false;
      continue;
    }
    if (p.has.month) has.month = true;
    if (p.has.day) has.day = true;
    if (p.has.hour) has.hour = true;
    if (p.has.minute) has.minute = true;
  }
  const missing = Object.entries(has).filter(([, v]) => !v).map(([k]) => k);
  if (ok && missing.length > 0) problem(ctx, [key], `the ${key} time has no ${missing.join(', ')} (tokens MM DD HH mm; the year may be left out)`);
  return true;
}

function checkTest(rule: Test, path: Path, ctx: Ctx, ref: (name: string, path: Path) => void, catchAllAllowed: boolean): void {
  if (rule.field !== undefined) ref(rule.field, [...path, 'field']);
  const given = TESTS.filter((t) => rule[t] !== undefined);
  if (given.length > 1) problem(ctx, path, `give one test, not ${given.join(' and ')}`);
  if (given.length === 0 && !catchAllAllowed) problem(ctx, path, `give a test: one of ${TESTS.join(', ')}`);
  if (rule.matches !== undefined) {
    const re = compileRegex(rule.matches);
    if (typeof re === 'string') problem(ctx, [...path, 'matches'], re);
  }
}

function checkSource(source: ValueSource | OneSource, path: Path, ref: (name: string, path: Path) => void): void {
  if (source === null) return;
  if (typeof source === 'string') return ref(source, path);
  if ('field' in source) return ref(source.field, [...path, 'field']);
  for (const [direction, one] of Object.entries(source)) checkSource(one as OneSource, [...path, direction], ref);
}

function crossCheck(def: Definition, ctx: Ctx): void {
  checkLayout(def.layout, ctx);
  const fields = layoutFields(def.layout);
  const known = new Set(fields ?? []);
  const ref = (name: string, path: Path): void => {
    if (fields !== null && !known.has(name)) {
      problem(ctx, path, `"${name}" is not a field of the layout (fields: ${[...known].join(', ') || 'none'})`);
    }
  };

  const hasStart = checkTimestamp(def.start, 'start', ctx, ref);
  const hasEnd = checkTimestamp(def.end, 'end', ctx, ref);
  if (!hasStart && !hasEnd) problem(ctx, ['start'], 'give start or end (or both): when the call began or ended');

  for (const [role, f] of Object.entries(def.durations)) {
    if (!f) continue;
    ref(f.field, ['durations', role, 'field']);
    const p = compileDurationPattern(f.format);
    if (typeof p === 'string') problem(ctx, ['durations', role, 'format'], `"${f.format}" ${p}`);
  }
  if (hasEnd && !hasStart && !def.durations.total && !(def.durations.talk && def.durations.ring)) {
    problem(ctx, ['durations'], 'with only an end time, give durations.total (or talk and ring) to find the start');
  }

  def.skip.forEach((r, i) => checkTest(r, ['skip', i], ctx, ref, false));
  def.require.forEach((r, i) => checkTest(r, ['require', i], ctx, ref, false));
  def.direction.forEach((r, i) => checkTest(r, ['direction', i], ctx, ref, true));
  def.disposition.forEach((r, i) => checkTest(r, ['disposition', i], ctx, ref, true));

  for (const [target, source] of Object.entries(def.call)) {
    if (source !== undefined) checkSource(source, ['call', target], ref);
  }
  for (const [key, spec] of Object.entries(def.extra)) ref(typeof spec === 'string' ? spec : spec.field, ['extra', key]);
  for (const name of Object.keys(def.render.defaults)) ref(name, ['render', 'defaults', name]);

  if (def.dedupe === 'call-id' && def.call.callId === undefined) {
    problem(ctx, ['dedupe'], 'call-id dedupe needs call.callId: the field holding the vendor call id');
  }
}
