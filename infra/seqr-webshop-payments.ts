/**
 * SEQR mobile payments for a web shop, as one CDK construct: the tables, the
 * functions of `src/catalog.ts`, the HTTP and WebSocket APIs, the SEQR
 * secrets, the nightly transaction period and the alarms that say when a
 * payment needs a human.
 *
 * Installed as the `seqr-webshop-aws` package, the construct deploys the
 * function bundles `npm run build` wrote beside it (`dist/assets/<function>/`,
 * `Code.fromAsset`: no esbuild, no Docker in the shop's app). Run from this
 * repository's sources, it bundles each function with local esbuild
 * (NodejsFunction) through the same options.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Duration, Fn, RemovalPolicy, Stack, TimeZone, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  FUNCTIONS,
  HTTP_ROUTES,
  INVOKE_ENV,
  QUEUES,
  TABLE_ENV,
  WEBSOCKET_ROUTES,
  type FunctionName,
  type FunctionSpec,
  type QueueName,
  type TableName,
} from '../src/catalog.js';
import { WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE } from '../src/core/watch/messages.js';
import { TABLE_SCHEMAS, TTL_ATTRIBUTE } from '../src/adapters/dynamodb/schema.js';
import { EVENT_SOURCE } from '../src/contract/events.js';
import { BUNDLE_FILE, NODE_OPTIONS, PREBUILT_ASSETS_DIR, PROJECT_ROOT, lambdaBundlingOptions } from './bundling.js';
import {
  PERIOD_WORK_FAILED_MESSAGE,
  RECONCILIATION_DIFFERENCE_MESSAGE,
  RECONCILIATION_FAILED_MESSAGE,
  REPORT_PENDING_MESSAGE,
  REPORT_UNREADABLE_MESSAGE,
} from '../src/core/periods/messages.js';

/** SEQR's public test endpoint (the plugins' default). */
export const SEQR_TEST_ENDPOINT_URL = 'https://extdev.seqr.com/extclientproxy/service/v2';
/** When the transaction period is closed unless told otherwise: midnight (EventBridge Scheduler cron). */
export const DEFAULT_TRANSACTION_PERIOD_SCHEDULE = 'cron(0 0 * * ? *)';
/** The time zone of the default transaction-period schedule. */
export const DEFAULT_TRANSACTION_PERIOD_TIME_ZONE = 'Europe/Stockholm';
/** The WebSocket stage browsers connect to: `wss://…/live`. */
export const WEBSOCKET_STAGE_NAME = 'live';
/** The message the notification function logs when SEQR could not be asked within its 20 s window. */
export const NOTIFICATION_NOT_CONFIRMED_MESSAGE = 'notification not confirmed';

/** The message the publishing functions log when the bus did not take an event (it stays in the invoice's outbox). */
export const EVENTS_NOT_PUBLISHED_MESSAGE = 'events not published; kept in the outbox';
/**
 * Webhook retries: the queue hands a message not delivered out again after its
 * visibility time-out, WEBHOOK_MAX_RECEIVES times in all, then moves it to the
 * dead-letter queue: 300 × 5 min = 25 h of retries (kept 4 days, so none expires first).
 */
export const WEBHOOK_RETRY_INTERVAL = Duration.minutes(5);
export const WEBHOOK_MAX_RECEIVES = 300;
export const WEBHOOK_QUEUE_RETENTION = Duration.days(4);
/** Messages handed to one webhook run: each POST may take SHOP_WEBHOOK_TIMEOUT_MS (5 s), inside the function's 30 s. */
export const WEBHOOK_BATCH_SIZE = 5;

/** The shop's webhook endpoint: every event of the bus POSTed there, signed with the secret. */
export interface WebhookProps {
  /** The shop's HTTPS endpoint. */
  readonly url: string;
  /** The signing key: the secret's whole string value (`SEQR-Webhook-Signature` is an HMAC-SHA256 keyed with it). */
  readonly secret: secretsmanager.ISecret;
}

/** The CloudWatch namespace of the construct's log metrics unless `metricNamespace` names another. */
export const DEFAULT_METRIC_NAMESPACE = 'SeqrWebshopPayments';
/** The metric counting notifications that could not be confirmed with SEQR. */
export const NOTIFICATIONS_NOT_CONFIRMED_METRIC = 'NotificationsNotConfirmed';
/**
 * The dimension every log metric of the construct carries: the construct's path
 * (`this.node.path`), which the functions put on each log line as `instance`.
 */
export const INSTANCE_DIMENSION = 'Instance';
/** Requests per second (steady rate and burst) each API stage allows unless `throttle` says otherwise. */
export const DEFAULT_THROTTLE: Readonly<apigwv2.ThrottleSettings> = { rateLimit: 500, burstLimit: 1000 };
/** Memory of a function that speaks SEQR (SOAP parsing) unless the catalog or the props say otherwise, in MiB. */
export const DEFAULT_SEQR_MEMORY_MIB = 512;
/** Memory of every other function unless the catalog or the props say otherwise, in MiB. */
export const DEFAULT_MEMORY_MIB = 256;

/** The functions' log levels (`LOG_LEVEL`): lines below it are not written. */
export type FunctionLogLevel = 'debug' | 'info' | 'warn' | 'error';
const LOG_LEVELS: readonly FunctionLogLevel[] = ['debug', 'info', 'warn', 'error'];

export type { FunctionName, TableName } from '../src/catalog.js';

/** How long an invoice may stay unpaid unless `paymentTimeout` says otherwise. */
export const DEFAULT_PAYMENT_TIMEOUT = Duration.minutes(10);
/** How often the back end asks SEQR about an open invoice unless `watchInterval` says otherwise. */
export const DEFAULT_WATCH_INTERVAL = Duration.seconds(5);
/** The longest watch interval that still asks SEQR inside its 20 s window after a payment (with room for a retry). */
export const MAX_WATCH_INTERVAL_SECONDS = 15;
/** The log messages that say an open invoice is not watched (alarmed). */
export const WATCH_FAILURE_MESSAGES = [WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE] as const;

