import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSerial, type SerialOptions, type SerialTransport } from './serial.js';
import { collect, waitFor } from './test-support.js';

// A pty pair from socat stands in for the PBX's serial cable: the test writes records into one end
// and the transport reads the other. The `link=` paths stay the same when socat is restarted.

const SOCAT = '/usr/bin/socat';
const haveSocat = existsSync(SOCAT);
if (!haveSocat) console.warn(`serial transport tests skipped: ${SOCAT} is missing (apt-get install socat)`);

let dir = '';
let socat: ChildProcess | null = null;
let transport: SerialTransport | null = null;
let pbx: SerialPort | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-serial-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(async () => {
  await closePbx();
  await transport?.stop();
  transport = null;
  await stopSocat();
});

const pbxEnd = (): string => join(dir, 'pbx');
const collectorEnd = (): string => join(dir, 'collector');

async function startSocat(): Promise<void> {
  socat = spawn(SOCAT, [`pty,raw,echo=0,link=${pbxEnd()}`, `pty,raw,echo=0,link=${collectorEnd()}`], { stdio: 'ignore' });
  await waitFor('socat pty links', () => existsSync(pbxEnd()) && existsSync(collectorEnd()));
}

async function stopSocat(): Promise<void> {
  const p = socat;
  socat = null;
  if (!p || p.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
  p.kill('SIGTERM');
  await exited;
}

async function openPbx(): Promise<SerialPort> {
  const port = new SerialPort({ path: pbxEnd(), baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  pbx = port;
  return port;
}

async function closePbx(): Promise<void> {
  const p = pbx;
  pbx = null;
  if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
}

function send(port: SerialPort, data: string): Promise<void> {
  return new Promise((resolve, reject) => port.write(data, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve())))));
}

function start(options: Partial<SerialOptions>, sink: ReturnType<typeof collect>['sink']): SerialTransport {
  transport = startSerial({ path: collectorEnd(), baudRate: 9600, framing: { kind: 'lines' }, backoff: { initialMs: 20, maxMs: 200 }, ...options }, sink);
  return transport;
}

describe.skipIf(!haveSocat)('serial transport (socat pty pair)', () => {
  it('opens with 7E2 and XON/XOFF at 9600 baud and delivers the records in order', async () => {
    await startSocat();
    const got = collect();
    const t = start({ baudRate: 9600, dataBits: 7, parity: 'even', stopBits: 2, flowControl: 'xonxoff' }, got.sink);
    await t.opened();
    expect(t.status()).toMatchObject({ connected: true, connections: 1 });
    const pbxPort = await openPbx();
    await send(pbxPort, '12/01 08:15 0012 201 9 5551234 00:02:13\r\n12/01 08:17 0003 ');
    await send(pbxPort, '202 9 5559876 00:00:41\r\n');
    await waitFor('2 records', () => got.records.length === 2);
    expect(got.records).toEqual([
      { text: '12/01 08:15 0012 201 9 5551234 00:02:13', truncated: false, peer: `serial:${collectorEnd()}`, line: 1 },
      { text: '12/01 08:17 0003 202 9 5559876 00:00:41', truncated: false, peer: `serial:${collectorEnd()}`, line: 2 },
    ]);
  });

  it('opens with RTS/CTS flow control, 8N1 at 115200', async () => {
    await startSocat();
    const got = collect();
    const t = start({ baudRate: 115200, flowControl: 'rtscts' }, got.sink);
    await t.opened();
    const pbxPort = await openPbx();
    await send(pbxPort, 'FAST 1\r\n');
    await waitFor('record', () => got.records.length === 1);
    expect(got.records[0]!.text).toBe('FAST 1');
  });

  it('waits for a device that is not there yet, and reopens it when it disappears and comes back', async () => {
    const got = collect();
    const t = start({}, got.sink);
    await waitFor('an open failure', () => t.status().lastError !== null);
    expect(t.status().lastError).toMatch(new RegExp(`^cannot open ${collectorEnd()}: `));
    expect(t.status().connected).toBe(false);

    await startSocat();
    await t.opened();
    let pbxPort = await openPbx();
    await send(pbxPort, 'BEFORE 1\r\nBEFORE 2\r\n');
    await waitFor('2 records', () => got.records.length === 2);

    await closePbx();
    await stopSocat(); // the cable is pulled: the device disappears
    await waitFor('the transport noticed', () => !t.status().connected);
    expect(existsSync(collectorEnd())).toBe(false);

    await startSocat(); // and comes back under the same path
    await waitFor('reopened', () => t.status().connected);
    pbxPort = await openPbx();
    await send(pbxPort, 'AFTER 1\r\n');
    await waitFor('3 records', () => got.records.length === 3);
    expect(got.records.map((r) => [r.text, r.line])).toEqual([
      ['BEFORE 1', 1],
      ['BEFORE 2', 2],
      ['AFTER 1', 1],
    ]);
    expect(t.status()).toMatchObject({ connected: true, reconnects: 1, records: 3 });
  });
});
