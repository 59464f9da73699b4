import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';

describe('calltrail classify', () => {
  it('prints one JSON object with e164, country and type', async () => {
    const r = await runCli(['classify', '9 020 7946 0123', '--country', 'GB', '--outside-line', '9', '--area-code', '20']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toEqual({ type: 'local', e164: '442079460123', country: 'GB', digits: '02079460123', lineType: 'FIXED_LINE', valid: true });
    expect(r.stdout.endsWith('}\n')).toBe(true);
  });

  it('strips several outside-line codes and knows emergency numbers', async () => {
    // Seed 004's examples and the number types are covered by src/numbers/classify.test.ts; this
    // checks the options reach the classifier.
    const [international, emergency] = await Promise.all([
      runCli(['classify', '01134912345678', '--country', 'us', '--outside-line', '9', '--outside-line', '8']),
      runCli(['classify', '9999', '--country', 'GB', '--outside-line', '9']),
    ]);
    expect(JSON.parse(international.stdout)).toMatchObject({ e164: '34912345678', country: 'ES', type: 'international' });
    expect(JSON.parse(emergency.stdout)).toEqual({ type: 'emergency', e164: null, country: 'GB', digits: '999', lineType: null, valid: true });
  });

  it('exits 2 on usage errors', async () => {
    const [missing, bad, unknown, direction] = await Promise.all([
      runCli(['classify', '123']),
      runCli(['classify', '123', '--country', 'Britain']),
      runCli(['classify', '123', '--country', 'XX']),
      runCli(['classify', '123', '--country', 'GB', '--direction', 'sideways']),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe("error: required option '--country <CC>' not specified\n");
    expect([bad.code, bad.stderr]).toEqual([2, 'calltrail: --country: expected an ISO 3166 country code such as "GB"\n']);
    expect([unknown.code, unknown.stderr]).toEqual([2, 'calltrail: --country: libphonenumber-js has no numbering plan for "XX"\n']);
    expect([direction.code, direction.stderr]).toEqual([2, 'calltrail: --direction: expected one of inbound, outbound, internal, unknown\n']);
  });
});
