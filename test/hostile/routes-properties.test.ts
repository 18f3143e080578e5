/**
 * Property-based hostile input over every HTTP route of src/catalog.ts and of
 * the sample shop's catalog (table driven: a route added there is covered here): HOSTILE.runs cases per route
 * (1,000) from a fixed seed, each a request with hostile path parameters,
 * query, headers and body, sent raw over HTTP (paths not normalised). Every
 * answer: never a 5xx; JSON answers carry `no-store`; an error answer is JSON
 * of the documented shape; a refused request (4xx) sent no write to DynamoDB,
 * made no SEQR call (the simulator's call log) and set no cookie. After each
 * route, the store is compared with its snapshot from before: unchanged
 * unless a case was accepted.
 */
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_ROUTES } from '../../src/catalog.js';
import { SAMPLE_SHOP_ROUTES } from '../../examples/sample-shop/catalog.js';
import { ORDER, createInvoice, startTestStack, type CreatedInvoice, type LocalStack } from '../support/local-stack.js';
import { errorShapeProblem, countStoreWrites, HOSTILE, writes } from './properties.js';
import { StoreWatch, storeChanges } from './store.js';

/** The product's routes (src/catalog.ts) and the sample shop's, as the local gateway serves them. */
interface HttpRoute {
  method: string;
  path: string;
  sampleShop?: boolean;
}
const ROUTES: readonly HttpRoute[] = [...HTTP_ROUTES, ...SAMPLE_SHOP_ROUTES.map((route) => ({ ...route, sampleShop: true }))];

let stack: LocalStack & { logs: string[] };
let store: StoreWatch;
let invoice: CreatedInvoice;
let notificationToken: string;
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const figures: { route: string; cases: number; refused: number; accepted: number; statuses: Record<number, number>; seconds: number }[] = [];
const started = Date.now();

