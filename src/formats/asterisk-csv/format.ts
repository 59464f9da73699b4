import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { readDigits } from '../../core/digits.js';
import { CalltrailError } from '../../core/errors.js';
import { mapAsteriskDisposition } from '../../core/hangup-causes.js';
import { isoInZone, readStamp, toIso, ZoneClock } from '../../core/time.js';
import { parseSeconds, readCallTimes } from '../cdr-fields.js';
import { splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// Asterisk cdr_csv (Master.csv): quoted CSV without a header, one CDR per leg. Asterisk 12+ adds
// peeraccount, linkedid and sequence. cdr_custom writes the same values in a site's own order:
// asteriskCsvFormat(columns) reads (and renders) that order.

export const CDR_CSV_COLUMNS = [
  'accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata',
  'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags', 'uniqueid', 'userfield',
] as const;
export const CDR_CSV_12_COLUMNS = [...CDR_CSV_COLUMNS, 'peeraccount', 'linkedid', 'sequence'] as const;

const KNOWN = new Set<string>(CDR_CSV_12_COLUMNS);
const REQUIRED = ['start', 'duration', 'billsec', 'disposition'];
/** cdr_csv writes these as bare integers, everything else in quotes. */
const BARE = new Set(['duration', 'billsec', 'sequence']);
const EXTENSION_RE = /^\d{2,5}$/;
const INBOUND_CONTEXT_RE = /from-(trunk|pstn|did|external)|inbound|incoming/i;
const CLID_RE = /^\s*"?(.*?)"?\s*<([^<>]*)>\s*$/;

/**
 * The column names of a cdr_custom mapping line: `"${CDR(clid)}","${CDR(src)}",…` → ['clid', 'src', …].
 * Every comma-separated column counts; one without a ${CDR(name)} (a literal, ${CHANNEL(name)} …)
 * is named by its place, `column7`, so that the columns after it are still read where they are.
 */
export function columnsFromCustomTemplate(template: string): string[] {
  const mapping = template.replace(/^[^=]*=>\s*/, '');
  const columns: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i <= mapping.length; i++) {
    const c = mapping[i];
    if (c === '(' || c === '{') depth++;
    else if (c === ')' || c === '}') depth--;
    else if (i === mapping.length || (c === ',' && depth === 0)) {
      const cdr = /\$\{CDR\(([A-Za-z_]+)[^)]*\)\}/.exec(mapping.slice(from, i));
      columns.push(cdr ? cdr[1]!.toLowerCase() : `column${columns.length + 1}`);
      from = i + 1;
    }
  }
  return columns;
}

type KnownColumn = (typeof CDR_CSV_12_COLUMNS)[number];
/** A column order: where each known column is (-1 when absent), and the site's own columns. */
type Layout = { columns: readonly string[]; at: Record<KnownColumn, number>; others: [string, number][] };

function layout(columns: readonly string[]): Layout {
  const at = Object.fromEntries(CDR_CSV_12_COLUMNS.map((c) => [c, columns.indexOf(c)])) as Record<KnownColumn, number>;
  const others = columns.flatMap((c, i): [string, number][] => (KNOWN.has(c) ? [] : [[c, i]]));
  return { columns, at, others };
}

function field(f: readonly string[], i: number): string {
  return i < 0 ? '' : f[i]!.trim();
}


function orNull(s: string | undefined): string | null {
  if (s === undefined) return null;
  const t = s.trim();
  return t === '' ? null : t;
}

/** The peer name of a channel: `PJSIP/201-0000001a` → `201`, `SIP/trunk01-00a` → `trunk01`. */
export function channelPeer(channel: string | null): string | null {
  if (!channel) return null;
  const slash = channel.indexOf('/');
  if (slash < 0) return null;
  let end = slash + 1;
  for (; end < channel.length; end++) {
    const c = channel.charCodeAt(end);
    if (c === 45 || c === 64 || c === 59 || c === 44) break; // - @ ; ,
  }
  return end > slash + 1 ? channel.slice(slash + 1, end) : null;
}

function direction(context: string | null, src: string | null, dst: string | null): Direction {
  if (context !== null && INBOUND_CONTEXT_RE.test(context)) return 'inbound';
  const srcExt = src !== null && EXTENSION_RE.test(src);
  const dstExt = dst !== null && EXTENSION_RE.test(dst);
  if (srcExt && dstExt) return 'internal';
  if (srcExt) return 'outbound';
  if (dstExt) return 'inbound';
  return 'unknown';
}

