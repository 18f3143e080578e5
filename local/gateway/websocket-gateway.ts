/**
 * A local stand-in for the WebSocket API and its stage's `@connections`
 * management API. Sockets become $connect / route / $disconnect events for the
 * same handlers; `@aws-sdk/client-apigatewaymanagementapi` posts here as it
 * would to `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEBSOCKET_ROUTES, type FunctionName } from '../../src/catalog.js';
import type { WebSocketEvent, WebSocketResult } from '../../src/handlers/websocket/event.js';
import { lambdaContext, loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';
import { parseTarget, rawAnswer, readBody } from './http-gateway.js';
import { seededRandom } from '../seeded-random.js';

export interface WebSocketGatewayOptions {
  port: number;
  host?: string;
  stage?: string;
  routes?: Readonly<Record<string, FunctionName>>;
}

export interface RunningWebSocketGateway {
  port: number;
  /** What browsers connect to. */
  url: string;
  /** The management endpoint the SDK client is given. */
  callbackUrl: string;
  /** Live connection ids. */
  connectionIds(): string[];
  /**
   * A switch for fault tests: the `@connections` API answers 500 (`fail`) or
   * takes the request and never answers (`hang`, until the caller gives up),
   * for every request or each with `probability` (seeded); `undefined` turns it off.
   */
  setConnectionsFault(fault: ConnectionsFault | undefined): void;
  /** What the `@connections` API did since the start: posts delivered, failed and hung by the switch. */
  connectionsCounts(): { delivered: number; failed: number; hung: number };
  stop(): Promise<void>;
}

export interface ConnectionsFault {
  mode: 'fail' | 'hang';
  /** Acts on each request with this probability (default 1). */
  probability?: number;
  seed?: number;
}