beforeAll(async () => {
  stack = await startTestStack();
  store = new StoreWatch(stack);
  countStoreWrites();
  invoice = await createInvoice(stack);
  notificationToken = stack.simulator.invoice(invoice.invoiceReference)!.notificationUrl!.split('/').pop()!;
  const before = writes.count;
  await createInvoice(stack);
  // The counter sees the handlers' writes: one client, shared in this process.
  expect(writes.count).toBeGreaterThan(before);
});
afterAll(async () => {
  const lines = figures.map((f) => `${f.route.padEnd(58)} ${String(f.cases).padStart(6)} ${String(f.refused).padStart(8)} ${String(f.accepted).padStart(9)}  ${JSON.stringify(f.statuses)}  ${f.seconds.toFixed(1)} s`);
  process.stdout.write(
    `\nHostile input, HTTP routes: ${HOSTILE.runs} cases a route, seed ${HOSTILE.seed}, ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      `${'route'.padEnd(58)} ${'cases'.padStart(6)} ${'refused'.padStart(8)} ${'accepted'.padStart(9)}  statuses\n${lines.join('\n')}\n` +
      `cases in all: ${figures.reduce((n, f) => n + f.cases, 0)}, 5xx: 0\n`,
  );
  agent.destroy();
  store?.close();
  await stack?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request: the path goes on the wire exactly as given. */
function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(stack.httpUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

// ---- what a hostile client sends ----

const junk = fc.string({ unit: 'binary', maxLength: 40 });
/** Path segments: hostile strings percent-encoded, raw escapes and traversal, references of every shape, the real invoice and token. */
const segment = () =>
  fc.oneof(
    junk.map(encodeURIComponent),
    fc.constantFrom('%', '%zz', '%C0%AF', '%00', '..', '%2e%2e', '.', 'a%2Fb', '%252F', '~', '%F0%9F%92%A9', 'null', 'undefined', '__proto__', 'constructor'),
    fc.stringMatching(/^\d{1,30}$/),
    fc.integer({ min: 1, max: 9_000 }).map((n) => '7'.repeat(n)),
    fc.constant('REAL_REF'),
    fc.constant('REAL_TOKEN'),
    fc.constant('NOTIFICATION_TOKEN'),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  );

const queryKey = fc.oneof(fc.constantFrom('token', 'invoice', 'limit', 'cursor', 'invoiceReference', 'sku', 'formToken', '__proto__', 'constructor'), junk);
const queryValue = fc.oneof(junk, fc.constant('REAL_TOKEN'), fc.constant('REAL_REF'), fc.integer().map(String), fc.constant(''), fc.constant('x'.repeat(5_000)));
const query = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }).map((pairs) => (pairs.length ? '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') : '')),
  fc.constantFrom('?%', '?token=%zz', '?&&&', '?=', '?token', '?limit=-1', '?limit=1e9', '?cursor=%00'),
);

/** Header values a client can put on the wire: visible ASCII and spaces. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/).filter((n) => !['content-length', 'host', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer'].includes(n));
/** Mostly what a real client of the route sends (the key, JSON or a form, the shop's origin), so the checks behind the first one are reached too. */
const headersFor = (route: HttpRoute) =>
  fc.record(
    {
      authorization: fc.oneof(
        { arbitrary: fc.constant('Bearer SHOP_KEY'), weight: 6 },
        { arbitrary: fc.oneof(headerText.map((t) => `Bearer ${t}`), headerText, fc.constantFrom('Bearer', 'Basic bG9jYWw6a2V5', 'bearer  SHOP_KEY x', 'Bearer SHOP_KEY\t', 'Bearer SHOP_KEYx')), weight: 2 },
      ),
      'content-type': fc.oneof(
        { arbitrary: fc.constant(route.sampleShop ? 'application/x-www-form-urlencoded' : 'application/json'), weight: 6 },
        { arbitrary: fc.oneof(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', 'application/xml'), headerText), weight: 2 },
      ),
      origin: fc.oneof({ arbitrary: fc.constant('SHOP_ORIGIN'), weight: 4 }, { arbitrary: fc.oneof(fc.constantFrom('null', 'http://evil.example', 'http://localhost:1'), headerText), weight: 2 }),
      cookie: fc.oneof(headerText, fc.constant('session=REAL_TOKEN'), headerText.map((t) => `session=${t}`)),
      'idempotency-key': headerText,
      'sec-fetch-site': fc.constantFrom('cross-site', 'same-origin', 'none', 'same-site'),
      extra: fc.tuple(headerName, headerText),
    },
    { requiredKeys: [] },
  );

/** Bodies: any JSON, the route's own fields holding anything, form posts, text, too large. */
const anything = fc.jsonValue({ maxDepth: 4 });
const fieldsOf = ['title', 'currency', 'rows', 'clientInvoiceId', 'backUrl', 'amount', 'value', 'reason', 'receipt', 'description', 'quantity', 'unitPrice', 'taxRate', 'sku', 'formToken', 'action'];
const body = fc.oneof(
  anything.map((v) => JSON.stringify(v)),
  fc.dictionary(fc.constantFrom(...fieldsOf), anything, { maxKeys: 6 }).map((v) => JSON.stringify(v)),
  fc.record({ title: anything, currency: fc.oneof(fc.constant('SEK'), anything), rows: fc.array(fc.dictionary(fc.constantFrom('description', 'quantity', 'unitPrice', 'taxRate', 'x'), anything), { maxLength: 3 }) }).map((v) => JSON.stringify(v)),
  fc.array(fc.tuple(fc.constantFrom('sku', 'formToken', 'invoiceReference', 'x'), queryValue), { maxLength: 4 }).map((pairs) => new URLSearchParams(pairs).toString()),
  junk,
  fc.constantFrom('', '{', '{"title": ', 'null', '[]', '"x"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000', '{"rows":' + '['.repeat(500) + ']'.repeat(500) + '}'),
  fc.integer({ min: 60_000, max: 70_000 }).map((n) => JSON.stringify({ ...ORDER, title: 'x'.repeat(n) })),
);

const requestFor = (route: HttpRoute) =>
  fc.record({
    segments: fc.array(segment(), { minLength: 2, maxLength: 2 }),
    query,
    headers: headersFor(route),
    body: route.method === 'GET' ? fc.constant(undefined) : fc.option(body, { nil: undefined }),
  });

function place(text: string): string {
  return text
    .replaceAll('REAL_REF', invoice.invoiceReference)
    .replaceAll('REAL_TOKEN', encodeURIComponent(invoice.subscribeToken))
    .replaceAll('NOTIFICATION_TOKEN', notificationToken)
    .replaceAll('SHOP_KEY', stack.shopApiKey)
    .replaceAll('SHOP_ORIGIN', new URL(stack.httpUrl).origin);
}

function pathOf(route: HttpRoute, segments: string[]): string {
  let i = 0;
  return route.path.replace(/\{\w+\}/g, () => place(segments[i++] ?? 'x'));
}

describe('When every route gets hostile requests', () => {
  for (const route of ROUTES) {
    const name = `${route.method} ${route.path}`;
    // POST /transaction-periods with the right key starts an asynchronous run (SEQR calls after the answer): hostile keys only there.
    const asyncRun = route.method === 'POST' && route.path === '/transaction-periods';
    it(`${name}: never a 5xx; an error is JSON of the documented shape; a refused request writes nothing, calls SEQR never and sets no cookie`, async () => {
      const t0 = Date.now();
      const statuses: Record<number, number> = {};
      let refused = 0;
      let accepted = 0;
      const before = await store.snapshot();
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (request) => {
          const wire: Record<string, string> = {};
          for (const [key, value] of Object.entries(request.headers)) {
            if (key === 'extra') {
              const [n, v] = value as [string, string];
              wire[n] = place(v);
            } else wire[key] = place(value as string);
          }
          if (asyncRun && wire.authorization?.includes(stack.shopApiKey)) wire.authorization = 'Bearer not-the-key';
          const path = pathOf(route, request.segments) + place(request.query);
          const writesBefore = writes.count;
          const callsBefore = stack.simulator.calls().length;
          const answer = await send(route.method, path, wire, request.body === undefined ? undefined : place(request.body));
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          const where = `${route.method} ${path.slice(0, 200)} → ${answer.status} ${answer.body.slice(0, 200)}`;
          expect(answer.status, where).toBeLessThan(500);
          const isJson = /^application\/json/.test(String(answer.headers['content-type'] ?? ''));
          if (isJson) expect(answer.headers['cache-control'], where).toBe('no-store');
          if (answer.status >= 400) {
            refused += 1;
            // The sample shop's pages answer HTML; every other error answer is JSON of the documented shape.
            if (!route.sampleShop || isJson) {
              expect(isJson, where).toBe(true);
              expect(errorShapeProblem(JSON.parse(answer.body)), where).toBeUndefined();
            }
            expect({ writes: writes.count - writesBefore, seqrCalls: stack.simulator.calls().length - callsBefore, setCookie: answer.headers['set-cookie'] ?? [] }, where).toEqual({
              writes: 0,
              seqrCalls: 0,
              setCookie: [],
            });
          } else {
            accepted += 1;
          }
        }),
        { numRuns: HOSTILE.runs, seed: HOSTILE.seed, endOnFailure: false },
      );
      if (accepted === 0) expect(storeChanges(before, await store.snapshot())).toEqual({});
      figures.push({ route: name, cases: HOSTILE.runs, refused, accepted, statuses, seconds: (Date.now() - t0) / 1000 });
    }, 600_000);
  }
});
