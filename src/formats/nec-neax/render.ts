import { isoInZone } from '../../core/time.js';
import type { ParseContext, SimulatedCall } from '../format.js';
import { COL, EXTENDED_LENGTH, NORMAL_LENGTH } from './columns.js';

// What a NEAX prints for a simulated call (the message between STX and ETX). The switch prints only answered calls,
// timed from answer; an unanswered simulated call is printed with no time between start and end
// so that the simulator still has one record per call.

export type Family = 'normal' | 'extended' | 'flexible';

/** The switch's wall clock at an instant: YYYY, MM, DD, hh, mm, ss. */
function wallClock(epochMs: number, timeZone: string): string[] {
  const iso = isoInZone(epochMs, timeZone);
  return [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16), iso.slice(17, 19)];
}

function put(line: string[], at: number, text: string): void {
  for (let i = 0; i < text.length; i++) line[at + i] = text[i]!;
}

function trunkOf(sim: SimulatedCall): string {
  return sim.trunk.padStart(3, '0').slice(-3);
}

function renderColumns(sim: SimulatedCall, ctx: ParseContext, extended: boolean, startMs: number, endMs: number): string {
  const line = new Array<string>(extended ? EXTENDED_LENGTH : NORMAL_LENGTH).fill(' ');
  const letters = extended ? { outbound: 'H', inbound: 'I', internal: 'J' } : { outbound: 'A', inbound: 'E', internal: 'B' };
  const [sy, smo, sd, sh, smi, ss] = wallClock(startMs, ctx.timeZone);
  const [ey, emo, ed, eh, emi, es] = wallClock(endMs, ctx.timeZone);
  put(line, 0, '0!K' + letters[sim.direction]);
  if (sim.direction !== 'internal') put(line, COL.route, (sim.direction === 'outbound' ? '001' : '002') + trunkOf(sim));
  put(line, COL.partyKind, '001');
  put(line, COL.calling, sim.extension.slice(0, 6));
  put(line, COL.start, smo! + sd! + sh! + smi! + ss!);
  put(line, COL.end, emo! + ed! + eh! + emi! + es!);
  if (sim.accountCode) put(line, COL.account, sim.accountCode.slice(0, 10));
  put(line, COL.conditions, sim.accountCode ? '020' : '000');
  if (sim.direction === 'internal') put(line, COL.calledTenant, '01' + sim.externalNumber.slice(0, 6));
  else put(line, COL.dialled, (sim.direction === 'outbound' ? sim.externalNumber : sim.extension).slice(0, 24));
  put(line, COL.pulses, '0000');
  put(line, COL.startYear, sy!.slice(2) + ey!.slice(2));
  put(line, COL.chargeCode, '0000000');
  put(line, COL.billNotification, '0');
  if (extended) {
    put(line, COL.dataId, '0');
    if (sim.direction === 'inbound' && sim.externalNumber) put(line, COL.cpnPresentation, '1' + sim.externalNumber.slice(0, 32));
  }
  return line.join('');
}

function item(id: number, value: string): string {
  return String(id).padStart(2, '0') + String(value.length).padStart(2, '0') + value;
}

function fullTime(epochMs: number, timeZone: string): string {
  return wallClock(epochMs, timeZone).join('') + '000';
}

function renderFlexible(sim: SimulatedCall, ctx: ParseContext, startMs: number, endMs: number): string {
  const tz = ctx.timeZone;
  const station = (number: string): string => '0001' + number.slice(0, 6).padEnd(6);
  const trunk = item(1, '001' + (sim.direction === 'outbound' ? '001' : '002') + trunkOf(sim) + '001');
  const account = sim.accountCode ? item(7, sim.accountCode.slice(0, 16)) : '';
  const times = item(6, fullTime(startMs, tz) + fullTime(endMs, tz));
  switch (sim.direction) {
    case 'outbound':
      return '0!KK' + trunk + item(2, station(sim.extension)) + times + account + item(8, '000') + item(10, sim.externalNumber.slice(0, 32));
    case 'inbound': {
      // The trunk call arrived at the simulated start and was answered after the ring time.
      const answered = startMs + sim.ringSeconds * 1000;
      const talk = endMs - startMs;
      const ani = sim.externalNumber ? item(16, '1' + sim.externalNumber.slice(0, 32)) : '';
      const inboundTimes = item(6, fullTime(answered, tz) + fullTime(answered + talk, tz));
      return '0!KL' + trunk + item(4, station(sim.extension)) + inboundTimes + account + item(8, '000') + ani + item(19, fullTime(startMs, tz));
    }
    case 'internal':
      return '0!KM' + item(2, station(sim.extension)) + item(4, station(sim.externalNumber)) + times + account + item(8, '000');
  }
}

/** One record for the call, without its STX and ETX (which the simulator adds on the wire, and the framer strips). */
export function renderRecord(sim: SimulatedCall, ctx: ParseContext, family: Family = 'normal'): string {
  const startMs = sim.startedAtMs;
  const endMs = startMs + (sim.answered ? sim.talkSeconds : 0) * 1000;
  return family === 'flexible' ? renderFlexible(sim, ctx, startMs, endMs) : renderColumns(sim, ctx, family === 'extended', startMs, endMs);
}
