/**
 * A local stand-in for the HTTP API: turns each request into the payload
 * format 2.0 event API Gateway would send, calls the same handler, and writes
 * the handler's result back as API Gateway would.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_ROUTES, type HttpRoute } from '../../src/catalog.js';
import { isOriginAllowed } from '../../src/adapters/http/http.js';
import { lambdaContext, loadHandler } from '../handlers.js';
import { close, listen } from '../listen.js';

const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
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

function toEvent(req: http.IncomingMessage, url: URL, route: CompiledRoute, match: RegExpExecArray, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/).filter(Boolean));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const pathParameters: Record<string, string> = {};
  route.names.forEach((name, i) => (pathParameters[name] = decodeURIComponent(match[i + 1]!)));
  const isText = body.length === 0 || TEXT_TYPES.test(headers['content-type'] ?? 'text/plain');
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
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
        path: url.pathname,
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

export async function startHttpGateway(options: HttpGatewayOptions): Promise<RunningGateway> {
  const routes = (options.routes ?? HTTP_ROUTES).map(compile);
  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'OPTIONS') return preflight(req, res, options.corsMaxAgeSeconds ?? 300);
      let route: CompiledRoute | undefined;
      let match: RegExpExecArray | null = null;
      for (const candidate of routes) {
        if (candidate.method !== req.method) continue;
        match = candidate.pattern.exec(url.pathname);
        if (match) {
          route = candidate;
          break;
        }
      }
      if (!route || !match) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_PAYLOAD_BYTES) {
          res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Request Entity Too Large' }));
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const event = toEvent(req, url, route, match, Buffer.concat(chunks));
      const handler = await loadHandler(route.fn);
      write(res, await handler(event, lambdaContext(route.fn, event.requestContext.requestId)));
    } catch (error) {
      // What API Gateway answers when the integration fails.
      process.stderr.write(`local gateway: handler failed: ${(error as Error).stack ?? String(error)}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Internal Server Error' }));
    }
  });
  const port = await listen(server, options.port, options.host);
  return { port, url: `http://localhost:${port}`, stop: () => close(server) };
}
