import { describe, expect, it } from 'vitest';
import { logger } from '../core/log.js';
import { addressIn, Backoff, compileRoutes, createAddressList, isAddressOrCidr, newStatus, routeFor, StreamReceiver, type ReceivedRecord } from './transport.js';

describe('Backoff', () => {
  it('doubles from the initial delay up to the cap, and starts again after a reset', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 10_000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('spreads each delay by at most the jitter share and never beyond the cap', () => {
    const b = new Backoff({ initialMs: 1000, maxMs: 4000, jitter: 0.25 });
    for (let round = 0; round < 200; round++) {
      b.reset();
      const [d1, d2, d3, d4] = [b.next(), b.next(), b.next(), b.next()];
      expect(d1).toBeGreaterThanOrEqual(750);
      expect(d1).toBeLessThanOrEqual(1250);
      expect(d2).toBeGreaterThanOrEqual(1500);
      expect(d2).toBeLessThanOrEqual(2500);
      expect(d3).toBeGreaterThanOrEqual(3000);
      expect(d3).toBeLessThanOrEqual(4000);
      expect(d4).toBeLessThanOrEqual(4000);
    }
  });
});

describe('address lists and routes', () => {
  it('matches addresses, CIDR blocks, IPv6 and IPv4-mapped IPv6 peers', () => {
    const list = createAddressList(['10.0.0.5', '192.168.10.0/24', 'fd00::/8']);
    expect(addressIn(list, '10.0.0.5')).toBe(true);
    expect(addressIn(list, '::ffff:10.0.0.5')).toBe(true);
    expect(addressIn(list, '10.0.0.6')).toBe(false);
    expect(addressIn(list, '192.168.10.254')).toBe(true);
    expect(addressIn(list, '192.168.11.1')).toBe(false);
    expect(addressIn(list, 'fd12::1')).toBe(true);
    expect(addressIn(list, 'fe80::1')).toBe(false);
    expect(addressIn(list, 'not an address')).toBe(false);
  });

  it('names a bad entry', () => {
    for (const bad of ['10.0.0', '10.0.0.0/33', 'fd00::/129', 'host.example', '10.0.0.0/8/1', '10.0.0.0/x']) {
      expect(isAddressOrCidr(bad)).toBe(false);
      expect(() => createAddressList(['10.0.0.1', bad], 'routes[1].from')).toThrow(`routes[1].from: "${bad}" is not an IP address or CIDR block`);
    }
    expect(['::1', '0.0.0.0/0', '2001:db8::/32'].every(isAddressOrCidr)).toBe(true);
  });

  it('takes the first route that holds the peer, and the one without `from` for everyone else', () => {
    const sink = () => undefined;
    const routes = compileRoutes([
      { name: 'b', from: ['127.0.0.2'], framing: { kind: 'lines' }, sink },
      { name: 'c', from: ['10.1.0.0/16'], framing: { kind: 'lines' }, sink },
      { name: 'a', framing: { kind: 'lines' }, sink },
    ]);
    expect(routeFor(routes, '127.0.0.2')?.name).toBe('b');
    expect(routeFor(routes, '10.1.200.3')?.name).toBe('c');
    expect(routeFor(routes, '127.0.0.1')?.name).toBe('a');
    expect(routeFor(compileRoutes([{ from: ['127.0.0.2'], framing: { kind: 'lines' }, sink }]), '127.0.0.1')).toBeUndefined();
    expect(() => compileRoutes([])).toThrow('a listener needs at least one route');
  });
});

describe('StreamReceiver', () => {
  const log = logger('test');

  it('hands records on one at a time, pausing the source while a sink promise is pending', async () => {
    const status = newStatus();
    const seen: string[] = [];
    const events: string[] = [];
    let release: () => void = () => {};
    const receiver = new StreamReceiver({
      peer: 'test:1',
      framing: { kind: 'lines' },
      status,
      log,
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
      sink: (r) => {
        seen.push(r.text);
        return r.text === 'b' ? new Promise<void>((res) => (release = res)) : undefined;
      },
    });
    receiver.push(Buffer.from('a\nb\nc\n'));
    expect(seen).toEqual(['a', 'b']);
    expect(events).toEqual(['pause']);
    expect(receiver.busy).toBe(true);
    receiver.push(Buffer.from('d\n')); // arrived before the pause took hold: queued, not lost
    expect(receiver.queued).toBe(2);
    release();
    await receiver.settled();
    expect(seen).toEqual(['a', 'b', 'c', 'd']);
    expect(events).toEqual(['pause', 'resume']);
    expect(status).toMatchObject({ records: 4, bytes: 8 });
  });

  it('keeps going when the sink throws or rejects, recording the error', async () => {
    const status = newStatus();
    const seen: ReceivedRecord[] = [];
    const receiver = new StreamReceiver({
      peer: 'tcp://127.0.0.1:9',
      framing: { kind: 'lines' },
      status,
      log,
      sink: (r) => {
        seen.push(r);
        if (r.line === 1) throw new Error('database down');
        if (r.line === 2) return Promise.reject(new Error('still down'));
        return undefined;
      },
    });
    receiver.push(Buffer.from('one\ntwo\nthree\n'));
    await receiver.settled();
    expect(seen.map((r) => r.text)).toEqual(['one', 'two', 'three']);
    expect(status.lastError).toBe('sink failed on record 2 from tcp://127.0.0.1:9: still down');
  });

  it('joins a UTF-8 character split across chunks', async () => {
    const got: string[] = [];
    const receiver = new StreamReceiver({ peer: 'p', framing: { kind: 'lines' }, status: newStatus(), log, sink: (r) => void got.push(r.text) });
    const bytes = Buffer.from('Zoë Müller\n');
    receiver.push(bytes.subarray(0, 3)); // "Zo" + the first byte of "ë"
    receiver.push(bytes.subarray(3));
    await receiver.end();
    expect(got).toEqual(['Zoë Müller']);
  });
});
