/**
 * A stand-in for the HTTP and WebSocket APIs the payment view talks to,
 * implementing exactly their contracts:
 *
 *   GET /invoices/<ref>/status?token=<token> → 200 {invoiceReference,status,ersReference?,version} | 404
 *   WS  /?invoice=<ref>&token=<token> (refused on a wrong token); after
 *       {"action":"subscribe"} the current status, then pushes
 *       {"type":"invoice.status",invoiceReference,status,ersReference?,version}
 *
 * `version` is the stored invoice's: 1 when added, one more at each setStatus.
 *   GET /seqr/payment-view.js → whatever `serveScript` answers (the Lambda handler in the tests)
 *
 * Tests set statuses, count status GETs, make GETs fail or hold their answers,
 * refuse or drop sockets.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface ScriptResponse {
  statusCode?: number;
  headers?: Record<string, string | number | boolean>;
  body?: string;
}

export interface FakeStatusServerOptions {
  /** Serves GET /seqr/payment-view.js, given the request headers (lower-case names). */
  serveScript?: (headers: Record<string, string>) => Promise<ScriptResponse>;
}

interface Invoice {
  token: string;
  status: string;
  ersReference?: string;
  version: number;
  gets: number;
  failNextGets: number;
  /** Set by holdNextGet: the next status GET takes its answer at once but sends it only on release. */
  hold?: { arrived: () => void; released: Promise<void> };
  refuseSockets: boolean;
  subscribers: Set<WebSocket>;
  sockets: Set<WebSocket>;
}

export interface FakeStatusServer {
  /** The HTTP API base URL, e.g. http://127.0.0.1:12345 (no trailing slash). */
  readonly baseUrl: string;
  /** The WebSocket base URL, e.g. ws://127.0.0.1:12345. */
  readonly websocketUrl: string;
  addInvoice(invoiceReference: string, token: string, status?: string): void;
  /** Change the status (version + 1) and, unless `push: false`, push it to subscribers. */
  setStatus(invoiceReference: string, status: string, options?: { ersReference?: string; push?: boolean }): void;
  /** Send the current status to subscribers again. */
  push(invoiceReference: string): void;
  /** Status GETs answered (any outcome) for this invoice, including wrong-token ones. */
  statusGets(invoiceReference: string): number;
  /** Answer the next `count` status GETs with 500. */
  failNextGets(invoiceReference: string, count: number): void;
  /**
   * The next status GET (right token) takes its answer (status, version) when
   * it arrives but sends it only on `release()`: a slow answer, overtaken by
   * later changes. `arrived` resolves when that GET comes in.
   */
  holdNextGet(invoiceReference: string): HeldGet;
  refuseSockets(invoiceReference: string, refuse?: boolean): void;
  /** Open sockets for the invoice (subscribed or not). */
  openSockets(invoiceReference: string): number;
  /** Cut the invoice's sockets without a close handshake, as a network drop. */
  dropSockets(invoiceReference: string): void;
  close(): Promise<void>;
}

export interface HeldGet {
  arrived: Promise<void>;
  release(): void;
}

/** `{invoiceReference, status, ersReference?, version}`, as the status URL answers and (with `type`) the socket pushes. */
function statusBody(invoiceReference: string, invoice: Invoice) {
  return {
    invoiceReference,
    status: invoice.status,
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    version: invoice.version,
  };
}

function send(socket: WebSocket, invoiceReference: string, invoice: Invoice): void {
  socket.send(JSON.stringify({ type: 'invoice.status', ...statusBody(invoiceReference, invoice) }));
}

