import { emptyCall, type Call, type Direction } from '../../core/call.js';
import { readDigits } from '../../core/digits.js';
import { mapCucmCause } from '../../core/hangup-causes.js';
import { ZoneClock } from '../../core/time.js';
import { splitCsv } from '../../framing/csv.js';
import type { Format, ParseContext, ParseResult, SimulatedCall } from '../format.js';

// Cisco Unified CM CDR flat files: CSV, line 1 the field names, line 2 (in most exports) the field
// types, then one record per call leg. Times are epoch seconds (UTC), causes Q.850. Legs of one
// call share globalCallID_callManagerId + globalCallID_callId. The header line decides the column
// order; records before any header are read in the CUCM 12.x order below.

export const CUCM_COLUMNS: readonly string[] = (
  'cdrRecordType,globalCallID_callManagerId,globalCallID_callId,origLegCallIdentifier,dateTimeOrigination,origNodeId,origSpan,' +
  'origIpAddr,callingPartyNumber,callingPartyUnicodeLoginUserID,origCause_location,origCause_value,origPrecedenceLevel,' +
  'origMediaTransportAddress_IP,origMediaTransportAddress_Port,origMediaCap_payloadCapability,origMediaCap_maxFramesPerPacket,' +
  'origMediaCap_g723BitRate,origVideoCap_Codec,origVideoCap_Bandwidth,origVideoCap_Resolution,origVideoTransportAddress_IP,' +
  'origVideoTransportAddress_Port,origRSVPAudioStat,origRSVPVideoStat,destLegIdentifier,destNodeId,destSpan,destIpAddr,' +
  'originalCalledPartyNumber,finalCalledPartyNumber,finalCalledPartyUnicodeLoginUserID,destCause_location,destCause_value,' +
  'destPrecedenceLevel,destMediaTransportAddress_IP,destMediaTransportAddress_Port,destMediaCap_payloadCapability,' +
  'destMediaCap_maxFramesPerPacket,destMediaCap_g723BitRate,destVideoCap_Codec,destVideoCap_Bandwidth,destVideoCap_Resolution,' +
  'destVideoTransportAddress_IP,destVideoTransportAddress_Port,destRSVPAudioStat,destRSVPVideoStat,dateTimeConnect,' +
  'dateTimeDisconnect,lastRedirectDn,pkid,originalCalledPartyNumberPartition,callingPartyNumberPartition,' +
  'finalCalledPartyNumberPartition,lastRedirectDnPartition,duration,origDeviceName,destDeviceName,origCallTerminationOnBehalfOf,' +
  'destCallTerminationOnBehalfOf,origCalledPartyRedirectOnBehalfOf,lastRedirectRedirectOnBehalfOf,origCalledPartyRedirectReason,' +
  'lastRedirectRedirectReason,destConversationId,globalCallId_ClusterID,joinOnBehalfOf,comment,authCodeDescription,' +
  'authorizationLevel,clientMatterCode,origDTMFMethod,destDTMFMethod,callSecuredStatus,origConversationId,origMediaCap_Bandwidth,' +
  'destMediaCap_Bandwidth,authorizationCodeValue,outpulsedCallingPartyNumber,outpulsedCalledPartyNumber,origIpv4v6Addr,' +
  'destIpv4v6Addr,origVideoCap_Codec_Channel2,origVideoCap_Bandwidth_Channel2,origVideoCap_Resolution_Channel2,' +
  'origVideoTransportAddress_IP_Channel2,origVideoTransportAddress_Port_Channel2,origVideoChannel_Role_Channel2,' +
  'destVideoCap_Codec_Channel2,destVideoCap_Bandwidth_Channel2,destVideoCap_Resolution_Channel2,' +
  'destVideoTransportAddress_IP_Channel2,destVideoTransportAddress_Port_Channel2,destVideoChannel_Role_Channel2,' +
  'IncomingProtocolID,IncomingProtocolCallRef,OutgoingProtocolID,OutgoingProtocolCallRef,currentRoutingReason,' +
  'origRoutingReason,lastRedirectingRoutingReason,huntPilotPartition,huntPilotDN,calledPartyPatternUsage,IncomingICID,' +
  'IncomingOrigIOI,IncomingTermIOI,OutgoingICID,OutgoingOrigIOI,OutgoingTermIOI,outpulsedOriginalCalledPartyNumber,' +
  'outpulsedLastRedirectingNumber,wasCallQueued,totalWaitTimeInQueue,callingPartyNumber_uri,originalCalledPartyNumber_uri,' +
  'finalCalledPartyNumber_uri,lastRedirectDn_uri,mobileCallingPartyNumber,finalMobileCalledPartyNumber,origMobileDeviceName,' +
  'destMobileDeviceName,origMobileCallDuration,destMobileCallDuration,mobileCallType,originalCalledPartyPattern,' +
  'finalCalledPartyPattern,lastRedirectingPartyPattern,huntPilotPattern'
).split(',');

