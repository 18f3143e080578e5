/**
 * Store requests per path, table-driven from the catalog: every HTTP route and
 * WebSocket route in src/catalog.ts has a driver here that sets the scene (not
 * measured) and then makes the one request the path is about (measured). The
 * probe sees the handler invocation it causes and every request that
 * invocation sends. A route without a driver is reported, never skipped
 * silently (test/bench/shape.test.ts fails on it).
 */
import { HTTP_ROUTES, WEBSOCKET_ROUTES, type FunctionName } from '../src/catalog.js';
import type { Invocation } from '../local/handlers.js';
import type { LocalStack } from '../local/stack.js';
import { createInvoice, logBytes, openSocket, pay, pollOnce, sleep, SocketPage, type CreatedInvoice } from './clients.js';
import type { OutgoingRequest, Probe, SdkCall } from './probe.js';
import { median, round, sum } from './stats.js';

export interface CatalogPath {
  /** The route key as API Gateway names it: `POST /invoices`, `subscribe`, `$connect`. */
  key: string;
  fn: FunctionName;
  /** The route key the handler's event carries. */
  routeKey: string;
}

/** Every route of the catalog, sample shop included. */
export function catalogPaths(): CatalogPath[] {
  return [
    ...HTTP_ROUTES.map((route) => ({ key: `${route.method} ${route.path}`, fn: route.fn, routeKey: `${route.method} ${route.path}` })),
    ...Object.entries(WEBSOCKET_ROUTES).map(([routeKey, fn]) => ({ key: routeKey, fn, routeKey })),
  ];
}

interface Scene {
  stack: LocalStack;
  /** Things to close when the path is done. */
  cleanup: (() => Promise<void>)[];
}

interface Driver {
  what: string;
  /** Sets the scene; returns the request to measure. */
  prepare(scene: Scene): Promise<() => Promise<unknown>>;
}

/** A sample-shop visitor as a browser is: its session cookie and the page's form token. */
interface ShopVisitor {
  cookie: string;
  formToken: string;
}

async function shopPage(stack: LocalStack, visitor: ShopVisitor): Promise<void> {
  const response = await fetch(`${stack.httpUrl}/shop`, { redirect: 'manual', headers: visitor.cookie ? { cookie: visitor.cookie } : {} });
  const set = response.headers.getSetCookie()[0];
  if (set) visitor.cookie = set.split(';')[0]!;
  visitor.formToken = /name="formToken" value="([^"]+)"/.exec(await response.text())?.[1] ?? '';
}

/** Posts a form as the shop's own page does: Origin and form token; follows the session cookie. */
async function shopPost(stack: LocalStack, visitor: ShopVisitor, path: string, fields: Record<string, string>): Promise<Response> {
  if (!visitor.formToken) await shopPage(stack, visitor);
  const response = await fetch(`${stack.httpUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(stack.httpUrl).origin, cookie: visitor.cookie },
    body: new URLSearchParams({ ...fields, formToken: visitor.formToken }).toString(),
  });
  await response.arrayBuffer();
  const set = response.headers.getSetCookie()[0];
  if (set) {
    visitor.cookie = set.split(';')[0]!;
    visitor.formToken = '';
  }
  return response;
}

async function shopVisitor(stack: LocalStack, items = 1): Promise<ShopVisitor> {
  const visitor: ShopVisitor = { cookie: '', formToken: '' };
  await shopPage(stack, visitor);
  for (let i = 0; i < items; i++) await shopPost(stack, visitor, '/shop/additem', { sku: 'coffee-beans' });
  if (!visitor.cookie) throw new Error('the sample shop set no session cookie');
  return visitor;
}

async function shopGet(stack: LocalStack, path: string, cookie: string): Promise<string> {
  const response = await fetch(`${stack.httpUrl}${path}`, { redirect: 'manual', headers: { cookie } });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${path}: HTTP ${response.status}`);
  return text;
}

async function paidInvoice(stack: LocalStack): Promise<CreatedInvoice> {
  const invoice = await createInvoice(stack);
  await pay(stack, invoice.invoiceReference, true);
  return invoice;
}

const shopKey = (stack: LocalStack) => ({ authorization: `Bearer ${stack.shopApiKey}` });

