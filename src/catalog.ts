/**
 * Which handler serves which route, and what each function may reach.
 * The CDK construct and the local gateway both read this table, so a route
 * added here is deployed and served locally alike.
 */
import type { TableName } from './adapters/dynamodb/schema.js';

export { TABLE_ENV, type TableName } from './adapters/dynamodb/schema.js';

/** The stack's SQS queues. */
export type QueueName = 'watch';

export interface QueueSpec {
  /** The environment variable that gives a sending function the queue's URL. */
  env: string;
  /** Messages one invocation of the consumer gets at most (the event source's batch size). */
  batchSize: number;
  /** Deliveries of a message before it goes to the queue's dead-letter queue. */
  maxReceiveCount: number;
}

export const QUEUES: Record<QueueName, QueueSpec> = {
  /** Invoice watch messages (src/core/watch/): delayed, one chain per open invoice. */
  watch: { env: 'WATCH_QUEUE_URL', batchSize: 10, maxReceiveCount: 5 },
};

export interface FunctionSpec {
  /** Path of the handler module from the project root. */
  entry: string;
  /** Speaks SOAP to SEQR: bundles `soap` and reads the terminal credentials secret. */
  seqr: boolean;
  /** Uses the RESELLERUSER credentials (markTransactionPeriod, executeReport). */
  reseller?: boolean;
  /** Checks the shop key (server-to-server routes). */
  shopKey?: boolean;
  /** Tables it reads and writes. */
  tables: readonly TableName[];
  /** Posts to WebSocket connections (execute-api:ManageConnections). */
  push?: boolean;
  /**
   * Publishes events (src/core/events/outbox.ts): stores or drains status
   * changes and refunds. Gets EVENT_BUS_NAME and events:PutEvents on that bus only.
   */
  publishes?: boolean;
  /**
   * The shop's webhook: deployed only with the construct's `webhook` prop, fed
   * by the webhook queue; reads the webhook secret and nothing else.
   */
  webhook?: boolean;
  /** Functions of this catalog it starts asynchronously (lambda:InvokeFunction on exactly those, their names in INVOKE_ENV). */
  invokes?: readonly string[];
  /** Queues it sends messages to (sqs:SendMessage on exactly those; their URLs in `QUEUES[name].env`). */
  sends?: readonly QueueName[];
  /** The queue whose messages it handles (an SQS event source with partial batch responses). */
  consumes?: QueueName;
  /** Lambda time-out in seconds. */
  timeoutSeconds: number;
  memoryMiB?: number;
}

