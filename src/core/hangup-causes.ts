import type { Disposition } from './call.js';

// ITU-T Q.850 cause values (the ones switches report in practice), with the names FreeSWITCH and
// CDR-Stats use. The VoIP formats map their own codes onto these.
export const HANGUP_CAUSES: ReadonlyMap<number, { name: string; description: string }> = new Map([
  [0, { name: 'UNSPECIFIED', description: 'Unspecified' }],
  [1, { name: 'UNALLOCATED_NUMBER', description: 'Unallocated (unassigned) number' }],
  [2, { name: 'NO_ROUTE_TRANSIT_NET', description: 'No route to specified transit network' }],
  [3, { name: 'NO_ROUTE_DESTINATION', description: 'No route to destination' }],
  [6, { name: 'CHANNEL_UNACCEPTABLE', description: 'Channel unacceptable' }],
  [16, { name: 'NORMAL_CLEARING', description: 'Normal call clearing' }],
  [17, { name: 'USER_BUSY', description: 'User busy' }],
  [18, { name: 'NO_USER_RESPONSE', description: 'No user responding' }],
  [19, { name: 'NO_ANSWER', description: 'No answer from user (user alerted)' }],
  [20, { name: 'SUBSCRIBER_ABSENT', description: 'Subscriber absent' }],
  [21, { name: 'CALL_REJECTED', description: 'Call rejected' }],
  [22, { name: 'NUMBER_CHANGED', description: 'Number changed' }],
  [27, { name: 'DESTINATION_OUT_OF_ORDER', description: 'Destination out of order' }],
  [28, { name: 'INVALID_NUMBER_FORMAT', description: 'Invalid number format (address incomplete)' }],
  [29, { name: 'FACILITY_REJECTED', description: 'Facility rejected' }],
  [31, { name: 'NORMAL_UNSPECIFIED', description: 'Normal, unspecified' }],
  [34, { name: 'NORMAL_CIRCUIT_CONGESTION', description: 'No circuit/channel available' }],
  [38, { name: 'NETWORK_OUT_OF_ORDER', description: 'Network out of order' }],
  [41, { name: 'NORMAL_TEMPORARY_FAILURE', description: 'Temporary failure' }],
  [42, { name: 'SWITCH_CONGESTION', description: 'Switching equipment congestion' }],
  [44, { name: 'REQUESTED_CHAN_UNAVAIL', description: 'Requested circuit/channel not available' }],
  [47, { name: 'RESOURCE_UNAVAILABLE', description: 'Resource unavailable, unspecified' }],
  [50, { name: 'FACILITY_NOT_SUBSCRIBED', description: 'Requested facility not subscribed' }],
  [55, { name: 'INCOMING_CALL_BARRED', description: 'Incoming calls barred within CUG' }],
  [57, { name: 'BEARERCAPABILITY_NOTAUTH', description: 'Bearer capability not authorized' }],
  [58, { name: 'BEARERCAPABILITY_NOTAVAIL', description: 'Bearer capability not presently available' }],
  [65, { name: 'BEARERCAPABILITY_NOTIMPL', description: 'Bearer capability not implemented' }],
  [79, { name: 'SERVICE_NOT_IMPLEMENTED', description: 'Service or option not implemented' }],
  [88, { name: 'INCOMPATIBLE_DESTINATION', description: 'Incompatible destination' }],
  [95, { name: 'INVALID_MSG_UNSPECIFIED', description: 'Invalid message, unspecified' }],
  [102, { name: 'RECOVERY_ON_TIMER_EXPIRE', description: 'Recovery on timer expiry' }],
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
