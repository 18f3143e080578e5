/**
 * The local stack survives its input: `npm start`'s process (local/start.ts,
 * in a child process of its own, on free ports) is given each request, frame
 * and dropped connection a hostile review found, and after each one it must
 * still be running and serving: the HTTP gateway, the WebSocket gateway and
 * its @connections API, and the SEQR simulator. Resets are real RSTs from a
 * net.Socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORDER, openSocket } from '../support/local-stack.js';
import { rawExchange, rawGet, rawPost, upgradeRequest, writeThenReset } from './raw-socket.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const SHOP_KEY = 'survival-shop-key-0123456789';

let child: ChildProcess;
let output = '';
let dataDir: string;
const urls = { http: '', ws: '', simulator: '' };
const ports = { http: 0, ws: 0, simulator: 0 };

/** Starts the stack (again, if the last case killed it: each case then fails on its own). */
async function ensureRunning(): Promise<void> {
  if (child && child.exitCode === null && child.signalCode === null) return;
  output = '';
  child = spawn(process.execPath, [TSX, 'local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      HTTP_PORT: '0',
      WEBSOCKET_PORT: '0',
      SEQR_SIMULATOR_PORT: '0',
      DYNAMODB_PORT: '0',
      DATA_PATH: path.join(dataDir, `dynamodb-${Date.now()}`),
      SHOP_API_KEY: SHOP_KEY,
      PUBLIC_BASE_URL: '',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const until = Date.now() + 45_000;
  while (!output.includes('Ctrl-C stops everything')) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`the local stack did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  urls.http = /HTTP API\s+(http:\/\/\S+)/.exec(output)![1]!;
  urls.ws = /WebSocket\s+(ws:\/\/\S+)/.exec(output)![1]!;
  urls.simulator = /SEQR simulator\s+(http:\/\/\S+)/.exec(output)![1]!;
  ports.http = Number(new URL(urls.http).port);
  ports.ws = Number(new URL(urls.ws).port);
  ports.simulator = Number(new URL(urls.simulator).port);
}

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'seqr-survives-'));
});
beforeEach(ensureRunning, 60_000);

afterAll(async () => {
  if (child?.pid && child.exitCode === null) {
    process.kill(-child.pid, 'SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface Invoice {
  invoiceReference: string;
  subscribeToken: string;
  websocketUrl: string;
}

async function newInvoice(): Promise<Invoice> {
  const response = await fetch(`${urls.http}/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SHOP_KEY}` },
    body: JSON.stringify(ORDER),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as Invoice;
}

function connectPath(invoice: Invoice): string {
  return `/?invoice=${invoice.invoiceReference}&token=${encodeURIComponent(invoice.subscribeToken)}`;
}

/** The process is still running and every server in it still answers. */
async function expectAlive(): Promise<void> {
  // An uncaught error ends the process within a tick or two.
  await new Promise((r) => setTimeout(r, 150));
  expect(child.exitCode, `the local stack exited:\n${output}`).toBeNull();
  expect(child.signalCode).toBeNull();
  expect((await fetch(`${urls.http}/seqr/payment-view.js`)).status).toBe(200);
  expect((await fetch(`${urls.simulator}/simulator/health`)).status).toBe(200);
  const invoice = await newInvoice();
  const socket = await openSocket(`${urls.ws}${connectPath(invoice)}`);
  const first = new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
  socket.send(JSON.stringify({ action: 'subscribe' }));
  expect(JSON.parse(await first)).toMatchObject({ type: 'invoice.status', status: 'ISSUED' });
  socket.close();
}

function expectGatewayJson(answer: { status: number; headers: Record<string, string>; body: string }, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toMatch(/^application\/json/);
  expect(answer.headers['cache-control']).toBe('no-store');
  expect(JSON.parse(answer.body)).toEqual({ message: expect.any(String) });
}

describe('When a WebSocket client misbehaves', () => {
  it('should survive an upgrade the client resets mid-handshake (while $connect runs, and before the headers end)', async () => {
    const invoice = await newInvoice();
    // RST right after the whole upgrade request: $connect is still running when the socket dies.
    await writeThenReset(ports.ws, upgradeRequest(connectPath(invoice)));
    await writeThenReset(ports.ws, upgradeRequest(connectPath(invoice)), 1);
    // RST with the headers half sent.
    await writeThenReset(ports.ws, upgradeRequest(connectPath(invoice)).slice(0, 60), 5);
    // A refused upgrade (wrong token) reset before the 403 is written.
    await writeThenReset(ports.ws, upgradeRequest(`/?invoice=${invoice.invoiceReference}&token=wrong`));
    await expectAlive();
  });

  it('should close a socket sent a frame over 128 KB with 1009, as API Gateway does, and keep serving', async () => {
    const invoice = await newInvoice();
    const socket = await openSocket(`${urls.ws}${connectPath(invoice)}`);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('error', () => undefined);
    socket.send('x'.repeat(128 * 1024 + 1));
    expect(await closed).toBe(1009);

    // The same limit for a message sent in fragments.
    const fragmented = await openSocket(`${urls.ws}${connectPath(invoice)}`);
    const fragmentedClosed = new Promise<number>((resolve) => fragmented.once('close', (code) => resolve(code)));
    fragmented.on('error', () => undefined);
    for (let i = 0; i < 3; i++) fragmented.send(Buffer.alloc(64 * 1024, 0x61), { fin: false, binary: false });
    fragmented.send('end', { fin: true });
    expect(await fragmentedClosed).toBe(1009);

    // 128 KB exactly is still a message (answered with an error frame: it is not a subscribe).
    const atLimit = await openSocket(`${urls.ws}${connectPath(invoice)}`);
    const reply = new Promise<string>((resolve) => atLimit.once('message', (data) => resolve(data.toString())));
    atLimit.send('y'.repeat(128 * 1024));
    expect(JSON.parse(await reply)).toMatchObject({ type: 'error', error: { code: 'unknown_action' } });
    atLimit.close();
    await expectAlive();
  });

  it('should survive bad frames: invalid UTF-8 text, a bad opcode, an unmasked client frame', async () => {
    const invoice = await newInvoice();
    for (const frame of [
      // Text frame (masked, zero mask) holding 0xff: not UTF-8.
      Buffer.from([0x81, 0x81, 0, 0, 0, 0, 0xff]),
      // Opcode 0x3 is reserved.
      Buffer.from([0x83, 0x80, 0, 0, 0, 0]),
      // A client frame without a mask.
      Buffer.from([0x81, 0x02, 0x68, 0x69]),
    ]) {
      const socket = await openSocket(`${urls.ws}${connectPath(invoice)}`);
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.on('error', () => undefined);
      (socket as unknown as { _socket: import('node:net').Socket })._socket.write(frame);
      expect(await closed).toBeGreaterThanOrEqual(1002);
    }
    await expectAlive();
  });

  it('should refuse a handshake ws would refuse (no key, a bad key, not GET) before $connect, and a `//?x` upgrade', async () => {
    const invoice = await newInvoice();
    const badKey = await rawExchange(ports.ws, upgradeRequest(connectPath(invoice), { 'Sec-WebSocket-Key': 'short' }).replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    expect(badKey.status).toBe(400);
    const odd = await rawExchange(ports.ws, upgradeRequest('//?x').replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    expect(odd.status).toBeGreaterThanOrEqual(400);
    expect(odd.status).toBeLessThan(500);
    await expectAlive();
  });
});