/**
 * Swaps a function's bundled code for other code (unit tests: `Code.fromInline`); `undefined` bundles it.
 * @internal
 */
export type FunctionCodeOverride = (name: FunctionName, spec: FunctionSpec) => lambda.Code | undefined;

/** How a `SeqrWebshopPayments` is configured; every prop is optional. */
export interface SeqrWebshopPaymentsProps {
  /**
   * SEQR's merchant SOAP endpoint (HTTPS in production; the production URL comes from Seamless).
   * @default SEQR_TEST_ENDPOINT_URL, `https://extdev.seqr.com/extclientproxy/service/v2`
   */
  readonly seqrEndpointUrl?: string;
  /**
   * The terminal credentials Seamless issued, as JSON `{"terminalId":"…","password":"…"}`.
   * @default a new secret with an empty `terminalId`, to be filled in with `aws secretsmanager put-secret-value`
   */
  readonly terminalCredentialsSecret?: secretsmanager.ISecret;
  /**
   * The RESELLERUSER credentials for markTransactionPeriod, as JSON
   * `{"resellerId":"…","userId":"9900","password":"…"}`.
   * @default a new secret with an empty `resellerId`, to be filled in with `aws secretsmanager put-secret-value`
   */
  readonly resellerCredentialsSecret?: secretsmanager.ISecret;
  /**
   * The key shops send as `Authorization: Bearer …` on server-to-server routes, as JSON `{"shopApiKey":"…"}`.
   * @default a new secret with a generated 48-character key
   */
  readonly shopApiKeySecret?: secretsmanager.ISecret;
  /**
   * Browser origins of the shop pages that embed the payment view (CORS and the functions' own origin checks).
   * @default [] (no cross-origin browser access)
   */
  readonly allowedOrigins?: string[];
  /**
   * When the transaction period is closed (markTransactionPeriod): an EventBridge Scheduler expression.
   * @default DEFAULT_TRANSACTION_PERIOD_SCHEDULE, `cron(0 0 * * ? *)` (midnight)
   */
  readonly transactionPeriodSchedule?: string;
  /**
   * IANA time zone of the transaction-period schedule.
   * @default DEFAULT_TRANSACTION_PERIOD_TIME_ZONE, `Europe/Stockholm`
   */
  readonly transactionPeriodTimeZone?: string;
  /**
   * SEQR reports fetched after each markTransactionPeriod and stored with the period
   * (`Reconciliation/STD_RECON_003.xml` is the one reconciliation compares).
   * @default ['Reconciliation/Shop.xml', 'Reconciliation/STD_RECON_003.xml']
   */
  readonly transactionPeriodReports?: string[];
  /**
   * How long function and API access logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the tables, log groups and created secrets when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * A customer managed key for the tables.
   * @default the AWS managed key for DynamoDB
   */
  readonly tableEncryptionKey?: kms.IKey;
  /**
   * Where alarms notify (alarm state only).
   * @default no alarm actions: the alarms show in the CloudWatch console
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Requests per second allowed on each route of both API stages (steady rate and burst). The
   * status route is polled once a second per open payment view without a socket.
   * @default DEFAULT_THROTTLE, `{ rateLimit: 500, burstLimit: 1000 }`
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /**
   * CloudWatch namespace of the metrics counted from the functions' logs (unconfirmed
   * notifications, pending reports, reconciliation differences). Each metric also carries the
   * dimension `Instance` (the construct's path), so two instances never share an alarm.
   * @default DEFAULT_METRIC_NAMESPACE, `'SeqrWebshopPayments'`
   */
  readonly metricNamespace?: string;
  /**
   * Lambda active tracing (AWS X-Ray) for every function: `true` is `lambda.Tracing.ACTIVE`.
   * Active tracing grants each function's role `xray:PutTraceSegments` and `xray:PutTelemetryRecords`.
   * @default false (no tracing configuration: Lambda's default, PassThrough)
   */
  readonly tracing?: boolean | lambda.Tracing;
  /**
   * The functions' log level (their `LOG_LEVEL`): `debug` adds a line per step, `warn` and
   * `error` keep only trouble.
   * @default 'info'
   */
  readonly logLevel?: FunctionLogLevel;
  /**
   * Memory of every function, in MiB (128–10240); `functionMemorySize` overrides it per function.
   * @default the catalog's `memoryMiB` of the function, else DEFAULT_SEQR_MEMORY_MIB (512) for
   * functions that speak SEQR and DEFAULT_MEMORY_MIB (256) for the others
   */
  readonly memorySize?: number;
  /**
   * Memory of single functions, in MiB, by catalog name (e.g. `{ seqrNotification: 1024 }`).
   * @default none: every function gets `memorySize` or its default
   */
  readonly functionMemorySize?: Partial<Record<FunctionName, number>>;
  /**
   * How long an invoice may stay unpaid (ISSUED): then it is cancelled at SEQR (cancelInvoice), stored
   * CANCELED and pushed to its sockets; a payment that got there first is confirmed and stored PAID instead.
   * Whole seconds, from 30 s to 24 h.
   * @default DEFAULT_PAYMENT_TIMEOUT, 10 minutes
   */
  readonly paymentTimeout?: Duration;
  /**
   * How often the back end itself asks SEQR about each open invoice (getPaymentStatus), so a payment
   * whose notification is lost is confirmed inside SEQR's 20 s window with no browser open. Whole
   * seconds, at most 15; `Duration.seconds(0)` turns the checks off (the payment timeout still applies).
   * @default DEFAULT_WATCH_INTERVAL, 5 seconds
   */
  readonly watchInterval?: Duration;
  /**
   * The EventBridge bus every stored change is published to (source `seqr.webshop`).
   * @default a new bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Delivers every event of this source to the shop's HTTPS endpoint as a signed POST
   * (rule → SQS queue → webhook function), retried for 25 h, then kept in a dead-letter queue with an alarm.
   * @default no webhook
   */
  readonly webhook?: WebhookProps;
  /**
   * Replaces the bundled code of some or all functions. Unit tests pass
   * `() => lambda.Code.fromInline('…')` to synthesize without esbuild.
   * @default the prebuilt bundle of the installed package, else bundled from source with local esbuild
   * @internal
   */
  readonly functionCode?: FunctionCodeOverride;
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Actions a function needs on its tables: item reads and writes, index queries, nothing table-wide. */
const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

/**
 * SEQR mobile payments for a web shop: DynamoDB tables, one Lambda function per
 * entry of the catalog (`src/catalog.ts`), an HTTP API for the shop, SEQR and
 * the browser, a WebSocket API that pushes invoice statuses, the SEQR secrets,
 * a scheduled transaction period with its dead-letter queue, and alarms.
 *
 * The construct makes no stack outputs: the app exports what it needs from the
 * public members (`httpApiUrl`, `webSocketUrl`, `notificationBaseUrl`, the
 * secrets' ARNs).
 *
 * @example
 * const payments = new SeqrWebshopPayments(stack, 'Payments', { allowedOrigins: ['https://shop.example.com'] });
 * new CfnOutput(stack, 'HttpApiUrl', { value: payments.httpApiUrl });
 */
export class SeqrWebshopPayments extends Construct {
  /** The tables by name (invoices, connections, idempotency, periods, and sessions with the sample shop). */
  readonly tables: Partial<Record<TableName, dynamodb.Table>> = {};
  /** The deployed functions by catalog name. */
  readonly functions: Partial<Record<FunctionName, lambda.Function>> = {};
  /** Each function's log group, by catalog name. */
  readonly logGroups: Partial<Record<FunctionName, logs.LogGroup>> = {};
  /** The HTTP API: shop routes, SEQR notifications, the status route and `payment-view.js`. */
  readonly httpApi: apigwv2.HttpApi;
  /** The HTTP API's auto-deployed, throttled `$default` stage with JSON access logs. */
  readonly httpStage: apigwv2.HttpStage;
  /** The WebSocket API browsers subscribe on (`$connect`, `$disconnect`, `$default`, `subscribe`). */
  readonly webSocketApi: apigwv2.WebSocketApi;
  /** The WebSocket API's auto-deployed stage, `live` (WEBSOCKET_STAGE_NAME). */
  readonly webSocketStage: apigwv2.WebSocketStage;
  /** The SEQR terminal credentials `{"terminalId","password"}`: the one given, or the one created. */
  readonly terminalCredentialsSecret: secretsmanager.ISecret;
  /** The SEQR RESELLERUSER credentials `{"resellerId","userId","password"}`: the one given, or the one created. */
  readonly resellerCredentialsSecret: secretsmanager.ISecret;
  /** The shop key `{"shopApiKey"}`: the one given, or the one created with a generated key. */
  readonly shopApiKeySecret: secretsmanager.ISecret;
  /** Scheduled transaction-period runs that failed after every retry (kept 14 days; follows `removalPolicy`). */
  readonly deadLetterQueue: sqs.Queue;
  /** The invoice watch's delayed messages (one chain per open invoice: status checks and the payment timeout). */
  readonly watchQueue: sqs.Queue;
  /** Watch messages whose round failed QUEUES.watch.maxReceiveCount times. */
  readonly watchDeadLetterQueue: sqs.Queue;
  /** The EventBridge Scheduler schedule that closes the transaction period. */
  readonly transactionPeriodSchedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the transaction-period function. */
  readonly transactionPeriodSchedulerRole: iam.Role;
  /** Every alarm the construct made (function errors and throttles, dead letters, API 5xx, log metrics). */
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Notifications that could not be confirmed with SEQR within its 20 s window, from this instance's logs only. */
  readonly notificationsNotConfirmedMetric: cloudwatch.Metric;
  /** The bus every stored change is published to. */
  readonly eventBus: events.IEventBus;
  /**
   * With `webhook`: the rule that sends this source's events to the webhook queue.
   * @default undefined without `webhook`
   */
  readonly webhookRule?: events.Rule;
  /**
   * With `webhook`: the events waiting to be POSTed (retried from here).
   * @default undefined without `webhook`
   */
  readonly webhookQueue?: sqs.Queue;
  /**
   * With `webhook`: events not delivered after every retry (or not put in the queue at all).
   * @default undefined without `webhook`
   */
  readonly webhookDeadLetterQueue?: sqs.Queue;
  /** `https://<apiId>.execute-api.<region>.<suffix>` (no trailing slash). */
  readonly httpApiUrl: string;
  /** `wss://<apiId>.execute-api.<region>.<suffix>/live`. */
  readonly webSocketUrl: string;
  /** The base of every invoice's `notificationUrl`: `<httpApiUrl>/seqr/notifications/`. */
  readonly notificationBaseUrl: string;
  /** `https://<apiId>.execute-api.<region>.<suffix>/live`: the `@connections` endpoint functions post status frames to. */
  readonly webSocketCallbackUrl: string;
  /** SEQR's merchant API endpoint the functions call. */
  readonly seqrEndpointUrl: string;
  /** The exact browser origins allowed (CORS, the payment view's embedding pages). */
  readonly allowedOrigins: readonly string[];
  private readonly connectionsArn: string;
  private readonly watchEnvironment: Readonly<Record<string, string>>;

