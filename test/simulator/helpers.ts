/** Shared helpers for the simulator tests: a SOAP client, contexts, raw envelopes, the control API. */
import http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import * as soap from 'soap';
import { startSeqrSimulator, type RunningSimulator, type SimulatorOptions } from '../../local/seqr-simulator/index.js';

export const WEBSHOP = { terminalId: 'local-webshop', password: 'local-password' };
export const OTHER_SHOP = { terminalId: 'other-webshop', password: 'other-password' };
export const RESELLER = { resellerId: 'local-reseller', userId: '9900', password: 'local-password' };

/**
 * Starts a simulator and a SOAP client for the enclosing describe block and
 * stops it afterwards; `use` receives both once they are up.
 */
export function useSimulator(use: (sim: RunningSimulator, seqr: Seqr) => void, options: SimulatorOptions = {}): void {
  let running: RunningSimulator | undefined;
  beforeAll(async () => {
    running = await startSimulator(options);
    use(running, await Seqr.connect(running));
  });
  afterAll(() => running?.stop());
}

export function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSeqrSimulator({ terminals: [WEBSHOP, OTHER_SHOP], ...options });
}

/** Fields in XSD order, as a strict client sends them. */
export function terminalContext(terminal: { terminalId: string; password: string } = WEBSHOP, opts: { userId?: string; type?: string } = {}) {
  return {
    channel: 'WS',
    clientId: 'simulator-tests',
    clientReference: 'tests-1.0',
    clientRequestTimeout: 0,
    initiatorPrincipalId: { id: terminal.terminalId, type: opts.type ?? 'TERMINALID', ...(opts.userId ? { userId: opts.userId } : {}) },
    password: terminal.password,
  };
}

export function resellerContext(reseller: { resellerId: string; userId: string; password: string } = RESELLER, type = 'RESELLERUSER') {
  return {
    channel: 'WS',
    clientId: 'simulator-tests',
    clientReference: 'tests-1.0',
    clientRequestTimeout: 0,
    initiatorPrincipalId: { id: reseller.resellerId, type, userId: reseller.userId },
    password: reseller.password,
  };
}

export interface Row {
  quantity?: string;
  total: string;
  currency?: string;
  description?: string;
}

export function invoice(opts: {
  total?: string;
  currency?: string;
  rows?: Row[];
  title?: string;
  notificationUrl?: string;
  paymentMode?: string;
  acknowledgmentMode?: string;
  cashierId?: string;
  clientInvoiceId?: string;
} = {}) {
  const currency = opts.currency ?? 'SEK';
  return {
    paymentMode: opts.paymentMode ?? 'IMMEDIATE_DEBIT',
    acknowledgmentMode: opts.acknowledgmentMode ?? 'NO_ACKNOWLEDGMENT',
    issueDate: '2024-05-01T12:00:00+02:00',
    ...(opts.title === '' ? {} : { title: opts.title ?? 'Order 1001' }),
    clientInvoiceId: opts.clientInvoiceId ?? 'order-1001',
    ...(opts.rows
      ? {
          invoiceRows: {
            invoiceRow: opts.rows.map((r) => ({
              itemDescription: r.description ?? 'Item',
              itemQuantity: r.quantity ?? '1',
              itemTotalAmount: { currency: r.currency ?? currency, value: r.total },
            })),
          },
        }
      : {}),
    totalAmount: { currency, value: opts.total ?? '100.00' },
    cashierId: opts.cashierId ?? 'web',
    ...(opts.notificationUrl ? { notificationUrl: opts.notificationUrl } : {}),
  };
}

export type SeqrReturn = Record<string, any> & { resultCode: number; resultDescription?: string };

export class Seqr {
  private constructor(private readonly client: soap.Client) {}

  static async connect(sim: RunningSimulator): Promise<Seqr> {
    const client = await soap.createClientAsync(sim.wsdlUrl, {
      customDeserializer: { decimal: (s: string) => s, long: (s: string) => s, dateTime: (s: string) => s },
    });
    return new Seqr(client);
  }

  async call(operation: string, args: Record<string, unknown>): Promise<SeqrReturn> {
    const [result] = await (this.client as any)[`${operation}Async`](args);
    return result.return as SeqrReturn;
  }

  get lastResponse(): string {
    return (this.client as any).lastResponse as string;
  }

  sendInvoice(inv = invoice(), context = terminalContext()) {
    return this.call('sendInvoice', { context, invoice: inv });
  }

  /** sendInvoice that must succeed; returns the reference. */
  async issue(inv = invoice(), context = terminalContext()): Promise<string> {
    const answer = await this.sendInvoice(inv, context);
    if (answer.resultCode !== 0) throw new Error(`sendInvoice failed: ${answer.resultCode}`);
    return answer.invoiceReference as string;
  }

  status(invoiceReference: string, context = terminalContext()) {
    return this.call('getPaymentStatus', { context, invoiceReference, invoiceVersion: 0 });
  }
}

export interface ControlAnswer {
  status: number;
  json: any;
}

export async function control(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<ControlAnswer> {
  const response = await fetch(sim.baseUrl + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

/** The shopper scans and pays in the app; resolves once the notifications are sent. */
export async function pay(sim: RunningSimulator, invoiceReference: string): Promise<any> {
  const answer = await control(sim, 'POST', `/simulator/invoices/${invoiceReference}/pay`);
  if (answer.status !== 200) throw new Error(`pay failed: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

export async function postRaw(sim: RunningSimulator, xml: string, headers: Record<string, string> = {}) {
  const response = await fetch(sim.soapUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', ...headers },
    body: xml,
  });
  return { status: response.status, contentType: response.headers.get('content-type'), text: await response.text() };
}

export interface ReceivedNotification {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A shop's notification endpoint: records every request and answers 200 (or `status`). */
export async function startReceiver(status = 200) {
  const received: ReceivedNotification[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
