import { emptyCall, type Call, type CallEvent, type Direction } from '../../core/call.js';
import { digitsAt } from '../../core/digits.js';
import { epochOfIso, isoInZone, readStamp, toIso, ZoneClock, type ZonedInstant } from '../../core/time.js';
import type { Assembler, Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// Avaya IP Office SMDR: CSV without a header, CR LF, pushed over TCP. 30 fields; R11 and later
// append 5 more (server IPs, unique call ids, the time the record was written).
//
// One call can be several records (transfers, voicemail, call splitting for diverts): every record
// of a call carries the same CallID and the same CallStart, and Continuation = 1 says more records
// of this call follow. So each record is a CallEvent (callRef = CallID) and the assembler completes
// the call at the record with Continuation = 0, adding up the connected, hold and park times.
// CallIDs are reused later for other calls: the assembler never keys on the id alone — a record
// with an open CallID but a different CallStart starts a new call — and the store's key is
// switch + CallID + start.

export const FIELDS = [
  'CallStart',
  'ConnectedTime',
  'RingTime',
  'Caller',
  'Direction',
  'CalledNumber',
  'DialledNumber',
  'Account',
  'IsInternal',
  'CallID',
  'Continuation',
  'Party1Device',
  'Party1Name',
  'Party2Device',
  'Party2Name',
  'HoldTime',
  'ParkTime',
  'AuthValid',
  'AuthCode',
  'UserCharged',
  'CallCharge',
  'Currency',
  'AmountAtLastUserChange',
  'CallUnits',
  'UnitsAtLastUserChange',
  'CostPerUnit',
  'MarkUp',
  'ExternalTargetingCause',
  'ExternalTargeterId',
  'ExternalTargetedNumber',
  // R11+
  'CallingPartyServerIP',
  'UniqueCallIDCaller',
  'CalledPartyServerIP',
  'UniqueCallIDCalled',
  'SMDRRecordTime',
] as const;
const BASE_FIELDS = 30;
const R11_FIELDS = 35;

const F = Object.fromEntries(FIELDS.map((name, i) => [name, i])) as Record<(typeof FIELDS)[number], number>;

/** Event names: a record with more to follow, and the last record of a call. */
export const SEGMENT = 'SEGMENT';
export const LAST_SEGMENT = 'LAST_SEGMENT';

type Data = CallEvent['data'];

// ---------------------------------------------------------------------------------------------
// Small field readers (charCode based: this runs for every record).

/** The number written by `len` digits at `at`, or -1. */


function stampError(field: string, text: string, t: null | 'invalid'): string {
  return t === null ? `${field} "${text}" is not YYYY/MM/DD hh:mm:ss` : `${field} "${text}" is not a real date and time`;
}

/** A whole number of seconds, or -1. */
function uint(s: string): number {
  if (s.length === 0 || s.length > 9) return -1;
  return digitsAt(s, 0, s.length);
}

/** `h…h:mm:ss` (hours may exceed 99 on very long calls) → seconds, or -1. */
function hms(s: string): number {
  const n = s.length;
  if (n < 7 || s.charCodeAt(n - 3) !== 58 || s.charCodeAt(n - 6) !== 58) return -1;
  const h = n - 6 > 9 ? -1 : digitsAt(s, 0, n - 6);
  const m = digitsAt(s, n - 5, 2);
  const sec = digitsAt(s, n - 2, 2);
  if (h < 0 || m < 0 || sec < 0 || m > 59 || sec > 59) return -1;
  return h * 3600 + m * 60 + sec;
}

/** The field, trimmed, or null when empty. Fields are rarely padded, so trim only when needed. */
function orNull(s: string | undefined): string | null {
  if (s === undefined || s === '') return null;
  if (s.charCodeAt(0) > 32 && s.charCodeAt(s.length - 1) > 32) return s;
  const t = s.trim();
  return t === '' ? null : t;
}

function money(s: string | undefined): number | null {
  const t = orNull(s);
  if (t === null) return null;
  const n = decimal(t);
  return Number.isFinite(n) ? n : null;
}

const POWERS_OF_TEN = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 1e10, 1e11, 1e12, 1e13, 1e14];

