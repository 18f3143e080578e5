/**
 * What payments cost on AWS at list prices, from metered quantities.
 *
 * The model is small on purpose so that every figure can be checked by hand:
 *   - a `Usage` is what AWS meters (Lambda requests and GB-seconds, HTTP API
 *     requests, WebSocket messages and connection minutes, DynamoDB read and
 *     write request units, EventBridge events, Scheduler invocations, SQS
 *     requests, CloudWatch Logs bytes);
 *   - `dollars(usage)` prices it with `PRICES`;
 *   - helpers turn what the bench counts (one invocation's duration, its
 *     DynamoDB requests, its pushes) into a Usage.
 * Free tiers are left out (a shop's marginal payment pays list price), and so
 * are data transfer (a few KB per payment), Secrets Manager (read once per
 * execution environment, not per payment) and storage (an invoice row of
 * ~1 KB for 90 days costs less than a millionth of a dollar a month).
 *
 * No internet here: the prices are the author's best knowledge of the public
 * list prices for eu-north-1 (Stockholm), on-demand, arm64, first tier, and are
 * labelled with the date they are believed to hold. Check them at
 * https://aws.amazon.com/{lambda,api-gateway,dynamodb,eventbridge,sqs,cloudwatch}/pricing/
 * before quoting a figure; every function takes other prices as an argument.
 */
import { TABLE_SCHEMAS, type TableName } from '../src/adapters/dynamodb/schema.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_POLL_MS } from '../web/payment-view/config.js';

/** The date the prices below are believed to hold. */
export const PRICES_AS_OF = '2025-06';

export interface Prices {
  label: string;
  region: string;
  currency: 'USD';
  /** Lambda, per request. */
  lambdaRequest: number;
  /** Lambda arm64, per GB-second (billed per 1 ms). */
  lambdaArmGbSecond: number;
  /** HTTP API, per request (first 300 million a month). */
  httpApiRequest: number;
  /** WebSocket API, per message (in 32 KB increments, first billion a month). */
  websocketMessage: number;
  /** WebSocket API, per connection minute. */
  websocketConnectionMinute: number;
  /** DynamoDB on-demand, per write request unit. */
  dynamoWriteUnit: number;
  /** DynamoDB on-demand, per read request unit. */
  dynamoReadUnit: number;
  /** EventBridge, per custom event published. */
  eventBridgeEvent: number;
  /** EventBridge Scheduler, per invocation. */
  schedulerInvocation: number;
  /** SQS standard queue, per request (64 KB chunks). */
  sqsRequest: number;
  /** CloudWatch Logs, per GB ingested (standard class). */
  logsIngestedGb: number;
}

const PER_MILLION = 1 / 1_000_000;

/** List prices, eu-north-1, as of PRICES_AS_OF (best knowledge, not checked online: see the module comment). */
export const PRICES: Prices = {
  label: `AWS list prices, eu-north-1, on-demand, arm64, first tier, as of ${PRICES_AS_OF} (from memory, not checked online)`,
  region: 'eu-north-1',
  currency: 'USD',
  lambdaRequest: 0.2 * PER_MILLION,
  lambdaArmGbSecond: 0.0000133334,
  httpApiRequest: 1.11 * PER_MILLION,
  websocketMessage: 1.14 * PER_MILLION,
  websocketConnectionMinute: 0.285 * PER_MILLION,
  // On-demand throughput prices as halved in November 2024.
  dynamoWriteUnit: 0.6738 * PER_MILLION,
  dynamoReadUnit: 0.1348 * PER_MILLION,
  eventBridgeEvent: 1.0 * PER_MILLION,
  schedulerInvocation: 1.0 * PER_MILLION,
  sqsRequest: 0.4 * PER_MILLION,
  logsIngestedGb: 0.5,
};