/**
 * One driver per catalog route key. Paths a route serves in more than one way
 * get a variant (`key (variant)`), measured and reported beside it.
 */
export const DRIVERS: Record<string, Driver> = {
  'POST /invoices': {
    what: 'create an invoice (shop server)',
    prepare: async ({ stack }) => () => createInvoice(stack),
  },
  'PUT /invoices/{invoiceReference}': {
    what: 'the shop updates an open invoice',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      return async () =>
        (await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}`, { method: 'PUT', headers: { ...shopKey(stack), 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Order 1042 (updated)', currency: 'SEK', rows: [{ description: 'Coffee', quantity: '3', unitPrice: '25.00' }] }) })).text();
    },
  },
  'POST /invoices/{invoiceReference}/cancel': {
    what: 'the shop cancels an open invoice',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      return async () => (await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/cancel`, { method: 'POST', headers: shopKey(stack) })).text();
    },
  },
  'POST /invoices/{invoiceReference}/refunds': {
    what: 'the shop refunds part of a paid invoice',
    prepare: async ({ stack }) => {
      const invoice = await paidInvoice(stack);
      return async () =>
        (
          await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/refunds`, {
            method: 'POST',
            headers: { ...shopKey(stack), 'content-type': 'application/json', 'idempotency-key': `bench-${invoice.invoiceReference}` },
            body: JSON.stringify({ amount: { value: '1.00', currency: 'SEK' } }),
          })
        ).text();
    },
  },
  'POST /invoices/{invoiceReference}/receipt': {
    what: 'the shop sends a receipt for a paid invoice',
    prepare: async ({ stack }) => {
      const invoice = await paidInvoice(stack);
      return async () => (await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/receipt`, { method: 'POST', headers: shopKey(stack) })).text();
    },
  },
  'POST /invoices/{invoiceReference}/commit': {
    what: 'the shop commits a reservation (here: refused, not reserved)',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      return async () => (await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/commit`, { method: 'POST', headers: shopKey(stack) })).text();
    },
  },
  'POST /transaction-periods': {
    what: 'the shop closes a transaction period (202; the run goes on)',
    prepare: async ({ stack }) => async () => (await fetch(`${stack.httpUrl}/transaction-periods`, { method: 'POST', headers: shopKey(stack) })).text(),
  },
  'GET /transaction-periods': {
    what: 'the shop lists transaction periods',
    prepare: async ({ stack }) => async () => (await fetch(`${stack.httpUrl}/transaction-periods`, { headers: shopKey(stack) })).text(),
  },
  'GET /transaction-periods/{id}': {
    what: 'the shop reads one transaction period (unknown here)',
    prepare: async ({ stack }) => async () => (await fetch(`${stack.httpUrl}/transaction-periods/2031-01-01T00:00Z`, { headers: shopKey(stack) })).text(),
  },
  'GET /transaction-periods/{id}/reports/{reportId}': {
    what: 'the shop reads a stored report (unknown here)',
    prepare: async ({ stack }) => async () => (await fetch(`${stack.httpUrl}/transaction-periods/2031-01-01T00:00Z/reports/Shop.xml`, { headers: shopKey(stack) })).text(),
  },
  'GET /invoices/{invoiceReference}': {
    what: 'the shop reads an invoice',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      return async () => (await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}`, { headers: shopKey(stack) })).text();
    },
  },
  'GET /invoices/{invoiceReference}/status': {
    what: 'status poll, open invoice (asks SEQR)',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      return () => pollOnce(invoice);
    },
  },
  'GET /invoices/{invoiceReference}/status (paid)': {
    what: 'status poll, paid invoice',
    prepare: async ({ stack }) => {
      const invoice = await paidInvoice(stack);
      return () => pollOnce(invoice);
    },
  },
  'POST /seqr/notifications/{notificationToken}': {
    what: 'notification → confirm → push',
    prepare: async ({ stack, cleanup }) => {
      const invoice = await createInvoice(stack);
      const page = await SocketPage.open(invoice);
      cleanup.push(() => page.close());
      return async () => {
        await pay(stack, invoice.invoiceReference, true);
        await page.next((r) => r.message.status === 'PAID');
      };
    },
  },
  'GET /seqr/payment-view.js': {
    what: 'the payment view script',
    prepare: async ({ stack }) => async () => (await fetch(`${stack.httpUrl}/seqr/payment-view.js`)).arrayBuffer(),
  },
  'GET /shop': {
    what: 'sample shop: products (returning visitor)',
    prepare: async ({ stack }) => {
      const visitor = await shopVisitor(stack);
      return () => shopGet(stack, '/shop', visitor.cookie);
    },
  },
  'POST /shop/additem': {
    what: 'sample shop: add to cart',
    prepare: async ({ stack }) => {
      const visitor = await shopVisitor(stack);
      return () => shopPost(stack, visitor, '/shop/additem', { sku: 'mug' });
    },
  },
  'POST /shop/checkout': {
    what: 'sample shop: checkout (creates the invoice)',
    prepare: async ({ stack }) => {
      const visitor = await shopVisitor(stack);
      return () => shopPost(stack, visitor, '/shop/checkout', {});
    },
  },
  'GET /shop/checkout': {
    what: 'sample shop: the checkout page (shows the invoice)',
    prepare: async ({ stack }) => {
      const visitor = await shopVisitor(stack);
      await shopPost(stack, visitor, '/shop/checkout', {});
      return () => shopGet(stack, '/shop/checkout', visitor.cookie);
    },
  },
  'GET /shop/done': {
    what: 'sample shop: receipt page after paying',
    prepare: async ({ stack }) => {
      const visitor = await shopVisitor(stack);
      await shopPost(stack, visitor, '/shop/checkout', {});
      const page = await shopGet(stack, '/shop/checkout', visitor.cookie);
      const ref = /invoiceReference=(\d+)/.exec(page)?.[1];
      if (!ref) throw new Error('no invoice reference on the checkout page');
      await pay(stack, ref, true);
      return () => shopGet(stack, '/shop/done', visitor.cookie);
    },
  },
  $connect: {
    what: 'socket opens (token checked)',
    prepare: async ({ stack, cleanup }) => {
      const invoice = await createInvoice(stack);
      return async () => {
        const socket = await openSocket(invoice.websocketUrl);
        cleanup.push(async () => void socket.terminate());
      };
    },
  },
  subscribe: {
    what: 'subscribe → current status pushed',
    prepare: async ({ stack, cleanup }) => {
      const invoice = await createInvoice(stack);
      const socket = await openSocket(invoice.websocketUrl);
      cleanup.push(async () => void socket.terminate());
      return () =>
        new Promise<void>((resolve) => {
          socket.once('message', () => resolve());
          socket.send(JSON.stringify({ action: 'subscribe' }));
        });
    },
  },
  $default: {
    what: 'any other socket message → error frame',
    prepare: async ({ stack, cleanup }) => {
      const invoice = await createInvoice(stack);
      const socket = await openSocket(invoice.websocketUrl);
      cleanup.push(async () => void socket.terminate());
      return () =>
        new Promise<void>((resolve) => {
          socket.once('message', () => resolve());
          socket.send(JSON.stringify({ action: 'ping' }));
        });
    },
  },
  $disconnect: {
    what: 'socket closes',
    prepare: async ({ stack }) => {
      const invoice = await createInvoice(stack);
      const page = await SocketPage.open(invoice);
      return () => page.close();
    },
  },
};

