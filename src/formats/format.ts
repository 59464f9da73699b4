import type { Call, CallEvent } from '../core/call.js';
import type { Framing } from '../framing/framer.js';

/** What a parser is told about the switch; parsers do no I/O and read no clock. */
export interface ParseContext {
  /** IANA zone of the switch's clock. */
  timeZone: string;
  /** The day the records were received (YYYY-MM-DD), for formats whose dates lack a year. */
  referenceDate: string;
}

export type ParseResult =
  | { kind: 'call'; call: Call }
  | { kind: 'event'; event: CallEvent }
  /** Headers, banners, page breaks: journaled, never calls. */
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; error: string };

/** Parses the records of one stream in order. It may remember what earlier records said (a CSV header). */
export type RecordParser = (record: string) => ParseResult;

/** Joins the events of an event-stream format into calls. */
export interface Assembler {
  /** Takes one event; returns the calls it completed. */
  push(event: CallEvent): Call[];
  /** Ends the stream: returns the calls still open, as far as they got. */
  flush(): Call[];
}

/** A call the simulator invents, for a format to render as its switch would print it. */
export interface SimulatedCall {
  index: number;
  direction: 'inbound' | 'outbound' | 'internal';
  startedAtMs: number;
  ringSeconds: number;
  talkSeconds: number;
  answered: boolean;
  extension: string;
  externalNumber: string;
  callerName: string;
  trunk: string;
  accountCode: string | null;
}

export interface Format {
  /** The format id, e.g. `cdrstats-csv`. */
  id: string;
  name: string;
  /** How records are cut from the byte stream. */
  framing: Framing;
  /**
   * Dedupe strategy: `call-id` when every call carries the vendor's id (key = switch + id + start);
   * `record-hash` otherwise (key = switch + normalized record text + ordinal among identical ones).
   */
  dedupe: 'call-id' | 'record-hash';
  /** The resolution of the start time the format prints, in seconds (60 for `hh:mm` formats). Default 1. */
  startPrecisionSeconds?: number;
  /** How sure (0…1) the format is that these sample records are its own. */
  detect(sample: readonly string[]): number;
  createParser(ctx: ParseContext): RecordParser;
  createAssembler?(ctx: ParseContext): Assembler;
  /** The records a switch of this format would emit for the call (the simulator uses it). */
  render(call: SimulatedCall, ctx: ParseContext): string[];
  /**
   * Multi-leg formats (one record per leg): the ids a leg is known by or points at (FreeSWITCH
   * uuid and bleg_uuid, Asterisk linkedid, CUCM globalCallID). Legs sharing an id are one logical
   * call (see legs.ts). Empty when the record stands alone.
   */
  legKeys?(call: Call): readonly string[];
}
