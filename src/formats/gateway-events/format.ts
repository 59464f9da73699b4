import { emptyCall, type Call, type CallEvent, type Direction, type Disposition } from '../../core/call.js';
import { digitsAt } from '../../core/digits.js';
import { epochOfIso, isoInZone, readStamp, toIso, ZoneClock } from '../../core/time.js';
import type { Assembler, Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// VoIP gateway CDR events (seed 003). The seed shows only its server's views; the wire format
// between a gateway (or a relay script) and Calltrail is ours, version 1 (README.md beside this
// file says the same with examples):
//
//   UTF-8 text over TCP or UDP, one record per line (LF or CR LF; a datagram may carry several
//   lines), fields separated by one TAB. Every line starts with the gateway that sent it:
//
//   call event   <gateway> TAB <time> TAB <call-ref> TAB <port> TAB <event> TAB <dialed> TAB <caller-id> TAB <info> TAB <p-port>
//   gateway log  <gateway> TAB <time> TAB <message>
//
//   <gateway>  the gateway's id and MAC joined by "_" (8200_000C2A020082: two gateways may share
//              an id), or the id alone; `???` only on log lines about a peer that never identified itself
//   <time>     yyyy/mm/dd hh:mm:ss, local time of the switch's time zone
//   <call-ref> the gateway's call reference (digits); events of one call share it. It restarts when
//              the gateway reboots, so a call is gateway + call-ref + start time.
//   the rest   the columns of the seed's real-time event view (# = port); trailing empty columns may
//              be left out (5 to 9 fields)
//   <message>  the seed's gateway log text: `Gateway[8200] MAC[…] From [ip:port] FXS(2) FXO(2) ISDN(0)
//              CallRef(74) Time[…] Login!`, `… Re-Login!`, `… Relogin Kickout`, `… Gateway Disconnect`,
//              `… Bad Packet`, `[Logout: 8200] [IP:…] [Size:…]`
//
//   The server's own log view (`<time> TAB <message>`, no gateway column) is accepted too, since
//   the message names the gateway; its event view is not (an event line must name its gateway).
//   Header lines (`Gateway TAB Time TAB Call-Ref …`, the seed's `Time TAB Call-Ref …`, `時間 TAB 事件`) are skipped.
//
// Events (the seed's, and ours marked *):
//   HOOK_OFF        the phone on an FXS port is lifted: a call out begins (or a ringing phone answers)
//   DIAL            digits dialled (dialed column): first the destination, then any overdialled DTMF
//   RING_BACK       the far end rings                      RING*   the phone on our port rings
//   TALK            connected (info: codec, e.g. C(18) M(17))
//   REMOTE_HOOK_ON  the far VoIP end hung up               BUSY*   the far end is busy
//   PSTN_CALL_IN    a call from the PSTN line (FXO port) rings in; caller-id = the PSTN caller id
//   PSTN_HOOK_OFF   the gateway seizes/answers the PSTN line   PSTN_DIAL*  it dials on it (dialed column)
//   PSTN_CONNECTED  the PSTN line is connected (PSTN time runs until PSTN_HOOK_ON)
//   PSTN_HOOK_ON    the PSTN line is released
//   CALL_IN*        a VoIP call from another gateway arrives; caller-id = its number
//   CALL_IN_REJECT* an incoming call is refused (no free port, barred): ends the call
//   HOOK_ON         the call-ref is released: always the last event of a call
//   Other names ([A-Z][A-Z0-9_]*) are kept as events and ignored by the assembler.
//
// The assembler builds one call per gateway + call-ref with the seed's report fields. Notation
// (extra.notation): call in (a VoIP call arrived), call in reject, call out (our phone or PSTN line
// called out over VoIP or the PSTN and got TALK), call out failed (it dialled but never talked),
// hook on/off (lifted and hung up without dialling). Direction is seen from the public network:
// a PSTN caller coming in is inbound, the gateway dialling on a PSTN line is outbound, calls that
// stay between gateways and their phones are internal.
//
// Gateway log lines become events named GATEWAY_LOGIN, GATEWAY_RELOGIN, GATEWAY_KICKOUT,
// GATEWAY_DISCONNECT, GATEWAY_BAD_PACKET, GATEWAY_LOGOUT with callRef `gateway:<gateway>`; the
// assembler ignores them (they stay in the events table).

const FORMAT_ID = 'gateway-events';
export const GATEWAY_REF_PREFIX = 'gateway:';

type Data = CallEvent['data'];

// ---------------------------------------------------------------------------------------------
// Time.



// ---------------------------------------------------------------------------------------------
// Fields.



function isDigits(s: string, max: number): boolean {
  return s.length > 0 && s.length <= max && digitsAt(s, 0, s.length) >= 0;
}

const GATEWAY_RE = /^(?:[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}|\?\?\?)$/;
const EVENT_RE = /^[A-Z][A-Z0-9_]{0,39}$/;
const HEADERS = ['Gateway\tTime\tCall-Ref\t#\tEvent\tDialed\tCaller-ID\tInfo\tP-Port', 'Time\tCall-Ref\t#\tEvent\tDialed\tCaller-ID\tInfo\tP-Port', '時間\t事件'];

function isHeader(line: string): boolean {
  for (const h of HEADERS) if (line.length === h.length && line === h) return true;
  return false;
}

function orNull(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

function err(error: string): ParseResult {
  return { kind: 'error', error };
}

function stampError(text: string, t: null | 'invalid'): string {
  return t === null ? `time "${text}" is not yyyy/mm/dd hh:mm:ss` : `time "${text}" is not a real date and time`;
}

// ---------------------------------------------------------------------------------------------
// Gateway log messages.

interface LogInfo {
  event: string;
  data: Data;
  /** The gateway as the message names it: id, with the MAC when given. */
  gateway: string;
}

const LOGOUT_RE = /^\[Logout: ([^\]]*)\](?: \[IP:([^\]]*)\])?(?: \[Size:(\d+)\])?$/;
const GATEWAY_MSG_RE = /^Gateway\[([^\]]*)\](?: MAC\[([0-9A-Fa-f]*)\])? [Ff]rom \[([^\]]*)\] (.+)$/;
const LOGIN_RE = /^FXS\((\d+)\) FXO\((\d+)\) ISDN\((\d+)\)(?: CallRef\((\d+)\))?(?: Time\[([^\]]*)\])? Login!$/;
const SIMPLE_MESSAGES: Record<string, string> = {
  'Re-Login!': 'GATEWAY_RELOGIN',
  'Relogin Kickout': 'GATEWAY_KICKOUT',
  'Gateway Disconnect': 'GATEWAY_DISCONNECT',
  'Bad Packet': 'GATEWAY_BAD_PACKET',
};

