/**
 * SEQR mobile payments for a web shop, as one CDK construct: the tables, the
 * functions of `src/catalog.ts`, the HTTP and WebSocket APIs, the SEQR
 * secrets, the nightly transaction period and the alarms that say when a
 * payment needs a human.
 */
import path from 'node:path';
import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, TimeZone } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration, WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
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
import { NODE_OPTIONS, PROJECT_ROOT, lambdaBundlingOptions } from './bundling.js';
import {
  PERIOD_WORK_FAILED_MESSAGE,
  RECONCILIATION_DIFFERENCE_MESSAGE,
  RECONCILIATION_FAILED_MESSAGE,
  REPORT_PENDING_MESSAGE,
  REPORT_UNREADABLE_MESSAGE,
} from '../src/core/periods/messages.js';

/** SEQR's public test endpoint (the plugins' default). */
export const SEQR_TEST_ENDPOINT_URL = 'https://extdev.seqr.com/extclientproxy/service/v2';
export const DEFAULT_TRANSACTION_PERIOD_SCHEDULE = 'cron(0 0 * * ? *)';
export const DEFAULT_TRANSACTION_PERIOD_TIME_ZONE = 'Europe/Stockholm';
/** The WebSocket stage browsers connect to: `wss://…/live`. */
export const WEBSOCKET_STAGE_NAME = 'live';
/** The message the notification function logs when SEQR could not be asked within its 20 s window. */
export const NOTIFICATION_NOT_CONFIRMED_MESSAGE = 'notification not confirmed';

export const DEFAULT_PAYMENT_TIMEOUT = Duration.minutes(10);
export const DEFAULT_WATCH_INTERVAL = Duration.seconds(5);
/** The longest watch interval that still asks SEQR inside its 20 s window after a payment (with room for a retry). */
export const MAX_WATCH_INTERVAL_SECONDS = 15;
/** The log messages that say an open invoice is not watched (alarmed). */
export const WATCH_FAILURE_MESSAGES = [WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE] as const;

/** Swaps a function's bundled code for other code (unit tests: `Code.fromInline`); `undefined` bundles it. */
export type FunctionCodeOverride = (name: FunctionName, spec: FunctionSpec) => lambda.Code | undefined;

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
   * Deploys the sample shop: the routes flagged `sampleShop` in the catalog, its function and the sessions table.
   * @default false
   */
  readonly includeSampleShop?: boolean;
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
   * Requests per second allowed on each API stage (steady rate and burst).
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: apigwv2.ThrottleSettings;
  /**
   * CloudWatch namespace of the metric counting unconfirmed SEQR notifications.
   * @default 'SeqrWebshopPayments'
   */
  readonly metricNamespace?: string;
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
   * Replaces the bundled code of some or all functions. Unit tests pass
   * `() => lambda.Code.fromInline('…')` to synthesize without esbuild.
   * @default every function is bundled from its catalog entry with local esbuild
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

export class SeqrWebshopPayments extends Construct {
  readonly tables: Partial<Record<TableName, dynamodb.Table>> = {};
  readonly functions: Partial<Record<FunctionName, lambda.Function>> = {};
  readonly logGroups: Partial<Record<FunctionName, logs.LogGroup>> = {};
  readonly httpApi: apigwv2.HttpApi;
  readonly httpStage: apigwv2.HttpStage;
  readonly webSocketApi: apigwv2.WebSocketApi;
  readonly webSocketStage: apigwv2.WebSocketStage;
  readonly terminalCredentialsSecret: secretsmanager.ISecret;
  readonly resellerCredentialsSecret: secretsmanager.ISecret;
  readonly shopApiKeySecret: secretsmanager.ISecret;
  /** Scheduled transaction-period runs that failed after every retry. */
  readonly deadLetterQueue: sqs.Queue;
  /** The invoice watch's delayed messages (one chain per open invoice: status checks and the payment timeout). */
  readonly watchQueue: sqs.Queue;
  /** Watch messages whose round failed QUEUES.watch.maxReceiveCount times. */
  readonly watchDeadLetterQueue: sqs.Queue;
  readonly transactionPeriodSchedule: scheduler.Schedule;
  /** The role EventBridge Scheduler assumes to invoke the transaction-period function. */
  readonly transactionPeriodSchedulerRole: iam.Role;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** `https://<apiId>.execute-api.<region>.<suffix>` (no trailing slash). */
  readonly httpApiUrl: string;
  /** `wss://<apiId>.execute-api.<region>.<suffix>/live`. */
  readonly webSocketUrl: string;
  /** The base of every invoice's `notificationUrl`: `<httpApiUrl>/seqr/notifications/`. */
  readonly notificationBaseUrl: string;

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
    const includeSampleShop = props.includeSampleShop ?? false;
    // Per route: the status route is polled once a second per open payment view without a socket.
    const throttle = props.throttle ?? { rateLimit: 500, burstLimit: 1000 };

    // Which functions and tables this deployment has: the sample shop's are left out unless asked for.
    const httpRoutes = HTTP_ROUTES.filter((route) => includeSampleShop || !route.sampleShop);
    const deployed = new Set<FunctionName>([
      ...httpRoutes.map((route) => route.fn),
      ...Object.values(WEBSOCKET_ROUTES),
      'transactionPeriod',
      // The consumers of the catalog's queues (the invoice watch).
      ...(Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => (FUNCTIONS[name] as FunctionSpec).consumes),
    ]);
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