/**
 * Number(t), reading the usual `123` and `123.45` by charCode. Up to 14 digits the integer of all
 * digits is exact, and dividing it by an exact power of ten rounds as Number does.
 */
function decimal(t: string): number {
  if (t.length <= 15) {
    const dot = t.indexOf('.');
    if (dot === -1) {
      const n = digitsAt(t, 0, t.length);
      if (n >= 0) return n;
    } else if (dot > 0 && dot < t.length - 1) {
      const whole = digitsAt(t, 0, dot);
      const fraction = digitsAt(t, dot + 1, t.length - dot - 1);
      if (whole >= 0 && fraction >= 0) {
        const scale = POWERS_OF_TEN[t.length - dot - 1]!;
        return (whole * scale + fraction) / scale;
      }
    }
  }
  return Number(t);
}

/** A required field, trimmed ('' when empty). */
function field(s: string): string {
  return s === '' || (s.charCodeAt(0) > 32 && s.charCodeAt(s.length - 1) > 32) ? s : s.trim();
}

// ---------------------------------------------------------------------------------------------
// Time.

/** Local time text → ISO with offset, keeping the last one (a call's records share their CallStart). */
class Stamps {
  private lastText = '';
  private lastIso = '';
  /** Why the last `iso` call returned null. */
  error = '';

  constructor(readonly clock: ZoneClock) {}

  /** The ISO time, or null with the reason the text is not one in `error`. */
  iso(field: string, text: string): string | null {
    if (text === this.lastText) return this.lastIso;
    const at = this.plain(text) ?? this.checked(field, text);
    if (at === null) return null;
    this.lastText = text;
    this.lastIso = toIso(at.epochMs, at.offsetMinutes);
    return this.lastIso;
  }

  /** The usual case without building a LocalTime: the right shape, day 1 to 28 and a valid time; else null. */
  private plain(s: string): ZonedInstant | null {
    if (s.length !== 19 || s.charCodeAt(4) !== 47 || s.charCodeAt(7) !== 47 || s.charCodeAt(10) !== 32 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) {
      return null;
    }
    const year = digitsAt(s, 0, 4);
    const month = digitsAt(s, 5, 2);
    const day = digitsAt(s, 8, 2);
    const hour = digitsAt(s, 11, 2);
    const minute = digitsAt(s, 14, 2);
    const second = digitsAt(s, 17, 2);
    if (year < 0 || !(day >= 1 && day <= 28 && month >= 1 && month <= 12 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59)) {
      return null;
    }
    return this.clock.instant(year, month, day, (hour * 60 + minute) * 60 + second);
  }