function splitHostPort(text: string): { ip: string | null; port: number | null } {
  const colon = text.lastIndexOf(':');
  if (colon === -1) return { ip: orNull(text), port: null };
  const port = text.slice(colon + 1);
  return { ip: orNull(text.slice(0, colon)), port: isDigits(port, 5) ? Number(port) : null };
}

function parseLogMessage(message: string): LogInfo | string {
  const logout = LOGOUT_RE.exec(message);
  if (logout) {
    const id = logout[1]!.trim();
    return { event: 'GATEWAY_LOGOUT', gateway: id || '???', data: { gatewayId: id, ip: orNull(logout[2]), size: logout[3] ? Number(logout[3]) : null } };
  }
  const m = GATEWAY_MSG_RE.exec(message);
  if (!m) return `unknown gateway log message "${message.slice(0, 80)}"`;
  const id = m[1]!.trim() || '???';
  const mac = orNull(m[2]);
  const { ip, port } = splitHostPort(m[3]!);
  const rest = m[4]!.trim();
  const gateway = mac ? `${id}_${mac.toUpperCase()}` : id;
  const data: Data = { gatewayId: id, mac: mac ? mac.toUpperCase() : null, ip, peerPort: port };
  const simple = SIMPLE_MESSAGES[rest];
  if (simple) return { event: simple, gateway, data };
  const login = LOGIN_RE.exec(rest);
  if (!login) return `unknown gateway log message "${rest.slice(0, 80)}"`;
  data.fxs = Number(login[1]);
  data.fxo = Number(login[2]);
  data.isdn = Number(login[3]);
  data.callRefCounter = login[4] ? Number(login[4]) : null;
  data.gatewayClock = orNull(login[5]);
  return { event: 'GATEWAY_LOGIN', gateway, data };
}