interface Live {
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

/** API Gateway's connection ids look like this: 16 base64 characters ending in `=`. */
function newConnectionId(): string {
  return randomBytes(11).toString('base64').slice(0, 15) + '=';
}

function decodeSegment(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function answerJson(res: http.ServerResponse, statusCode: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(statusCode, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** What ws itself checks before answering 101 (RFC 6455 §4.2.1). */
function isValidHandshake(req: http.IncomingMessage): boolean {
  const key = req.headers['sec-websocket-key'];
  return (
    req.method === 'GET' &&
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    (req.headers['sec-websocket-version'] === '13' || req.headers['sec-websocket-version'] === '8') &&
    typeof key === 'string' &&
    /^[+/0-9A-Za-z]{22}==$/.test(key.trim())
  );
}

function refuseHandshake(socket: Duplex, statusCode: number): void {
  if (socket.destroyed) return;
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${statusCode} ${http.STATUS_CODES[statusCode] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<RunningWebSocketGateway> {
  const routes = options.routes ?? WEBSOCKET_ROUTES;
  const stage = options.stage ?? 'local';
  const live = new Map<string, Live>();
  // API Gateway takes messages of at most 128 KB.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
  let fault: { mode: ConnectionsFault['mode']; probability: number; random: () => number } | undefined;
  const counts = { delivered: 0, failed: 0, hung: 0 };
  const hanging = new Set<http.ServerResponse>();

  const invoke = async (routeKey: string, eventType: WebSocketEvent['requestContext']['eventType'], connectionId: string, extra: Partial<WebSocketEvent>, domainName: string) => {
    const fn = (routes as Record<string, FunctionName>)[routeKey];
    if (!fn) return { statusCode: 200 } satisfies WebSocketResult;
    const requestId = randomUUID();
    const event: WebSocketEvent = {
      requestContext: { routeKey, eventType, connectionId, requestId, domainName, stage },
      isBase64Encoded: false,
      ...extra,
    };
    const handler = await loadHandler(fn);
    return ((await handler(event, lambdaContext(fn, requestId))) ?? { statusCode: 200 }) as WebSocketResult;
  };

  /** The management API: [/{stage}]/@connections/{connectionId}. */
  async function manage(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = parseTarget(req.url);
    const match = target ? /^(?:\/[^/]+)?\/@connections\/([^/]+)$/.exec(target.path) : null;
    if (!match) return answerJson(res, 426, { message: 'Upgrade Required' });
    const connectionId = decodeSegment(match[1]!);
    if (connectionId === undefined) return answerJson(res, 400, { message: 'Bad Request' });
    const read = await readBody(req, 128 * 1024);
    if (read.kind === 'aborted') return;
    if (fault && fault.random() < fault.probability) {
      if (fault.mode === 'fail') {
        counts.failed += 1;
        return answerJson(res, 500, { message: 'Internal server error' }, { 'x-amzn-errortype': 'InternalServerErrorException' });
      }
      // Taken and never answered: the caller's time-out ends it.
      counts.hung += 1;
      hanging.add(res);
      res.once('close', () => hanging.delete(res));
      return;
    }
    const connection = live.get(connectionId);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) {
      return answerJson(res, 410, { __type: 'GoneException', message: null }, { 'x-amzn-errortype': 'GoneException' });
    }
    if (req.method === 'POST') {
      if (read.kind === 'tooLarge') return answerJson(res, 413, {}, { 'x-amzn-errortype': 'PayloadTooLargeException' });
      connection.socket.send(read.body.toString('utf8'), (error) => {
        if (error) answerJson(res, 410, { __type: 'GoneException', message: null }, { 'x-amzn-errortype': 'GoneException' });
        else if (!res.headersSent) {
          counts.delivered += 1;
          res.writeHead(200).end();
        }
      });
    } else if (req.method === 'GET') {
      answerJson(res, 200, {
        ConnectedAt: new Date(connection.connectedAt).toISOString(),
        LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
      });
    } else if (req.method === 'DELETE') {
      connection.socket.close(1000);
      res.writeHead(204).end();
    } else {
      res.writeHead(405).end();
    }
  }

  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    manage(req, res).catch((error: unknown) => {
      process.stderr.write(`local gateway: @connections failed: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) answerJson(res, 500, { message: 'Internal Server Error' });
      else res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    socket.end(rawAnswer(400, 'Bad Request'));
  });

  /** Runs $disconnect once for a connection whose $connect was accepted. */
  const disconnected = new Set<string>();
  const runDisconnect = (connectionId: string, domainName: string, after: Promise<void> = Promise.resolve()) => {
    if (disconnected.has(connectionId)) return after;
    disconnected.add(connectionId);
    return after
      .then(() => invoke('$disconnect', 'DISCONNECT', connectionId, {}, domainName))
      .then(() => undefined)
      .catch((error: unknown) => void process.stderr.write(`local gateway: $disconnect failed: ${String(error)}\n`))
      .finally(() => disconnected.delete(connectionId));
  };

  async function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const target = parseTarget(req.url);
    if (!target) return refuseHandshake(socket, 400);
    // A handshake ws would refuse is refused before $connect, as API Gateway refuses it before invoking anything.
    if (!isValidHandshake(req)) return refuseHandshake(socket, 400);
    const connectionId = newConnectionId();
    const query = Object.fromEntries(new URLSearchParams(target.search));
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const domainName = req.headers.host ?? 'localhost';
    let result: WebSocketResult;
    try {
      result = await invoke('$connect', 'CONNECT', connectionId, { queryStringParameters: Object.keys(query).length ? query : null, headers }, domainName);
    } catch (error) {
      process.stderr.write(`local gateway: $connect failed: ${(error as Error).stack ?? String(error)}\n`);
      result = { statusCode: 500 };
    }
    if (result.statusCode < 200 || result.statusCode > 299) return refuseHandshake(socket, result.statusCode);
    // The client may have gone while $connect ran: the connection it was given ends at once.
    if (socket.destroyed || !socket.writable) return void runDisconnect(connectionId, domainName);
    let upgraded = false;
    socket.once('close', () => {
      if (!upgraded) void runDisconnect(connectionId, domainName);
    });
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = true;
      accept(ws, req, connectionId, domainName);
    });
  }

  function accept(ws: WebSocket, req: http.IncomingMessage, connectionId: string, domainName: string): void {
    const now = Date.now();
    live.set(connectionId, {
      socket: ws,
      connectedAt: now,
      lastActiveAt: now,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
    });
    // A frame over 128 KB, a bad frame or a reset: ws closes the socket (1009 for the size, as API Gateway) and says why here.
    ws.on('error', (error) => {
      process.stderr.write(`local gateway: socket ${connectionId} closed: ${error.message}\n`);
    });
    // One message at a time per connection, as API Gateway delivers them in order.
    let queue = Promise.resolve();
    ws.on('message', (data) => {
      const entry = live.get(connectionId);
      if (entry) entry.lastActiveAt = Date.now();
      const body = Buffer.isBuffer(data) ? data.toString() : Array.isArray(data) ? Buffer.concat(data).toString() : Buffer.from(data).toString();
      let action: unknown;
      try {
        action = (JSON.parse(body) as { action?: unknown } | null)?.action;
      } catch {
        action = undefined;
      }
      const routeKey = typeof action === 'string' && Object.hasOwn(routes, action) && !action.startsWith('$') ? action : '$default';
      queue = queue
        .then(() => invoke(routeKey, 'MESSAGE', connectionId, { body }, domainName))
        .then(() => undefined)
        .catch((error: unknown) => void process.stderr.write(`local gateway: ${routeKey} failed: ${String(error)}\n`));
    });
    ws.on('close', () => {
      live.delete(connectionId);
      queue = runDisconnect(connectionId, domainName, queue);
    });
  }

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // A client that resets mid-handshake must not take the process down.
    socket.on('error', () => undefined);
    upgrade(req, socket, head).catch((error: unknown) => {
      process.stderr.write(`local gateway: upgrade failed: ${(error as Error).stack ?? String(error)}\n`);
      refuseHandshake(socket, 500);
    });
  });

  const port = await listen(server, options.port, options.host);
  return {
    port,
    url: `ws://localhost:${port}`,
    callbackUrl: `http://localhost:${port}/${stage}`,
    connectionIds: () => [...live.keys()],
    setConnectionsFault: (next) => {
      fault = next && { mode: next.mode, probability: next.probability ?? 1, random: seededRandom(next.seed ?? 1) };
    },
    connectionsCounts: () => ({ ...counts }),
    stop: async () => {
      for (const res of hanging) res.destroy();
      for (const { socket } of live.values()) socket.terminate();
      live.clear();
      wss.close();
      await close(server);
    },
  };
}
