import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { Framing } from '../framing/framer.js';
import { collect, noise, waitFor } from './test-support.js';
import type { ReceivedRecord, Route } from './transport.js';
import { startUdp, type UdpOptions, type UdpTransport } from './udp.js';

const lines: Framing = { kind: 'lines' };
let udp: UdpTransport | null = null;
const senders: dgram.Socket[] = [];

afterEach(async () => {
  for (const s of senders.splice(0)) s.close();
  await udp?.stop();
  udp = null;
});

async function listen(routes: Route[], extra: Partial<UdpOptions> = {}): Promise<number> {
  udp = await startUdp({ host: '127.0.0.1', port: 0, routes, ...extra });
  return udp.address().port;
}

async function sender(address = '127.0.0.1'): Promise<dgram.Socket & { to: (port: number, data: string | Buffer) => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  senders.push(s);
  await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
  return Object.assign(s, {
    to: (port: number, data: string | Buffer) => new Promise<void>((resolve, reject) => s.send(data, port, '127.0.0.1', (err) => (err ? reject(err) : resolve()))),
  });
}

const texts = (records: ReceivedRecord[]): string[] => records.map((r) => r.text);

describe('udp transport', () => {
  it('takes one record per datagram, with or without a line end, and several records in one datagram', async () => {
    const got = collect();
    const port = await listen([{ framing: lines, sink: got.sink }]);
    const s = await sender();
    await s.to(port, 'one without newline');
    await waitFor('1', () => got.records.length === 1);
    await s.to(port, 'two\r\n');
    await waitFor('2', () => got.records.length === 2);
    await s.to(port, 'three\r\nfour\nfive');
    await waitFor('5 records', () => got.records.length === 5);
    expect(texts(got.records)).toEqual(['one without newline', 'two', 'three', 'four', 'five']);
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5]);
    const { port: from } = s.address();
    expect(new Set(got.records.map((r) => r.peer))).toEqual(new Set([`udp://127.0.0.1:${from}`]));
    expect(udp!.status()).toMatchObject({ connected: true, connections: 1, records: 5, bytes: 19 + 5 + 16, dropped: 0 });
  });

  it('keeps a framer per peer so STX/ETX records may span datagrams without mixing peers', async () => {
    const got = collect();
    const port = await listen([{ framing: { kind: 'stx-etx' }, sink: got.sink }]);
    const a = await sender();
    const b = await sender();
    await a.to(port, '\x02A first ha');
    await waitFor('a read', () => udp!.status().bytes === 11);
    await b.to(port, '\x02B whole\x03\x02B sec');
    await waitFor('b read', () => got.records.length === 1);
    await a.to(port, 'lf\x03');
    await b.to(port, 'ond\x03');
    await waitFor('3 records', () => got.records.length === 3);
    const byPeer = (s: dgram.Socket): string[] => texts(got.records.filter((r) => r.peer.endsWith(`:${s.address().port}`)));
    expect(byPeer(a)).toEqual(['A first half']);
    expect(byPeer(b)).toEqual(['B whole', 'B second']);
  });

  it('drops datagrams from outside the allow-list and routes the rest by source address', async () => {
    const one = collect();
    const two = collect();
    const port = await listen(
      [
        { from: ['127.0.0.2'], framing: lines, sink: two.sink },
        { from: ['127.0.0.1'], framing: lines, sink: one.sink },
      ],
      { allow: ['127.0.0.1', '127.0.0.2'] },
    );
    const s1 = await sender('127.0.0.1');
    const s2 = await sender('127.0.0.2');
    const s3 = await sender('127.0.0.3');
    await s3.to(port, 'from .3');
    await s1.to(port, 'from .1');
    await s2.to(port, 'from .2');
    await waitFor('2 records', () => one.records.length === 1 && two.records.length === 1);
    await waitFor('.3 dropped', () => udp!.status().dropped === 1);
    expect(texts(one.records)).toEqual(['from .1']);
    expect(texts(two.records)).toEqual(['from .2']);
  });

  it('survives binary noise and keeps records within maxRecordBytes', async () => {
    const got = collect();
    const port = await listen([{ framing: lines, maxRecordBytes: 256, sink: got.sink }]);
    const s = await sender();
    for (let i = 0; i < 20; i++) await s.to(port, noise(1400, i));
    await s.to(port, 'CLEAN RECORD');
    await waitFor('the clean record', () => got.records.at(-1)?.text === 'CLEAN RECORD');
    expect(got.records.every((r) => r.text.length <= 256)).toBe(true);
    expect(udp!.status().bytes).toBe(20 * 1400 + 12);
  });

  it('drops and counts datagrams while the sink is behind, instead of growing without bound', async () => {
    const got: ReceivedRecord[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const port = await listen([{ framing: lines, sink: (r) => (got.push(r), r.line === 1 ? gate : undefined) }], { maxQueuedRecords: 10 });
    const s = await sender();
    await s.to(port, 'first');
    await waitFor('first', () => got.length === 1);
    for (let i = 2; i <= 30; i++) await s.to(port, `r${i}`);
    await waitFor('all datagrams seen', () => udp!.status().bytes === 5 + 29 * 3 - 8);
    try {
      expect(udp!.status().dropped).toBe(19);
      expect(udp!.status().lastError).toMatch(/the sink is behind \(10 records waiting\)/);
    } finally {
      release();
    }
    await waitFor('queued records', () => got.length === 11);
    expect(texts(got)).toEqual(['first', ...Array.from({ length: 10 }, (_, i) => `r${i + 2}`)]);
  });
});
