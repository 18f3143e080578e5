/** Test helpers over a local stack on free ports: real HTTP, real sockets, dynalite. */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import WebSocket from 'ws';
import { setLogSink } from '../../src/log.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { tapLine, tapSecret, tapSecretsIn } from './log-tap.js';

export type { LocalStack };

export async function startTestStack(options: LocalStackOptions = {}): Promise<LocalStack & { logs: string[] }> {
  const logs: string[] = [];
  setLogSink((line) => logs.push(line));
  const stack = await startLocalStack({
    httpPort: 0,
    websocketPort: 0,
    simulatorPort: 0,
    dynamoDbPort: 0,
    // The watch asks SEQR on its own: off unless a test asks for it, so tests that count SEQR's calls see only their own.
    watch: false,
    ...options,
    // The simulator's lines are not the test's to read unless it asks, but the log audit reads them all.
    simulator: { confirmationWindowMs: 3_000, ...options.simulator, log: teeTo(options.simulator?.log) },
  });
  tapSecret(stack.shopApiKey);
  const stop = stack.stop;
  return Object.assign(stack, {
    logs,
    // Before it goes: the notification tokens the simulator was given, for the log audit.
    stop: async () => {
      for (const invoice of stack.simulator.invoices()) if (invoice.notificationUrl) tapSecretsIn(invoice.notificationUrl);
      await stop();
    },
  });
}

function teeTo(log: ((line: string) => void) | undefined): (line: string) => void {
  return (line) => {
    tapLine(line);
    log?.(line);
  };
}

export const ORDER = {
  title: 'Order 1042',
  currency: 'SEK',
  rows: [
    { description: 'Coffee', quantity: '2', unitPrice: '25.00' },
    { description: 'Bun', quantity: '1', unitPrice: '12.50', taxRate: '12' },
  ],
  clientInvoiceId: '1042',
};

export interface CreatedInvoice {
  invoiceReference: string;
  qrCode: string;
  appLink: string;
  status: string;
  total: { value: string; currency: string };
  subscribeToken: string;
  statusUrl: string;
  websocketUrl: string;
}

export async function post(stack: LocalStack, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${stack.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.shopApiKey}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

export async function createInvoice(stack: LocalStack, body: unknown = ORDER): Promise<CreatedInvoice> {
  const response = await post(stack, '/invoices', body);
  if (response.status !== 201) throw new Error(`create invoice: ${response.status} ${await response.text()}`);
  return (await response.json()) as CreatedInvoice;
}

export async function simulator(stack: LocalStack, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.simulator.baseUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export async function simulatorInvoice(stack: LocalStack, ref: string) {
  return (await simulator(stack, 'GET', `/simulator/invoices/${ref}`)).body as {
    status: string;
    confirmed: boolean;
    reversed: boolean;
    ersReference?: string;
    notificationsSent: number;
  };
}

export async function seqrCalls(stack: LocalStack, operation?: string): Promise<{ operation: string; invoiceReference?: string; resultCode: number; at: string }[]> {
  const query = operation ? `?operation=${operation}` : '';
  return (await simulator(stack, 'GET', `/simulator/calls${query}`)).body.calls as never;
}

export async function storedInvoice(stack: LocalStack, ref: string) {
  const response = await fetch(`${stack.httpUrl}/invoices/${ref}`, { headers: { authorization: `Bearer ${stack.shopApiKey}` } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function countItems(stack: LocalStack, table: string): Promise<number> {
  const client = new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { Count } = await client.send(new ScanCommand({ TableName: table, Select: 'COUNT' }));
  client.destroy();
  return Count ?? 0;
}

/** A subscribed socket that records every message. */
export interface Subscriber {
  socket: WebSocket;
  messages: Record<string, unknown>[];
  /** Resolves with the first message matching, or rejects after timeoutMs. */
  next(match: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
  });
}

export async function subscribe(invoice: CreatedInvoice): Promise<Subscriber> {
  const socket = await openSocket(invoice.websocketUrl);
  const messages: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as Record<string, unknown>;
    messages.push(message);
    for (const waiter of [...waiters]) {
      if (waiter.match(message)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(message);
      }
    }
  });
  socket.send(JSON.stringify({ action: 'subscribe' }));
  return {
    socket,
    messages,
    next: (match, timeoutMs = 5_000) => {
      const seen = messages.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`)), timeoutMs);
        waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
      });
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a truthy value or the time is up. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5_000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || Date.now() > until) return value;
    await sleep(everyMs);
  }
}