/** Assumptions of the payment model, named so the README can state them. */
export const ASSUMPTIONS = {
  /** How long a shopper takes from the payment page to paying in the app (median), seconds. Assumed, not measured. */
  medianTimeToPaySeconds: 30,
  /** The payment view's heartbeat poll while its socket is open (its default heartbeatFreq). */
  heartbeatSeconds: DEFAULT_HEARTBEAT_MS / 1000,
  /** The old plugin's poll, once a second (the view's own pollFreq without a socket is the same). */
  oldPluginPollSeconds: DEFAULT_POLL_MS / 1000,
  /** Lambda's own START/END/REPORT lines per invocation, bytes. */
  lambdaPlatformLogBytes: 350,
  /** One HTTP API access-log line (the construct's JSON format), bytes. */
  httpAccessLogBytes: 240,
  /** $connect and $disconnect counted as WebSocket messages (conservative). */
  connectAndDisconnectAreMessages: true,
  /** Connection minutes are metered per started minute (conservative). */
  connectionMinutesRoundUp: true,
};

export interface Usage {
  lambdaRequests: number;
  lambdaGbSeconds: number;
  httpApiRequests: number;
  websocketMessages: number;
  websocketConnectionMinutes: number;
  dynamoReadUnits: number;
  dynamoWriteUnits: number;
  eventBridgeEvents: number;
  schedulerInvocations: number;
  sqsRequests: number;
  logBytes: number;
}

export const NO_USAGE: Usage = {
  lambdaRequests: 0,
  lambdaGbSeconds: 0,
  httpApiRequests: 0,
  websocketMessages: 0,
  websocketConnectionMinutes: 0,
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  eventBridgeEvents: 0,
  schedulerInvocations: 0,
  sqsRequests: 0,
  logBytes: 0,
};

export function addUsage(...usages: Partial<Usage>[]): Usage {
  const out: Usage = { ...NO_USAGE };
  for (const usage of usages) for (const key of Object.keys(out) as (keyof Usage)[]) out[key] += usage[key] ?? 0;
  return out;
}

export function scaleUsage(usage: Partial<Usage>, factor: number): Usage {
  const out = addUsage(usage);
  for (const key of Object.keys(out) as (keyof Usage)[]) out[key] *= factor;
  return out;
}

/** Dollars per service line for a usage. */
export function costLines(usage: Partial<Usage>, prices: Prices = PRICES): Record<string, number> {
  const u = addUsage(usage);
  return {
    'Lambda requests': u.lambdaRequests * prices.lambdaRequest,
    'Lambda GB-seconds': u.lambdaGbSeconds * prices.lambdaArmGbSecond,
    'HTTP API requests': u.httpApiRequests * prices.httpApiRequest,
    'WebSocket messages': u.websocketMessages * prices.websocketMessage,
    'WebSocket connection minutes': u.websocketConnectionMinutes * prices.websocketConnectionMinute,
    'DynamoDB writes': u.dynamoWriteUnits * prices.dynamoWriteUnit,
    'DynamoDB reads': u.dynamoReadUnits * prices.dynamoReadUnit,
    'EventBridge events': u.eventBridgeEvents * prices.eventBridgeEvent,
    'Scheduler invocations': u.schedulerInvocations * prices.schedulerInvocation,
    'SQS requests': u.sqsRequests * prices.sqsRequest,
    'CloudWatch Logs': (u.logBytes / 1024 ** 3) * prices.logsIngestedGb,
  };
}

export function dollars(usage: Partial<Usage>, prices: Prices = PRICES): number {
  return Object.values(costLines(usage, prices)).reduce((a, b) => a + b, 0);
}

/** One Lambda invocation of `durationMs` at `memoryMiB` (billed per started millisecond). */
export function lambdaInvocation(durationMs: number, memoryMiB: number, logBytes = 0): Usage {
  return addUsage({
    lambdaRequests: 1,
    lambdaGbSeconds: (Math.max(1, Math.ceil(durationMs)) / 1000) * (memoryMiB / 1024),
    logBytes: logBytes + ASSUMPTIONS.lambdaPlatformLogBytes,
  });
}

