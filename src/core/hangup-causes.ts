import type { Disposition } from './call.js';

// ITU-T Q.850 cause values, with the names FreeSWITCH and CDR-Stats use, and the maps from what
// VoIP switches write (Asterisk dispositions, FreeSWITCH cause names, SIP responses, CUCM cause
// values) onto one Q.850 code and the contract's disposition.
export const HANGUP_CAUSES: ReadonlyMap<number, { name: string; description: string }> = new Map([
  [0, { name: 'UNSPECIFIED', description: 'Unspecified' }],
  [1, { name: 'UNALLOCATED_NUMBER', description: 'Unallocated (unassigned) number' }],
  [2, { name: 'NO_ROUTE_TRANSIT_NET', description: 'No route to specified transit network' }],
  [3, { name: 'NO_ROUTE_DESTINATION', description: 'No route to destination' }],
  [6, { name: 'CHANNEL_UNACCEPTABLE', description: 'Channel unacceptable' }],
  [7, { name: 'CALL_AWARDED_DELIVERED', description: 'Call awarded and being delivered in an established channel' }],
  [16, { name: 'NORMAL_CLEARING', description: 'Normal call clearing' }],
  [17, { name: 'USER_BUSY', description: 'User busy' }],
  [18, { name: 'NO_USER_RESPONSE', description: 'No user responding' }],
  [19, { name: 'NO_ANSWER', description: 'No answer from user (user alerted)' }],
  [20, { name: 'SUBSCRIBER_ABSENT', description: 'Subscriber absent' }],
  [21, { name: 'CALL_REJECTED', description: 'Call rejected' }],
  [22, { name: 'NUMBER_CHANGED', description: 'Number changed' }],
  [23, { name: 'REDIRECTION_TO_NEW_DESTINATION', description: 'Redirection to new destination' }],
  [25, { name: 'EXCHANGE_ROUTING_ERROR', description: 'Exchange routing error' }],
  [27, { name: 'DESTINATION_OUT_OF_ORDER', description: 'Destination out of order' }],
  [28, { name: 'INVALID_NUMBER_FORMAT', description: 'Invalid number format (address incomplete)' }],
  [29, { name: 'FACILITY_REJECTED', description: 'Facility rejected' }],
  [30, { name: 'RESPONSE_TO_STATUS_ENQUIRY', description: 'Response to STATUS ENQUIRY' }],
  [31, { name: 'NORMAL_UNSPECIFIED', description: 'Normal, unspecified' }],
  [34, { name: 'NORMAL_CIRCUIT_CONGESTION', description: 'No circuit/channel available' }],
  [38, { name: 'NETWORK_OUT_OF_ORDER', description: 'Network out of order' }],
  [41, { name: 'NORMAL_TEMPORARY_FAILURE', description: 'Temporary failure' }],
  [42, { name: 'SWITCH_CONGESTION', description: 'Switching equipment congestion' }],
  [43, { name: 'ACCESS_INFO_DISCARDED', description: 'Access information discarded' }],
  [44, { name: 'REQUESTED_CHAN_UNAVAIL', description: 'Requested circuit/channel not available' }],
  [45, { name: 'PRE_EMPTED', description: 'Pre-empted' }],
  [47, { name: 'RESOURCE_UNAVAILABLE', description: 'Resource unavailable, unspecified' }],
  [50, { name: 'FACILITY_NOT_SUBSCRIBED', description: 'Requested facility not subscribed' }],
  [52, { name: 'OUTGOING_CALL_BARRED', description: 'Outgoing calls barred' }],
  [54, { name: 'INCOMING_CALLS_BARRED', description: 'Incoming calls barred' }],
  [55, { name: 'INCOMING_CALL_BARRED', description: 'Incoming calls barred within CUG' }],
  [57, { name: 'BEARERCAPABILITY_NOTAUTH', description: 'Bearer capability not authorized' }],
  [58, { name: 'BEARERCAPABILITY_NOTAVAIL', description: 'Bearer capability not presently available' }],
  [63, { name: 'SERVICE_UNAVAILABLE', description: 'Service or option not available, unspecified' }],
  [65, { name: 'BEARERCAPABILITY_NOTIMPL', description: 'Bearer capability not implemented' }],
  [66, { name: 'CHAN_NOT_IMPLEMENTED', description: 'Channel type not implemented' }],
  [69, { name: 'FACILITY_NOT_IMPLEMENTED', description: 'Requested facility not implemented' }],
  [79, { name: 'SERVICE_NOT_IMPLEMENTED', description: 'Service or option not implemented' }],
  [81, { name: 'INVALID_CALL_REFERENCE', description: 'Invalid call reference value' }],
  [88, { name: 'INCOMPATIBLE_DESTINATION', description: 'Incompatible destination' }],
  [95, { name: 'INVALID_MSG_UNSPECIFIED', description: 'Invalid message, unspecified' }],
  [96, { name: 'MANDATORY_IE_MISSING', description: 'Mandatory information element is missing' }],
  [97, { name: 'MESSAGE_TYPE_NONEXIST', description: 'Message type non-existent or not implemented' }],
  [98, { name: 'WRONG_MESSAGE', description: 'Message not compatible with call state' }],
  [99, { name: 'IE_NONEXIST', description: 'Information element non-existent or not implemented' }],
  [100, { name: 'INVALID_IE_CONTENTS', description: 'Invalid information element contents' }],
  [101, { name: 'WRONG_CALL_STATE', description: 'Message not compatible with call state' }],
  [102, { name: 'RECOVERY_ON_TIMER_EXPIRE', description: 'Recovery on timer expiry' }],
  [103, { name: 'MANDATORY_IE_LENGTH_ERROR', description: 'Parameter non-existent or not implemented, passed on' }],
  [111, { name: 'PROTOCOL_ERROR', description: 'Protocol error, unspecified' }],
  [127, { name: 'INTERWORKING', description: 'Interworking, unspecified' }],
]);