  /**
   * @param scope where the construct goes (usually a Stack)
   * @param id the construct's id; it also names the APIs (`<stackName>-<id>-http`, `<stackName>-<id>-websocket`)
   * @param props what to configure; every prop has a default
   */
  constructor(scope: Construct, id: string, props: SeqrWebshopPaymentsProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? logs.RetentionDays.THREE_MONTHS;
    const allowedOrigins = props.allowedOrigins ?? [];
    for (const origin of allowedOrigins) {
      // API Gateway's CORS takes exact origins only; the local stack's `http://localhost:*` form is for the local stack.
      if (/:\*$/.test(origin)) throw new Error(`allowedOrigins: "${origin}" is a port pattern; list exact origins (https://shop.example.com)`);
    }
    // Per route: the status route is polled once a second per open payment view without a socket.
    const throttle = props.throttle ?? { ...DEFAULT_THROTTLE };
    const logLevel = props.logLevel ?? 'info';
    if (!LOG_LEVELS.includes(logLevel)) throw new Error(`logLevel: "${String(logLevel)}" is not one of ${LOG_LEVELS.join(', ')}`);
    const tracing = props.tracing === true ? lambda.Tracing.ACTIVE : props.tracing === false ? undefined : props.tracing;
    const memoryMiB = (value: number, what: string): number => {
      if (!Number.isInteger(value) || value < 128 || value > 10240) throw new Error(`${what}: ${value} MiB is not a whole number from 128 to 10240`);
      return value;
    };
    if (props.memorySize !== undefined) memoryMiB(props.memorySize, 'memorySize');
    for (const [name, value] of Object.entries(props.functionMemorySize ?? {})) {
      if (!(name in FUNCTIONS)) throw new Error(`functionMemorySize: "${name}" is not a function of the catalog`);
      if (value !== undefined) memoryMiB(value, `functionMemorySize.${name}`);
    }
    const namespace = props.metricNamespace ?? DEFAULT_METRIC_NAMESPACE;
    // The log metrics' dimension: the functions log it as `instance`, the filters and the alarms select on it.
    const instanceDimensions = { [INSTANCE_DIMENSION]: this.node.path };

    // Which functions and tables this deployment has: every function of the catalog.
    const httpRoutes = HTTP_ROUTES;
    const deployed = new Set<FunctionName>([
      ...httpRoutes.map((route) => route.fn),
      ...Object.values(WEBSOCKET_ROUTES),
      'transactionPeriod',
      // The consumers of the catalog's queues (the invoice watch).
      ...(Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => (FUNCTIONS[name] as FunctionSpec).consumes),
      ...(props.webhook ? (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => (FUNCTIONS[name] as FunctionSpec).webhook) : []),
    ]);
    if (props.webhook && !/^https:\/\/[^/]/.test(props.webhook.url) && !Token.isUnresolved(props.webhook.url)) {
      throw new Error(`webhook.url: "${props.webhook.url}" must be an https:// URL`);
    }
    const routed = new Set<FunctionName>([...httpRoutes.map((route) => route.fn), ...Object.values(WEBSOCKET_ROUTES)]);
    const names = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => deployed.has(name));
    const specOf = (name: FunctionName): FunctionSpec => FUNCTIONS[name];
    const tableNames = new Set<TableName>(names.flatMap((name) => specOf(name).tables));

