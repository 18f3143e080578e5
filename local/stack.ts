/**
 * The whole product on one machine: dynalite, the SEQR simulator, and local
 * gateways in front of the same handlers that run in AWS. Only endpoints differ
 * (set through the same environment variables the CDK construct sets).
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildPaymentView } from '../web/build.js';
import { startSeqrSimulator, type RunningSimulator, type SimulatorOptions } from './seqr-simulator/index.js';
import { QUEUES, TABLE_ENV, type TableName } from '../src/catalog.js';
import { SESSIONS_TABLE_ENV, SESSIONS_TABLE_SCHEMA } from '../examples/sample-shop/catalog.js';
import { createTables, startDynamoDb, type RunningDynamoDb } from './dynamodb.js';
import { startHttpGateway, type RunningGateway } from './gateway/http-gateway.js';
import { startWebSocketGateway, type RunningWebSocketGateway } from './gateway/websocket-gateway.js';
import { startLambdaEndpoint, type RunningLambdaEndpoint } from './gateway/lambda-endpoint.js';
import { startQueueEndpoint, type RunningQueueEndpoint } from './gateway/queue-endpoint.js';
import { startEventBus, type RunningEventBus } from './gateway/event-bus.js';

export const LOCAL_SHOP_API_KEY = 'local-shop-key';
export const LOCAL_TERMINAL = { terminalId: 'local-webshop', password: 'local-password' };
export const LOCAL_RESELLER = { resellerId: 'local-reseller', userId: '9900', password: 'local-password' };
export const LOCAL_EVENT_BUS = 'seqr-webshop-local';
/** The webhook's signing key on the local stack unless SHOP_WEBHOOK_SECRET says otherwise. */
export const LOCAL_WEBHOOK_SECRET = 'local-webhook-secret';

export interface LocalStackOptions {
  /** 0 picks a free port (tests). */
  httpPort?: number;
  websocketPort?: number;
  simulatorPort?: number;
  dynamoDbPort?: number;
  /** The local Lambda Invoke endpoint (asynchronous invokes between functions); a free port by default. */
  lambdaPort?: number;
  host?: string;
  /** Folder for dynalite's data; in memory when not given. */
  dataPath?: string;
  /** Base URL SEQR calls notificationUrls on; defaults to the HTTP gateway's URL. */
  publicBaseUrl?: string;
  shopApiKey?: string;
  /** The simulated SEQR's webshop terminal and reseller user, which the handlers are given too. */
  terminal?: { terminalId: string; password: string };
  reseller?: { resellerId: string; userId: string; password: string };
  simulator?: Omit<SimulatorOptions, 'port' | 'host'>;
  /** Extra environment for the handlers (tests tune time-outs). */
  env?: Record<string, string>;
  /**
   * The invoice watch and payment timeout (src/core/watch/): a local SQS endpoint
   * delivering the watch queue's delayed messages to the watch handler. On by default;
   * `false`: new invoices are neither watched nor timed out (SEQR sees only the calls a test makes).
   */
  watch?: boolean;
  /** The local SQS endpoint's port; a free port by default. */
  queuePort?: number;
  /** The local EventBridge endpoint; a free port by default. */
  eventBusPort?: number;
  /** Print each event the bus takes (npm start). */
  printEvents?: boolean;
  /** The shop's webhook endpoint (SHOP_WEBHOOK_URL): every event is POSTed there, signed, by the webhook handler. */
  webhookUrl?: string;
  /** The webhook's signing key (SHOP_WEBHOOK_SECRET); `local-webhook-secret` by default. */
  webhookSecret?: string;
  /** Pause before the first retry of a failed webhook delivery (doubling, at most `webhookRetryMaxMs`). */
  webhookRetryMs?: number;
  webhookRetryMaxMs?: number;
}

export interface LocalStack {
  httpUrl: string;
  websocketUrl: string;
  websocketCallbackUrl: string;
  simulator: RunningSimulator;
  dynamoDbEndpoint: string;
  shopApiKey: string;
  websocket: RunningWebSocketGateway;
  /** dynalite: `stop()` / `start()` take the DynamoDB endpoint down and up again on the same port and data. */
  dynamo: Pick<RunningDynamoDb, 'stop' | 'start' | 'running'>;
  /** The stand-in for the Lambda Invoke API (LAMBDA_ENDPOINT). */
  lambda: RunningLambdaEndpoint;
  /** The stand-in for SQS (SQS_ENDPOINT), when the watch is on. */
  queues?: RunningQueueEndpoint;
  /** The stand-in for EventBridge (EVENTBRIDGE_ENDPOINT): the events it took, its webhook deliveries, its faults. */
  bus: RunningEventBus;
  /** The key webhooks are signed with. */
  webhookSecret: string;
  stop(): Promise<void>;
}

/** The sample shop's sessions table (examples/sample-shop), served beside the product's. */
const SESSIONS_TABLE_NAME = 'seqr-sessions';