const byName = new Map([...HANGUP_CAUSES].map(([code, c]) => [c.name, code]));

export function causeCodeByName(name: string): number | null {
  return byName.get(name.trim().toUpperCase()) ?? null;
}

/** The contract's disposition from a Q.850 cause and whether the call was talked on. */
export function dispositionFromCause(cause: number | null, talkSeconds: number): Disposition {
  if (talkSeconds > 0) return 'answered';
  switch (cause) {
    case null:
    case 0:
      return 'unknown';
    case 17:
      return 'busy';
    case 16: // the caller hung up before anyone answered
    case 18:
    case 19:
    case 20:
    case 31:
      return 'no_answer';
    case 21:
    case 55:
      return 'rejected';
    default:
      return 'failed';
  }
}

/** What a switch's own cause text or code comes to. */
export interface MappedCause {
  cause: number | null;
  disposition: Disposition;
}

// FreeSWITCH's causes beyond Q.850 (switch_types.h, codes 142 and 487…625), as the Q.850 cause
// that says the same thing.
const FREESWITCH_ONLY: Readonly<Record<string, number>> = {
  NONE: 0,
  SUCCESS: 16,
  ORIGINATOR_CANCEL: 16,
  LOSE_RACE: 16,
  PICKED_OFF: 16,
  BLIND_TRANSFER: 16,
  ATTENDED_TRANSFER: 16,
  MANAGER_REQUEST: 16,
  BOWOUT: 16,
  CRASH: 41,
  SYSTEM_SHUTDOWN: 41,
  SRTP_READ_ERROR: 41,
  INVALID_PROFILE: 41,
  ALLOTTED_TIMEOUT: 102,
  MEDIA_TIMEOUT: 102,
  PROGRESS_TIMEOUT: 102,
  NO_PICKUP: 19,
  USER_NOT_REGISTERED: 20,
  INVALID_GATEWAY: 3,
  GATEWAY_DOWN: 38,
  INVALID_URL: 28,
  USER_CHALLENGE: 21,
  BUSY_EVERYWHERE: 17,
  DECLINE: 21,
  DOES_NOT_EXIST_ANYWHERE: 1,
  NOT_ACCEPTABLE: 58,
  UNWANTED: 21,
  NO_IDENTITY: 21,
  BAD_IDENTITY_INFO: 21,
  UNSUPPORTED_CERTIFICATE: 21,
  INVALID_IDENTITY: 21,
  STALE_DATE: 21,
  REJECT_ALL: 21,
  // Older spellings FreeSWITCH still accepts.
  INCOMING_CALL_BARRED: 54,
};