    // ---- Tables ------------------------------------------------------------
    for (const table of tableNames) {
      const schema = TABLE_SCHEMAS[table];
      const resource = new dynamodb.Table(this, `${pascal(table)}Table`, {
        partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(schema.sortKey ? { sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        timeToLiveAttribute: TTL_ATTRIBUTE,
        ...(props.tableEncryptionKey
          ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.tableEncryptionKey }
          : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
        deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
        removalPolicy,
      });
      for (const index of schema.indexes) {
        resource.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
          ...(index.sortKey ? { sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING } } : {}),
          ...(index.include
            ? { projectionType: dynamodb.ProjectionType.INCLUDE, nonKeyAttributes: [...index.include] }
            : { projectionType: dynamodb.ProjectionType.KEYS_ONLY }),
        });
      }
      this.tables[table] = resource;
    }

    // ---- Secrets (functions get ARNs, never values) --------------------------
    const secretRemoval = removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.terminalCredentialsSecret =
      props.terminalCredentialsSecret ??
      this.placeholderSecret('TerminalCredentialsSecret', 'SEQR terminal credentials {"terminalId","password"}', { terminalId: '' }, 'password', secretRemoval);
    this.resellerCredentialsSecret =
      props.resellerCredentialsSecret ??
      this.placeholderSecret(
        'ResellerCredentialsSecret',
        'SEQR RESELLERUSER credentials {"resellerId","userId","password"} for markTransactionPeriod',
        { resellerId: '', userId: '9900' },
        'password',
        secretRemoval,
      );
    this.shopApiKeySecret =
      props.shopApiKeySecret ??
      new secretsmanager.Secret(this, 'ShopApiKeySecret', {
        description: 'Key shops send as Authorization: Bearer on server-to-server routes {"shopApiKey"}',
        generateSecretString: {
          secretStringTemplate: JSON.stringify({}),
          generateStringKey: 'shopApiKey',
          excludePunctuation: true,
          passwordLength: 48,
        },
        removalPolicy: secretRemoval,
      });

    // ---- Events: the bus every stored change is published to -----------------
    this.eventBus = props.eventBus ?? new events.EventBus(this, 'EventBus', { description: 'SEQR webshop payments: invoice status changes and refunds (source seqr.webshop)' });