/** Columns CUCM writes as quoted text; the rest are integers. */
const TEXT_COLUMN_RE = /Number|Partition|DeviceName|RedirectDn|huntPilotDN|pkid|comment|UserID|Description|MatterCode|CodeValue|Pattern|_uri|v4v6Addr|ICID|IOI|ProtocolCallRef|ClusterID/;
const ENDPOINT_RE = /^(SEP|CSF|TCT|BOT|TAB|ATA|CIPC|AN[0-9A-F]|CiscoUM|Unity)/i;
const EXTENSION_RE = /^\d{2,6}$/;
/** 2100-01-01: a later epoch second is a damaged field, not a date. */
const MAX_EPOCH = 4_102_444_800;

/** The columns a record is read from (the rest are passed over). */
const USED = [
  'cdrRecordType', 'globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'dateTimeConnect', 'dateTimeDisconnect',
  'duration', 'origCause_value', 'destCause_value', 'callingPartyNumber', 'originalCalledPartyNumber', 'finalCalledPartyNumber',
  'origDeviceName', 'destDeviceName', 'pkid', 'origLegCallIdentifier', 'clientMatterCode', 'destLegIdentifier', 'lastRedirectDn', 'huntPilotDN',
  'origCallTerminationOnBehalfOf', 'destCallTerminationOnBehalfOf', 'origCalledPartyRedirectOnBehalfOf', 'lastRedirectRedirectReason',
  'joinOnBehalfOf', 'authCodeDescription', 'globalCallId_ClusterID', 'callingPartyNumberPartition', 'finalCalledPartyNumberPartition',
] as const;
interface Layout {
  count: number;
  at: Record<(typeof USED)[number], number>;
}

function layoutOf(columns: readonly string[]): Layout {
  const at = Object.fromEntries(USED.map((c) => [c, columns.indexOf(c)])) as Layout['at'];
  return { count: columns.length, at };
}