const TABLE_NAMES: Record<TableName, string> = {
  invoices: 'seqr-invoices',
  connections: 'seqr-connections',
  periods: 'seqr-periods',
  idempotency: 'seqr-idempotency',
};

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const terminal = options.terminal ?? LOCAL_TERMINAL;
  const reseller = options.reseller ?? LOCAL_RESELLER;
  // Node 20 here is supported by the pinned SDK; its notice about later releases is for upgrades, not for this run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
  };
  try {
    const dynamo: RunningDynamoDb = await startDynamoDb({ port: options.dynamoDbPort ?? 0, host, ...(options.dataPath ? { path: options.dataPath } : {}) });
    started.push(dynamo);
    await createTables(dynamo.endpoint, TABLE_NAMES, { [SESSIONS_TABLE_NAME]: SESSIONS_TABLE_SCHEMA });

    const simulator = await startSeqrSimulator({
      port: options.simulatorPort ?? 8089,
      host,
      terminals: [terminal],
      reseller,
      ...options.simulator,
    });
    started.push(simulator);

    const websocket = await startWebSocketGateway({ port: options.websocketPort ?? 3001, host });
    started.push(websocket);
    const http: RunningGateway = await startHttpGateway({ port: options.httpPort ?? 3000, host });
    started.push(http);
    // Started last, so stopped first: asynchronous runs finish while DynamoDB and SEQR are still up.
    const lambda = await startLambdaEndpoint({ port: options.lambdaPort ?? 0, host });
    started.push(lambda);
    // The watch's messages stop first: no round starts while the rest is going down.
    const queues = options.watch === false ? undefined : await startQueueEndpoint({ port: options.queuePort ?? 0, host });
    if (queues) started.push(queues);
    // Stopped before the Lambda endpoint, after the gateways: webhook retries end with it.
    const webhookUrl = options.webhookUrl ?? process.env.SHOP_WEBHOOK_URL;
    const webhookSecret = options.webhookSecret ?? process.env.SHOP_WEBHOOK_SECRET ?? LOCAL_WEBHOOK_SECRET;
    const bus = await startEventBus({
      port: options.eventBusPort ?? 0,
      host,
      busName: LOCAL_EVENT_BUS,
      ...(options.printEvents ? { print: (line: string) => process.stdout.write(`${line}\n`) } : {}),
      ...(webhookUrl ? { webhookUrl } : {}),
      ...(options.webhookRetryMs !== undefined ? { webhookRetryMs: options.webhookRetryMs } : {}),
      ...(options.webhookRetryMaxMs !== undefined ? { webhookRetryMaxMs: options.webhookRetryMaxMs } : {}),
    });
    started.push(bus);

    // The payment view is served from a built file, as the deployed function serves its bundled copy.
    const assetDir = options.dataPath ? path.join(path.dirname(options.dataPath), 'web') : mkdtempSync(path.join(os.tmpdir(), 'seqr-web-'));
    const paymentViewAsset = path.join(assetDir, 'payment-view.js');
    await buildPaymentView({ outfile: paymentViewAsset });

    const shopApiKey = options.shopApiKey ?? process.env.SHOP_API_KEY ?? LOCAL_SHOP_API_KEY;
    const env: Record<string, string> = {
      AWS_REGION: process.env.AWS_REGION ?? 'local',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      SEQR_ENDPOINT_URL: simulator.soapUrl,
      SEQR_TERMINAL_ID: terminal.terminalId,
      SEQR_TERMINAL_PASSWORD: terminal.password,
      SEQR_RESELLER_ID: reseller.resellerId,
      SEQR_RESELLER_USER_ID: reseller.userId,
      SEQR_RESELLER_PASSWORD: reseller.password,
      SHOP_API_KEY: shopApiKey,
      PUBLIC_BASE_URL: options.publicBaseUrl ?? http.url,
      WEBSOCKET_URL: websocket.url,
      WEBSOCKET_CALLBACK_URL: websocket.callbackUrl,
      ALLOWED_ORIGINS: 'http://localhost:*,http://127.0.0.1:*',
      SECURE_COOKIES: 'false',
      PAYMENT_VIEW_ASSET: paymentViewAsset,
      LAMBDA_ENDPOINT: lambda.url,
      TRANSACTION_PERIOD_FUNCTION_NAME: 'transactionPeriod',
      ...(queues ? { SQS_ENDPOINT: queues.url, [QUEUES.watch.env]: queues.queueUrl('watch') } : {}),
      EVENTBRIDGE_ENDPOINT: bus.url,
      EVENT_BUS_NAME: LOCAL_EVENT_BUS,
      SHOP_WEBHOOK_SECRET: webhookSecret,
      ...(webhookUrl ? { SHOP_WEBHOOK_URL: webhookUrl } : {}),
      ...Object.fromEntries(Object.entries(TABLE_NAMES).map(([table, name]) => [TABLE_ENV[table as TableName], name])),
      [SESSIONS_TABLE_ENV]: SESSIONS_TABLE_NAME,
      ...options.env,
    };
    // Handlers read their configuration from the environment, deployed and here alike.
    if (!queues) for (const name of ['SQS_ENDPOINT', QUEUES.watch.env]) if (!(name in env)) delete process.env[name];
    Object.assign(process.env, env);

    return {
      httpUrl: http.url,
      websocketUrl: websocket.url,
      websocketCallbackUrl: websocket.callbackUrl,
      simulator,
      dynamoDbEndpoint: dynamo.endpoint,
      shopApiKey,
      websocket,
      dynamo,
      lambda,
      ...(queues ? { queues } : {}),
      bus,
      webhookSecret,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export const DEFAULT_DATA_PATH = path.resolve(import.meta.dirname, '..', '.data', 'dynamodb');