export const FUNCTIONS = {
  createInvoice: { entry: 'src/handlers/shop-api/create-invoice.ts', seqr: true, shopKey: true, tables: ['invoices', 'idempotency'], sends: ['watch'], timeoutSeconds: 25 },
  updateInvoice: { entry: 'src/handlers/shop-api/update-invoice.ts', seqr: true, shopKey: true, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 25 },
  cancelInvoice: { entry: 'src/handlers/shop-api/cancel-invoice.ts', seqr: true, shopKey: true, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 25 },
  createRefund: { entry: 'src/handlers/shop-api/refunds.ts', seqr: true, shopKey: true, tables: ['invoices', 'idempotency'], publishes: true, timeoutSeconds: 25 },
  submitReceipt: { entry: 'src/handlers/shop-api/receipt.ts', seqr: true, shopKey: true, tables: ['invoices'], publishes: true, timeoutSeconds: 25 },
  commitReservation: { entry: 'src/handlers/shop-api/commit.ts', seqr: true, shopKey: true, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 25 },
  getInvoice: { entry: 'src/handlers/shop-api/get-invoice.ts', seqr: false, shopKey: true, tables: ['invoices'], timeoutSeconds: 5 },
  invoiceStatus: { entry: 'src/handlers/browser/invoice-status.ts', seqr: true, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 10 },
  seqrNotification: { entry: 'src/handlers/seqr/notification.ts', seqr: true, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 18 },
  wsConnect: { entry: 'src/handlers/websocket/connect.ts', seqr: false, tables: ['invoices', 'connections'], timeoutSeconds: 5 },
  wsDisconnect: { entry: 'src/handlers/websocket/disconnect.ts', seqr: false, tables: ['connections'], timeoutSeconds: 5 },
  wsSubscribe: { entry: 'src/handlers/websocket/subscribe.ts', seqr: false, tables: ['invoices', 'connections'], push: true, publishes: true, timeoutSeconds: 5 },
  transactionPeriod: { entry: 'src/handlers/schedule/transaction-period.ts', seqr: true, reseller: true, tables: ['periods', 'invoices'], timeoutSeconds: 60 },
  transactionPeriods: {
    entry: 'src/handlers/shop-api/transaction-periods.ts',
    seqr: false,
    shopKey: true,
    tables: ['periods'],
    invokes: ['transactionPeriod'],
    timeoutSeconds: 10,
  },
  paymentView: { entry: 'src/handlers/browser/payment-view.ts', seqr: false, tables: [], timeoutSeconds: 3 },
  invoiceWatch: {
    entry: 'src/handlers/queue/invoice-watch.ts',
    seqr: true,
    tables: ['invoices', 'connections'],
    push: true,
    publishes: true,
    consumes: 'watch',
    sends: ['watch'],
    // A round: cancelInvoice (10 s), a paced wait (1 s), getPaymentStatus (12 s), the store and the push.
    timeoutSeconds: 45,
    memoryMiB: 256,
  },
  webhook: { entry: 'src/handlers/events/webhook.ts', seqr: false, tables: [], webhook: true, timeoutSeconds: 30 },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof FUNCTIONS;

/** The environment variable that gives an invoking function the name of the function it invokes. */
export const INVOKE_ENV: Partial<Record<FunctionName, string>> = {
  transactionPeriod: 'TRANSACTION_PERIOD_FUNCTION_NAME',
};

export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT';
  /** API Gateway route path; `{name}` is a path parameter. */
  path: string;
  fn: FunctionName;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { method: 'POST', path: '/invoices', fn: 'createInvoice' },
  { method: 'GET', path: '/invoices/{invoiceReference}', fn: 'getInvoice' },
  { method: 'PUT', path: '/invoices/{invoiceReference}', fn: 'updateInvoice' },
  { method: 'POST', path: '/invoices/{invoiceReference}/cancel', fn: 'cancelInvoice' },
  { method: 'POST', path: '/invoices/{invoiceReference}/refunds', fn: 'createRefund' },
  { method: 'POST', path: '/invoices/{invoiceReference}/receipt', fn: 'submitReceipt' },
  { method: 'POST', path: '/invoices/{invoiceReference}/commit', fn: 'commitReservation' },
  { method: 'GET', path: '/invoices/{invoiceReference}/status', fn: 'invoiceStatus' },
  { method: 'POST', path: '/seqr/notifications/{notificationToken}', fn: 'seqrNotification' },
  { method: 'GET', path: '/seqr/payment-view.js', fn: 'paymentView' },
  { method: 'POST', path: '/transaction-periods', fn: 'transactionPeriods' },
  { method: 'GET', path: '/transaction-periods', fn: 'transactionPeriods' },
  { method: 'GET', path: '/transaction-periods/{id}', fn: 'transactionPeriods' },
  { method: 'GET', path: '/transaction-periods/{id}/reports/{reportId}', fn: 'transactionPeriods' },
];

/** WebSocket API routes; the route selection expression is `$request.body.action`. */
export const WEBSOCKET_ROUTES = {
  $connect: 'wsConnect',
  $disconnect: 'wsDisconnect',
  $default: 'wsSubscribe',
  subscribe: 'wsSubscribe',
} as const satisfies Record<string, FunctionName>;