/** One DynamoDB request as the bench counts it. */
export interface StoreRequest {
  operation: string;
  /** The table's schema name: invoices, connections, sessions, periods. */
  table: string;
  index?: string;
  consistent?: boolean;
}

/** Largest item of each table in bytes (DynamoDB's item size), to price reads and writes. */
export type ItemSizes = Partial<Record<string, number>>;

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

/**
 * Request units of DynamoDB requests, on-demand:
 *   - a read is ceil(bytes / 4 KB) units when strongly consistent, half when
 *     eventually consistent (GSI queries always are); a query is charged on what
 *     it returns, at least one 4 KB step: our queries return one or two small rows;
 *   - a write is ceil(bytes / 1 KB) units of the larger of the item before and
 *     after (a failed condition is charged too), plus one unit per global
 *     secondary index whose key the write adds or removes (Put and Delete of an
 *     item that has the index key; our Updates never change index keys).
 */
export function storeUnits(requests: readonly StoreRequest[], sizes: ItemSizes): { read: number; write: number } {
  let read = 0;
  let write = 0;
  for (const request of requests) {
    const size = sizes[request.table] ?? 1024;
    if (READS.has(request.operation)) {
      const steps = request.operation === 'GetItem' ? Math.ceil(size / 4096) : 1;
      read += request.consistent && !request.index ? steps : steps / 2;
    } else {
      write += Math.max(1, Math.ceil(size / 1024));
      // A new item is in every index whose key it carries: not in a sparse one (set later, e.g. when PAID).
      const indexes = TABLE_SCHEMAS[request.table as TableName]?.indexes.filter((index) => !index.sparse).length ?? 0;
      if (request.operation === 'PutItem' || request.operation === 'DeleteItem') write += indexes;
    }
  }
  return { read, write };
}

/**
 * DynamoDB's size of an item as the document client writes it: attribute
 * names plus values (strings in UTF-8, numbers about one byte per two digits
 * plus one, 3 bytes per map or list plus one per element, 1 for booleans and null).
 */
export function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) if (value !== undefined) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') return Math.ceil(String(value).replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
  if (typeof value === 'object') return 3 + itemSize(value as Record<string, unknown>) + Object.keys(value).length;
  return 0;
}

/** What one use of a path costs, from the bench's counts. */
export interface PathUse {
  /**
   * How the call reaches the function: an HTTP API request, a WebSocket message,
   * a connect/disconnect, or from inside AWS (a schedule, a queue, an async invoke: priced by their own fields).
   */
  via: 'http' | 'websocket' | 'websocket-connection' | 'internal';
  durationMs: number;
  memoryMiB: number;
  store: readonly StoreRequest[];
  /** @connections posts: WebSocket messages out. */
  pushes: number;
  logBytes: number;
  eventBridgeEvents?: number;
  schedulerInvocations?: number;
  sqsRequests?: number;
}

export function pathUsage(use: PathUse, sizes: ItemSizes): Usage {
  const units = storeUnits(use.store, sizes);
  const inbound =
    use.via === 'http'
      ? { httpApiRequests: 1, logBytes: ASSUMPTIONS.httpAccessLogBytes }
      : use.via === 'websocket' || (use.via === 'websocket-connection' && ASSUMPTIONS.connectAndDisconnectAreMessages)
        ? { websocketMessages: 1 }
        : {};
  return addUsage(lambdaInvocation(use.durationMs, use.memoryMiB, use.logBytes), inbound, {
    websocketMessages: use.pushes,
    dynamoReadUnits: units.read,
    dynamoWriteUnits: units.write,
    eventBridgeEvents: use.eventBridgeEvents ?? 0,
    schedulerInvocations: use.schedulerInvocations ?? 0,
    sqsRequests: use.sqsRequests ?? 0,
  });
}

/** The paths one payment takes, each with how often. */
export type PaymentPlan = { path: string; times: number }[];