    // ---- Dead-letter queue for the transaction period ----------------------
    this.deadLetterQueue = new sqs.Queue(this, 'TransactionPeriodDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });

    // ---- The invoice watch: a queue of delayed messages, and its dead letters ----
    const paymentTimeout = props.paymentTimeout ?? DEFAULT_PAYMENT_TIMEOUT;
    const watchInterval = props.watchInterval ?? DEFAULT_WATCH_INTERVAL;
    const timeoutSeconds = paymentTimeout.toMilliseconds() / 1000;
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 30 || timeoutSeconds > 86_400) {
      throw new Error('paymentTimeout: whole seconds, from 30 seconds to 24 hours');
    }
    const intervalSeconds = watchInterval.toMilliseconds() / 1000;
    if (!Number.isInteger(intervalSeconds) || intervalSeconds < 0 || intervalSeconds > MAX_WATCH_INTERVAL_SECONDS) {
      throw new Error(`watchInterval: whole seconds, from 0 (no status checks) to ${MAX_WATCH_INTERVAL_SECONDS} (SEQR reverses a payment not asked about within 20 s)`);
    }
    const watchEnvironment = (this.watchEnvironment = { PAYMENT_TIMEOUT_MS: String(timeoutSeconds * 1000), WATCH_INTERVAL_MS: String(intervalSeconds * 1000) });
    this.watchDeadLetterQueue = new sqs.Queue(this, 'InvoiceWatchDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy,
    });
    const watchConsumer = (Object.keys(FUNCTIONS) as FunctionName[]).find((name) => (FUNCTIONS[name] as FunctionSpec).consumes === 'watch')!;
    this.watchQueue = new sqs.Queue(this, 'InvoiceWatchQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for an SQS event source: six times the function's time-out. Rounds never fail
      // for SEQR's sake (they send a new message), so this wait is for a round that crashed.
      visibilityTimeout: Duration.seconds(6 * FUNCTIONS[watchConsumer].timeoutSeconds),
      retentionPeriod: Duration.days(1),
      removalPolicy,
      deadLetterQueue: { queue: this.watchDeadLetterQueue, maxReceiveCount: QUEUES.watch.maxReceiveCount },
    });
    const queues: Record<QueueName, sqs.Queue> = { watch: this.watchQueue };

    // ---- APIs (created before the functions: their URLs go into the functions' environment) --
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${stack.stackName}-${id}-http`,
      description: 'SEQR webshop payments: invoices, statuses, SEQR notifications',
      createDefaultStage: false,
      ...(allowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: allowedOrigins,
              allowMethods: [apigwv2.CorsHttpMethod.GET, apigwv2.CorsHttpMethod.POST, apigwv2.CorsHttpMethod.OPTIONS],
              allowHeaders: ['content-type', 'authorization'],
              maxAge: Duration.hours(1),
            },
          }
        : {}),
    });
    const httpAccessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', { retention: logRetention, removalPolicy });
    this.httpStage = new apigwv2.HttpStage(this, 'HttpApiDefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      // JSON, with the route template rather than the path: notification URLs carry a secret token.
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(httpAccessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    this.webSocketApi = new apigwv2.WebSocketApi(this, 'WebSocketApi', {
      apiName: `${stack.stackName}-${id}-websocket`,
      description: 'SEQR webshop payments: invoice status pushed to browsers',
      routeSelectionExpression: '$request.body.action',
    });
    this.webSocketStage = new apigwv2.WebSocketStage(this, 'WebSocketStage', {
      webSocketApi: this.webSocketApi,
      stageName: WEBSOCKET_STAGE_NAME,
      autoDeploy: true,
      throttle,
    });

    // URLs from API ids only, so no function depends on a route that depends on the function.
    const executeApiHost = (apiId: string) => Fn.join('', [apiId, '.execute-api.', stack.region, '.', stack.urlSuffix]);
    this.httpApiUrl = Fn.join('', ['https://', executeApiHost(this.httpApi.apiId)]);
    this.webSocketUrl = Fn.join('', ['wss://', executeApiHost(this.webSocketApi.apiId), `/${WEBSOCKET_STAGE_NAME}`]);
    const webSocketCallbackUrl = Fn.join('', ['https://', executeApiHost(this.webSocketApi.apiId), `/${WEBSOCKET_STAGE_NAME}`]);
    this.webSocketCallbackUrl = webSocketCallbackUrl;
    this.seqrEndpointUrl = props.seqrEndpointUrl ?? SEQR_TEST_ENDPOINT_URL;
    this.allowedOrigins = [...allowedOrigins];
    this.notificationBaseUrl = Fn.join('', [this.httpApiUrl, '/seqr/notifications/']);
    const connectionsArn = (this.connectionsArn = stack.formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      resourceName: `${WEBSOCKET_STAGE_NAME}/POST/@connections/*`,
    }));

    // ---- Functions ---------------------------------------------------------
    for (const name of names) {
      const spec = specOf(name);
      const id = pascal(name);
      const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: logRetention, removalPolicy });
      // Own role per function: no managed policy, only this function's log group, tables and secrets.
      const role = new iam.Role(this, `${id}Role`, {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `SEQR webshop payments: ${name}`,
      });
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      );

      const environment: Record<string, string> = { NODE_OPTIONS, LOG_LEVEL: logLevel, PAYMENTS_INSTANCE: this.node.path };
      for (const table of spec.tables) environment[TABLE_ENV[table]] = this.tables[table]!.tableName;
      if (spec.seqr) {
        environment.SEQR_ENDPOINT_URL = this.seqrEndpointUrl;
        environment.SEQR_CREDENTIALS_SECRET_ARN = this.terminalCredentialsSecret.secretArn;
      }
      if (spec.reseller) environment.SEQR_RESELLER_SECRET_ARN = this.resellerCredentialsSecret.secretArn;
      if (spec.shopKey) environment.SHOP_API_KEY_SECRET_ARN = this.shopApiKeySecret.secretArn;
      if (routed.has(name)) {
        environment.PUBLIC_BASE_URL = this.httpApiUrl;
        environment.WEBSOCKET_URL = this.webSocketUrl;
        environment.ALLOWED_ORIGINS = allowedOrigins.join(',');
        environment.SECURE_COOKIES = 'true';
      }
      if (spec.push) environment.WEBSOCKET_CALLBACK_URL = webSocketCallbackUrl;
      for (const queue of spec.sends ?? []) environment[QUEUES[queue].env] = queues[queue].queueUrl;
      if (spec.sends?.includes('watch') || spec.consumes === 'watch') Object.assign(environment, watchEnvironment);
      if (spec.publishes) environment.EVENT_BUS_NAME = this.eventBus.eventBusArn;
      if (spec.webhook && props.webhook) {
        environment.SHOP_WEBHOOK_URL = props.webhook.url;
        environment.SHOP_WEBHOOK_SECRET_ARN = props.webhook.secret.secretArn;
      }
      if (name === 'transactionPeriod' && props.transactionPeriodReports) {
        if (props.transactionPeriodReports.length === 0) throw new Error('transactionPeriodReports: name at least one report');
        environment.TRANSACTION_PERIOD_REPORT_IDS = props.transactionPeriodReports.join(',');
      }

      const common = {
        description: `SEQR webshop payments: ${name}`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize:
          props.functionMemorySize?.[name] ??
          props.memorySize ??
          (spec as FunctionSpec).memoryMiB ??
          (spec.seqr ? DEFAULT_SEQR_MEMORY_MIB : DEFAULT_MEMORY_MIB),
        timeout: Duration.seconds(spec.timeoutSeconds),
        role,
        logGroup,
        environment,
        ...(tracing ? { tracing } : {}),
        ...(name === 'transactionPeriod' ? { retryAttempts: 2, deadLetterQueue: this.deadLetterQueue } : {}),
      } satisfies Partial<lambda.FunctionProps>;
      // Installed from the package: the bundle `npm run build` wrote. From source: bundled now.
      const prebuilt = path.join(PREBUILT_ASSETS_DIR, name);
      const code = props.functionCode?.(name, spec) ?? (existsSync(path.join(prebuilt, BUNDLE_FILE)) ? lambda.Code.fromAsset(prebuilt) : undefined);
      if (!code && !existsSync(path.join(PROJECT_ROOT, spec.entry))) {
        throw new Error(`${name}: no prebuilt bundle at ${prebuilt} and no source at ${spec.entry}; build the package with npm run build`);
      }
      const fn = code
        ? new lambda.Function(this, `${id}Function`, { ...common, code, handler: 'index.handler' })
        : new NodejsFunction(this, `${id}Function`, {
            ...common,
            entry: path.join(PROJECT_ROOT, spec.entry),
            handler: 'handler',
            projectRoot: PROJECT_ROOT,
            depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
            bundling: lambdaBundlingOptions(name, spec),
          });

      // Least privilege: item actions on its own tables and their named indexes.
      for (const table of spec.tables) {
        const resource = this.tables[table]!;
        role.addToPrincipalPolicy(
          new iam.PolicyStatement({
            actions: TABLE_ITEM_ACTIONS,
            resources: [resource.tableArn, ...TABLE_SCHEMAS[table].indexes.map((index) => `${resource.tableArn}/index/${index.name}`)],
          }),
        );
      }
      if (spec.tables.length > 0) props.tableEncryptionKey?.grantEncryptDecrypt(role);
      if (spec.seqr) this.terminalCredentialsSecret.grantRead(role);
      if (spec.reseller) this.resellerCredentialsSecret.grantRead(role);
      if (spec.shopKey) this.shopApiKeySecret.grantRead(role);
      if (spec.push) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: [connectionsArn] }));
      }
      // Senders may send, and only that, to exactly their queues (the queues are SQS-managed encrypted: no key to grant).
      for (const queue of spec.sends ?? []) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queues[queue].queueArn] }));
      }
      // The consumer's event source: receive, delete, change visibility, attributes on its queue (granted by the event source).
      if (spec.consumes) {
        fn.addEventSource(new SqsEventSource(queues[spec.consumes], { batchSize: QUEUES[spec.consumes].batchSize, reportBatchItemFailures: true }));
      }
      // PutEvents on this bus only.
      if (spec.publishes) this.eventBus.grantPutEventsTo(role);
      if (spec.webhook) props.webhook?.secret.grantRead(role);
      this.functions[name] = fn;
      this.logGroups[name] = logGroup;
    }
    const fn = (name: FunctionName): lambda.Function => this.functions[name]!;

    // Functions that start others (POST /transaction-periods): InvokeFunction on exactly those, no qualifier wildcard.
    for (const name of names) {
      for (const target of specOf(name).invokes ?? []) {
        const targetName = target as FunctionName;
        const envName = INVOKE_ENV[targetName];
        if (!this.functions[targetName] || !envName) throw new Error(`${name} invokes ${target}, which is not deployed or has no INVOKE_ENV entry`);
        fn(name).addEnvironment(envName, fn(targetName).functionName);
        fn(name).role!.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn(targetName).functionArn] }));
      }
    }

    // ---- Routes ------------------------------------------------------------
    const httpIntegrations = new Map<FunctionName, HttpLambdaIntegration>();
    for (const route of httpRoutes) {
      let integration = httpIntegrations.get(route.fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${pascal(route.fn)}Integration`, fn(route.fn), {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        httpIntegrations.set(route.fn, integration);
      }
      this.httpApi.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration });
    }
    const wsIntegrations = new Map<FunctionName, WebSocketLambdaIntegration>();
    for (const [routeKey, name] of Object.entries(WEBSOCKET_ROUTES) as [string, FunctionName][]) {
      let integration = wsIntegrations.get(name);
      if (!integration) {
        integration = new WebSocketLambdaIntegration(`${pascal(name)}Integration`, fn(name));
        wsIntegrations.set(name, integration);
      }
      this.webSocketApi.addRoute(routeKey, { integration });
    }

    // ---- Webhook: rule → queue (retries) → function → the shop's endpoint ------
    const webhookFunctions = names.filter((name) => specOf(name).webhook);
    if (props.webhook && webhookFunctions.length > 0) {
      const webhookFunction = fn(webhookFunctions[0]!);
      const deadLetters = new sqs.Queue(this, 'WebhookDeadLetterQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      const queue = new sqs.Queue(this, 'WebhookQueue', {
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: WEBHOOK_QUEUE_RETENTION,
        visibilityTimeout: WEBHOOK_RETRY_INTERVAL,
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: WEBHOOK_MAX_RECEIVES },
      });
      this.webhookRule = new events.Rule(this, 'WebhookRule', {
        description: 'Every SEQR webshop payments event to the shop’s webhook',
        eventBus: this.eventBus,
        eventPattern: { source: [EVENT_SOURCE] },
        // EventBridge retries putting an event in the queue for 24 h; one it cannot put goes to the dead-letter queue.
        targets: [new targets.SqsQueue(queue, { deadLetterQueue: deadLetters, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
      });
      webhookFunction.addEventSource(new SqsEventSource(queue, { batchSize: WEBHOOK_BATCH_SIZE, reportBatchItemFailures: true }));
      this.webhookQueue = queue;
      this.webhookDeadLetterQueue = deadLetters;
    }

    // ---- Transaction period: once a day, retried, failures kept -----------------
    this.transactionPeriodSchedulerRole = new iam.Role(this, 'TransactionPeriodSchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: 'EventBridge Scheduler: invokes the transaction-period function',
    });
    this.transactionPeriodSchedule = new scheduler.Schedule(this, 'TransactionPeriodSchedule', {
      description: 'Closes the SEQR transaction period (markTransactionPeriod)',
      schedule: scheduler.ScheduleExpression.expression(
        props.transactionPeriodSchedule ?? DEFAULT_TRANSACTION_PERIOD_SCHEDULE,
        TimeZone.of(props.transactionPeriodTimeZone ?? DEFAULT_TRANSACTION_PERIOD_TIME_ZONE),
      ),
      target: new LambdaInvoke(fn('transactionPeriod'), {
        input: scheduler.ScheduleTargetInput.fromObject({ scheduledTime: scheduler.ContextAttribute.scheduledTime }),
        retryAttempts: 3,
        maxEventAge: Duration.hours(2),
        deadLetterQueue: this.deadLetterQueue,
        role: this.transactionPeriodSchedulerRole,
      }),
    });

    // ---- Alarms --------------------------------------------------------------
    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) => {
      const created = new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) created.addAlarmAction(new SnsAction(props.alarmTopic));
      this.alarms.push(created);
      return created;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    for (const name of names) {
      alarm(`${pascal(name)}ErrorsAlarm`, fn(name).metricErrors(fiveMinutes), `${name}: the function failed`);
      alarm(`${pascal(name)}ThrottlesAlarm`, fn(name).metricThrottles(fiveMinutes), `${name}: the function was throttled`);
    }
    alarm(
      'InvoiceWatchDeadLetterAlarm',
      this.watchDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      'An invoice watch round failed on every delivery: that invoice is no longer watched nor timed out (see the dead-letter queue and the invoiceWatch logs)',
    );
    alarm(
      'TransactionPeriodDeadLetterAlarm',
      this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      'A transaction period was not closed after every retry: close it by hand (see the dead-letter queue)',
    );
    // Every function that asks SEQR for a status may log it: the notification, the status poll, the watch.
    const confirmingFunctions = (['seqrNotification', 'invoiceStatus', 'invoiceWatch'] as const).filter((name) => this.logGroups[name]);
    const notConfirmedFilters = confirmingFunctions.map(
      (name) =>
        new logs.MetricFilter(this, name === 'seqrNotification' ? 'NotificationNotConfirmedFilter' : `${pascal(name)}NotConfirmedFilter`, {
          logGroup: this.logGroups[name]!,
          filterPattern: logs.FilterPattern.stringValue('$.message', '=', NOTIFICATION_NOT_CONFIRMED_MESSAGE),
          metricNamespace: namespace,
          metricName: NOTIFICATIONS_NOT_CONFIRMED_METRIC,
          metricValue: '1',
          dimensions: { [INSTANCE_DIMENSION]: '$.instance' },
        }),
    );
    this.notificationsNotConfirmedMetric = notConfirmedFilters[0]!.metric({ ...fiveMinutes, dimensionsMap: instanceDimensions });
    // Handlers answer errors themselves (a 5xx, not a thrown error), so Lambda's Errors metric misses them: the API's does not.
    alarm(
      'HttpApiServerErrorsAlarm',
      this.httpApi.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      'The HTTP API answered 5xx: SEQR, DynamoDB or configuration trouble (see the functions’ error log lines)',
    );
    alarm(
      'NotificationNotConfirmedAlarm',
      this.notificationsNotConfirmedMetric,
      'A SEQR payment notification could not be confirmed with getPaymentStatus within 20 s: SEQR may reverse the payment',
    );

    const messageIs = (...messages: string[]) => logs.FilterPattern.any(...messages.map((message) => logs.FilterPattern.stringValue('$.message', '=', message)));
    // An invoice left unwatched: its first message not sent (the create functions), or its watch given up.
    const watchLogGroups = names.filter((name) => specOf(name).sends?.includes('watch') || specOf(name).consumes === 'watch');
    const watchFailures = watchLogGroups.map(
      (name) =>
        new logs.MetricFilter(this, `${pascal(name)}WatchFailureFilter`, {
          logGroup: this.logGroups[name]!,
          filterPattern: messageIs(...WATCH_FAILURE_MESSAGES),
          metricNamespace: namespace,
          metricName: 'InvoiceWatchFailures',
          metricValue: '1',
          dimensions: { [INSTANCE_DIMENSION]: '$.instance' },
        }),
    );
    alarm(
      'InvoiceWatchFailureAlarm',
      watchFailures[0]!.metric({ ...fiveMinutes, dimensionsMap: instanceDimensions }),
      'An open invoice is not watched (its first watch message was not sent, or its watch gave up): SEQR may reverse a payment whose notification is lost, and no payment timeout cancels it. See the invoiceWatch and createInvoice logs',
    );

    // The transaction period's reports and reconciliation, from its JSON log lines.
    const periodLogs = this.logGroups.transactionPeriod!;
    const reportsPending = new logs.MetricFilter(this, 'TransactionPeriodReportPendingFilter', {
      logGroup: periodLogs,
      filterPattern: messageIs(REPORT_PENDING_MESSAGE, REPORT_UNREADABLE_MESSAGE, PERIOD_WORK_FAILED_MESSAGE),
      metricNamespace: namespace,
      metricName: 'TransactionPeriodReportsPending',
      metricValue: '1',
      dimensions: { [INSTANCE_DIMENSION]: '$.instance' },
    });
    alarm(
      'TransactionPeriodReportPendingAlarm',
      reportsPending.metric({ ...fiveMinutes, dimensionsMap: instanceDimensions }),
      'A SEQR report of a transaction period is not stored (still not ready, refused or unreadable): the next run retries it; see README "Reconciliation"',
    );
    const differences = new logs.MetricFilter(this, 'ReconciliationDifferenceFilter', {
      logGroup: periodLogs,
      filterPattern: messageIs(RECONCILIATION_DIFFERENCE_MESSAGE, RECONCILIATION_FAILED_MESSAGE),
      metricNamespace: namespace,
      metricName: 'ReconciliationDifferences',
      metricValue: '1',
      dimensions: { [INSTANCE_DIMENSION]: '$.instance' },
    });
    alarm(
      'ReconciliationDifferenceAlarm',
      differences.metric({ ...fiveMinutes, dimensionsMap: instanceDimensions }),
      'SEQR’s report of a transaction period and our store disagree (or the report could not be compared): see GET /transaction-periods/{id} and README "Reconciliation"',
    );

    // Events and the webhook.
    const publishing = names.filter((name) => specOf(name).publishes);
    const notPublished = publishing.map(
      (name) =>
        new logs.MetricFilter(this, `${pascal(name)}EventsNotPublishedFilter`, {
          logGroup: this.logGroups[name]!,
          filterPattern: logs.FilterPattern.stringValue('$.message', '=', EVENTS_NOT_PUBLISHED_MESSAGE),
          metricNamespace: namespace,
          metricName: 'EventsNotPublished',
          metricValue: '1',
          dimensions: { [INSTANCE_DIMENSION]: '$.instance' },
        }),
    );
    if (notPublished[0]) {
      alarm(
        'EventsNotPublishedAlarm',
        notPublished[0].metric({ ...fiveMinutes, dimensionsMap: instanceDimensions }),
        'The event bus did not take an event: it waits in the invoice’s outbox until the next read of the invoice publishes it (see README "Events")',
      );
    }
    if (this.webhookQueue && this.webhookDeadLetterQueue) {
      alarm(
        'WebhookDeadLetterAlarm',
        this.webhookDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        'An event was not delivered to the shop’s webhook after 25 h of retries: it is in the webhook dead-letter queue (see README "Events")',
      );
      const delayed = new cloudwatch.Alarm(this, 'WebhookDeliveryDelayedAlarm', {
        metric: this.webhookQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 15 * 60,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: 'The shop’s webhook endpoint has not taken an event for 15 minutes: deliveries are being retried',
      });
      if (props.alarmTopic) delayed.addAlarmAction(new SnsAction(props.alarmTopic));
      this.alarms.push(delayed);
    }
  }

  /** Lets a function of the shop's own post frames to this API's WebSocket connections (execute-api:ManageConnections on its stage). */
  grantPostToConnections(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:ManageConnections'], resourceArns: [this.connectionsArn] });
  }

  /** Lets a function of the shop's own that changes invoices through the payment core publish their events to the bus (EVENT_BUS_NAME, events:PutEvents on it). */
  publishEventsFrom(fn: lambda.Function): void {
    fn.addEnvironment('EVENT_BUS_NAME', this.eventBus.eventBusArn);
    this.eventBus.grantPutEventsTo(fn);
  }

  /**
   * Gives the invoices a function of the shop's own creates (through the payment core) the same
   * watch and payment timeout as the construct's: the queue's URL and the pace in its environment,
   * and sqs:SendMessage on the watch queue.
   */
  watchInvoicesOf(fn: lambda.Function): void {
    fn.addEnvironment(QUEUES.watch.env, this.watchQueue.queueUrl);
    for (const [name, value] of Object.entries(this.watchEnvironment)) fn.addEnvironment(name, value);
    this.watchQueue.grantSendMessages(fn);
  }

  private placeholderSecret(
    id: string,
    description: string,
    template: Record<string, string>,
    generatedKey: string,
    removalPolicy: RemovalPolicy,
  ): secretsmanager.Secret {
    // Created with the right JSON shape and a random password; the operator puts the real values in.
    return new secretsmanager.Secret(this, id, {
      description,
      generateSecretString: {
        secretStringTemplate: JSON.stringify(template),
        generateStringKey: generatedKey,
        excludePunctuation: true,
      },
      removalPolicy,
    });
  }
}