/** What one measured invocation did. */
export interface PathSample {
  ms: number;
  dynamo: OutgoingRequest[];
  /** DynamoDB requests started before the first push (PostToConnection) of the invocation; all of them when there is none. */
  dynamoBeforePush: number;
  dynamoSdkMs: number;
  other: OutgoingRequest[];
  sdkCalls: SdkCall[];
  pushes: number;
  logBytes: number;
  statusCode?: number;
}

export interface PathResult {
  key: string;
  what: string;
  fn: FunctionName;
  samples: PathSample[];
  /** DynamoDB requests per invocation (median). */
  requests: number;
  beforePush: number;
  /** Median share of the invocation's time spent in DynamoDB SDK calls. */
  msShare: number;
  /** Median invocation duration (what Lambda bills). */
  ms: number;
  /** Median of each kind of DynamoDB request, `GetItem invoices`, `Query connections`, … */
  operations: Record<string, number>;
  /** Median count of each other kind of request: `seqr getPaymentStatus`, `push PostToConnection`. */
  others: Record<string, number>;
  pushes: number;
  logBytes: number;
}

async function invocationAfter(probe: Probe, path: CatalogPath, since: number, timeoutMs = 10_000): Promise<Invocation> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const found = probe.invocations.find((inv) => inv.fn === path.fn && inv.routeKey === path.routeKey && inv.startedAt >= since);
    if (found) return found;
    if (performance.now() > until) throw new Error(`${path.key}: no ${path.fn} invocation seen`);
    await sleep(2);
  }
}

