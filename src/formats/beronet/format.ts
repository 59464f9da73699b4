import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { causeCodeByName, dispositionFromCause } from '../../core/hangup-causes.js';
import { readDigits } from '../../core/digits.js';
import { isValidLocal, isoInZone, notBefore, toIso, ZoneClock, type ZonedInstant } from '../../core/time.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// beroNet gateway CDR lines, one call per line:
//
//   CDR,<id>,<source interface>,<destination interface>,<in caller>,<in called>,<out caller>,
//       <out called>,<start>,<end>,<connect>,<disconnect>,<side>,<cause>,-,-
//
// The caller/called pair appears twice: as received on the incoming interface and as sent on the
// outgoing one, each a SIP URI (`"Name" <sip:201@10.0.0.5;user=phone>`) or a plain number; we keep
// the user part. Times are `yy/mm/dd-hh:mm:ss` in the gateway's clock. A call that was never
// connected may come with one time field fewer (15 fields): the connect time is the one missing.
// An empty or `-` time field is missing too.
//
// Times: start = the call arrived, end = it was released, connect = answered, disconnect = the
// connected phase ended. talk = disconnect (or end) − connect; duration = end − start.
//
// Direction: a gateway sits between a PBX and the outside network, and which side is which is a
// property of the installation. By default the SIP side is the (IP) PBX and the FXS ports are its
// extensions; ISDN, GSM/UMTS/LTE and FXO interfaces are the network. PBX → network is outbound,
// network → PBX inbound, PBX → PBX internal, anything else unknown. `createBeronetFormat(
// { pbxInterfaces: ['isdn'] })` builds the format for an installation where other interfaces
// (matched by type like `isdn` or by full name like `isdn:2`) face the PBX.

export interface BeronetOptions {
  /** Interface types (`sip`, `isdn`, `fxs` …) or full interface names facing the PBX; all others face the network. */
  pbxInterfaces?: readonly string[];
}

const FIELD_COUNT = 16;
const SHORT_FIELD_COUNT = 15;
const F = { id: 1, source: 2, destination: 3, inCaller: 4, inCalled: 5, outCaller: 6, outCalled: 7, firstTime: 8 };

const PBX_TYPES = new Set(['sip', 'fxs']);
const NETWORK_TYPES = new Set(['isdn', 'bri', 'pri', 'e1', 't1', 'gsm', 'umts', 'lte', 'mobile', 'fxo', 'pstn', 'pots']);

type Side = 'pbx' | 'network' | 'unknown';

/** The interface's type: its leading letters, lower-cased (`ISDN:1` → `isdn`, `gsm2` → `gsm`). */
function interfaceType(name: string): string {
  let i = 0;
  while (i < name.length) {
    const c = name.charCodeAt(i) | 0x20;
    if (c < 97 || c > 122) break;
    i++;
  }
  return name.slice(0, i).toLowerCase();
}

function sideClassifier(options: BeronetOptions): (name: string) => Side {
  if (options.pbxInterfaces) {
    const pbx = new Set(options.pbxInterfaces.map((s) => s.toLowerCase()));
    return (name) => (pbx.has(name.toLowerCase()) || pbx.has(interfaceType(name)) ? 'pbx' : 'network');
  }
  return (name) => {
    const type = interfaceType(name);
    return PBX_TYPES.has(type) ? 'pbx' : NETWORK_TYPES.has(type) ? 'network' : 'unknown';
  };
}

function directionOf(source: Side, destination: Side): Direction {
  if (source === 'pbx') return destination === 'network' ? 'outbound' : destination === 'pbx' ? 'internal' : 'unknown';
  if (source === 'network' && destination === 'pbx') return 'inbound';
  return 'unknown';
}

// ---------------------------------------------------------------------------------------------

/** Digits with an optional leading +, * and #: a number as written, nothing to extract. */
function isPlainNumber(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = s.charCodeAt(0) === 43 ? 1 : 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 48 || c > 57) && c !== 42 && c !== 35) return false;
  }
  return true;
}

/** The field without surrounding blanks; fields are rarely padded, so trim only when needed. */
function clean(s: string): string {
  return s === '' || (s.charCodeAt(0) > 32 && s.charCodeAt(s.length - 1) > 32) ? s : s.trim();
}

export interface Party {
  number: string | null;
  name: string | null;
}

/**
 * The number (user part) and display name of a SIP URI or a plain number:
 * `"Zoë" <sip:+4930123@host;user=phone>` → +4930123 / Zoë; `sip:201@10.0.0.1` → 201; `tel:+4930` → +4930.
 */