// ---------------------------------------------------------------------------------------------
// Parser.

function logResult(gateway: string | null, stamp: string, message: string, record: string, st: ParserState): ParseResult {
  const occurredAt = st.times.iso(stamp);
  if (occurredAt === null) return err(stampError(stamp, readStamp(stamp, '/') as null | 'invalid'));
  const info = parseLogMessage(message);
  if (typeof info === 'string') return err(info);
  const gw = gateway ?? info.gateway;
  return {
    kind: 'event',
    event: {
      format: FORMAT_ID,
      callRef: GATEWAY_REF_PREFIX + gw,
      event: info.event,
      occurredAt,
      data: { gateway: gw, ...info.data },
      raw: record,
    },
  };
}

/** Remembers what was already checked: streams repeat their gateways and event names. */
class Checked {
  private readonly ok = new Set<string>();
  private last = '';

  constructor(private readonly re: RegExp) {}

  test(s: string): boolean {
    if (s === this.last) return true;
    this.last = '';
    if (this.ok.has(s)) {
      this.last = s;
      return true;
    }
    if (!this.re.test(s)) return false;
    if (this.ok.size > 1000) this.ok.clear();
    this.ok.add(s);
    this.last = s;
    return true;
  }
}

/** Time text → ISO with offset; the events of a call often share a second, so the last one is kept. */
class Stamps {
  private lastText = '';
  private lastIso = '';

  constructor(private readonly clock: ZoneClock) {}

  /** Null when the text is not a valid time. */
  iso(text: string): string | null {
    if (text === this.lastText) return this.lastIso;
    const t = readStamp(text, '/');
    if (t === null || t === 'invalid') return null;
    const at = this.clock.local(t);
    this.lastText = text;
    this.lastIso = toIso(at.epochMs, at.offsetMinutes);
    return this.lastIso;
  }
}

interface ParserState {
  times: Stamps;
  gateways: Checked;
  events: Checked;
}