export async function startFakeStatusServer(options: FakeStatusServerOptions = {}): Promise<FakeStatusServer> {
  const invoices = new Map<string, Invoice>();
  /** GETs for references that do not exist, counted too. */
  const strayGets = new Map<string, number>();

  const invoice = (ref: string): Invoice => {
    const found = invoices.get(ref);
    if (!found) throw new Error(`fake status server: no invoice ${ref}`);
    return found;
  };

  const json = (res: ServerResponse, statusCode: number, body: unknown, origin: string | undefined) => {
    res.writeHead(statusCode, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      ...(origin ? { 'access-control-allow-origin': origin, vary: 'Origin' } : {}),
    });
    res.end(JSON.stringify(body));
  };

  const onRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      // The view sends only simple requests; a preflight would mean it does not.
      res.writeHead(405).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/seqr/payment-view.js' && options.serveScript) {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
      const answer = await options.serveScript(headers);
      const outHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(answer.headers ?? {})) outHeaders[name] = String(value);
      res.writeHead(answer.statusCode ?? 200, outHeaders).end(answer.body ?? '');
      return;
    }
    const match = /^\/invoices\/([^/]+)\/status$/.exec(url.pathname);
    if (req.method === 'GET' && match?.[1]) {
      const ref = decodeURIComponent(match[1]);
      const found = invoices.get(ref);
      if (!found) {
        strayGets.set(ref, (strayGets.get(ref) ?? 0) + 1);
        json(res, 404, { message: 'Not Found' }, origin);
        return;
      }
      found.gets++;
      if (url.searchParams.get('token') !== found.token) {
        json(res, 404, { message: 'Not Found' }, origin);
        return;
      }
      if (found.failNextGets > 0) {
        found.failNextGets--;
        json(res, 500, { message: 'Internal Server Error' }, origin);
        return;
      }
      const body = statusBody(ref, found);
      const hold = found.hold;
      if (hold) {
        found.hold = undefined;
        hold.arrived();
        await hold.released;
      }
      json(res, 200, body, origin);
      return;
    }
    json(res, 404, { message: 'Not Found' }, origin);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });

  const wss = new WebSocketServer({
    server,
    verifyClient: ({ req }, done) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const found = invoices.get(url.searchParams.get('invoice') ?? '');
      if (!found || found.refuseSockets || url.searchParams.get('token') !== found.token) done(false, 403, 'Forbidden');
      else done(true);
    },
  });
  wss.on('connection', (socket, req) => {
    const ref = new URL(req.url ?? '/', 'http://fake').searchParams.get('invoice') ?? '';
    const found = invoice(ref);
    found.sockets.add(socket);
    socket.on('close', () => {
      found.sockets.delete(socket);
      found.subscribers.delete(socket);
    });
    socket.on('message', (data) => {
      let message: unknown;
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      if ((message as { action?: unknown } | null)?.action === 'subscribe') {
        found.subscribers.add(socket);
        send(socket, ref, found);
      }
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    websocketUrl: `ws://127.0.0.1:${port}`,
    addInvoice(ref, token, status = 'ISSUED') {
      invoices.set(ref, {
        token,
        status,
        version: 1,
        gets: 0,
        failNextGets: 0,
        refuseSockets: false,
        subscribers: new Set(),
        sockets: new Set(),
      });
    },
    setStatus(ref, status, opts = {}) {
      const found = invoice(ref);
      found.status = status;
      if (opts.ersReference) found.ersReference = opts.ersReference;
      found.version++;
      if (opts.push !== false) for (const socket of found.subscribers) send(socket, ref, found);
    },
    push(ref) {
      const found = invoice(ref);
      for (const socket of found.subscribers) send(socket, ref, found);
    },
    holdNextGet(ref) {
      let arrived!: () => void;
      let release!: () => void;
      const held: HeldGet = {
        arrived: new Promise<void>((resolve) => (arrived = resolve)),
        release: () => release(),
      };
      invoice(ref).hold = { arrived, released: new Promise<void>((resolve) => (release = resolve)) };
      return held;
    },
    statusGets: (ref) => invoices.get(ref)?.gets ?? strayGets.get(ref) ?? 0,
    failNextGets(ref, count) {
      invoice(ref).failNextGets = count;
    },
    refuseSockets(ref, refuse = true) {
      invoice(ref).refuseSockets = refuse;
    },
    openSockets: (ref) => invoices.get(ref)?.sockets.size ?? 0,
    dropSockets(ref) {
      for (const socket of invoice(ref).sockets) socket.terminate();
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
