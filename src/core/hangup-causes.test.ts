import { describe, expect, it } from 'vitest';
import {
  causeCodeByName,
  causeFromFreeswitchName,
  HANGUP_CAUSES,
  mapAsteriskDisposition,
  mapCucmCause,
  mapFreeswitchCause,
  mapSipCode,
} from './hangup-causes.js';

describe('hangup causes', () => {
  it('maps Asterisk dispositions as CDR-Stats does', () => {
    expect(mapAsteriskDisposition('ANSWERED')).toEqual({ cause: 16, disposition: 'answered' });
    expect(mapAsteriskDisposition('NO ANSWER')).toEqual({ cause: 19, disposition: 'no_answer' });
    expect(mapAsteriskDisposition('busy')).toEqual({ cause: 17, disposition: 'busy' });
    expect(mapAsteriskDisposition('FAILED')).toEqual({ cause: 41, disposition: 'failed' });
    expect(mapAsteriskDisposition('CONGESTION')).toEqual({ cause: 34, disposition: 'failed' });
    expect(mapAsteriskDisposition('ANSWERING')).toBeNull();
  });

  it('maps FreeSWITCH cause names, its own ones included', () => {
    expect(causeFromFreeswitchName('NORMAL_CLEARING')).toBe(16);
    expect(causeFromFreeswitchName('ORIGINATOR_CANCEL')).toBe(16);
    expect(causeFromFreeswitchName('USER_NOT_REGISTERED')).toBe(20);
    expect(causeFromFreeswitchName('GATEWAY_DOWN')).toBe(38);
    expect(causeFromFreeswitchName('NORMAL_CLEARANCE')).toBeNull();
    expect(mapFreeswitchCause('ORIGINATOR_CANCEL', 0)).toEqual({ cause: 16, disposition: 'no_answer' });
    expect(mapFreeswitchCause('LOSE_RACE', 0)).toEqual({ cause: 16, disposition: 'no_answer' });
    expect(mapFreeswitchCause('CALL_REJECTED', 0)).toEqual({ cause: 21, disposition: 'rejected' });
    expect(mapFreeswitchCause('NORMAL_CLEARING', 30)).toEqual({ cause: 16, disposition: 'answered' });
  });

  it('maps SIP responses to Q.850 (RFC 3398)', () => {
    const table = Object.fromEntries([200, 302, 404, 408, 480, 486, 487, 503, 603, 606, 499].map((code) => [code, mapSipCode(code)]));
    expect(table).toEqual({
      200: { cause: 16, disposition: 'answered' },
      302: { cause: 23, disposition: 'no_answer' },
      404: { cause: 1, disposition: 'failed' },
      408: { cause: 102, disposition: 'no_answer' },
      480: { cause: 18, disposition: 'no_answer' },
      486: { cause: 17, disposition: 'busy' },
      487: { cause: 16, disposition: 'no_answer' },
      503: { cause: 41, disposition: 'failed' },
      603: { cause: 21, disposition: 'rejected' },
      606: { cause: 58, disposition: 'failed' },
      499: { cause: 21, disposition: 'rejected' },
    });
    expect(mapSipCode(180)).toBeNull();
    expect(mapSipCode(700)).toBeNull();
  });

  it('reads CUCM cause values as Q.850, Cisco’s own above 127 as normal clearing', () => {
    expect(mapCucmCause(0, 0)).toEqual({ cause: null, disposition: 'unknown' });
    expect(mapCucmCause(17, 0)).toEqual({ cause: 17, disposition: 'busy' });
    expect(mapCucmCause(393216, 40)).toEqual({ cause: 16, disposition: 'answered' });
  });

  it('names and describes every cause it maps to', () => {
    const targets = new Set<number>();
    for (const code of [200, 302, ...Array.from({ length: 300 }, (_, i) => 400 + i)]) {
      const m = mapSipCode(code);
      if (m?.cause != null) targets.add(m.cause);
    }
    for (const name of ['ORIGINATOR_CANCEL', 'LOSE_RACE', 'ALLOTTED_TIMEOUT', 'NO_PICKUP', 'USER_NOT_REGISTERED', 'INVALID_GATEWAY', 'GATEWAY_DOWN', 'INVALID_URL', 'NOT_ACCEPTABLE', 'INCOMING_CALL_BARRED']) {
      targets.add(causeFromFreeswitchName(name)!);
    }
    for (const d of ['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CONGESTION', 'CHANUNAVAIL', 'DONTCALL']) targets.add(mapAsteriskDisposition(d)!.cause!);
    for (const code of targets) expect(HANGUP_CAUSES.get(code), String(code)).toMatchObject({ name: expect.any(String), description: expect.any(String) });
    for (const [code, { name }] of HANGUP_CAUSES) expect(causeCodeByName(name), name).toBe(code);
  });
});
