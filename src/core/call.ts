// The call record contract (see DESIGN.md "The call record"): what every format produces.

export const DIRECTIONS = ['inbound', 'outbound', 'internal', 'unknown'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const DISPOSITIONS = ['answered', 'no_answer', 'busy', 'failed', 'rejected', 'unknown'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** One call as a format parsed it. Times are ISO-8601 with the switch's UTC offset. */
export interface Call {
  format: string;
  callId: string | null;
  direction: Direction;
  startedAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  ringSeconds: number | null;
  talkSeconds: number;
  holdSeconds: number | null;
  durationSeconds: number;
  disposition: Disposition;
  callerNumber: string | null;
  callerName: string | null;
  dialedNumber: string | null;
  calledNumber: string | null;
  extension: string | null;
  trunk: string | null;
  accountCode: string | null;
  transferredTo: string | null;
  answeredBy: string | null;
  /** Q.850 cause code where the format reports one. */
  hangupCause: number | null;
  /** Format-specific values worth keeping (costs the switch computed, country codes …). */
  extra: Record<string, string | number | boolean | null>;
  raw: string;
}

/** One event of an event-stream format (ringing, answered, hold, disconnected …). */
export interface CallEvent {
  format: string;
  /** The vendor's call reference that ties the events of one call together. */
  callRef: string;
  event: string;
  occurredAt: string;
  data: Record<string, string | number | null>;
  raw: string;
}

/** A call with every field defaulted, for formats to fill in. */
export function emptyCall(format: string, startedAt: string, raw: string): Call {
  return {
    format,
    callId: null,
    direction: 'unknown',
    startedAt,
    answeredAt: null,
    endedAt: null,
    ringSeconds: null,
    talkSeconds: 0,
    holdSeconds: null,
    durationSeconds: 0,
    disposition: 'unknown',
    callerNumber: null,
    callerName: null,
    dialedNumber: null,
    calledNumber: null,
    extension: null,
    trunk: null,
    accountCode: null,
    transferredTo: null,
    answeredBy: null,
    hangupCause: null,
    extra: {},
    raw,
  };
}