const DEFAULT_LAYOUT = layoutOf(CUCM_COLUMNS);
const NEEDED = ['cdrRecordType', 'globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'dateTimeConnect', 'dateTimeDisconnect', 'duration'];
const MAX_FIELDS = 1024;

/**
 * Where each field of a CSV line is, without cutting the line into 130 strings (a CUCM record is
 * long and a few of its fields are read): RFC 4180 quoting, the same errors as splitCsv.
 */
export class FieldScanner {
  private readonly start = new Int32Array(MAX_FIELDS);
  private readonly end = new Int32Array(MAX_FIELDS);
  /** 0: bare, 1: quoted, 2: quoted with doubled quotes inside. */
  private readonly quoting = new Uint8Array(MAX_FIELDS);
  private line = '';
  count = 0;

  /** Scans a line; a string says what is wrong with it. */
  scan(line: string): string | null {
    this.line = line;
    const n = line.length;
    let i = 0;
    let k = 0;
    let nextQuote = line.indexOf('"');
    for (;;) {
      if (k === MAX_FIELDS) return `more than ${MAX_FIELDS} fields`;
      if (line.charCodeAt(i) === 34) {
        let j = i + 1;
        let quoting = 1;
        for (;;) {
          const q = line.indexOf('"', j);
          if (q === -1) return `unbalanced quote in field ${k + 1}`;
          if (line.charCodeAt(q + 1) === 34) {
            quoting = 2;
            j = q + 2;
            continue;
          }
          this.start[k] = i + 1;
          this.end[k] = q;
          this.quoting[k++] = quoting;
          i = q + 1;
          break;
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = line.indexOf('"', i);
        if (i === n) break;
        if (line.charCodeAt(i) !== 44) return `text after the closing quote of field ${k}`;
        i++;
      } else {
        const comma = line.indexOf(',', i);
        const e = comma === -1 ? n : comma;
        if (nextQuote !== -1 && nextQuote < e) return `stray quote in field ${k + 1}`;
        this.start[k] = i;
        this.end[k] = e;
        this.quoting[k++] = 0;
        if (comma === -1) break;
        i = comma + 1;
      }
    }
    this.count = k;
    return null;
  }

  /** Field i, trimmed; '' for a column the layout lacks (-1). */
  text(i: number): string {
    if (i < 0) return '';
    const v = this.line.slice(this.start[i]!, this.end[i]!);
    return (this.quoting[i] === 2 ? v.replace(/""/g, '"') : v).trim();
  }
}

function orNull(s: string): string | null {
  const t = s.trim();
  return t === '' ? null : t;
}

function direction(origDevice: string | null, destDevice: string | null, called: string | null): Direction {
  const origEndpoint = origDevice !== null && ENDPOINT_RE.test(origDevice);
  const destEndpoint = destDevice !== null ? ENDPOINT_RE.test(destDevice) : called !== null && EXTENSION_RE.test(called);
  if (origEndpoint && destEndpoint) return 'internal';
  if (origEndpoint) return 'outbound';
  if (destEndpoint) return 'inbound';
  return 'unknown';
}

class CucmParser {
  private layout = DEFAULT_LAYOUT;
  private readonly clock: ZoneClock;
  private readonly fields = new FieldScanner();

  constructor(ctx: ParseContext) {
    this.clock = new ZoneClock(ctx.timeZone);
  }

  /** A whole number in column i; 0 for an empty optional one; a string says what is wrong. */
  private int(name: string, i: number, required: boolean): number | string {
    const v = this.fields.text(i);
    if (v === '') return required ? `${name} is empty` : 0;
    const n = v.length <= 10 ? readDigits(v, 0, v.length) : -1;
    return n < 0 ? `${name} "${v}" is not a number` : n;
  }

  parse(line: string): ParseResult {
    const fields = this.fields;
    const problem = fields.scan(line);
    if (problem !== null) return { kind: 'error', error: problem };
    const first = fields.text(0);
    if (first === 'cdrRecordType') {
      const split = splitCsv(line);
      const names = split.ok ? split.fields.map((c) => c.trim()) : [];
      const missing = NEEDED.filter((c) => !names.includes(c));
      if (missing.length > 0) return { kind: 'error', error: `header line lacks ${missing.join(', ')}` };
      this.layout = layoutOf(names);
      return { kind: 'skip', reason: 'header line' };
    }
    if (first === 'INTEGER') return { kind: 'skip', reason: 'field types line' };
    const { count, at } = this.layout;
    if (fields.count !== count) return { kind: 'error', error: `expected ${count} fields, found ${fields.count}` };
    const type = this.int('cdrRecordType', at.cdrRecordType, true);
    if (typeof type === 'string') return { kind: 'error', error: type };
    if (type === 0) return { kind: 'skip', reason: 'CDR start record' };
    if (type === 2) return { kind: 'skip', reason: 'CMR record' };
    if (type !== 1) return { kind: 'error', error: `cdrRecordType ${type} is not 0, 1 or 2` };
    const cmId = this.int('globalCallID_callManagerId', at.globalCallID_callManagerId, true);
    if (typeof cmId === 'string') return { kind: 'error', error: cmId };
    const callIdNumber = this.int('globalCallID_callId', at.globalCallID_callId, true);
    if (typeof callIdNumber === 'string') return { kind: 'error', error: callIdNumber };
    const origination = this.int('dateTimeOrigination', at.dateTimeOrigination, true);
    if (typeof origination === 'string') return { kind: 'error', error: origination };
    const connect = this.int('dateTimeConnect', at.dateTimeConnect, false);
    if (typeof connect === 'string') return { kind: 'error', error: connect };
    const disconnect = this.int('dateTimeDisconnect', at.dateTimeDisconnect, true);
    if (typeof disconnect === 'string') return { kind: 'error', error: disconnect };
    const duration = this.int('duration', at.duration, true);
    if (typeof duration === 'string') return { kind: 'error', error: duration };
    const origCause = this.int('origCause_value', at.origCause_value, false);
    if (typeof origCause === 'string') return { kind: 'error', error: origCause };
    const destCause = this.int('destCause_value', at.destCause_value, false);
    if (typeof destCause === 'string') return { kind: 'error', error: destCause };
    if (origination === 0 || origination >= MAX_EPOCH) return { kind: 'error', error: `dateTimeOrigination ${origination} is not a real time` };
    if (disconnect >= MAX_EPOCH || (disconnect !== 0 && disconnect < origination)) {
      return { kind: 'error', error: `dateTimeDisconnect ${disconnect} is not at or after dateTimeOrigination ${origination}` };
    }
    if (connect !== 0 && (connect < origination || (disconnect !== 0 && connect > disconnect))) {
      return { kind: 'error', error: `dateTimeConnect ${connect} is not between dateTimeOrigination and dateTimeDisconnect` };
    }
    const end = disconnect === 0 ? origination + duration : disconnect;
    const talk = connect === 0 ? 0 : duration;
    if (talk > end - origination) return { kind: 'error', error: `duration ${duration} exceeds the ${end - origination} s from origination to disconnect` };

    const clock = this.clock;
    const call: Call = emptyCall('cisco-cucm', clock.iso(origination * 1000), line);
    const mapped = mapCucmCause(destCause !== 0 ? destCause : origCause, talk);
    const calling = orNull(fields.text(at.callingPartyNumber));
    const original = orNull(fields.text(at.originalCalledPartyNumber));
    const final = orNull(fields.text(at.finalCalledPartyNumber));
    const origDevice = orNull(fields.text(at.origDeviceName));
    const destDevice = orNull(fields.text(at.destDeviceName));
    const globalCallId = `${cmId}-${callIdNumber}`;
    call.callId = orNull(fields.text(at.pkid)) ?? `${globalCallId}-${fields.text(at.origLegCallIdentifier)}`;
    call.direction = direction(origDevice, destDevice, final);
    call.callerNumber = calling;
    call.dialedNumber = original ?? final;
    call.calledNumber = final ?? original;
    call.answeredAt = connect === 0 ? null : clock.iso(connect * 1000);
    call.endedAt = clock.iso(end * 1000);
    call.ringSeconds = (connect === 0 ? end : connect) - origination;
    call.talkSeconds = talk;
    call.durationSeconds = end - origination;
    call.disposition = connect !== 0 ? 'answered' : mapped.disposition;
    call.hangupCause = mapped.cause;
    call.extension = call.direction === 'inbound' ? final : calling;
    call.trunk = call.direction === 'inbound' ? origDevice : call.direction === 'outbound' ? destDevice : null;
    call.answeredBy = connect !== 0 ? final : null;
    call.transferredTo = final !== null && original !== null && final !== original ? final : null;
    call.accountCode = orNull(fields.text(at.clientMatterCode));
    const extra = call.extra;
    extra.globalCallId = globalCallId;
    extra.origCause = origCause;
    extra.destCause = destCause;
    // Named stores, not a loop over names: this runs for every record and keyed stores cost more.
    const kept = (i: number): string | null => {
      const v = fields.text(i);
      return v === '' || v === '0' ? null : v;
    };
    let v: string | null;
    if ((v = kept(at.origLegCallIdentifier)) !== null) extra.origLegCallIdentifier = v;
    if ((v = kept(at.destLegIdentifier)) !== null) extra.destLegIdentifier = v;
    if (origDevice !== null) extra.origDeviceName = origDevice;
    if (destDevice !== null) extra.destDeviceName = destDevice;
    if ((v = kept(at.lastRedirectDn)) !== null) extra.lastRedirectDn = v;
    if ((v = kept(at.huntPilotDN)) !== null) extra.huntPilotDN = v;
    if ((v = kept(at.origCallTerminationOnBehalfOf)) !== null) extra.origCallTerminationOnBehalfOf = v;
    if ((v = kept(at.destCallTerminationOnBehalfOf)) !== null) extra.destCallTerminationOnBehalfOf = v;
    if ((v = kept(at.origCalledPartyRedirectOnBehalfOf)) !== null) extra.origCalledPartyRedirectOnBehalfOf = v;
    if ((v = kept(at.lastRedirectRedirectReason)) !== null) extra.lastRedirectRedirectReason = v;
    if ((v = kept(at.joinOnBehalfOf)) !== null) extra.joinOnBehalfOf = v;
    if ((v = kept(at.authCodeDescription)) !== null) extra.authCodeDescription = v;
    if ((v = kept(at.globalCallId_ClusterID)) !== null) extra.globalCallId_ClusterID = v;
    if ((v = kept(at.callingPartyNumberPartition)) !== null) extra.callingPartyNumberPartition = v;
    if ((v = kept(at.finalCalledPartyNumberPartition)) !== null) extra.finalCalledPartyNumberPartition = v;
    return { kind: 'call', call };
  }
}

function legKeys(call: Call): readonly string[] {
  const id = call.extra.globalCallId;
  return typeof id === 'string' ? [id] : [];
}

const TYPES_LINE = CUCM_COLUMNS.map((c) => (c === 'pkid' ? 'UNIQUEIDENTIFIER' : TEXT_COLUMN_RE.test(c) ? 'VARCHAR(50)' : 'INTEGER')).join(',');
const HEADER_LINE = CUCM_COLUMNS.map((c) => `"${c}"`).join(',');

function record(values: Record<string, string | number>): string {
  return CUCM_COLUMNS.map((c) => {
    const v = values[c];
    if (TEXT_COLUMN_RE.test(c)) return '"' + String(v ?? '').replace(/"/g, '""') + '"';
    return String(v ?? 0);
  }).join(',');
}

const phone = (ext: string): string => `SEP00112233${ext.padStart(4, '0').slice(-4)}`;

function render(sim: SimulatedCall): string[] {
  const out: string[] = sim.index === 0 ? [HEADER_LINE, TYPES_LINE] : [];
  const start = Math.floor(sim.startedAtMs / 1000);
  const talk = sim.answered ? sim.talkSeconds : 0;
  const connect = start + sim.ringSeconds;
  const inbound = sim.direction === 'inbound';
  const calling = inbound ? sim.externalNumber : sim.extension;
  const called = inbound ? sim.extension : sim.externalNumber;
  const gateway = `SIP-PSTN-${sim.trunk}`;
  const origDevice = inbound ? gateway : phone(sim.extension);
  const destDevice = sim.direction === 'outbound' ? gateway : phone(called);
  const base = {
    cdrRecordType: 1,
    globalCallID_callManagerId: 1,
    globalCallID_callId: 1_000_000 + sim.index,
    origNodeId: 1,
    destNodeId: 1,
    globalCallId_ClusterID: 'StandAloneCluster',
    callingPartyNumber: calling,
    originalCalledPartyNumber: called,
    origDeviceName: origDevice,
    clientMatterCode: sim.accountCode ?? '',
    callingPartyNumberPartition: inbound ? 'PSTN_PT' : 'Internal_PT',
  };
  const leg = (n: number, from: number, answered: number, to: number, final: string, dest: string, extra: Record<string, string | number> = {}): string =>
    record({
      ...base,
      origLegCallIdentifier: 20_000_000 + sim.index * 4 + n,
      destLegIdentifier: 20_000_000 + sim.index * 4 + n + 1,
      dateTimeOrigination: from,
      dateTimeConnect: answered,
      dateTimeDisconnect: to,
      duration: answered === 0 ? 0 : to - answered,
      finalCalledPartyNumber: final,
      destDeviceName: dest,
      origCause_value: answered === 0 ? 16 : 0,
      destCause_value: answered === 0 ? (sim.index % 7 === 0 ? 17 : 0) : 16,
      pkid: `0f1e2d3c-${sim.index.toString(16).padStart(4, '0')}-4000-8000-${n.toString(16).padStart(12, '0')}`,
      ...extra,
    });
  if (sim.answered && talk >= 2 && sim.index % 4 === 1 && sim.direction !== 'outbound') {
    // A transfer: the first leg ends when the phone transfers, the second runs to the end of the call.
    const split = connect + Math.floor(talk / 2);
    const to = String(200 + ((Number(called) - 200 + 7) % 60));
    out.push(leg(0, start, connect, split, called, destDevice, { origCallTerminationOnBehalfOf: 10, destCallTerminationOnBehalfOf: 10 }));
    out.push(leg(2, split, split, connect + talk, to, phone(to), { lastRedirectDn: called, origCalledPartyRedirectOnBehalfOf: 10, lastRedirectRedirectReason: 10 }));
  } else {
    out.push(leg(0, start, sim.answered ? connect : 0, connect + talk, called, destDevice));
  }
  return out;
}

function detect(sample: readonly string[]): number {
  if (sample.some((l) => /^"?cdrRecordType"?,"?globalCallID_callManagerId"?/.test(l))) return 1;
  let hits = 0;
  for (const line of sample) {
    const split = splitCsv(line);
    if (split.ok && split.fields.length === CUCM_COLUMNS.length && /^[012]$/.test(split.fields[0]!) && /^\d{9,10}$/.test(split.fields[4]!)) hits++;
  }
  return sample.length === 0 ? 0 : (0.9 * hits) / sample.length;
}

export const ciscoCucm: Format = {
  id: 'cisco-cucm',
  name: 'Cisco Unified CM CDR flat file',
  framing: { kind: 'lines' },
  dedupe: 'call-id',
  detect,
  createParser: (ctx) => {
    const parser = new CucmParser(ctx);
    return (record) => parser.parse(record);
  },
  render,
  legKeys,
};
