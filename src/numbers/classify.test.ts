import { describe, expect, it } from 'vitest';
import type { DialPlan } from '../config/schema.js';
import { dialPlanSchema } from '../config/schema.js';
import { classifyNumber } from './classify.js';

const GB: DialPlan = { country: 'GB', outsideLine: '9', areaCode: '20' };
const pick = (n: string, plan: DialPlan, direction?: Parameters<typeof classifyNumber>[2]) => {
  const c = classifyNumber(n, plan, direction);
  return [c.e164, c.country, c.type];
};

describe('classifyNumber: seed 004 (CDR-Stats) dial-code examples', () => {
  // CDR-Stats: USA with PHONENUMBER_MAX_DIGITS 10 and LOCAL_DIALCODE 1 — 10-digit numbers get the
  // 1, 11-digit numbers are left as they are.
  it('USA: 10 and 11 digits both become 1 + the 10-digit number', () => {
    for (const plan of [{ country: 'US' }, { country: 'US', maxDigits: 10 }] as DialPlan[]) {
      expect(pick('2015550123', plan)).toEqual(['12015550123', 'US', 'national']);
      expect(pick('12015550123', plan)).toEqual(['12015550123', 'US', 'national']);
    }
  });

  // UK: prefixes to ignore include 0, PHONENUMBER_MAX_DIGITS 10, LOCAL_DIALCODE 44.
  it('UK: the leading 0 goes and 44 comes in front', () => {
    for (const plan of [{ country: 'GB' }, { country: 'GB', ignorePrefixes: ['0', '00'], maxDigits: 10 }] as DialPlan[]) {
      expect(pick('02079460123', plan)).toEqual(['442079460123', 'GB', 'national']);
      expect(pick('0034912345678', plan)).toEqual(['34912345678', 'ES', 'international']);
    }
    expect(pick('01612345678', { country: 'GB' })).toEqual(['441612345678', 'GB', 'national']);
  });

  // Spain: no trunk 0, all numbers 9 digits, PHONENUMBER_MAX_DIGITS 9, LOCAL_DIALCODE 34.
  it('Spain: 9 digits get 34; longer numbers already carry a country code', () => {
    for (const plan of [{ country: 'ES' }, { country: 'ES', maxDigits: 9 }] as DialPlan[]) {
      expect(pick('912345678', plan)).toEqual(['34912345678', 'ES', 'national']);
      expect(pick('650104877', plan)).toEqual(['34650104877', 'ES', 'mobile']);
      expect(pick('34912345678', plan)).toEqual(['34912345678', 'ES', 'national']);
      expect(pick('442079460123', plan)).toEqual(['442079460123', 'GB', 'international']);
    }
  });
});