function parseRecord(line: string, layouts: readonly Layout[], clock: ZoneClock): ParseResult {
  const split = splitCsv(line);
  if (!split.ok) return { kind: 'error', error: split.error };
  const f = split.fields;
  const l = f.length === layouts[0]!.columns.length ? layouts[0] : layouts.find((x) => x.columns.length === f.length);
  if (!l) return { kind: 'error', error: `expected ${layouts.map((x) => x.columns.length).sort((a, b) => a - b).join(' or ')} fields, found ${f.length}` };
  const x = l.at;
  const times = readCallTimes(clock, ['start', field(f, x.start)], ['answer', field(f, x.answer)], ['end', field(f, x.end)]);
  if (typeof times === 'string') return { kind: 'error', error: times };
  const { start, answer, end } = times;
  const duration = parseSeconds('duration', field(f, x.duration));
  if (typeof duration === 'string') return { kind: 'error', error: duration };
  const billsec = parseSeconds('billsec', field(f, x.billsec));
  if (typeof billsec === 'string') return { kind: 'error', error: billsec };
  if (billsec > duration) return { kind: 'error', error: `billsec ${billsec} exceeds duration ${duration}` };
  const dispositionText = field(f, x.disposition);
  const mapped = mapAsteriskDisposition(dispositionText);
  if (!mapped) return { kind: 'error', error: `disposition "${dispositionText}" is not ANSWERED, NO ANSWER, BUSY, FAILED or CONGESTION` };
  if (end !== null && end.epochMs < start.epochMs) return { kind: 'error', error: `end ${field(f, x.end)} is before start ${field(f, x.start)}` };
  const sequenceText = field(f, x.sequence);
  const sequence = sequenceText === '' ? null : readDigits(sequenceText, 0, Math.min(sequenceText.length, 10));
  if (sequence !== null && (sequence < 0 || sequenceText.length > 10)) return { kind: 'error', error: `sequence "${sequenceText}" is not a number` };

  const s = start;
  const call: Call = emptyCall('asterisk-csv', toIso(s.epochMs, s.offsetMinutes), line);
  const src = orNull(field(f, x.src));
  const dst = orNull(field(f, x.dst));
  const context = orNull(field(f, x.dcontext));
  const channel = orNull(field(f, x.channel));
  const dstchannel = orNull(field(f, x.dstchannel));
  const clid = field(f, x.clid);
  const clidParts = clid.endsWith('>') ? CLID_RE.exec(clid) : null;
  const answered = mapped.disposition === 'answered';
  call.callId = orNull(field(f, x.uniqueid));
  call.direction = direction(context, src, dst);
  call.callerNumber = src ?? (clidParts ? orNull(clidParts[2]) : null);
  call.callerName = clidParts ? orNull(clidParts[1]) : orNull(clid) !== null && clid !== src ? orNull(clid) : null;
  call.dialedNumber = dst;
  call.calledNumber = dst;
  call.answeredAt = answered ? (answer ? toIso(answer.epochMs, answer.offsetMinutes) : clock.iso(s.epochMs + (duration - billsec) * 1000)) : null;
  call.endedAt = end ? toIso(end.epochMs, end.offsetMinutes) : clock.iso(s.epochMs + duration * 1000);
  call.talkSeconds = billsec;
  call.durationSeconds = duration;
  call.ringSeconds = duration - billsec;
  call.disposition = mapped.disposition;
  call.hangupCause = mapped.cause;
  const dstPeer = channelPeer(dstchannel);
  const srcPeer = channelPeer(channel);
  call.extension = call.direction === 'inbound' ? (dstPeer !== null && EXTENSION_RE.test(dstPeer) ? dstPeer : dst) : src;
  call.trunk = call.direction === 'inbound' ? srcPeer : call.direction === 'outbound' ? dstPeer : null;
  // Answered by a phone (the peer of dstchannel), or by an application of the switch itself (VoiceMail …).
  const lastapp = orNull(field(f, x.lastapp));
  const answerer = dstPeer !== null && EXTENSION_RE.test(dstPeer) ? dstPeer : dstchannel === null && lastapp !== null && lastapp !== 'Dial' ? lastapp : dst;
  call.answeredBy = answered ? answerer : null;
  call.accountCode = orNull(field(f, x.accountcode));
  const extra = call.extra;
  extra.asteriskDisposition = dispositionText;
  // Named stores, not a loop over names: this runs for every record and keyed stores cost more.
  if (call.callId !== null) extra.uniqueid = call.callId;
  const linkedid = field(f, x.linkedid);
  if (linkedid !== '') extra.linkedid = linkedid;
  if (channel !== null) extra.channel = channel;
  if (dstchannel !== null) extra.dstchannel = dstchannel;
  if (context !== null) extra.dcontext = context;
  if (lastapp !== null) extra.lastapp = lastapp;
  const lastdata = field(f, x.lastdata);
  if (lastdata !== '') extra.lastdata = lastdata;
  const amaflags = field(f, x.amaflags);
  if (amaflags !== '') extra.amaflags = amaflags;
  const userfield = field(f, x.userfield);
  if (userfield !== '') extra.userfield = userfield;
  const peeraccount = field(f, x.peeraccount);
  if (peeraccount !== '') extra.peeraccount = peeraccount;
  if (sequence !== null) extra.sequence = sequence;
  for (const [name, i] of l.others) {
    const v = f[i]!.trim();
    if (v !== '') extra[name] = v;
  }
  return { kind: 'call', call };
}

