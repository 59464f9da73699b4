import { describe, expect, it } from 'vitest';
import type { DialPlan } from '../config/schema.js';
import { emptyCall, type Direction } from '../core/call.js';
import { normalizeCall } from './normalize.js';

const PLAN: DialPlan = { country: 'GB', outsideLine: '9', areaCode: '20' };

function call(direction: Direction, dialedNumber: string | null, callerNumber: string | null = '201') {
  const c = emptyCall('test', '2026-03-02T09:15:00+00:00', 'raw');
  c.direction = direction;
  c.dialedNumber = dialedNumber;
  c.callerNumber = callerNumber;
  return c;
}

describe('normalizeCall', () => {
  it('outbound: the dialled number becomes E.164 digits, with country and type', () => {
    const c = normalizeCall(call('outbound', '9 07400 123456'), PLAN);
    expect([c.dialedNumber, c.calledNumber, c.extra]).toEqual(['9 07400 123456', '447400123456', { country: 'GB', numberType: 'mobile' }]);
    expect(normalizeCall(call('outbound', '9001 201 555 0123'), PLAN)).toMatchObject({ calledNumber: '12015550123', extra: { country: 'US', numberType: 'international' } });
    expect(normalizeCall(call('outbound', '9999'), PLAN)).toMatchObject({ calledNumber: '999', extra: { country: 'GB', numberType: 'emergency' } });
  });

  it('a number that cannot be classified is kept as unknown with the reason, never dropped', () => {
    const c = normalizeCall(call('outbound', '*72#'), PLAN);
    expect([c.calledNumber, c.extra]).toEqual(['*72#', { country: null, numberType: 'unknown', numberReason: 'contains "*" (a feature code, not a number)' }]);
    const empty = normalizeCall(call('outbound', null), PLAN);
    expect([empty.calledNumber, empty.extra]).toEqual([null, { country: null, numberType: 'unknown', numberReason: 'empty number' }]);
  });

  it('unknown direction: classified like outbound', () => {
    expect(normalizeCall(call('unknown', '902079460123'), PLAN)).toMatchObject({ calledNumber: '442079460123', extra: { country: 'GB', numberType: 'local' } });
  });

  it('inbound: the caller keeps its number and gets a country; the DID becomes E.164', () => {
    const c = normalizeCall(call('inbound', '02079460999', '0034 650 104 877'), PLAN);
    expect([c.callerNumber, c.calledNumber, c.extra]).toEqual(['0034 650 104 877', '442079460999', { callerCountry: 'ES', callerType: 'international' }]);
    const withheld = normalizeCall(call('inbound', '2001', 'Anonymous'), PLAN);
    expect([withheld.callerNumber, withheld.calledNumber, withheld.extra]).toEqual(['Anonymous', '2001', { callerCountry: null, callerType: 'unknown' }]);
  });

  it('internal: the extension dialled', () => {
    const c = normalizeCall(call('internal', ' 202 '), PLAN);
    expect([c.calledNumber, c.extra]).toEqual(['202', { numberType: 'internal' }]);
  });

  it('with the empty plan parse uses, + numbers still become E.164 digits', () => {
    expect(normalizeCall(call('inbound', '+34798400122', '904151440'), {}).calledNumber).toBe('34798400122');
    expect(normalizeCall(call('outbound', '+442079460123'), {})).toMatchObject({ calledNumber: '442079460123', extra: { country: 'GB', numberType: 'unknown' } });
  });
});
