/**
 * Configuration from the environment. Deployed, the CDK construct sets these;
 * locally, `npm start` does. Secrets come from Secrets Manager when an ARN is
 * given (deployed) and from plain variables otherwise (local stack, tests).
 */
import { readSecretJson, readSecretString } from './adapters/secrets.js';

function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

function required(name: string): string {
  const value = env(name);
  if (value === undefined) throw new Error(`configuration: ${name} is not set`);
  return value;
}

function integer(name: string, fallback: number): number {
  const raw = env(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`configuration: ${name} must be a whole number`);
  return value;
}

export interface SeqrTerminalCredentials {
  terminalId: string;
  password: string;
}

export interface SeqrResellerCredentials {
  resellerId: string;
  userId: string;
  password: string;
}

export const config = {
  get seqrEndpointUrl(): string {
    return required('SEQR_ENDPOINT_URL');
  },
  /** Time-out of one SOAP call, in milliseconds. */
  get seqrTimeoutMs(): number {
    return integer('SEQR_TIMEOUT_MS', 10_000);
  },
  /** Client software name, sent as `context.clientId` (SEQR certification asks for it). */
  get seqrClientId(): string {
    return env('SEQR_CLIENT_ID') ?? 'seqr-webshop-aws';
  },
  /** System name and version, sent as `context.clientReference` (at most 32 characters). */
  get seqrClientReference(): string {
    return (env('SEQR_CLIENT_REFERENCE') ?? 'seqr-webshop-aws 0.1.0').slice(0, 32);
  },
  get dynamoDbEndpoint(): string | undefined {
    return env('DYNAMODB_ENDPOINT');
  },
  table(envName: string): string {
    return required(envName);
  },
  /** Public base URL of the HTTP API, used in notificationUrl and statusUrl. No trailing slash. */
  get publicBaseUrl(): string {
    return required('PUBLIC_BASE_URL').replace(/\/+$/, '');
  },
  /** Public WebSocket URL that browsers connect to. */
  get websocketUrl(): string {
    return required('WEBSOCKET_URL').replace(/\/+$/, '');
  },
  /** The `@connections` management endpoint of the WebSocket stage. */
  get websocketCallbackUrl(): string {
    return required('WEBSOCKET_CALLBACK_URL').replace(/\/+$/, '');
  },
  /** Allowed browser origins: exact origins, or patterns with `*` for a port (`http://localhost:*`). */
  get allowedOrigins(): string[] {
    return (env('ALLOWED_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  },
  /** How long the notification path may keep asking SEQR, in ms: well inside its 20 s window. */
  get confirmationBudgetMs(): number {
    return integer('CONFIRMATION_BUDGET_MS', 12_000);
  },
  /** Time-out of one post to a WebSocket connection, in ms. */
  get pushTimeoutMs(): number {
    return integer('PUSH_TIMEOUT_MS', 2_000);
  },
  /** Days an invoice is kept before DynamoDB's TTL deletes it. */
  get invoiceRetentionDays(): number {
    return integer('INVOICE_RETENTION_DAYS', 90);
  },
  /**
   * The construct instance the function belongs to (its CDK path), put on every log line as
   * `instance`: the metric filters count per instance, so two deployments in one account never
   * raise each other's alarms. Unset locally.
   */
  get instance(): string | undefined {
    return env('PAYMENTS_INSTANCE');
  },
  /** `debug`, `info`, `warn` or `error`. */
  get logLevel(): string {
    return (env('LOG_LEVEL') ?? 'info').toLowerCase();
  },
  /** The payment view's built script: a path (local stack, tests); beside the bundle when unset. */
  get paymentViewAsset(): string | undefined {
    return env('PAYMENT_VIEW_ASSET');
  },
  /** The WebSocket URL baked into the payment view; empty when there is none (the view polls). */
  get paymentViewWebsocketUrl(): string {
    return (env('WEBSOCKET_URL') ?? '').trim().replace(/\/+$/, '');
  },
  /** Reports fetched after each markTransactionPeriod (comma list of SEQR reportIds). */
  get transactionPeriodReportIds(): string[] {
    const ids = (env('TRANSACTION_PERIOD_REPORT_IDS') ?? 'Reconciliation/Shop.xml,Reconciliation/STD_RECON_003.xml')
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    return [...new Set(ids)];
  },
  /** The detail report reconciliation compares (ErsReference, SalesAmount rows). */
  get transactionPeriodReconcileReportId(): string {
    return env('TRANSACTION_PERIOD_RECONCILE_REPORT_ID') ?? 'Reconciliation/STD_RECON_003.xml';
  },
  /** executeReport's language. */
  get transactionPeriodReportLanguage(): string {
    return env('TRANSACTION_PERIOD_REPORT_LANGUAGE') ?? 'en';
  },
  /** Pause between markTransactionPeriod and the first executeReport (SEQR documents ~3 s). */
  get transactionPeriodReportPauseMs(): number {
    return integer('TRANSACTION_PERIOD_REPORT_PAUSE_MS', 3_000);
  },
  /** Wait between REPORT_NOT_READY answers (SEQR documents 3–5 s). */
  get transactionPeriodReportRetryMs(): number {
    return integer('TRANSACTION_PERIOD_REPORT_RETRY_MS', 4_000);
  },
  /** At most this long waiting for reports in one run; unset: as long as the function's time-out allows. */
  get transactionPeriodReportMaxWaitMs(): number | undefined {
    return env('TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS') === undefined ? undefined : integer('TRANSACTION_PERIOD_REPORT_MAX_WAIT_MS', 0);
  },
  /** The transaction-period function, invoked asynchronously by POST /transaction-periods. */
  get transactionPeriodFunctionName(): string {
    return required('TRANSACTION_PERIOD_FUNCTION_NAME');
  },
  /** The Lambda API endpoint; unset when deployed (the SDK finds it), the local stack's stand-in locally. */
  get lambdaEndpoint(): string | undefined {
    return env('LAMBDA_ENDPOINT');
  },
  /** The watch queue's URL (SQS); unset: new invoices are neither watched nor timed out. */
  get watchQueueUrl(): string | undefined {
    return env('WATCH_QUEUE_URL');
  },
  /** The SQS endpoint; unset when deployed (the SDK finds it), the local stack's stand-in locally. */
  get sqsEndpoint(): string | undefined {
    return env('SQS_ENDPOINT');
  },
  /** How often the watch asks SEQR about an open invoice, in ms; 0: never (the payment timeout still applies). */
  get watchIntervalMs(): number {
    return integer('WATCH_INTERVAL_MS', 5_000);
  },
  /** How long an invoice may stay unpaid before it is cancelled at SEQR, in ms. */
  get paymentTimeoutMs(): number {
    const value = integer('PAYMENT_TIMEOUT_MS', 600_000);
    if (value < 1_000) throw new Error('configuration: PAYMENT_TIMEOUT_MS must be at least 1000 (turn the watch off by leaving WATCH_QUEUE_URL unset)');
    return value;
  },
  /** The EventBridge bus the functions publish to (name or ARN). */
  get eventBusName(): string {
    return required('EVENT_BUS_NAME');
  },
  /** The EventBridge API endpoint; unset when deployed, the local stack's bus endpoint locally. */
  get eventBridgeEndpoint(): string | undefined {
    return env('EVENTBRIDGE_ENDPOINT');
  },
  /** How long one PutEvents may take (its retries included), in ms. */
  get eventPublishTimeoutMs(): number {
    return integer('EVENT_PUBLISH_TIMEOUT_MS', 2_000);
  },
  /** How long a publisher holds an invoice's outbox before another path may publish it, in ms. */
  get eventOutboxLeaseMs(): number {
    return integer('EVENT_OUTBOX_LEASE_MS', 10_000);
  },
  /** The shop's HTTPS endpoint the webhook POSTs every event to. */
  get shopWebhookUrl(): string {
    return required('SHOP_WEBHOOK_URL');
  },
  /** How long one webhook POST may take, in ms. */
  get shopWebhookTimeoutMs(): number {
    return integer('SHOP_WEBHOOK_TIMEOUT_MS', 5_000);
  },
  /** Whether cookies are marked Secure (true when deployed behind HTTPS). */
  get secureCookies(): boolean {
    return env('SECURE_COOKIES') !== 'false';
  },
};

let terminalCredentials: Promise<SeqrTerminalCredentials> | undefined;
let resellerCredentials: Promise<SeqrResellerCredentials | undefined> | undefined;
let shopApiKey: Promise<string> | undefined;
let webhookSecret: Promise<string> | undefined;

/** SEQR terminal id and password: read once per process, then cached. */
export function seqrTerminalCredentials(): Promise<SeqrTerminalCredentials> {
  terminalCredentials ??= (async () => {
    const arn = env('SEQR_CREDENTIALS_SECRET_ARN');
    if (arn) {
      const secret = await readSecretJson(arn);
      return { terminalId: String(secret.terminalId ?? ''), password: String(secret.password ?? '') };
    }
    return { terminalId: required('SEQR_TERMINAL_ID'), password: required('SEQR_TERMINAL_PASSWORD') };
  })();
  terminalCredentials.catch(() => (terminalCredentials = undefined));
  return terminalCredentials;
}

/** The RESELLERUSER principal for markTransactionPeriod and executeReport, where one is configured. */
export function seqrResellerCredentials(): Promise<SeqrResellerCredentials | undefined> {
  resellerCredentials ??= (async () => {
    const arn = env('SEQR_RESELLER_SECRET_ARN');
    if (arn) {
      const secret = await readSecretJson(arn);
      // The secret the stack creates starts empty: until it is filled in, there is no reseller user.
      if (!secret.resellerId) return undefined;
      return {
        resellerId: String(secret.resellerId),
        userId: String(secret.userId ?? '9900'),
        password: String(secret.password ?? ''),
      };
    }
    const resellerId = env('SEQR_RESELLER_ID');
    if (!resellerId) return undefined;
    return { resellerId, userId: env('SEQR_RESELLER_USER_ID') ?? '9900', password: required('SEQR_RESELLER_PASSWORD') };
  })();
  resellerCredentials.catch(() => (resellerCredentials = undefined));
  return resellerCredentials;
}

/** The key shops send as `Authorization: Bearer …`. */
export function shopApiKeySecret(): Promise<string> {
  shopApiKey ??= (async () => {
    const arn = env('SHOP_API_KEY_SECRET_ARN');
    if (arn) {
      const secret = await readSecretJson(arn);
      return String(secret.shopApiKey ?? '');
    }
    return required('SHOP_API_KEY');
  })();
  shopApiKey.catch(() => (shopApiKey = undefined));
  return shopApiKey;
}

/**
 * The key the webhook signs with: the secret's whole string value when
 * deployed (SHOP_WEBHOOK_SECRET_ARN), SHOP_WEBHOOK_SECRET locally.
 */
export function shopWebhookSecret(): Promise<string> {
  webhookSecret ??= (async () => {
    const arn = env('SHOP_WEBHOOK_SECRET_ARN');
    const value = arn ? await readSecretString(arn) : required('SHOP_WEBHOOK_SECRET');
    if (value === '') throw new Error('configuration: the webhook secret is empty');
    return value;
  })();
  webhookSecret.catch(() => (webhookSecret = undefined));
  return webhookSecret;
}

/** Forget cached secrets (tests that change the environment between cases). */
export function resetConfigCache(): void {
  webhookSecret = undefined;
  terminalCredentials = undefined;
  resellerCredentials = undefined;
  shopApiKey = undefined;
}