/** Asterisk 12+ CDRs of one call share the linkedid; older ones at least the caller's uniqueid. */
function legKeys(call: Call): readonly string[] {
  const linked = call.extra.linkedid;
  const unique = call.extra.uniqueid;
  const keys: string[] = [];
  if (typeof linked === 'string') keys.push(linked);
  if (typeof unique === 'string' && unique !== linked) keys.push(unique);
  return keys;
}

function localStamp(ms: number, timeZone: string): string {
  const iso = isoInZone(ms, timeZone);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
}

interface LegRow {
  dst: string;
  dstchannel: string;
  startMs: number;
  answerMs: number | null;
  endMs: number;
  disposition: string;
  uniqueid: string;
  sequence: number;
}

function renderFor(columns: readonly string[]) {
  const hasLinkedId = columns.includes('linkedid');
  return (sim: SimulatedCall, ctx: ParseContext): string[] => {
    const talk = sim.answered ? sim.talkSeconds : 0;
    const start = sim.startedAtMs;
    const answerMs = start + sim.ringSeconds * 1000;
    const uniqueid = `${Math.floor(start / 1000)}.${sim.index * 4}`;
    const trunkChannel = `PJSIP/trunk${sim.trunk}-${(sim.index * 4 + 1).toString(16).padStart(8, '0')}`;
    const phone = (ext: string, n: number): string => `PJSIP/${ext}-${(sim.index * 4 + n).toString(16).padStart(8, '0')}`;
    const inbound = sim.direction === 'inbound';
    const src = inbound ? sim.externalNumber : sim.extension;
    const dst = inbound ? sim.extension : sim.externalNumber;
    const context = inbound ? 'from-trunk' : 'from-internal';
    const channel = inbound ? trunkChannel : phone(sim.extension, 0);
    const dstchannel = sim.direction === 'outbound' ? trunkChannel : phone(dst, 2);
    const legs: LegRow[] = [];
    const nextExt = (ext: string, k: number): string => String(200 + ((Number(ext) - 200 + k) % 60));
    if (sim.index % 5 === 1 && sim.direction !== 'outbound') {
      // A ring group of three phones: one CDR per dialled phone, the answering one last.
      const members = [nextExt(dst, 1), nextExt(dst, 2), dst];
      members.forEach((ext, k) => {
        const wins = sim.answered && k === 2;
        legs.push({
          dst,
          dstchannel: phone(ext, k + 1),
          startMs: start,
          answerMs: wins ? answerMs : null,
          endMs: wins ? answerMs + talk * 1000 : answerMs,
          disposition: wins ? 'ANSWERED' : 'NO ANSWER',
          uniqueid,
          sequence: sim.index * 4 + k,
        });
      });
    } else if (hasLinkedId && sim.index % 5 === 3 && sim.answered && talk >= 2 && sim.direction !== 'outbound') {
      // A transfer: the caller talks to the first phone, then to the one it was transferred to.
      const first = Math.floor(talk / 2);
      const to = nextExt(dst, 7);
      legs.push({ dst, dstchannel, startMs: start, answerMs, endMs: answerMs + first * 1000, disposition: 'ANSWERED', uniqueid, sequence: sim.index * 4 });
      const at = answerMs + first * 1000;
      legs.push({ dst: to, dstchannel: phone(to, 3), startMs: at, answerMs: at, endMs: answerMs + talk * 1000, disposition: 'ANSWERED', uniqueid: `${Math.floor(at / 1000)}.${sim.index * 4 + 3}`, sequence: sim.index * 4 + 1 });
    } else {
      legs.push({
        dst,
        dstchannel,
        startMs: start,
        answerMs: sim.answered ? answerMs : null,
        endMs: answerMs + talk * 1000,
        disposition: sim.answered ? 'ANSWERED' : sim.index % 7 === 0 ? 'BUSY' : 'NO ANSWER',
        uniqueid,
        sequence: sim.index * 4,
      });
    }
    // NO ANSWER and BUSY both read back as unanswered; BUSY is "busy", which is what the switch says.
    return legs.map((leg) => {
      const values: Record<string, string | number> = {
        accountcode: sim.accountCode ?? '',
        src,
        dst: leg.dst,
        dcontext: context,
        clid: sim.callerName ? `"${sim.callerName}" <${src}>` : src,
        channel,
        dstchannel: leg.dstchannel,
        lastapp: 'Dial',
        lastdata: `${leg.dstchannel.replace(/-[0-9a-f]+$/, '')},30`,
        start: localStamp(leg.startMs, ctx.timeZone),
        answer: leg.answerMs === null ? '' : localStamp(leg.answerMs, ctx.timeZone),
        end: localStamp(leg.endMs, ctx.timeZone),
        duration: Math.round((leg.endMs - leg.startMs) / 1000),
        billsec: leg.answerMs === null ? 0 : Math.round((leg.endMs - leg.answerMs) / 1000),
        disposition: leg.disposition,
        amaflags: 'DOCUMENTATION',
        uniqueid: leg.uniqueid,
        userfield: '',
        peeraccount: '',
        linkedid: uniqueid,
        sequence: leg.sequence,
      };
      return columns.map((c) => (BARE.has(c) ? String(values[c] ?? '') : '"' + String(values[c] ?? '').replace(/"/g, '""') + '"')).join(',');
    });
  };
}

function detectFor(layouts: readonly Layout[]) {
  return (sample: readonly string[]): number => {
    let hits = 0;
    for (const line of sample) {
      const split = splitCsv(line);
      if (!split.ok) continue;
      const l = layouts.find((x) => x.columns.length === split.fields.length);
      if (!l) continue;
      const start = field(split.fields, l.at.start);
      const disposition = field(split.fields, l.at.disposition);
      if (readStamp(start, '-') !== null && mapAsteriskDisposition(disposition) !== null) hits++;
    }
    return sample.length === 0 ? 0 : (0.95 * hits) / sample.length;
  };
}

/**
 * The asterisk-csv format. Without columns it reads cdr_csv with and without the Asterisk 12+
 * columns; with columns (a cdr_custom order, see columnsFromCustomTemplate) exactly that order.
 */
export function asteriskCsvFormat(columns?: readonly string[]): Format {
  if (columns !== undefined) {
    const missing = REQUIRED.filter((c) => !columns.includes(c));
    if (missing.length > 0) throw new CalltrailError('CONFIG_INVALID', `asterisk-csv columns lack ${missing.join(', ')}`);
  }
  const layouts = columns ? [layout(columns)] : [layout(CDR_CSV_12_COLUMNS), layout(CDR_CSV_COLUMNS)];
  return {
    id: 'asterisk-csv',
    name: 'Asterisk cdr_csv / cdr_custom',
    framing: { kind: 'lines' },
    // cdr_csv has no per-leg id: the CDRs of a ring group share the uniqueid and the start.
    dedupe: 'record-hash',
    detect: detectFor(layouts),
    createParser: (ctx) => {
      const clock = new ZoneClock(ctx.timeZone);
      return (record) => parseRecord(record, layouts, clock);
    },
    render: renderFor(columns ?? CDR_CSV_12_COLUMNS),
    legKeys,
  };
}

export const asteriskCsv: Format = asteriskCsvFormat();