export function partyOf(text: string): Party {
  if (isPlainNumber(text)) return { number: text, name: null };
  let s = trim(text);
  if (s === '' || s === '-') return { number: null, name: null };
  let name: string | null = null;
  const lt = s.indexOf('<');
  if (lt !== -1) {
    const display = lt === 0 ? '' : s.slice(0, lt).trim();
    if (display !== '') name = unquote(display).trim() || null;
    const gt = s.indexOf('>', lt);
    s = trim(s.slice(lt + 1, gt === -1 ? undefined : gt));
  } else if (s.length >= 2 && s[0] === '"' && s[s.length - 1] === '"') s = s.slice(1, -1).trim();
  const colon = s.indexOf(':');
  if (colon !== -1 && isUriScheme(s, colon)) s = s.slice(colon + 1);
  const at = s.indexOf('@');
  if (at !== -1) s = s.slice(0, at);
  const semi = s.indexOf(';');
  if (semi !== -1) s = s.slice(0, semi);
  s = trim(s);
  // Only ASCII letters lower-case to the letters of "anonymous", so it has 9 characters.
  return { number: s === '' || (s.length === 9 && s.toLowerCase() === 'anonymous') ? null : s, name };
}

/** display.replace(/^"(.*)"$/, '$1') without the regex: the quotes go unless a line break is between them. */
function unquote(display: string): string {
  const last = display.length - 1;
  if (last < 1 || display.charCodeAt(0) !== 34 || display.charCodeAt(last) !== 34) return display;
  for (let i = 1; i < last; i++) {
    const c = display.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return display;
  }
  return display.slice(1, last);
}

/** s.trim(), without the call when both ends are visible ASCII (the usual case). */
function trim(s: string): string {
  if (s === '') return s;
  const a = s.charCodeAt(0);
  const b = s.charCodeAt(s.length - 1);
  return a > 32 && a < 127 && b > 32 && b < 127 ? s : s.trim();
}

/** Whether s[0:colon] is sip, sips or tel in any case. */
function isUriScheme(s: string, colon: number): boolean {
  const a = s.charCodeAt(0) | 0x20;
  const b = s.charCodeAt(1) | 0x20;
  const c = s.charCodeAt(2) | 0x20;
  if (colon === 3) return (a === 115 && b === 105 && c === 112) || (a === 116 && b === 101 && c === 108);
  return colon === 4 && a === 115 && b === 105 && c === 112 && (s.charCodeAt(3) | 0x20) === 115;
}

/** `yy/mm/dd-hh:mm:ss` → epoch and offset; null when the field is empty; a string when it is junk. */
function parseTime(field: string, label: string, clock: ZoneClock): ZonedInstant | null | string {
  const s = clean(field);
  if (s === '' || s === '-') return null;
  if (s.length !== 17 || s[2] !== '/' || s[5] !== '/' || s[8] !== '-' || s[11] !== ':' || s[14] !== ':') {
    return `${label} time "${s}" is not yy/mm/dd-hh:mm:ss`;
  }
  const yy = two(s, 0);
  const month = two(s, 3);
  const day = two(s, 6);
  const hour = two(s, 9);
  const minute = two(s, 12);
  const second = two(s, 15);
  if (yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) {
    return `${label} time "${s}" is not yy/mm/dd-hh:mm:ss`;
  }
  const year = 2000 + yy;
  // isValidLocal builds a Date to learn the month's length; every month has days 1 to 28.
  const plain = day >= 1 && day <= 28 && month >= 1 && month <= 12 && hour <= 23 && minute <= 59 && second <= 59;
  if (!plain && !isValidLocal({ year, month, day, hour, minute, second })) return `${label} time "${s}" is not a real date and time`;
  return clock.instant(year, month, day, (hour * 60 + minute) * 60 + second);
}

/** The two digits at `at` as a number, or -1. */
function two(s: string, at: number): number {
  const a = s.charCodeAt(at) - 48;
  const b = s.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function parseCause(field: string): number | null | string {
  const s = clean(field);
  if (s === '' || s === '-') return null;
  if (s.length <= 3) {
    const code = readDigits(s, 0, s.length);
    if (code >= 0) return code;
  }
  return causeCodeByName(s) ?? `cause "${s}" is neither a Q.850 code nor a cause name`;
}

/**
 * Splits at the commas outside double quotes, keeping the quotes: a party can be a SIP header value
 * such as `"Doe, John" <sip:201@host>`, which is not RFC 4180 quoting.
 */
export function splitFields(line: string): string[] | string {
  const pieces = line.split(',');
  if (line.indexOf('"') === -1) return pieces;
  // The native split, then pieces whose quotes are unbalanced are joined with the ones after them
  // (the comma was inside quotes). Quotes are rare, so most pieces need one indexOf.
  const fields: string[] = [];
  let open: string | null = null;
  for (const piece of pieces) {
    const odd = piece.indexOf('"') !== -1 && quoteCount(piece) % 2 === 1;
    if (open !== null) {
      open += ',' + piece;
      if (odd) {
        fields.push(open);
        open = null;
      }
    } else if (odd) open = piece;
    else fields.push(piece);
  }
  if (open !== null) return `unbalanced quote in field ${fields.length + 1}`;
  return fields;
}

function quoteCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n;
}

