import type { Call } from '../core/call.js';
import type { DialPlan } from '../config/schema.js';

// The normalizer hook: dialled digits → the number stored in `calledNumber`. This first version
// strips the outside-line access code and formatting; the numbers and rating issue replaces it
// with full dial-plan classification.

function outsideLines(plan: DialPlan): string[] {
  if (!plan.outsideLine) return [];
  return Array.isArray(plan.outsideLine) ? plan.outsideLine : [plan.outsideLine];
}

export function normalizeCall(call: Call, plan: DialPlan): Call {
  const dialed = call.dialedNumber;
  if (!dialed) return call;
  let digits = dialed.replace(/[\s().-]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (call.direction === 'outbound') {
    const prefix = outsideLines(plan).find((p) => digits.startsWith(p) && digits.length > p.length);
    if (prefix) digits = digits.slice(prefix.length);
  }
  call.calledNumber = digits;
  return call;
}
