import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayEvents } from '../formats/gateway-events/format.js';
import { startGatewayListener, type GatewayListener } from './gateway.js';
import { closed, collect, connect, endAndWait, waitFor, write } from './test-support.js';

const NOW = Date.parse('2026-03-02T10:15:30Z');
let listener: GatewayListener | null = null;
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await listener?.stop();
  listener = null;
});

async function start(sink: ReturnType<typeof collect>['sink'], extra: { badPacketLog?: number } = {}): Promise<number> {
  listener = await startGatewayListener({ host: '127.0.0.1', port: 0, timeZone: 'Asia/Taipei', now: () => NOW, ...extra }, sink);
  return listener.address().port;
}

async function open(port: number, localAddress?: string): Promise<net.Socket & { peer: string }> {
  const s = await connect(port, localAddress);
  s.on('error', () => {});
  sockets.push(s);
  return Object.assign(s, { peer: `${s.localAddress}:${s.localPort}` });
}

const LOGIN_A = '8200_000C2A020082\t2026/03/02 18:15:00\tGateway[8200] MAC[000C2A020082] From [10.10.1.111:2048] FXS(2) FXO(2) ISDN(0) CallRef(64) Time[2000/01/01 08:00:06] Login!';
const EVENT_A = '8200_000C2A020082\t2026/03/02 18:15:05\t7\t1\tHOOK_OFF';
const EVENT_B = '8378_000C2A0201B2\t2026/03/02 18:15:06\t2\t1\tHOOK_OFF';
const STAMP = '2026/03/02 18:15:30'; // NOW in Asia/Taipei

describe('gateway listener (seed 003)', () => {
  it('registers gateways by the lines they send and passes the lines on', async () => {
    const got = collect();
    const port = await start(got.sink);
    const a = await open(port);
    const b = await open(port);
    await write(a, `${LOGIN_A}\r\n${EVENT_A}\r\n`);
    await write(b, `${EVENT_B}\n`);
    await waitFor('3 records', () => got.records.length === 3);
    const st = listener!.status();
    expect(st.gateways.map((g) => [g.gateway, g.peer]).sort()).toEqual([
      ['8200_000C2A020082', `tcp://${a.peer}`],
      ['8378_000C2A0201B2', `tcp://${b.peer}`],
    ]);
    expect(st.gateways.find((g) => g.gateway === '8200_000C2A020082')!.records).toBe(2);
    expect(got.records.map((r) => r.text).sort()).toEqual([EVENT_A, EVENT_B, LOGIN_A].sort());
  });

  it('kicks out the older session when a gateway logs in again, and says so in the stream', async () => {
    const got = collect();
    const port = await start(got.sink);
    const old = await open(port);
    await write(old, `${LOGIN_A}\r\n`);
    await waitFor('registered', () => listener!.status().gateways.length === 1);
    const fresh = await open(port, '127.0.0.2');
    await write(fresh, `${LOGIN_A}\r\n${EVENT_A}\r\n`);
    await closed(old); // kicked out
    await waitFor('5 lines', () => got.records.length === 5);
    expect(got.records.map((r) => r.text)).toEqual([
      LOGIN_A,
      `8200_000C2A020082\t${STAMP}\tGateway[8200] MAC[000C2A020082] From [${fresh.peer}] Re-Login!`,
      `8200_000C2A020082\t${STAMP}\tGateway[8200] from [${old.peer}] Relogin Kickout`,
      LOGIN_A,
      EVENT_A,
    ]);
    const st = listener!.status();
    expect(st.kickouts).toBe(1);
    expect(st.gateways).toEqual([{ gateway: '8200_000C2A020082', peer: `tcp://${fresh.peer}`, since: new Date(NOW).toISOString(), records: 2 }]);
    // The lines it wrote are the protocol's: the format reads them as gateway events.
    const parse = gatewayEvents.createParser({ timeZone: 'Asia/Taipei', referenceDate: '2026-03-02' });
    const events = got.records.slice(1, 3).map((r) => parse(r.text));
    expect(events.map((e) => (e.kind === 'event' ? [e.event.event, e.event.callRef, e.event.occurredAt] : e))).toEqual([
      ['GATEWAY_RELOGIN', 'gateway:8200_000C2A020082', '2026-03-02T18:15:30+08:00'],
      ['GATEWAY_KICKOUT', 'gateway:8200_000C2A020082', '2026-03-02T18:15:30+08:00'],
    ]);
  });

  it('writes Gateway Disconnect when a registered gateway or an anonymous peer goes', async () => {
    const got = collect();
    const port = await start(got.sink);
    const a = await open(port);
    await write(a, `${EVENT_A}\n`);
    await waitFor('registered', () => listener!.status().gateways.length === 1);
    await endAndWait(a);
    const anon = await open(port);
    await endAndWait(anon);
    await waitFor('3 lines', () => got.records.length === 3);
    expect(got.records.map((r) => r.text)).toEqual([
      EVENT_A,
      `8200_000C2A020082\t${STAMP}\tGateway[8200] from [${a.peer}] Gateway Disconnect`,
      `???\t${STAMP}\tGateway[???] from [${anon.peer}] Gateway Disconnect`,
    ]);
    expect(listener!.status().gateways).toEqual([]);
    expect(got.records[1]!.peer).toBe(`gateway-listener:tcp://127.0.0.1:${port}`);
  });

  it('logs a bad packet, closes a peer that never identified itself, and keeps a registered one', async () => {
    const got = collect();
    const port = await start(got.sink, { badPacketLog: 2 });
    const scanner = await open(port);
    await write(scanner, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(scanner);
    const gw = await open(port);
    await write(
      gw,
      Buffer.concat([
        Buffer.from(`${EVENT_A}\n8200_000C2A020082\tnot a time\t7\t1\tDIAL\t123\n`),
        Buffer.from([0x00, 0x01, 0xff, 0x0a]), // binary: not UTF-8
        Buffer.from(`${EVENT_A.replace('HOOK_OFF', 'HOOK_ON')}\n`),
      ]),
    );
    await waitFor('the last event', () => got.records.some((r) => r.text.endsWith('HOOK_ON')));
    expect(gw.destroyed).toBe(false);
    const st = listener!.status();
    // Bounded: the oldest (the scanner's) fell out of the log of 2.
    expect(st.badPackets).toEqual([
      {
        at: new Date(NOW).toISOString(),
        peer: `tcp://${gw.peer}`,
        gateway: '8200_000C2A020082',
        reason: 'time "not a time" is not yyyy/mm/dd hh:mm:ss',
        sample: '8200_000C2A020082\\x09not a time\\x097\\x091\\x09DIAL\\x09123',
      },
      {
        at: new Date(NOW).toISOString(),
        peer: `tcp://${gw.peer}`,
        gateway: '8200_000C2A020082',
        reason: 'expected 3 (gateway log) or 5 to 9 (call event) tab-separated fields, found 1',
        sample: '\\x00\\x01\uFFFD',
      },
    ]);
    const texts = got.records.map((r) => r.text);
    expect(texts[0]).toBe(`???\t${STAMP}\tGateway[???] from [${scanner.peer}] Bad Packet`);
    expect(texts.filter((t) => t.endsWith('Bad Packet'))).toEqual([
      `???\t${STAMP}\tGateway[???] from [${scanner.peer}] Bad Packet`,
      `8200_000C2A020082\t${STAMP}\tGateway[8200] from [${gw.peer}] Bad Packet`,
      `8200_000C2A020082\t${STAMP}\tGateway[8200] from [${gw.peer}] Bad Packet`,
    ]);
    expect(texts).toContain(EVENT_A);
  });
});
