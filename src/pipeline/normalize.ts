import type { Call } from '../core/call.js';
import type { DialPlan } from '../config/schema.js';
import { classifyNumber } from '../numbers/classify.js';

// The normalizer hook: classifies the numbers of a call under its switch's dial plan. Outbound
// (and direction-unknown) calls get the dialled number as E.164 digits in `calledNumber`, with
// extra.country and extra.numberType; inbound calls keep the caller's number as the switch sent
// it and get extra.callerCountry / extra.callerType; internal calls keep the extension dialled.
// A number that cannot be classified is stored as `unknown` with extra.numberReason, never dropped.

export function normalizeCall(call: Call, plan: DialPlan): Call {
  const dialled = call.dialedNumber ?? call.calledNumber;
  if (call.direction === 'internal') {
    const c = classifyNumber(dialled, plan, 'internal');
    if (dialled) call.calledNumber = c.digits || dialled;
    call.extra.numberType = 'internal';
    return call;
  }
  if (call.direction === 'inbound') {
    if (dialled) {
      const c = classifyNumber(dialled, plan, 'inbound');
      call.calledNumber = c.e164 ?? (c.digits || dialled);
    }
    const caller = classifyNumber(call.callerNumber, plan, 'inbound');
    call.extra.callerCountry = caller.country;
    call.extra.callerType = caller.type;
    return call;
  }
  const c = classifyNumber(dialled, plan, call.direction);
  if (dialled) call.calledNumber = c.e164 ?? (c.digits || dialled);
  call.extra.country = c.country;
  call.extra.numberType = c.type;
  if (c.special) call.extra.special = c.special;
  if (c.type === 'unknown' && c.reason) call.extra.numberReason = c.reason;
  return call;
}
