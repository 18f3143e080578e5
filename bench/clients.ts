/**
 * The bench's side of the wire: the local stack on free ports, a shop server
 * creating invoices over HTTP, shoppers' pages holding a real WebSocket or
 * polling the status URL, and SEQR's app paying through the simulator.
 * Times are performance.now() milliseconds of this process; the simulator's
 * epoch-millisecond stamps are converted with `fromEpoch`.
 */
import WebSocket from 'ws';
import { startLocalStack, type LocalStack } from '../local/stack.js';
import { setLogSink } from '../src/log.js';
import { currentInvocation, type Invocation } from '../local/handlers.js';
import type { ProbeTargets } from './probe.js';

export interface CreatedInvoice {
  invoiceReference: string;
  subscribeToken: string;
  statusUrl: string;
  websocketUrl: string;
}

export const ORDER = {
  title: 'Order 1042',
  currency: 'SEK',
  clientInvoiceId: '1042',
  rows: [
    { description: 'Coffee', quantity: '2', unitPrice: '25.00' },
    { description: 'Bun', quantity: '1', unitPrice: '12.50', taxRate: '12' },
  ],
};

/** Bytes of structured log lines the handlers wrote, all and per invocation (CloudWatch Logs ingests them). */
export const logBytes = { total: 0, byInvocation: new WeakMap<Invocation, number>() };

/** The handlers' warnings and errors (the last 5,000), to explain a lost payment. */
export const warnings: string[] = [];

export async function startBenchStack(): Promise<LocalStack> {
  setLogSink((line) => {
    const bytes = Buffer.byteLength(line) + 1;
    logBytes.total += bytes;
    const invocation = currentInvocation();
    if (invocation) logBytes.byInvocation.set(invocation, (logBytes.byInvocation.get(invocation) ?? 0) + bytes);
    if (line.startsWith('{"level":"warn"') || line.startsWith('{"level":"error"')) {
      warnings.push(line);
      if (warnings.length > 5_000) warnings.splice(0, warnings.length - 5_000);
    }
  });
  // SEQR's own rule: a payment not asked about within 20 s is reversed.
  return startLocalStack({ httpPort: 0, websocketPort: 0, simulatorPort: 0, dynamoDbPort: 0, simulator: { log: () => undefined, confirmationWindowMs: 20_000 } });
}

export function probeTargets(stack: LocalStack): ProbeTargets {
  const port = (url: string) => Number(new URL(url).port);
  return { seqr: port(stack.simulator.baseUrl), websocket: port(stack.websocketCallbackUrl), http: port(stack.httpUrl) };
}

/** Epoch milliseconds (the simulator's stamps) as this process's performance.now(). */
export const fromEpoch = (epochMs: number): number => epochMs - performance.timeOrigin;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    what: string,
    body: string,
  ) {
    super(`${what}: HTTP ${status} ${body.slice(0, 200)}`);
  }
}

/** The shop's server: POST /invoices with the shop key. */
export async function createInvoice(stack: LocalStack): Promise<CreatedInvoice> {
  const response = await fetch(`${stack.httpUrl}/invoices`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.shopApiKey}` },
    body: JSON.stringify(ORDER),
  });
  const text = await response.text();
  if (response.status !== 201) throw new HttpStatusError(response.status, 'create invoice', text);
  return JSON.parse(text) as CreatedInvoice;
}

/** The shopper pays in the SEQR app; `wait` answers only after SEQR's notification POST was answered. */
export async function pay(stack: LocalStack, invoiceReference: string, wait = false): Promise<void> {
  const response = await fetch(`${stack.simulator.baseUrl}/simulator/invoices/${invoiceReference}/pay${wait ? '' : '?wait=false'}`, { method: 'POST' });
  const text = await response.text();
  if (response.status !== 200) throw new HttpStatusError(response.status, 'pay', text);
}

/** When SEQR sent its notification for the payment: the moment it made the invoice PAID (performance.now() ms). */
export function notificationSentAt(stack: LocalStack, invoiceReference: string): number | undefined {
  const sent = stack.simulator.invoice(invoiceReference)?.notifications[0]?.sentAtMs;
  return sent === undefined ? undefined : fromEpoch(sent);
}

export interface Received {
  at: number;
  message: { type?: string; status?: string; version?: number; [key: string]: unknown };
}

/** A shopper's page with the payment view's socket open and subscribed. */
export class SocketPage {
  readonly received: Received[] = [];
  private waiters: { match: (r: Received) => boolean; resolve: (r: Received) => void }[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const at = performance.now();
      const entry: Received = { at, message: JSON.parse(String(data)) as Received['message'] };
      this.received.push(entry);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(entry)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    });
  }

  /** Opens the socket ($connect) and subscribes; resolves on the first status, as the view waits for it. */
  static async open(invoice: CreatedInvoice, timeoutMs = 10_000): Promise<SocketPage> {
    const socket = await openSocket(invoice.websocketUrl);
    const page = new SocketPage(socket);
    socket.send(JSON.stringify({ action: 'subscribe' }));
    await page.next((r) => r.message.type === 'invoice.status', timeoutMs);
    return page;
  }

  next(match: (r: Received) => boolean, timeoutMs = 10_000): Promise<Received> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`no matching message in ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (r: Received) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ match, resolve: done });
    });
  }

  paidMessages(): Received[] {
    return this.received.filter((r) => r.message.type === 'invoice.status' && r.message.status === 'PAID');
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`socket refused with HTTP ${res.statusCode}`)));
  });
}

/** One GET of the status URL, as the payment view's poll makes it. */
export async function pollOnce(invoice: CreatedInvoice): Promise<{ status: string; httpStatus: number }> {
  const response = await fetch(invoice.statusUrl, { headers: { origin: 'http://localhost:8080' } });
  const text = await response.text();
  if (response.status !== 200) return { status: '', httpStatus: response.status };
  return { status: (JSON.parse(text) as { status: string }).status, httpStatus: 200 };
}

/** Runs `task` over `items`, at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
