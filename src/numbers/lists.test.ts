import { describe, expect, it } from 'vitest';
import { emptyCall } from '../core/call.js';
import { CalltrailError } from '../core/errors.js';
import { NumberLists, TenantLists, listRulesFrom, parseListsCsv } from './lists.js';

function call(direction: 'inbound' | 'outbound' | 'internal', calledNumber: string | null, country: string | null, callerNumber: string | null = null) {
  const c = emptyCall('test', '2026-03-02T09:15:00+00:00', '');
  c.direction = direction;
  c.calledNumber = calledNumber;
  c.callerNumber = callerNumber;
  if (direction === 'inbound') c.extra.callerCountry = country;
  else c.extra.country = country;
  return c;
}

describe('black and white lists', () => {
  const lists = new NumberLists(
    listRulesFrom({
      blacklist: { prefixes: ['449', '882'], countries: ['KP', 'CU'] },
      whitelist: { prefixes: ['449098790000', '5355'] },
    }),
  );

  it('marks calls by the longest prefix, then by country, the whitelist winning', () => {
    expect(lists.evaluate(call('outbound', '449098790001', 'GB'))).toEqual({ listed: 'blacklist', rule: { list: 'blacklist', kind: 'prefix', value: '449' } });
    expect(lists.evaluate(call('outbound', '449098790000', 'GB'))).toEqual({ listed: 'whitelist', rule: { list: 'whitelist', kind: 'prefix', value: '449098790000' } });
    expect(lists.evaluate(call('outbound', '8502123456', 'KP'))).toEqual({ listed: 'blacklist', rule: { list: 'blacklist', kind: 'country', value: 'KP' } });
    // Cuba is blacklisted, but this Cuban prefix is whitelisted: the whitelist wins.
    expect(lists.evaluate(call('outbound', '5355123456', 'CU'))).toEqual({ listed: 'whitelist', rule: { list: 'whitelist', kind: 'prefix', value: '5355' } });
    expect(lists.evaluate(call('outbound', '442079460123', 'GB'))).toEqual({ listed: null, rule: null });
  });

  it('marks inbound calls by the caller, never internal calls, and survives unknown numbers', () => {
    expect(lists.evaluate(call('inbound', '442079460123', 'KP', '+8502123456')).listed).toBe('blacklist');
    expect(lists.evaluate(call('internal', '449000', 'GB')).listed).toBeNull();
    expect(lists.evaluate(call('outbound', '*72#', null))).toEqual({ listed: null, rule: null });
    expect(lists.evaluate(call('outbound', null, 'CU')).listed).toBe('blacklist');
  });

  it('keeps tenants apart', () => {
    const tenants = new TenantLists();
    tenants.set('acme', lists);
    expect(tenants.evaluate('acme', call('outbound', '8821234', null)).listed).toBe('blacklist');
    expect(tenants.evaluate('other', call('outbound', '8821234', null)).listed).toBeNull();
  });

  it('reads CSV and reports bad rows with their line numbers', () => {
    const rules = parseListsCsv('list,type,value,label\nblacklist,prefix,449,UK premium\nwhitelist,country,gb,\n');
    expect(rules).toEqual([
      { list: 'blacklist', kind: 'prefix', value: '449', label: 'UK premium' },
      { list: 'whitelist', kind: 'country', value: 'GB' },
    ]);
    let err: unknown;
    try {
      parseListsCsv('list,type,value\ngreylist,prefix,44\nblacklist,prefix,+44\nblacklist,country,XX\nblacklist,prefix,\nblacklist,number,44\nblacklist,prefix,33\nwhitelist,prefix,33\n', 'tenant-lists.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).details).toEqual([{ line: 2, message: 'list "greylist" must be blacklist or whitelist' }, { line: 6, message: 'type "number" must be prefix or country' }]);
    try {
      parseListsCsv('list,type,value\nblacklist,prefix,+44\nblacklist,country,XX\nblacklist,prefix,\nblacklist,prefix,33\nwhitelist,prefix,33\n', 'tenant-lists.csv');
    } catch (e) {
      err = e;
    }
    expect((err as CalltrailError).details).toEqual([
      { line: 2, message: `prefix "+44" must be digits only (no '+', spaces, letters, '*' or '#')` },
      { line: 3, message: 'country "XX" is not an ISO 3166 code (such as GB)' },
      { line: 4, message: 'empty prefix' },
      { line: 6, message: 'prefix 33 is on both the blacklist and the whitelist' },
    ]);
  });
});