describe('When a path holds a malformed percent-escape or no host', () => {
  it('should answer GET /invoices/% with 400 JSON, not 500', async () => {
    expectGatewayJson(await rawExchange(ports.http, rawGet('/invoices/%', { authorization: `Bearer ${SHOP_KEY}` })), 400);
    expectGatewayJson(await rawExchange(ports.http, rawGet('/invoices/%E0%A4%A/status?token=x')), 400);
    await expectAlive();
  });

  it('should answer POST /seqr/notifications/% with 400 JSON', async () => {
    expectGatewayJson(await rawExchange(ports.http, rawPost('/seqr/notifications/%', 'invoiceReference=1', { 'content-type': 'application/x-www-form-urlencoded' })), 400);
    expectGatewayJson(await rawExchange(ports.http, rawPost('/seqr/notifications/%zz', '')), 400);
    await expectAlive();
  });

  it('should answer GET //?x with 404 JSON (no route), not 500', async () => {
    expectGatewayJson(await rawExchange(ports.http, rawGet('//?x')), 404);
    expectGatewayJson(await rawExchange(ports.http, rawGet('//invoices?x=%')), 404);
    await expectAlive();
  });

  it('should answer the @connections API and the simulator the same way', async () => {
    const gone = await rawExchange(ports.ws, rawGet('/local/@connections/%'));
    expect(gone.status).toBe(400);
    expect(JSON.parse(gone.body)).toEqual({ message: 'Bad Request' });
    const simulatorOdd = await rawExchange(ports.simulator, rawGet('//?x'));
    expect(simulatorOdd.status).toBeGreaterThanOrEqual(400);
    expect(simulatorOdd.status).toBeLessThan(500);
    const simulatorEscape = await rawExchange(ports.simulator, rawGet('/simulator/invoices/%'));
    expect(simulatorEscape.status).toBe(400);
    await expectAlive();
  });
});

describe('When a client drops the connection or sends bytes that are not HTTP', () => {
  it('should survive a request body cut off by a reset on every server', async () => {
    const partial = (p: string) => [`POST ${p} HTTP/1.1`, 'Host: 127.0.0.1', 'Content-Type: application/json', `Authorization: Bearer ${SHOP_KEY}`, 'Content-Length: 100000', '', '{"title":"x'].join('\r\n');
    await writeThenReset(ports.http, partial('/invoices'), 20);
    await writeThenReset(ports.ws, partial('/local/@connections/AAAAAAAAAAAAAAA%3D'), 20);
    await writeThenReset(ports.simulator, partial('/extclientproxy/service/v2'), 20);
    await writeThenReset(ports.simulator, partial('/simulator/faults'), 20);
    await expectAlive();
  });

  it('should survive a reset while an answer is being written', async () => {
    await writeThenReset(ports.http, rawGet('/seqr/payment-view.js'), 0);
    await writeThenReset(ports.http, rawGet('/shop'), 0);
    await expectAlive();
  });

  it('should answer bytes that are not HTTP with 400, or close, on every server', async () => {
    for (const port of [ports.http, ports.ws, ports.simulator]) {
      const answer = await rawExchange(port, Buffer.from('\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n', 'latin1'));
      if (answer.raw) expect(answer.status).toBe(400);
      await writeThenReset(port, 'GET / HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n');
    }
    await expectAlive();
  });

  it('should survive a socket that vanishes without a close frame while pushes go to it', async () => {
    const invoice = await newInvoice();
    const socket = await openSocket(`${urls.ws}${connectPath(invoice)}`);
    socket.send(JSON.stringify({ action: 'subscribe' }));
    (socket as unknown as { _socket: import('node:net').Socket })._socket.resetAndDestroy();
    // A payment pushes to the dead connection.
    const paid = await fetch(`${urls.simulator}/simulator/invoices/${invoice.invoiceReference}/pay`, { method: 'POST' });
    expect(paid.status).toBe(200);
    await expectAlive();
  });
});
