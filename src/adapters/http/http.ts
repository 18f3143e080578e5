/**
 * HTTP API (payload format 2.0) helpers: JSON answers, typed 4xx errors that
 * name the field, body parsing with a size limit, shop-key auth and CORS.
 * Event format: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { config, shopApiKeySecret } from '../../config.js';
import { PaymentError } from '../../core/errors.js';
import { httpStatusOf } from './errors.js';
import { secretsEqual, sha256 } from '../../core/invoices/tokens.js';
import type { Logger } from '../../log.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** An answer to give the caller, with a stable machine-readable code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const MAX_BODY_BYTES = 64 * 1024;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResult(error: HttpError, headers: Record<string, string> = {}): HttpResult {
  const body = { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } };
  return json(error.statusCode, body, { ...error.headers, ...headers });
}

/** A domain error as the HTTP error the table in ./errors.ts gives its code. */
export function toHttpError(error: PaymentError): HttpError {
  return new HttpError(httpStatusOf(error.code), error.code, error.message, error.field);
}

/** Runs a route body; HttpErrors and PaymentErrors become their answer, anything else a logged 500 that reveals nothing. */
export async function answer(log: Logger, work: () => Promise<HttpResult>, headers: Record<string, string> = {}): Promise<HttpResult> {
  try {
    const result = await work();
    return { ...result, headers: { ...headers, ...result.headers } };
  } catch (error) {
    if (error instanceof HttpError) return errorResult(error, headers);
    if (error instanceof PaymentError) return errorResult(toHttpError(error), headers);
    log.error('unhandled error', { error });
    return errorResult(new HttpError(500, 'internal_error', 'Something went wrong on our side.'), headers);
  }
}

export function header(event: HttpEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export function rawBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): string {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new HttpError(413, 'body_too_large', `The body is larger than ${maxBytes} bytes.`);
  }
  return text;
}

export function jsonBody(event: HttpEvent, maxBytes = MAX_BODY_BYTES): unknown {
  const text = rawBody(event, maxBytes);
  const type = header(event, 'content-type');
  if (type && !/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  }
  if (text.trim() === '') throw new HttpError(400, 'invalid_json', 'The body is empty; send a JSON object.');
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_json', 'The body is not valid JSON.');
  }
}

export { secretsEqual, sha256 };

/** Server-to-server routes: `Authorization: Bearer <shop key>`. */
export async function requireShopKey(event: HttpEvent): Promise<void> {
  const authorization = header(event, 'authorization') ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  const challenge = { 'www-authenticate': 'Bearer' };
  if (!match?.[1]) throw new HttpError(401, 'unauthorized', 'Send the shop key as Authorization: Bearer <key>.', undefined, challenge);
  if (!secretsEqual(match[1], await shopApiKeySecret())) {
    throw new HttpError(401, 'unauthorized', 'The shop key is not valid.', undefined, challenge);
  }
}

function originAllowed(origin: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => {
    if (pattern === origin) return true;
    if (!pattern.endsWith(':*')) return false;
    const prefix = pattern.slice(0, -1);
    return origin.startsWith(prefix) && /^\d{1,5}$/.test(origin.slice(prefix.length));
  });
}

/** CORS headers for browser-facing routes: only configured shop origins are echoed. */
export function corsHeaders(event: HttpEvent): Record<string, string> {
  const origin = header(event, 'origin');
  if (!origin || !originAllowed(origin, config.allowedOrigins)) return { vary: 'Origin' };
  return { 'access-control-allow-origin': origin, vary: 'Origin' };
}

export function isOriginAllowed(origin: string): boolean {
  return originAllowed(origin, config.allowedOrigins);
}

/** A logger for one request: its id on every line, and the route. */
export function requestLogger(event: HttpEvent, log: Logger): Logger {
  return log.with({ requestId: event.requestContext?.requestId, route: event.routeKey });
}