describe('classifyNumber: types', () => {
  it('tells GB mobile, toll-free, premium, local and national apart', () => {
    expect(classifyNumber('07400123456', GB)).toEqual({ type: 'mobile', e164: '447400123456', country: 'GB', digits: '07400123456', lineType: 'MOBILE', valid: true });
    expect(pick('08001111111', GB)).toEqual(['448001111111', 'GB', 'toll-free']);
    expect(pick('09098790000', GB)).toEqual(['449098790000', 'GB', 'premium']);
    expect(pick('02079460123', GB)).toEqual(['442079460123', 'GB', 'local']);
    expect(pick('79460123', GB)).toEqual(['442079460123', 'GB', 'local']);
    expect(pick('01612345678', GB)).toEqual(['441612345678', 'GB', 'national']);
  });

  it('strips the international prefix: 00 in GB, 011 in the US, + anywhere', () => {
    expect(pick('0033140000000', GB)).toEqual(['33140000000', 'FR', 'international']);
    expect(pick('01133140000000', { country: 'US' })).toEqual(['33140000000', 'FR', 'international']);
    expect(pick('+1 (201) 555-0123', GB)).toEqual(['12015550123', 'US', 'international']);
    expect(pick('+44 20 7946 0123', GB)).toEqual(['442079460123', 'GB', 'local']);
    expect(pick('+80012345678', GB)).toEqual(['80012345678', null, 'international']);
    expect(pick('0034912345678', { country: 'GB', internationalPrefix: '010' })).toEqual(['34912345678', 'ES', 'international']);
  });

  it('strips the outside line 9, also when 0 or 00 follows, and keeps it when it cannot be one', () => {
    expect(classifyNumber('902079460123', GB)).toMatchObject({ e164: '442079460123', type: 'local', digits: '02079460123' });
    expect(pick('9 07400 123456', GB)).toEqual(['447400123456', 'GB', 'mobile']);
    expect(pick('90033140000000', GB)).toEqual(['33140000000', 'FR', 'international']);
    expect(pick('912015550123', { country: 'US', outsideLine: '9' })).toEqual(['12015550123', 'US', 'national']);
    // 916 is a Sacramento area code: without the 9 the rest is no number, so the 9 was dialled.
    expect(pick('9165550123', { country: 'US', outsideLine: '9' })).toEqual(['19165550123', 'US', 'national']);
    expect(pick('802079460123', { country: 'GB', outsideLine: ['9', '80'] })).toEqual(['442079460123', 'GB', 'national']);
    // Inbound numbers never had an outside line.
    expect(pick('02079460123', GB, 'inbound')).toEqual(['442079460123', 'GB', 'local']);
  });

  it('reads extensions as internal', () => {
    expect(classifyNumber('201', GB)).toEqual({ type: 'internal', e164: null, country: null, digits: '201', lineType: null, valid: true });
    expect(pick('4021', { country: 'GB', extensionLength: { min: 4, max: 4 } })).toEqual([null, null, 'internal']);
    expect(pick('40211', { country: 'GB', extensionLength: { min: 4, max: 4 } })).toEqual([null, 'GB', 'unknown']);
    expect(pick('12345', { country: 'GB', minDigits: 6 })).toEqual([null, null, 'internal']);
  });

  it('knows emergency numbers by country, with or without the outside line, plus the plan’s own', () => {
    expect(classifyNumber('999', GB)).toEqual({ type: 'emergency', e164: null, country: 'GB', digits: '999', lineType: null, valid: true });
    expect(pick('9999', GB)).toEqual([null, 'GB', 'emergency']);
    expect(pick('9112', GB)).toEqual([null, 'GB', 'emergency']);
    expect(pick('911', { country: 'US' })).toEqual([null, 'US', 'emergency']);
    expect(pick('000', { country: 'AU' })).toEqual([null, 'AU', 'emergency']);
    expect(pick('911', { country: 'GB' })).toEqual([null, null, 'internal']);
    // With outside line 9, 911 is the outside line and 11, which is no number.
    expect(pick('911', GB)).toEqual([null, 'GB', 'unknown']);
    expect(pick('2222', { country: 'GB', emergencyNumbers: ['2222'] })).toEqual([null, 'GB', 'emergency']);
  });

  it('labels special numbers from the plan', () => {
    const plan = dialPlanSchema.parse({ country: 'GB', specialNumbers: { '118118': 'Directory enquiries', '123': { label: 'Speaking clock', type: 'premium' } } });
    expect(classifyNumber('118118', plan)).toEqual({ type: 'national', e164: null, country: 'GB', digits: '118118', lineType: null, valid: true, special: 'Directory enquiries' });
    expect(classifyNumber('123', plan)).toMatchObject({ type: 'premium', special: 'Speaking clock' });
  });
});

describe('classifyNumber: bad input is unknown with the reason, never an exception', () => {
  it('empty, letters, * and #, a + inside', () => {
    for (const empty of ['', '   ', null, undefined, '+']) expect(classifyNumber(empty, GB)).toEqual({ type: 'unknown', e164: null, country: null, digits: '', lineType: null, valid: false, reason: 'empty number' });
    expect(classifyNumber('0800 FLOWERS', GB)).toEqual({ type: 'unknown', e164: null, country: null, digits: '0800FLOWERS', lineType: null, valid: false, reason: 'contains the letter "F"' });
    expect(classifyNumber('*72#', GB)).toMatchObject({ type: 'unknown', reason: 'contains "*" (a feature code, not a number)' });
    expect(classifyNumber('12#', GB)).toMatchObject({ type: 'unknown', reason: 'contains "#" (a feature code, not a number)' });
    expect(classifyNumber('44+20', GB)).toMatchObject({ type: 'unknown', reason: 'contains "+" inside the number' });
  });

  it('numbers that are no number in the country', () => {
    expect(classifyNumber('0200000', { country: 'GB' })).toEqual({ type: 'unknown', e164: null, country: 'GB', digits: '0200000', lineType: null, valid: false, reason: 'not a valid number in GB' });
    expect(classifyNumber('+999123', GB)).toMatchObject({ type: 'unknown', e164: null, reason: 'not a valid international number' });
  });

  it('a possible but not valid number keeps its E.164 form and says so', () => {
    expect(classifyNumber('+15551234567', GB)).toEqual({ type: 'international', e164: '15551234567', country: 'US', digits: '15551234567', lineType: null, valid: false, reason: 'not a valid number in US, only of a possible length' });
  });

  it('without a country, only line types can be told', () => {
    expect(pick('+442079460123', {})).toEqual(['442079460123', 'GB', 'unknown']);
    expect(pick('447400123456', {})).toEqual(['447400123456', 'GB', 'mobile']);
  });
});

describe('dial plan schema', () => {
  it('still loads the old keys and rejects non-digit prefixes with the path', () => {
    expect(dialPlanSchema.parse({ country: 'GB', outsideLine: '9' })).toEqual({ country: 'GB', outsideLine: '9' });
    const r = dialPlanSchema.safeParse({ ignorePrefixes: ['0', '+'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['ignorePrefixes.1', 'expected digits']]);
  });
});