const dynamoKey = (r: OutgoingRequest) => `${r.operation} ${r.table?.replace(/^seqr-/, '') ?? '?'}${r.index ? `/${r.index}` : ''}`;

function tally(samples: readonly PathSample[], pick: (s: PathSample) => string[]): Record<string, number> {
  const keys = new Set(samples.flatMap(pick));
  const out: Record<string, number> = {};
  for (const key of keys) out[key] = median(samples.map((s) => pick(s).filter((k) => k === key).length));
  return out;
}

/** Measures `repetitions` invocations of one path, one at a time. */
export async function measurePath(stack: LocalStack, probe: Probe, path: CatalogPath, driverKey: string, repetitions: number): Promise<PathResult> {
  const driver = DRIVERS[driverKey]!;
  const samples: PathSample[] = [];
  for (let i = 0; i < repetitions; i++) {
    const scene: Scene = { stack, cleanup: [] };
    const act = await driver.prepare(scene);
    // Let the scene's own background work ($disconnect of earlier sockets, …) finish first.
    await sleep(5);
    const since = performance.now();
    await act();
    const invocation = await invocationAfter(probe, path, since);
    await sleep(2);
    const requests = probe.requests.filter((r) => r.invocation === invocation);
    const sdkCalls = probe.sdkCalls.filter((c) => c.invocation === invocation);
    const dynamo = requests.filter((r) => r.service === 'dynamodb');
    const firstPush = requests.find((r) => r.service === 'push');
    const ms = invocation.endedAt! - invocation.startedAt;
    samples.push({
      ms,
      dynamo,
      dynamoBeforePush: firstPush ? dynamo.filter((r) => r.startedAt < firstPush.startedAt).length : dynamo.length,
      dynamoSdkMs: sum(sdkCalls.filter((c) => c.client === 'dynamodb').map((c) => (c.endedAt ?? invocation.endedAt!) - c.startedAt)),
      other: requests.filter((r) => r.service !== 'dynamodb'),
      sdkCalls,
      pushes: requests.filter((r) => r.service === 'push').length,
      logBytes: logBytes.byInvocation.get(invocation) ?? 0,
      ...(invocation.statusCode === undefined ? {} : { statusCode: invocation.statusCode }),
    });
    for (const undo of scene.cleanup) await undo();
  }
  return {
    key: driverKey,
    what: driver.what,
    fn: path.fn,
    samples,
    requests: median(samples.map((s) => s.dynamo.length)),
    beforePush: median(samples.map((s) => s.dynamoBeforePush)),
    msShare: round(median(samples.map((s) => (s.ms > 0 ? s.dynamoSdkMs / s.ms : 0))), 2),
    ms: round(median(samples.map((s) => s.ms))),
    operations: tally(samples, (s) => s.dynamo.map(dynamoKey)),
    others: tally(samples, (s) => s.other.map((r) => `${r.service} ${r.operation}`)),
    pushes: median(samples.map((s) => s.pushes)),
    logBytes: median(samples.map((s) => s.logBytes)),
  };
}

export interface StoreOpsReport {
  results: PathResult[];
  /** Catalog routes no driver covers. */
  missing: string[];
}

/** Every catalog path (and its variants) in turn. */
export async function measureStoreOps(stack: LocalStack, probe: Probe, repetitions: number): Promise<StoreOpsReport> {
  const results: PathResult[] = [];
  const missing: string[] = [];
  for (const path of catalogPaths()) {
    const keys = Object.keys(DRIVERS).filter((key) => key === path.key || key.startsWith(`${path.key} (`));
    if (keys.length === 0) missing.push(path.key);
    for (const key of keys) results.push(await measurePath(stack, probe, path, key, repetitions));
  }
  return { results, missing };
}