/** A FreeSWITCH hangup_cause name (NORMAL_CLEARING, ORIGINATOR_CANCEL …) → Q.850; null when unknown. */
export function causeFromFreeswitchName(name: string): number | null {
  const upper = name.trim().toUpperCase();
  return FREESWITCH_ONLY[upper] ?? byName.get(upper) ?? null;
}

/** How far the caller got when FreeSWITCH hung up on one of its own causes. */
export function mapFreeswitchCause(name: string, talkSeconds: number): MappedCause | null {
  const cause = causeFromFreeswitchName(name);
  if (cause === null) return null;
  const upper = name.trim().toUpperCase();
  // A ring-group leg that lost to another phone, or was picked up elsewhere: it was not answered there.
  if (talkSeconds === 0 && (upper === 'LOSE_RACE' || upper === 'PICKED_OFF')) return { cause, disposition: 'no_answer' };
  return { cause, disposition: dispositionFromCause(cause, talkSeconds) };
}

// Asterisk dispositions, as CDR-Stats' cdr-pusher maps them (seed 004), Q.850 for each.
const ASTERISK: Readonly<Record<string, MappedCause>> = {
  ANSWERED: { cause: 16, disposition: 'answered' },
  ANSWER: { cause: 16, disposition: 'answered' },
  'NO ANSWER': { cause: 19, disposition: 'no_answer' },
  NOANSWER: { cause: 19, disposition: 'no_answer' },
  BUSY: { cause: 17, disposition: 'busy' },
  FAILED: { cause: 41, disposition: 'failed' },
  FAIL: { cause: 41, disposition: 'failed' },
  CONGESTION: { cause: 34, disposition: 'failed' },
  CANCEL: { cause: 16, disposition: 'no_answer' },
  CANCELED: { cause: 16, disposition: 'no_answer' },
  CHANUNAVAIL: { cause: 47, disposition: 'failed' },
  DONTCALL: { cause: 21, disposition: 'rejected' },
  TORTURE: { cause: 21, disposition: 'rejected' },
  INVALIDARGS: { cause: 47, disposition: 'failed' },
};

/** An Asterisk CDR disposition (ANSWERED, NO ANSWER, BUSY, FAILED, CONGESTION …); null when unknown. */
export function mapAsteriskDisposition(disposition: string): MappedCause | null {
  return ASTERISK[disposition] ?? ASTERISK[disposition.trim().toUpperCase()] ?? null;
}

// SIP final responses → Q.850, RFC 3398 section 8.2.6.1; 487 (request terminated: the caller
// cancelled) as FreeSWITCH's ORIGINATOR_CANCEL, which is a normal clearing before the answer.
const SIP_TO_Q850: Readonly<Record<number, number>> = {
  400: 41, 401: 21, 402: 21, 403: 21, 404: 1, 405: 63, 406: 79, 407: 21, 408: 102, 410: 22,
  413: 127, 414: 127, 415: 79, 416: 127, 420: 127, 421: 127, 423: 127, 480: 18, 481: 41, 482: 25,
  483: 25, 484: 28, 485: 1, 486: 17, 487: 16, 488: 127, 500: 41, 501: 79, 502: 38, 503: 41,
  504: 102, 505: 127, 513: 127, 600: 17, 603: 21, 604: 1, 606: 58,
};

/** A SIP response code → Q.850 and disposition; null for a code that is not a final response. */
export function mapSipCode(code: number): MappedCause | null {
  if (!Number.isInteger(code) || code < 200 || code > 699) return null;
  if (code < 300) return { cause: 16, disposition: 'answered' };
  // Redirections end the transaction without an answer at this hop.
  if (code < 400) return { cause: 23, disposition: 'no_answer' };
  const cause = SIP_TO_Q850[code] ?? (code < 500 ? 21 : code < 600 ? 41 : 31);
  // A timeout or an unavailable user rang out: no answer, not a failure.
  if (code === 408 || code === 480) return { cause, disposition: 'no_answer' };
  return { cause, disposition: dispositionFromCause(cause, 0) };
}

/**
 * A CUCM origCause_value / destCause_value: Q.850 already, 0 meaning none. Values above 127 are
 * Cisco's own (393216 call split by a transfer, 262144 conference drop …): a normal clearing.
 */
export function mapCucmCause(value: number, talkSeconds: number): MappedCause {
  const cause = value === 0 ? null : value > 127 ? 16 : value;
  return { cause, disposition: dispositionFromCause(cause, talkSeconds) };
}
