/**
 * A local stand-in for the WebSocket API and its stage's `@connections`
 * management API. Sockets become $connect / route / $disconnect events for the
 * same handlers; `@aws-sdk/client-apigatewaymanagementapi` posts here as it
 * would to `https://{api}.execute-api.{region}.amazonaws.com/{stage}`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { WEBSOCKET_ROUTES, type FunctionName } from '../../src/catalog.js';
import type { WebSocketEvent, WebSocketResult } from '../../src/handlers/websocket/event.js';
import { lambdaContext, loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

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
  stop(): Promise<void>;
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

export async function startWebSocketGateway(options: WebSocketGatewayOptions): Promise<RunningWebSocketGateway> {
  const routes = options.routes ?? WEBSOCKET_ROUTES;
  const stage = options.stage ?? 'local';
  const live = new Map<string, Live>();
  // API Gateway takes messages of at most 128 KB.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });

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

  const server = http.createServer(async (req, res) => {
    // The management API: [/{stage}]/@connections/{connectionId}
    const match = /^(?:\/[^/]+)?\/@connections\/([^/?]+)/.exec(req.url ?? '');
    if (!match) {
      res.writeHead(426, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Upgrade Required' }));
      return;
    }
    const connectionId = decodeURIComponent(match[1]!);
    const connection = live.get(connectionId);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) {
      res
        .writeHead(410, { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' })
        .end(JSON.stringify({ __type: 'GoneException', message: null }));
      return;
    }
    if (req.method === 'POST') {
      const data = Buffer.concat(chunks);
      if (data.length > 128 * 1024) {
        res.writeHead(413, { 'content-type': 'application/json', 'x-amzn-errortype': 'PayloadTooLargeException' }).end('{}');
        return;
      }
      connection.socket.send(data.toString('utf8'));
      res.writeHead(200).end();
    } else if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          ConnectedAt: new Date(connection.connectedAt).toISOString(),
          LastActiveAt: new Date(connection.lastActiveAt).toISOString(),
          Identity: { SourceIp: connection.sourceIp, UserAgent: connection.userAgent },
        }),
      );
    } else if (req.method === 'DELETE') {
      connection.socket.close(1000);
      res.writeHead(204).end();
    } else {
      res.writeHead(405).end();
    }
  });

  server.on('upgrade', async (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const connectionId = newConnectionId();
    const query = Object.fromEntries(url.searchParams);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));
    const domainName = req.headers.host ?? 'localhost';
    let result: WebSocketResult;
    try {
      result = await invoke('$connect', 'CONNECT', connectionId, { queryStringParameters: Object.keys(query).length ? query : null, headers }, domainName);
    } catch (error) {
      process.stderr.write(`local gateway: $connect failed: ${(error as Error).stack ?? String(error)}\n`);
      result = { statusCode: 500 };
    }
    if (result.statusCode < 200 || result.statusCode > 299) {
      socket.end(`HTTP/1.1 ${result.statusCode} ${http.STATUS_CODES[result.statusCode] ?? 'Refused'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const now = Date.now();
      live.set(connectionId, {
        socket: ws,
        connectedAt: now,
        lastActiveAt: now,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: String(req.headers['user-agent'] ?? ''),
      });
      // One message at a time per connection, as API Gateway delivers them in order.
      let queue = Promise.resolve();
      ws.on('message', (data) => {
        const entry = live.get(connectionId);
        if (entry) entry.lastActiveAt = Date.now();
        const body = data.toString();
        let action: unknown;
        try {
          action = (JSON.parse(body) as { action?: unknown }).action;
        } catch {
          action = undefined;
        }
        const routeKey = typeof action === 'string' && action in routes && !action.startsWith('$') ? action : '$default';
        queue = queue
          .then(() => invoke(routeKey, 'MESSAGE', connectionId, { body }, domainName))
          .then(() => undefined)
          .catch((error: unknown) => void process.stderr.write(`local gateway: ${routeKey} failed: ${String(error)}\n`));
      });
      ws.on('close', () => {
        live.delete(connectionId);
        queue = queue
          .then(() => invoke('$disconnect', 'DISCONNECT', connectionId, {}, domainName))
          .then(() => undefined)
          .catch((error: unknown) => void process.stderr.write(`local gateway: $disconnect failed: ${String(error)}\n`));
      });
    });
  });

  const port = await listen(server, options.port, options.host);
  return {
    port,
    url: `ws://localhost:${port}`,
    callbackUrl: `http://localhost:${port}/${stage}`,
    connectionIds: () => [...live.keys()],
    stop: async () => {
      for (const { socket } of live.values()) socket.terminate();
      live.clear();
      wss.close();
      await close(server);
    },
  };
}