function orNull(s: string): string | null {
  const t = s.trim();
  return t === '' || t === '-' ? null : t;
}

function put(extra: Call['extra'], key: string, value: string | null): void {
  if (value !== null) extra[key] = value;
}

function err(error: string): ParseResult {
  return { kind: 'error', error };
}

function parseLine(line: string, clock: ZoneClock, sideOf: (name: string) => Side): ParseResult {
  if (!line.startsWith('CDR,')) {
    return err(line.trim() === '' ? 'empty line' : 'not a CDR line: it does not start with "CDR,"');
  }
  const f = splitFields(line.trimEnd());
  if (typeof f === 'string') return err(f);
  if (f.length !== FIELD_COUNT && f.length !== SHORT_FIELD_COUNT) {
    return err(`expected ${FIELD_COUNT} fields (${SHORT_FIELD_COUNT} with a missing time), found ${f.length}`);
  }
  const id = clean(f[F.id]!);
  if (id === '') return err('id is empty');
  const source = clean(f[F.source]!);
  const destination = clean(f[F.destination]!);
  if (source === '') return err('source interface is empty');
  if (destination === '') return err('destination interface is empty');

  // With 15 fields the connect time is the one left out.
  const short = f.length === SHORT_FIELD_COUNT;
  const t0 = F.firstTime;
  const start = parseTime(f[t0]!, 'start', clock);
  if (typeof start === 'string') return err(start);
  let end = parseTime(f[t0 + 1]!, 'end', clock);
  if (typeof end === 'string') return err(end);
  let connect = short ? null : parseTime(f[t0 + 2]!, 'connect', clock);
  if (typeof connect === 'string') return err(connect);
  let disconnect = parseTime(f[short ? t0 + 2 : t0 + 3]!, 'disconnect', clock);
  if (typeof disconnect === 'string') return err(disconnect);
  if (start === null) return err('start time is missing');
  const after = short ? t0 + 3 : t0 + 4;
  const side = orNull(f[after]!);
  const cause = parseCause(f[after + 1]!);
  if (typeof cause === 'string') return err(cause);

  const startMs = start.epochMs;
  // A time in the hour repeated when clocks go back is read as its first occurrence; a later time
  // of the call that then falls before the start is the second occurrence.
  const tz = clock.timeZone;
  end = notBefore(end, startMs, tz);
  connect = notBefore(connect, startMs, tz);
  disconnect = notBefore(disconnect, connect?.epochMs ?? startMs, tz);
  const endAt = end ?? disconnect;
  const hangupAt = disconnect ?? end;
  if (endAt && endAt.epochMs < startMs) return err('end time is before the start time');
  if (connect && connect.epochMs < startMs) return err('connect time is before the start time');
  if (connect && hangupAt && hangupAt.epochMs < connect.epochMs) return err('disconnect time is before the connect time');

  const endMs = endAt ? Math.max(endAt.epochMs, (hangupAt ?? endAt).epochMs) : (connect?.epochMs ?? startMs);
  const talk = connect ? Math.round(((hangupAt?.epochMs ?? endMs) - connect.epochMs) / 1000) : 0;
  const total = Math.round((endMs - startMs) / 1000);

  const inCaller = partyOf(f[F.inCaller]!);
  const inCalled = partyOf(f[F.inCalled]!);
  const outCaller = partyOf(f[F.outCaller]!);
  const outCalled = partyOf(f[F.outCalled]!);
  const sourceSide = sideOf(source);
  const destinationSide = sideOf(destination);
  const direction = directionOf(sourceSide, destinationSide);

  const call: Call = emptyCall('beronet', toIso(startMs, start.offsetMinutes), line);
  call.callId = id;
  call.direction = direction;
  call.answeredAt = connect ? clock.iso(connect.epochMs) : null;
  call.endedAt = endAt ? clock.iso(endMs) : null;
  call.ringSeconds = Math.round(((connect?.epochMs ?? endMs) - startMs) / 1000);
  call.talkSeconds = talk;
  call.durationSeconds = total;
  call.hangupCause = cause;
  call.disposition = connect ? 'answered' : dispositionFromCause(cause, 0);
  call.callerNumber = inCaller.number;
  call.callerName = inCaller.name ?? outCaller.name;
  // Inbound: the number the caller dialled arrives from the network; the PBX gets the out side.
  // Outbound: what the gateway sent to the network is what the carrier connects (and charges).
  call.dialedNumber = direction === 'outbound' ? (outCalled.number ?? inCalled.number) : (inCalled.number ?? outCalled.number);
  call.calledNumber = call.dialedNumber;
  call.extension =
    direction === 'inbound' ? (outCalled.number ?? inCalled.number) : direction === 'outbound' || direction === 'internal' ? inCaller.number : null;
  call.trunk = sourceSide === 'network' ? source : destinationSide === 'network' ? destination : null;
  const x = call.extra;
  x.sourceInterface = source;
  x.destinationInterface = destination;
  put(x, 'inCaller', inCaller.number);
  put(x, 'inCalled', inCalled.number);
  put(x, 'outCaller', outCaller.number);
  put(x, 'outCalled', outCalled.number);
  put(x, 'hangupSide', side);
  put(x, 'missingTimeField', short ? 'connect' : null);
  return { kind: 'call', call };
}