function parseLine(record: string, st: ParserState): ParseResult {
  const line = record.trimEnd();
  if (isHeader(line)) return { kind: 'skip', reason: 'header line' };
  const f = line.split('\t');
  const first = f[0]!;
  // The server's own views start with the time.
  if (readStamp(first, '/') !== null) {
    const message = f[1]?.trim() ?? '';
    if (f.length === 2 && (message.startsWith('Gateway[') || message.startsWith('[Logout:'))) {
      return logResult(null, first, message, record, st);
    }
    return err('line without its gateway: a call event must start with the gateway id, e.g. 8200_000C2A020082 TAB time TAB …');
  }
  if (f.length < 3) return err(`expected 3 (gateway log) or 5 to 9 (call event) tab-separated fields, found ${f.length}`);
  const gateway = first.trim();
  if (!st.gateways.test(gateway)) return err(`gateway "${gateway.slice(0, 70)}" is not an id like 8200 or 8200_000C2A020082`);
  const stamp = f[1]!.trim();
  if (f.length === 3) return logResult(gateway, stamp, f[2]!.trim(), record, st);
  if (f.length < 5 || f.length > 9) return err(`expected 3 (gateway log) or 5 to 9 (call event) tab-separated fields, found ${f.length}`);
  if (gateway === '???') return err('gateway "???" names no gateway: only log lines may carry it');

  const occurredAt = st.times.iso(stamp);
  if (occurredAt === null) return err(stampError(stamp, readStamp(stamp, '/') as null | 'invalid'));
  const ref = f[2]!.trim();
  if (!isDigits(ref, 10)) return err(`call-ref "${ref}" is not a number`);
  const port = f[3]!.trim();
  if (port !== '' && !isDigits(port, 4)) return err(`port "${port}" is not a number`);
  const event = f[4]!.trim();
  if (!st.events.test(event)) return err(`event "${event.slice(0, 50)}" is not an event name like HOOK_OFF`);
  const pPort = (f[8] ?? '').trim();
  if (pPort !== '' && !isDigits(pPort, 4)) return err(`p-port "${pPort}" is not a number`);

  return {
    kind: 'event',
    event: {
      format: FORMAT_ID,
      callRef: `${gateway}:${ref}`,
      event,
      occurredAt,
      data: {
        gateway,
        callRef: ref,
        port: port === '' ? null : port,
        dialed: orNull(f[5]),
        callerId: orNull(f[6]),
        info: orNull(f[7]),
        pPort: pPort === '' ? null : pPort,
      },
      raw: record,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Assembler.

const HANG_UPS = new Set(['HOOK_ON', 'REMOTE_HOOK_ON', 'PSTN_HOOK_ON']);
const RINGS = new Set(['RING_BACK', 'RING', 'CALL_IN', 'PSTN_CALL_IN']);
/** Events that end a call-ref. */
const LAST_EVENTS = new Set(['HOOK_ON', 'CALL_IN_REJECT']);

function put(extra: Call['extra'], key: string, value: string | number | boolean | null): void {
  if (value !== null) extra[key] = value;
}

/** A string value of event data (read by property name: fast, monomorphic loads). */
function text(v: string | number | null | undefined): string | null {
  return typeof v === 'string' ? v : null;
}

function notationOf(names: Set<string>, talked: boolean, dialled: boolean): string {
  if (names.has('CALL_IN_REJECT')) return 'call in reject';
  if (names.has('CALL_IN')) return 'call in';
  if (talked) return 'call out';
  if (dialled || names.has('PSTN_CALL_IN')) return 'call out failed';
  return 'hook on/off';
}

function directionOf(names: Set<string>, notation: string): Direction {
  if (names.has('PSTN_CALL_IN')) return 'inbound';
  if (names.has('PSTN_DIAL') || names.has('PSTN_HOOK_OFF')) return 'outbound';
  return notation === 'hook on/off' ? 'unknown' : 'internal';
}

function dispositionOf(names: Set<string>, talked: boolean, notation: string): Disposition {
  if (talked) return 'answered';
  if (names.has('CALL_IN_REJECT')) return 'rejected';
  if (names.has('BUSY')) return 'busy';
  if (notation === 'hook on/off') return 'unknown';
  for (const r of RINGS) if (names.has(r)) return 'no_answer';
  return 'failed';
}

/** Builds the call of one gateway + call-ref from its events, in the order they came. */
function buildCall(events: readonly CallEvent[], clock: ZoneClock): Call {
  const first = events[0]!;
  const last = events[events.length - 1]!;
  const startMs = epochOfIso(first.occurredAt);
  const endMs = epochOfIso(last.occurredAt);
  const names = new Set<string>();
  let pstn = false;
  const dials: string[] = [];
  let pstnDial = '';
  let port: string | null = null;
  let pPort: string | null = null;
  let callerId: string | null = null;
  let pstnCallerId: string | null = null;
  let info: string | null = null;
  let ringMs: number | null = null;
  let talkMs: number | null = null;
  let talkEndMs: number | null = null;
  let pstnMs: number | null = null;
  let pstnEndMs: number | null = null;

  for (const e of events) {
    const d = e.data;
    const ms = epochOfIso(e.occurredAt);
    const name = e.event;
    names.add(name);
    if (name.startsWith('PSTN_')) pstn = true;
    port ??= text(d.port);
    pPort ??= text(d.pPort);
    const cid = text(d.callerId);
    if (cid) {
      if (name.startsWith('PSTN_')) pstnCallerId ??= cid;
      else callerId ??= cid;
    }
    const dialed = text(d.dialed);
    if (name === 'DIAL' && dialed) dials.push(dialed);
    else if (name === 'PSTN_DIAL' && dialed) pstnDial += dialed;
    if (RINGS.has(name)) ringMs ??= ms;
    if (name === 'TALK' && talkMs === null) {
      talkMs = ms;
      info = text(d.info);
    } else if (talkMs !== null && talkEndMs === null && HANG_UPS.has(name)) {
      talkEndMs = ms;
    }
    if (name === 'PSTN_CONNECTED') pstnMs ??= ms;
    else if (name === 'PSTN_HOOK_ON' && pstnMs !== null) pstnEndMs ??= ms;
  }

  const talked = talkMs !== null;
  const talk = talkMs !== null ? Math.max(0, Math.round(((talkEndMs ?? endMs) - talkMs) / 1000)) : 0;
  const notation = notationOf(names, talked, dials.length > 0 || pstnDial !== '');
  const localStart = first.event === 'HOOK_OFF' || !pstn;

  const call = emptyCall(FORMAT_ID, first.occurredAt, events.map((e) => e.raw).join('\n'));
  call.callId = first.callRef;
  call.direction = directionOf(names, notation);
  call.endedAt = last.occurredAt;
  call.durationSeconds = Math.max(talk, Math.round((endMs - startMs) / 1000));
  call.talkSeconds = talk;
  call.answeredAt = talkMs !== null ? clock.iso(talkMs) : null;
  call.ringSeconds = ringMs !== null ? Math.max(0, Math.round(((talkMs ?? endMs) - ringMs) / 1000)) : null;
  call.disposition = dispositionOf(names, talked, notation);
  call.callerNumber = callerId ?? pstnCallerId;
  call.dialedNumber = pstnDial || dials.join('') || null;
  call.calledNumber = call.dialedNumber;
  call.extension = localStart ? port : null;
  call.trunk = pPort ?? (pstn && !localStart ? port : null);
  const x = call.extra;
  put(x, 'gateway', text(first.data.gateway));
  put(x, 'callRef', text(first.data.callRef));
  put(x, 'port', port);
  put(x, 'pPort', pPort);
  x.notation = notation;
  put(x, 'dialed', dials.length > 0 ? dials.join(', ') : null);
  put(x, 'pstnDial', pstnDial || null);
  put(x, 'pstnSeconds', pstnMs !== null ? Math.max(0, Math.round(((pstnEndMs ?? endMs) - pstnMs) / 1000)) : null);
  put(x, 'callerId', callerId);
  put(x, 'pstnCallerId', pstnCallerId);
  put(x, 'info', info);
  put(x, 'incomplete', LAST_EVENTS.has(last.event) ? null : true);
  return call;
}

class GatewayAssembler implements Assembler {
  private readonly open = new Map<string, CallEvent[]>();

  constructor(private readonly clock: ZoneClock) {}

  push(event: CallEvent): Call[] {
    if (event.callRef.startsWith(GATEWAY_REF_PREFIX)) return [];
    const out: Call[] = [];
    let events = this.open.get(event.callRef);
    if (events && this.startsAnotherCall(events, event.event)) {
      // The call-ref came round again (the gateway rebooted) while an old call never ended.
      out.push(buildCall(events, this.clock));
      this.open.delete(event.callRef);
      events = undefined;
    }
    if (!events) {
      events = [];
      this.open.set(event.callRef, events);
    }
    events.push(event);
    if (LAST_EVENTS.has(event.event)) {
      this.open.delete(event.callRef);
      out.push(buildCall(events, this.clock));
    }
    return out;
  }

  /** An incoming call is always a call's first event; a phone goes off hook once per call. */
  private startsAnotherCall(events: readonly CallEvent[], name: string): boolean {
    if (name === 'CALL_IN' || name === 'PSTN_CALL_IN') return true;
    return name === 'HOOK_OFF' && events.some((e) => e.event === 'HOOK_OFF');
  }

  flush(): Call[] {
    const calls = [...this.open.values()].map((events) => buildCall(events, this.clock));
    this.open.clear();
    return calls;
  }
}

// ---------------------------------------------------------------------------------------------
// Detection and rendering.

function looksLikeOurs(line: string): boolean {
  const trimmed = line.trimEnd();
  if (isHeader(trimmed)) return true;
  const f = trimmed.split('\t');
  if (readStamp(f[0]!, '/') !== null) {
    const rest = f[1] ?? '';
    // The server's log view, or its event view (ours, though it must name its gateway).
    return rest.startsWith('Gateway[') || rest.startsWith('[Logout:') || (f.length >= 4 && isDigits(rest, 10) && EVENT_RE.test(f[3]!));
  }
  if (f.length < 3 || f.length > 9 || !GATEWAY_RE.test(f[0]!) || readStamp(f[1]!, '/') === null) return false;
  if (f.length === 3) return f[2]!.startsWith('Gateway[') || f[2]!.startsWith('[Logout:');
  return f.length >= 5 && isDigits(f[2]!, 10) && EVENT_RE.test(f[4]!);
}

function detect(sample: readonly string[]): number {
  if (sample.length === 0) return 0;
  let hits = 0;
  let headers = 0;
  for (const line of sample) {
    if (isHeader(line.trimEnd())) headers++;
    else if (looksLikeOurs(line)) hits++;
  }
  return hits === 0 ? 0 : (0.95 * (hits + headers)) / sample.length;
}

const RENDER_GATEWAY = '8200_000C2A020082';
const CODEC_INFO = 'C(18) M(17)';

function stamp(epochMs: number, timeZone: string): string {
  const iso = isoInZone(epochMs, timeZone);
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 19)}`;
}

interface Line {
  at: number;
  event: string;
  port?: string;
  dialed?: string;
  callerId?: string;
  info?: string;
  pPort?: string;
}

function render(sim: SimulatedCall, ctx: ParseContext): string[] {
  const ref = String(sim.index + 1);
  const t0 = sim.startedAtMs;
  const answerAt = t0 + sim.ringSeconds * 1000;
  const endAt = sim.answered ? answerAt + sim.talkSeconds * 1000 : answerAt;
  const phonePort = String(1 + (sim.index % 2));
  const linePort = String(3 + (sim.index % 2));
  const talk: Line[] = sim.answered ? [{ at: answerAt, event: 'TALK', info: CODEC_INFO }] : [];
  let lines: Line[];
  if (sim.direction === 'inbound') {
    // A PSTN call on the FXO line, put through to the extension over VoIP.
    lines = [
      { at: t0, event: 'PSTN_CALL_IN', port: linePort, callerId: sim.externalNumber },
      { at: t0, event: 'PSTN_HOOK_OFF' },
      { at: t0, event: 'PSTN_CONNECTED' },
      { at: t0, event: 'DIAL', dialed: sim.extension },
      { at: t0, event: 'RING_BACK' },
      ...talk,
      ...(sim.answered ? [{ at: endAt, event: 'REMOTE_HOOK_ON' }] : []),
      { at: endAt, event: 'PSTN_HOOK_ON' },
      { at: endAt, event: 'HOOK_ON' },
    ];
  } else if (sim.direction === 'outbound') {
    // The phone on an FXS port calls out on the gateway's own PSTN line.
    lines = [
      { at: t0, event: 'HOOK_OFF', port: phonePort },
      { at: t0, event: 'DIAL', dialed: sim.externalNumber },
      { at: t0, event: 'PSTN_HOOK_OFF', pPort: linePort },
      { at: t0, event: 'PSTN_DIAL', dialed: sim.externalNumber, pPort: linePort },
      { at: t0, event: 'PSTN_CONNECTED', pPort: linePort },
      { at: t0, event: 'RING_BACK' },
      ...talk,
      { at: endAt, event: 'PSTN_HOOK_ON', pPort: linePort },
      { at: endAt, event: 'HOOK_ON' },
    ];
  } else {
    // A call from a phone on another gateway to the phone on our port.
    lines = [
      { at: t0, event: 'CALL_IN', port: phonePort, callerId: sim.externalNumber },
      { at: t0, event: 'RING' },
      ...talk,
      { at: endAt, event: 'REMOTE_HOOK_ON' },
      { at: endAt, event: 'HOOK_ON' },
    ];
  }
  return lines.map((l) =>
    [RENDER_GATEWAY, stamp(l.at, ctx.timeZone), ref, l.port ?? '', l.event, l.dialed ?? '', l.callerId ?? '', l.info ?? '', l.pPort ?? ''].join('\t'),
  );
}

export const gatewayEvents: Format = {
  id: FORMAT_ID,
  name: 'VoIP gateway CDR events',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const st: ParserState = { times: new Stamps(new ZoneClock(ctx.timeZone)), gateways: new Checked(GATEWAY_RE), events: new Checked(EVENT_RE) };
    return (record) => parseLine(record, st);
  },
  createAssembler: (ctx) => new GatewayAssembler(new ZoneClock(ctx.timeZone)),
  render,
};