/**
 * This project's payment: the page loads the view script, the shop creates the
 * invoice, the view opens its socket and subscribes, heartbeat-polls every 5 s
 * while the shopper pays, SEQR notifies (confirm, store, push), the socket
 * closes; the shop reads the invoice once to fulfil the order.
 */
export function pushPaymentPlan(timeToPaySeconds = ASSUMPTIONS.medianTimeToPaySeconds): PaymentPlan {
  return [
    { path: 'GET /seqr/payment-view.js', times: 1 },
    { path: 'POST /invoices', times: 1 },
    { path: '$connect', times: 1 },
    { path: 'subscribe', times: 1 },
    { path: 'GET /invoices/{invoiceReference}/status', times: Math.floor(timeToPaySeconds / ASSUMPTIONS.heartbeatSeconds) },
    { path: 'POST /seqr/notifications/{notificationToken}', times: 1 },
    { path: '$disconnect', times: 1 },
    { path: 'GET /invoices/{invoiceReference}', times: 1 },
  ];
}

/**
 * The old plugin's way on the same AWS parts: the shop creates the invoice and
 * the page polls the status URL once a second until it sees PAID (each poll asks
 * SEQR, as the old plugin's did); no socket and no notification handler. The
 * view script came from SEQR's servers, so it is not counted.
 */
export function oldPluginPaymentPlan(timeToPaySeconds = ASSUMPTIONS.medianTimeToPaySeconds): PaymentPlan {
  return [
    { path: 'POST /invoices', times: 1 },
    { path: 'GET /invoices/{invoiceReference}/status', times: Math.ceil(timeToPaySeconds / ASSUMPTIONS.oldPluginPollSeconds) + 1 },
    { path: 'GET /invoices/{invoiceReference}', times: 1 },
  ];
}

export function connectionUsage(seconds: number): Usage {
  const minutes = ASSUMPTIONS.connectionMinutesRoundUp ? Math.ceil(seconds / 60) : seconds / 60;
  return addUsage({ websocketConnectionMinutes: minutes });
}

/** The usage of one payment: each path's usage times how often the plan takes it. */
export function planUsage(plan: PaymentPlan, uses: Readonly<Record<string, PathUse>>, sizes: ItemSizes): Usage {
  const parts = plan.map(({ path, times }) => {
    const use = uses[path];
    if (!use) throw new Error(`no counted use of ${path}`);
    return scaleUsage(pathUsage(use, sizes), times);
  });
  return addUsage(...parts);
}

/**
 * Issue 11's server-side watch: while an invoice is open, something wakes every
 * `intervalSeconds` and asks SEQR (a Lambda run per tick, its store requests, and
 * whatever schedules the next tick). Per invoice, for `openSeconds`.
 *
 * Example (the README's figure): a 512 MiB function taking 12 ms a tick, one
 * consistent GetItem and one UpdateItem of a 1 KB invoice, and an SQS delayed
 * message per tick (SendMessage + the poller's ReceiveMessage + DeleteMessage = 3
 * requests): `watchCostPerInvoice({ openSeconds: 30, intervalSeconds: 5,
 * tick: { durationMs: 12, memoryMiB: 512, store: [...], sqsRequests: 3 } })`.
 */
export function watchCostPerInvoice(options: {
  openSeconds: number;
  intervalSeconds?: number;
  tick: Omit<PathUse, 'via' | 'pushes' | 'logBytes'> & { logBytes?: number; pushes?: number };
  sizes?: ItemSizes;
  prices?: Prices;
}): { ticks: number; usage: Usage; dollars: number } {
  const ticks = Math.ceil(options.openSeconds / (options.intervalSeconds ?? 5));
  const tick = pathUsage({ via: 'internal', pushes: 0, logBytes: 0, ...options.tick }, options.sizes ?? {});
  const usage = scaleUsage(tick, ticks);
  return { ticks, usage, dollars: dollars(usage, options.prices) };
}