// ---------------------------------------------------------------------------------------------

const TIME_RE = /^\d{2}\/\d{2}\/\d{2}-\d{2}:\d{2}:\d{2}$/;

function detect(sample: readonly string[]): number {
  if (sample.length === 0) return 0;
  let hits = 0;
  for (const line of sample) {
    if (!line.startsWith('CDR,')) continue;
    const f = splitFields(line.trimEnd());
    if (typeof f === 'string') continue;
    if ((f.length === FIELD_COUNT || f.length === SHORT_FIELD_COUNT) && TIME_RE.test(f[F.firstTime]!.trim())) hits++;
  }
  return (0.95 * hits) / sample.length;
}

function stamp(epochMs: number, timeZone: string): string {
  const iso = isoInZone(epochMs, timeZone);
  return `${iso.slice(2, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}-${iso.slice(11, 19)}`;
}

const PBX_HOST = '192.168.0.10';
const GATEWAY_HOST = '192.168.0.2';

function sipUri(number: string, name: string, host: string): string {
  const uri = `<sip:${number}@${host}>`;
  return name && !/[",<>]/.test(name) ? `"${name}" ${uri}` : uri;
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const talk = sim.answered ? sim.talkSeconds : 0;
  const startMs = sim.startedAtMs;
  const connectMs = startMs + sim.ringSeconds * 1000;
  const endMs = sim.answered ? connectMs + talk * 1000 : connectMs;
  const port = `isdn:${1 + (Number(sim.trunk) % 2)}`;
  let fields: string[];
  if (sim.direction === 'inbound') {
    fields = [port, 'sip:1', sim.externalNumber, sim.extension, sipUri(sim.externalNumber, '', PBX_HOST), sipUri(sim.extension, '', PBX_HOST)];
  } else if (sim.direction === 'outbound') {
    fields = [
      'sip:1',
      port,
      sipUri(sim.extension, sim.callerName, GATEWAY_HOST),
      `sip:${sim.externalNumber}@${GATEWAY_HOST}`,
      sim.extension,
      sim.externalNumber,
    ];
  } else {
    fields = ['sip:1', `fxs:${1 + (Number(sim.extension) % 4)}`, sipUri(sim.extension, sim.callerName, GATEWAY_HOST), `sip:${sim.externalNumber}@${GATEWAY_HOST}`, sim.extension, sim.externalNumber];
  }
  const times = sim.answered
    ? [stamp(startMs, ctx.timeZone), stamp(endMs, ctx.timeZone), stamp(connectMs, ctx.timeZone), stamp(endMs, ctx.timeZone)]
    : [stamp(startMs, ctx.timeZone), stamp(endMs, ctx.timeZone), stamp(endMs, ctx.timeZone)];
  const cause = sim.answered ? 16 : sim.index % 3 === 0 ? 17 : 19;
  const side = sim.answered && sim.index % 2 === 0 ? 'in' : 'out';
  return [['CDR', String(40000 + sim.index), ...fields, ...times, side, String(cause), '-', '-'].join(',')];
}

export function createBeronetFormat(options: BeronetOptions = {}): Format {
  const sideOf = sideClassifier(options);
  return {
    id: 'beronet',
    name: 'beroNet gateway CDR',
    framing: { kind: 'lines' },
    dedupe: 'call-id',
    detect,
    createParser: (ctx) => {
      const clock = new ZoneClock(ctx.timeZone);
      // A gateway has a handful of interfaces: classify each name once per stream.
      const sides = new Map<string, Side>();
      const cachedSideOf = (name: string): Side => {
        let side = sides.get(name);
        if (side === undefined) {
          if (sides.size >= 64) sides.clear();
          side = sideOf(name);
          sides.set(name, side);
        }
        return side;
      };
      return (record) => parseLine(record, clock, cachedSideOf);
    },
    render,
  };
}

export const beronet: Format = createBeronetFormat();
