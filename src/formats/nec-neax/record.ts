import type { Call, Direction } from '../../core/call.js';
import type { Stamp } from './clock.js';

// What every NEAX record kind comes down to, and the call made from it.

export const FORMAT_ID = 'nec-neax';

export const PARTY_KINDS: Readonly<Record<string, string>> = {
  '0': 'station',
  '1': 'attendant',
  '2': 'incoming-trunk',
  '3': 'monitored-number',
};

export interface Parties {
  direction: Direction;
  extension: string | null;
  callerNumber: string | null;
  dialedNumber: string | null;
  trunk: string | null;
  accountCode: string | null;
  extra: Call['extra'];
}

export interface Times {
  /** When the call began: the answer, or when an incoming trunk call arrived where the record says. */
  started: Stamp;
  /** When the conversation began (NEAX starts its clock at answer). */
  answered: Stamp;
  ended: Stamp;
}

/** NEC writes route and trunk as RT/TK. */
export function routeTrunk(route: string | null, trunk: string | null): string | null {
  if (route === null && trunk === null) return null;
  return (route ?? '') + '/' + (trunk ?? '');
}

/** Sets an extra when it has a value. */
export function setExtra(extra: Call['extra'], key: string, value: string | number | null): void {
  if (value !== null) extra[key] = value;
}

/**
 * NEAX prints only answered calls (abandoned and incomplete ones are discarded by the switch), timed
 * from answer to release. A zero-length record shows no conversation, so it is not claimed answered.
 */
export function buildCall(raw: string, p: Parties, t: Times): Call {
  const talk = Math.round((t.ended.epochMs - t.answered.epochMs) / 1000);
  const ring = Math.round((t.answered.epochMs - t.started.epochMs) / 1000);
  return {
    format: FORMAT_ID,
    callId: null,
    direction: p.direction,
    startedAt: t.started.iso,
    answeredAt: talk > 0 ? t.answered.iso : null,
    endedAt: t.ended.iso,
    ringSeconds: t.started === t.answered ? null : ring,
    talkSeconds: talk,
    holdSeconds: null,
    durationSeconds: talk + ring,
    disposition: talk > 0 ? 'answered' : 'unknown',
    callerNumber: p.callerNumber,
    callerName: null,
    dialedNumber: p.dialedNumber,
    calledNumber: p.dialedNumber,
    extension: p.extension,
    trunk: p.trunk,
    accountCode: p.accountCode,
    transferredTo: null,
    answeredBy: null,
    hangupCause: null,
    extra: p.extra,
    raw,
  };
}