    // ---- Dead-letter queue for the transaction period ----------------------
    this.deadLetterQueue = new sqs.Queue(this, 'TransactionPeriodDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
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
    const watchEnvironment = { PAYMENT_TIMEOUT_MS: String(timeoutSeconds * 1000), WATCH_INTERVAL_MS: String(intervalSeconds * 1000) };
    this.watchDeadLetterQueue = new sqs.Queue(this, 'InvoiceWatchDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const watchConsumer = (Object.keys(FUNCTIONS) as FunctionName[]).find((name) => (FUNCTIONS[name] as FunctionSpec).consumes === 'watch')!;
    this.watchQueue = new sqs.Queue(this, 'InvoiceWatchQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for an SQS event source: six times the function's time-out. Rounds never fail
      // for SEQR's sake (they send a new message), so this wait is for a round that crashed.
      visibilityTimeout: Duration.seconds(6 * FUNCTIONS[watchConsumer].timeoutSeconds),
      retentionPeriod: Duration.days(1),
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
    this.notificationBaseUrl = Fn.join('', [this.httpApiUrl, '/seqr/notifications/']);
    const connectionsArn = stack.formatArn({
      service: 'execute-api',
      resource: this.webSocketApi.apiId,
      resourceName: `${WEBSOCKET_STAGE_NAME}/POST/@connections/*`,
    });

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

      const environment: Record<string, string> = { NODE_OPTIONS, LOG_LEVEL: 'info' };
      for (const table of spec.tables) environment[TABLE_ENV[table]] = this.tables[table]!.tableName;
      if (spec.seqr) {
        environment.SEQR_ENDPOINT_URL = props.seqrEndpointUrl ?? SEQR_TEST_ENDPOINT_URL;
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
      if (name === 'transactionPeriod' && props.transactionPeriodReports) {
        if (props.transactionPeriodReports.length === 0) throw new Error('transactionPeriodReports: name at least one report');
        environment.TRANSACTION_PERIOD_REPORT_IDS = props.transactionPeriodReports.join(',');
      }

      const common = {
        description: `SEQR webshop payments: ${name}`,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: spec.memoryMiB ?? (spec.seqr ? 512 : 256),
        timeout: Duration.seconds(spec.timeoutSeconds),
        role,
        logGroup,
        environment,
        ...(name === 'transactionPeriod' ? { retryAttempts: 2, deadLetterQueue: this.deadLetterQueue } : {}),
      } satisfies Partial<lambda.FunctionProps>;
      const code = props.functionCode?.(name, spec);
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
    // Every function that asks SEQR for a status may log it: the notification, the status poll, the shop's receipt.
    const confirmingFunctions = (['seqrNotification', 'invoiceStatus', 'shop', 'invoiceWatch'] as const).filter((name) => this.logGroups[name]);
    const notConfirmedFilters = confirmingFunctions.map(
      (name) =>
        new logs.MetricFilter(this, name === 'seqrNotification' ? 'NotificationNotConfirmedFilter' : `${pascal(name)}NotConfirmedFilter`, {
          logGroup: this.logGroups[name]!,
          filterPattern: logs.FilterPattern.stringValue('$.message', '=', NOTIFICATION_NOT_CONFIRMED_MESSAGE),
          metricNamespace: props.metricNamespace ?? 'SeqrWebshopPayments',
          metricName: 'NotificationsNotConfirmed',
          metricValue: '1',
        }),
    );
    const notConfirmed = notConfirmedFilters[0]!;
    // Handlers answer errors themselves (a 5xx, not a thrown error), so Lambda's Errors metric misses them: the API's does not.
    alarm(
      'HttpApiServerErrorsAlarm',
      this.httpApi.metricServerError({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      'The HTTP API answered 5xx: SEQR, DynamoDB or configuration trouble (see the functions’ error log lines)',
    );
    alarm(
      'NotificationNotConfirmedAlarm',
      notConfirmed.metric(fiveMinutes),
      'A SEQR payment notification could not be confirmed with getPaymentStatus within 20 s: SEQR may reverse the payment',
    );

    const namespace = props.metricNamespace ?? 'SeqrWebshopPayments';
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
        }),
    );
    alarm(
      'InvoiceWatchFailureAlarm',
      watchFailures[0]!.metric(fiveMinutes),
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
    });
    alarm(
      'TransactionPeriodReportPendingAlarm',
      reportsPending.metric(fiveMinutes),
      'A SEQR report of a transaction period is not stored (still not ready, refused or unreadable): the next run retries it; see README "Reconciliation"',
    );
    const differences = new logs.MetricFilter(this, 'ReconciliationDifferenceFilter', {
      logGroup: periodLogs,
      filterPattern: messageIs(RECONCILIATION_DIFFERENCE_MESSAGE, RECONCILIATION_FAILED_MESSAGE),
      metricNamespace: namespace,
      metricName: 'ReconciliationDifferences',
      metricValue: '1',
    });
    alarm(
      'ReconciliationDifferenceAlarm',
      differences.metric(fiveMinutes),
      'SEQR’s report of a transaction period and our store disagree (or the report could not be compared): see GET /transaction-periods/{id} and README "Reconciliation"',
    );

    // ---- Outputs -------------------------------------------------------------
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApiUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', { value: this.webSocketUrl, description: 'WebSocket URL browsers connect to' });
    new CfnOutput(this, 'NotificationBaseUrl', {
      value: this.notificationBaseUrl,
      description: 'Base of the notificationUrl given to SEQR',
    });
    // ARNs, not values: what `aws secretsmanager put-secret-value --secret-id` takes.
    new CfnOutput(this, 'TerminalCredentialsSecretArn', { value: this.terminalCredentialsSecret.secretArn });
    new CfnOutput(this, 'ResellerCredentialsSecretArn', { value: this.resellerCredentialsSecret.secretArn });
    new CfnOutput(this, 'ShopApiKeySecretArn', { value: this.shopApiKeySecret.secretArn });
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
