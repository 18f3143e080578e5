/**
 * A local stand-in for the HTTP API: turns each request into the payload
 * format 2.0 event API Gateway would send, calls the same handler, and writes
 * the handler's result back as API Gateway would.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LOCAL_HTTP_ROUTES, type LocalHttpRoute as HttpRoute } from '../handlers.js';
import { isOriginAllowed } from '../../src/adapters/http/http.js';
import { lambdaContext, loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** What the gateway itself answers (no route, bad path, too large), as API Gateway does: `{"message"}`. */
const GATEWAY_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;
const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|[^;]*\+json|[^;]*\+xml)/i;

interface CompiledRoute extends HttpRoute {
  pattern: RegExp;
  names: string[];
}

function compile(route: HttpRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^${}()|[\]\\]/g, (c) => (c === '{' || c === '}' ? c : `\\${c}`)).replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

export interface HttpGatewayOptions {
  port: number;
  host?: string;
  routes?: readonly HttpRoute[];
  /** Origins and headers for CORS preflight, as the HTTP API's CORS configuration answers it. */
  corsMaxAgeSeconds?: number;
}

export interface RunningGateway {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A request target split into its path (still percent-encoded) and query, without the URL parser's rules for `//host`. */
export interface RequestTarget {
  path: string;
  search: string;
}

/**
 * `req.url` as a path and a query. Origin-form (`/a?b`) is taken as it is (a
 * leading `//` is a path, not a host); absolute-form (`http://h/a?b`) gives its
 * path. Undefined for anything else (`*`, a path not starting with `/`).
 */
export function parseTarget(raw: string | undefined): RequestTarget | undefined {
  let target = raw ?? '/';
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      target = url.pathname + url.search;
    } catch {
      return undefined;
    }
  }
  if (!target.startsWith('/')) return undefined;
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q < 0 ? { path: target, search: '' } : { path: target.slice(0, q), search: target.slice(q + 1) };
}

/** decodeURIComponent, or undefined for a malformed escape (`%`, `%zz`, bytes that are not UTF-8). */
function decodePathSegment(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** An answer written straight to a socket the HTTP parser gave up on. */
export function rawAnswer(statusCode: number, message: string): string {
  const body = JSON.stringify({ message });
  return `HTTP/1.1 ${statusCode} ${http.STATUS_CODES[statusCode] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

function gatewayAnswer(res: http.ServerResponse, statusCode: number, message: string, extra: http.OutgoingHttpHeaders = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(statusCode, { ...GATEWAY_HEADERS, ...extra }).end(JSON.stringify({ message }));
}

function toEvent(req: http.IncomingMessage, target: RequestTarget, route: CompiledRoute, pathParameters: Record<string, string>, body: Buffer): APIGatewayProxyEventV2 {
  // Built from entries, so that a name like `__proto__` or `constructor` is an own property as in the JSON Lambda parses.
  const headerEntries: [string, string][] = [];
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/).filter(Boolean));
    else headerEntries.push([name, Array.isArray(value) ? value.join(',') : value]);
  }
  const headers: Record<string, string> = Object.fromEntries(headerEntries);
  const queryValues = new Map<string, string>();
  for (const [key, value] of new URLSearchParams(target.search)) queryValues.set(key, queryValues.has(key) ? `${queryValues.get(key)},${value}` : value);
  const query: Record<string, string> = Object.fromEntries(queryValues);
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] || 'text/plain');
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: target.path,
    rawQueryString: target.search,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(route.names.length ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: target.path,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function write(res: http.ServerResponse, result: APIGatewayProxyStructuredResultV2 | string | undefined): void {
  // Payload 2.0: a result without statusCode is taken as a 200 JSON body.
  if (typeof result === 'string' || result === undefined || result.statusCode === undefined) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(typeof result === 'string' ? result : JSON.stringify(result ?? null));
    return;
  }
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode, headers).end(body);
}

function preflight(req: http.IncomingMessage, res: http.ServerResponse, maxAge: number): void {
  const origin = req.headers.origin;
  if (!origin || !isOriginAllowed(origin)) {
    res.writeHead(204).end();
    return;
  }
  res
    .writeHead(204, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': 'GET,POST,OPTIONS',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type',
      'access-control-max-age': String(maxAge),
      vary: 'Origin',
    })
    .end();
}

export type BodyRead = { kind: 'ok'; body: Buffer } | { kind: 'tooLarge' } | { kind: 'aborted' };

/**
 * The whole body, or `tooLarge` once past the limit (the rest is read and
 * dropped, so the client can read the refusal), or `aborted` when the client
 * went away mid-body.
 */
export function readBody(req: http.IncomingMessage, limit: number): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on('end', () => resolve(size > limit ? { kind: 'tooLarge' } : { kind: 'ok', body: Buffer.concat(chunks) }));
    req.on('error', () => resolve({ kind: 'aborted' }));
    req.on('close', () => {
      if (!req.complete) resolve({ kind: 'aborted' });
    });
  });
}

export async function startHttpGateway(options: HttpGatewayOptions): Promise<RunningGateway> {
  const routes = (options.routes ?? LOCAL_HTTP_ROUTES).map(compile);
  const server = http.createServer((req, res) => {
    // A client that resets mid-request or mid-answer must not take the process down.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    serve(req, res).catch((error: unknown) => {
      process.stderr.write(`local gateway: request failed: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) gatewayAnswer(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = parseTarget(req.url);
    if (!target) return gatewayAnswer(res, 400, 'Bad Request');
    if (req.method === 'OPTIONS') return preflight(req, res, options.corsMaxAgeSeconds ?? 300);
    let route: CompiledRoute | undefined;
    let match: RegExpExecArray | null = null;
    for (const candidate of routes) {
      if (candidate.method !== req.method) continue;
      match = candidate.pattern.exec(target.path);
      if (match) {
        route = candidate;
        break;
      }
    }
    if (!route || !match) return gatewayAnswer(res, 404, 'Not Found');
    const pathParameters: Record<string, string> = {};
    for (const [i, name] of route.names.entries()) {
      const value = decodePathSegment(match[i + 1]!);
      // A malformed percent-escape never reaches a handler.
      if (value === undefined) return gatewayAnswer(res, 400, 'Bad Request');
      pathParameters[name] = value;
    }
    const read = await readBody(req, MAX_PAYLOAD_BYTES);
    if (read.kind === 'aborted') return;
    if (read.kind === 'tooLarge') return gatewayAnswer(res, 413, 'Request Entity Too Large');
    try {
      const event = toEvent(req, target, route, pathParameters, read.body);
      const handler = await loadHandler(route.fn);
      write(res, await handler(event, lambdaContext(route.fn, event.requestContext.requestId)));
    } catch (error) {
      // What API Gateway answers when the integration fails.
      process.stderr.write(`local gateway: handler failed: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) gatewayAnswer(res, 500, 'Internal Server Error');
      else res.destroy();
    }
  }

  // Bytes that are not HTTP, or a connection reset before a request was read: answer 400 if the socket still takes it.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if ((error.code === 'ECONNRESET' || !socket.writable) && !socket.destroyed) return void socket.destroy();
    socket.end(rawAnswer(400, 'Bad Request'));
  });
  const port = await listen(server, options.port, options.host);
  return { port, url: `http://localhost:${port}`, stop: () => close(server) };
}