  /** Any other text, through parseStamp. */
  private checked(field: string, text: string): ZonedInstant | null {
    const t = readStamp(text, '/');
    if (t === null || t === 'invalid') {
      this.error = stampError(field, text, t);
      return null;
    }
    return this.clock.local(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Parser: one record → one event.

function err(error: string): ParseResult {
  return { kind: 'error', error };
}

function parseRecord(record: string, starts: Stamps, recordTimes: Stamps): ParseResult {
  const f = record.split(',');
  if (f.length !== BASE_FIELDS && f.length !== R11_FIELDS) {
    return err(`expected ${BASE_FIELDS} fields (${R11_FIELDS} from R11), found ${f.length}`);
  }
  const start = starts.iso('CallStart', field(f[F.CallStart]!));
  if (start === null) return err(starts.error);
  const connectedText = field(f[F.ConnectedTime]!);
  const connected = hms(connectedText);
  if (connected < 0) return err(`ConnectedTime "${connectedText}" is not hh:mm:ss`);
  const ringText = field(f[F.RingTime]!);
  const ring = uint(ringText);
  if (ring < 0) return err(`RingTime "${ringText}" is not a whole number of seconds`);
  const direction = field(f[F.Direction]!);
  if (direction !== 'I' && direction !== 'O') return err(`Direction "${direction}" is not I or O`);
  const internal = field(f[F.IsInternal]!);
  if (internal !== '0' && internal !== '1') return err(`IsInternal "${internal}" is not 0 or 1`);
  const callId = field(f[F.CallID]!);
  if (callId === '' || callId.includes(' ')) return err(`CallID "${callId}" is empty or not one word`);
  const continuation = field(f[F.Continuation]!);
  if (continuation !== '0' && continuation !== '1') return err(`Continuation "${continuation}" is not 0 or 1`);
  const holdText = field(f[F.HoldTime]!);
  const hold = holdText === '' ? 0 : uint(holdText);
  if (hold < 0) return err(`HoldTime "${holdText}" is not a whole number of seconds`);
  const parkText = field(f[F.ParkTime]!);
  const park = parkText === '' ? 0 : uint(parkText);
  if (park < 0) return err(`ParkTime "${parkText}" is not a whole number of seconds`);

  let recordTime: string | null = null;
  if (f.length === R11_FIELDS) {
    const text = field(f[F.SMDRRecordTime]!);
    if (text !== '') {
      recordTime = recordTimes.iso('SMDRRecordTime', text);
      if (recordTime === null) return err(recordTimes.error);
    }
  }

  const data: Data = {
    connectedSeconds: connected,
    ringSeconds: ring,
    holdSeconds: hold,
    parkSeconds: park,
    caller: orNull(f[F.Caller]),
    direction,
    calledNumber: orNull(f[F.CalledNumber]),
    dialledNumber: orNull(f[F.DialledNumber]),
    account: orNull(f[F.Account]),
    isInternal: internal === '1' ? 1 : 0,
    continuation: continuation === '1' ? 1 : 0,
    party1Device: orNull(f[F.Party1Device]),
    party1Name: orNull(f[F.Party1Name]),
    party2Device: orNull(f[F.Party2Device]),
    party2Name: orNull(f[F.Party2Name]),
    authValid: orNull(f[F.AuthValid]),
    authCode: orNull(f[F.AuthCode]),
    userCharged: orNull(f[F.UserCharged]),
    callCharge: money(f[F.CallCharge]),
    currency: orNull(f[F.Currency]),
    amountAtLastUserChange: money(f[F.AmountAtLastUserChange]),
    callUnits: money(f[F.CallUnits]),
    unitsAtLastUserChange: money(f[F.UnitsAtLastUserChange]),
    costPerUnit: money(f[F.CostPerUnit]),
    markUp: money(f[F.MarkUp]),
    externalTargetingCause: orNull(f[F.ExternalTargetingCause]),
    externalTargeterId: orNull(f[F.ExternalTargeterId]),
    externalTargetedNumber: orNull(f[F.ExternalTargetedNumber]),
    callingPartyServerIp: orNull(f[F.CallingPartyServerIP]),
    uniqueCallIdCaller: orNull(f[F.UniqueCallIDCaller]),
    calledPartyServerIp: orNull(f[F.CalledPartyServerIP]),
    uniqueCallIdCalled: orNull(f[F.UniqueCallIDCalled]),
    smdrRecordTime: recordTime,
  };
  return {
    kind: 'event',
    event: {
      format: 'avaya-ipo',
      callRef: callId,
      event: continuation === '1' ? SEGMENT : LAST_SEGMENT,
      occurredAt: start,
      data,
      raw: record,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Assembler: the records of one call → one Call.

// Event data read back with named properties (fast, monomorphic loads).
function num(v: string | number | null | undefined): number {
  return typeof v === 'number' ? v : 0;
}

function str(v: string | number | null | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

/** E4750 → 4750 (an extension); other devices (V9502 voicemail, H… hunt group, U… …) as written. */
function partyId(device: string): string {
  return device[0] === 'E' ? device.slice(1) : device;
}

/** The party of a record that is neither a trunk nor the calling extension: who took the call. */
function otherInternalParty(d: Data): string | null {
  const callerDevice = 'E' + (str(d.caller) ?? '');
  for (const device of [str(d.party1Device), str(d.party2Device)]) {
    if (device && device[0] !== 'T' && device !== callerDevice) return partyId(device);
  }
  return null;
}

function directionOf(d: Data): Direction {
  if (num(d.isInternal) === 1) return 'internal';
  return str(d.direction) === 'I' ? 'inbound' : 'outbound';
}



function put(extra: Call['extra'], key: string, value: string | number | boolean | null): void {
  if (value !== null) extra[key] = value;
}

/** Builds the call from its records (the last with Continuation 0, unless the stream ended first). */
function buildCall(segments: readonly CallEvent[], clock: ZoneClock): Call {
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  const d0 = first.data;
  const startMs = epochOfIso(first.occurredAt);
  const caller = str(d0.caller);
  const callerDevice = caller === null ? null : 'E' + caller;

  let talk = 0;
  let hold = 0;
  let park = 0;
  let sumDuration = 0;
  let ringBeforeAnswer = 0;
  let answeredSegment: Data | null = null;
  let charge: number | null = null;
  let units: number | null = null;
  let account: string | null = null;
  let currency: string | null = null;
  let trunk: string | null = null;
  let trunkName: string | null = null;
  let callerName: string | null = null;
  let voicemail = false;
  for (const s of segments) {
    const d = s.data;
    const connected = num(d.connectedSeconds);
    const ring = num(d.ringSeconds);
    talk += connected;
    hold += num(d.holdSeconds);
    park += num(d.parkSeconds);
    sumDuration += ring + connected + num(d.holdSeconds) + num(d.parkSeconds);
    if (!answeredSegment) {
      ringBeforeAnswer += ring;
      if (connected > 0) answeredSegment = d;
    }
    if (typeof d.callCharge === 'number') charge = (charge ?? 0) + d.callCharge;
    if (typeof d.callUnits === 'number') units = (units ?? 0) + d.callUnits;
    account ??= str(d.account);
    currency ??= str(d.currency);
    for (const [device, name] of [
      [str(d.party1Device), str(d.party1Name)],
      [str(d.party2Device), str(d.party2Name)],
    ]) {
      if (device === null || device === undefined) continue;
      if (device[0] === 'T' && trunk === null) {
        trunk = device.slice(1);
        trunkName = name ?? null;
      } else if (device[0] === 'V') voicemail = true;
      else if (device === callerDevice) callerName ??= name ?? null;
    }
  }

  // The record time of R11+ is when the last record was written: the real end. Without it the
  // end is start + the summed record times (segments of a transfer can overlap, so this is an
  // upper bound).
  let duration = sumDuration;
  const recordTime = str(last.data.smdrRecordTime);
  if (recordTime) {
    const byClock = Math.round((epochOfIso(recordTime) - startMs) / 1000);
    if (byClock >= talk) duration = byClock;
  }
  const ring = Math.min(ringBeforeAnswer, Math.max(0, duration - talk));

  const call = emptyCall('avaya-ipo', first.occurredAt, segments.length === 1 ? first.raw : segments.map((s) => s.raw).join('\n'));
  call.callId = first.callRef;
  call.direction = directionOf(d0);
  call.ringSeconds = ring;
  call.talkSeconds = talk;
  call.holdSeconds = hold;
  call.durationSeconds = duration;
  call.answeredAt = talk > 0 ? clock.iso(startMs + ring * 1000) : null;
  call.endedAt = clock.iso(startMs + duration * 1000);
  call.disposition = talk > 0 ? 'answered' : 'no_answer';
  call.callerNumber = caller;
  call.callerName = callerName;
  call.dialedNumber = str(d0.dialledNumber);
  call.calledNumber = call.dialedNumber;
  const p1 = str(d0.party1Device);
  const p2 = str(d0.party2Device);
  call.extension = p1?.[0] === 'E' ? p1.slice(1) : p2?.[0] === 'E' ? p2.slice(1) : null;
  call.trunk = trunk;
  call.accountCode = account;
  call.answeredBy = answeredSegment ? otherInternalParty(answeredSegment) : null;
  if (segments.length > 1) {
    const lastParty = str(last.data.party1Device);
    const target = otherInternalParty(last.data) ?? (lastParty ? partyId(lastParty) : null);
    call.transferredTo = target !== null && target !== call.extension ? target : null;
  }

  const x = call.extra;
  const dl = last.data;
  x.records = segments.length;
  put(x, 'calledNumber', str(d0.calledNumber));
  put(x, 'party1Device', p1);
  put(x, 'party1Name', str(d0.party1Name));
  put(x, 'party2Device', p2);
  put(x, 'party2Name', str(d0.party2Name));
  put(x, 'trunkName', trunkName);
  put(x, 'parkSeconds', park > 0 ? park : null);
  put(x, 'voicemail', voicemail ? true : null);
  put(x, 'authValid', str(dl.authValid));
  put(x, 'authCode', str(dl.authCode));
  put(x, 'userCharged', str(dl.userCharged));
  put(x, 'callCharge', charge);
  put(x, 'currency', currency);
  put(x, 'callUnits', units);
  put(x, 'costPerUnit', typeof dl.costPerUnit === 'number' ? dl.costPerUnit : null);
  put(x, 'markUp', typeof dl.markUp === 'number' ? dl.markUp : null);
  put(x, 'externalTargetingCause', str(dl.externalTargetingCause));
  put(x, 'externalTargeterId', str(dl.externalTargeterId));
  put(x, 'externalTargetedNumber', str(dl.externalTargetedNumber));
  put(x, 'callingPartyServerIp', str(d0.callingPartyServerIp));
  put(x, 'uniqueCallIdCaller', str(d0.uniqueCallIdCaller));
  put(x, 'calledPartyServerIp', str(d0.calledPartyServerIp));
  put(x, 'uniqueCallIdCalled', str(d0.uniqueCallIdCalled));
  put(x, 'incomplete', num(dl.continuation) === 1 ? true : null);
  return call;
}

class AvayaAssembler implements Assembler {
  /** Records of calls still waiting for their Continuation = 0 record, by CallID. */
  private readonly open = new Map<string, CallEvent[]>();

  constructor(private readonly clock: ZoneClock) {}

  push(event: CallEvent): Call[] {
    if (event.event !== SEGMENT && event.event !== LAST_SEGMENT) return [];
    let segments = this.open.size === 0 ? undefined : this.open.get(event.callRef);
    if (!segments && event.event === LAST_SEGMENT) return [buildCall([event], this.clock)];
    const out: Call[] = [];
    if (segments && segments[0]!.occurredAt !== event.occurredAt) {
      // Same CallID, another start: the earlier call never got its last record.
      out.push(buildCall(segments, this.clock));
      this.open.delete(event.callRef);
      segments = undefined;
    }
    if (event.event === SEGMENT) {
      if (segments) segments.push(event);
      else this.open.set(event.callRef, [event]);
      return out;
    }
    this.open.delete(event.callRef);
    out.push(buildCall(segments ? [...segments, event] : [event], this.clock));
    return out;
  }

  flush(): Call[] {
    const calls = [...this.open.values()].map((segments) => buildCall(segments, this.clock));
    this.open.clear();
    return calls;
  }
}

// ---------------------------------------------------------------------------------------------
// Detection and rendering.

function looksLikeRecord(line: string): boolean {
  const f = line.split(',');
  if (f.length !== BASE_FIELDS && f.length !== R11_FIELDS) return false;
  const start = readStamp(field(f[F.CallStart]!), '/');
  return (
    start !== null &&
    hms(field(f[F.ConnectedTime]!)) >= 0 &&
    /^[IO]$/.test(field(f[F.Direction]!)) &&
    /^[01]$/.test(field(f[F.IsInternal]!)) &&
    /^[01]$/.test(field(f[F.Continuation]!))
  );
}

function detect(sample: readonly string[]): number {
  if (sample.length === 0) return 0;
  let hits = 0;
  for (const line of sample) if (looksLikeRecord(line)) hits++;
  return (0.95 * hits) / sample.length;
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function stamp(epochMs: number, timeZone: string): string {
  const iso = isoInZone(epochMs, timeZone);
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}

function duration(seconds: number): string {
  return `${pad2(Math.floor(seconds / 3600))}:${pad2(Math.floor(seconds / 60) % 60)}:${pad2(seconds % 60)}`;
}

/** IP Office prints names as they are; a comma would break its CSV, so the simulator avoids one. */
function name(s: string): string {
  return s.replace(/,/g, ' ');
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const talk = sim.answered ? sim.talkSeconds : 0;
  const callId = String(1000000000 + sim.index);
  const line = `T${9001 + (Number(sim.trunk) % 4)}`;
  const lineName = `Line ${Number(sim.trunk)}.1`;
  const extName = name(sim.callerName) || `Extn${sim.extension}`;
  const [caller, direction, called, internal, party2, party2Name] =
    sim.direction === 'inbound'
      ? [sim.externalNumber, 'I', sim.extension, '0', line, lineName]
      : sim.direction === 'outbound'
        ? [sim.extension, 'O', sim.externalNumber, '0', line, lineName]
        : [sim.extension, 'O', sim.externalNumber, '1', `E${sim.externalNumber}`, `Extn${sim.externalNumber}`];
  const start = stamp(sim.startedAtMs, ctx.timeZone);
  const record = (connected: number, ring: number, continuation: 0 | 1, party1: string, party1Name: string, endMs: number): string =>
    [
      start,
      duration(connected),
      ring,
      caller,
      direction,
      called,
      called,
      sim.accountCode ?? '',
      internal,
      callId,
      continuation,
      party1,
      party1Name,
      party2,
      party2Name,
      0,
      0,
      '',
      'n/a',
      '',
      '0.00',
      '',
      '0.00',
      0,
      0,
      0,
      '',
      '',
      '',
      '',
      '192.168.42.1',
      String(sim.index * 2 + 1),
      '192.168.42.1',
      String(sim.index * 2 + 2),
      stamp(endMs, ctx.timeZone),
    ].join(',');
  const endMs = sim.startedAtMs + (sim.ringSeconds + talk) * 1000;
  // A long answered call is sometimes transferred: two records sharing the CallID and start.
  if (talk >= 120 && sim.index % 4 === 0 && sim.direction !== 'internal') {
    const firstPart = Math.floor(talk / 2);
    const transferTo = String(Number(sim.extension) + 1);
    return [
      record(firstPart, sim.ringSeconds, 1, `E${sim.extension}`, extName, sim.startedAtMs + (sim.ringSeconds + firstPart) * 1000),
      record(talk - firstPart, 0, 0, `E${transferTo}`, `Extn${transferTo}`, endMs),
    ];
  }
  return [record(talk, sim.ringSeconds, 0, `E${sim.extension}`, extName, endMs)];
}

export const avayaIpo: Format = {
  id: 'avaya-ipo',
  name: 'Avaya IP Office SMDR',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const clock = new ZoneClock(ctx.timeZone);
    const starts = new Stamps(clock);
    const recordTimes = new Stamps(clock);
    return (record) => parseRecord(record, starts, recordTimes);
  },
  createAssembler: (ctx) => new AvayaAssembler(new ZoneClock(ctx.timeZone)),
  render,
};
