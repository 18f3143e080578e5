/**
 * A typed client for SEQR's merchant SOAP API on the `soap` package.
 *
 * - The WSDL is read from `merchant.wsdl` beside this module (the CDK bundling
 *   copies it beside the bundle), never fetched at cold start.
 * - Requests are built in XSD sequence order: strict servers reject others.
 * - Decimals, longs and dates are kept as the strings SEQR sent.
 * - A non-zero resultCode becomes a SeqrError; anything else that goes wrong
 *   on the wire becomes a SeqrTransportError. Neither ever carries the password.
 * - Only getPaymentStatus retries on its own: it is a read, and a PAID answer
 *   is what confirms a payment with SEQR. Writes never retry blindly.
 */
import { fileURLToPath } from 'node:url';
import { createClientAsync, type Client } from 'soap';
import { config, seqrResellerCredentials, seqrTerminalCredentials } from '../../config.js';
import type { SeqrResellerCredentials, SeqrTerminalCredentials } from '../../config.js';
import { createLogger, type Logger } from '../../log.js';
import { SeqrError, SeqrTransportError } from '../../core/seqr/errors.js';
import { INVOICE_STATUSES, TRANSIENT_RESULT_CODES, type InvoiceStatus } from '../../contract/index.js';
import { sleep, withRetries, type RetryPolicy } from '../../core/retry.js';
import type {
  PaymentStatusResult,
  ReceiptDocument,
  RefundInvoice,
  SendInvoiceResult,
  SeqrAmount,
  SeqrInvoice,
  SeqrInvoiceRow,
  SeqrMerchantApi,
  SeqrReceipt,
  SeqrReport,
} from '../../core/seqr/merchant-api.js';

export interface SeqrClientOptions {
  endpointUrl: string;
  terminalCredentials: () => Promise<SeqrTerminalCredentials>;
  resellerCredentials?: () => Promise<SeqrResellerCredentials | undefined>;
  clientId: string;
  clientReference: string;
  /** Time-out of one SOAP call. */
  timeoutMs: number;
  /** Retries of getPaymentStatus on transport errors and codes 90, 93, 94. */
  statusRetry?: RetryPolicy;
  /** executeReport: how long to wait between REPORT_NOT_READY answers, and how many to accept. */
  reportRetry?: { delayMs: number; attempts: number };
  wsdlPath?: string;
  logger?: Logger;
}

export interface CallOptions {
  /** Give up (and stop retrying) at this epoch millisecond. */
  deadline?: number;
}

export const DEFAULT_STATUS_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 150, maxDelayMs: 1_000 };
const DEFAULT_REPORT_RETRY = { delayMs: 4_000, attempts: 10 };
const WSDL_FILE = fileURLToPath(new URL('./merchant.wsdl', import.meta.url));

/** Keep SEQR's scalars as the text it sent: amounts must stay exact. */
const KEEP_TEXT = { decimal: (text: string) => text, long: (text: string) => text, dateTime: (text: string) => text };

interface SeqrReturn {
  ersReference?: string;
  resultCode: number;
  resultDescription?: string;
  [field: string]: unknown;
}

type Principal = { id: string; type: 'TERMINALID' | 'RESELLERUSER'; userId?: string };

export class SeqrClient implements SeqrMerchantApi {
  private soapClient?: Promise<Client>;
  private readonly log: Logger;

  constructor(private readonly options: SeqrClientOptions) {
    this.log = options.logger ?? createLogger({ component: 'seqr-client' });
  }

  async sendInvoice(invoice: SeqrInvoice): Promise<SendInvoiceResult> {
    const result = await this.call('sendInvoice', { context: await this.terminalContext(), invoice: invoiceXml(invoice) });
    return { invoiceReference: String(result.invoiceReference), invoiceQRCode: String(result.invoiceQRCode) };
  }

  async getPaymentStatus(invoiceReference: string, invoiceVersion = 0, options: CallOptions = {}): Promise<PaymentStatusResult> {
    const policy = this.options.statusRetry ?? DEFAULT_STATUS_RETRY;
    const deadline = options.deadline ?? Date.now() + this.options.timeoutMs * policy.attempts;
    const context = await this.terminalContext();
    const attempt = async (remainingMs: number) => {
      const answer = await this.call('getPaymentStatus', { context, invoiceReference, invoiceVersion }, Math.max(1, Math.min(this.options.timeoutMs, remainingMs)));
      // A status we do not know (or none) must not reach the store: a bad answer, retried like a transport error.
      const known = (INVOICE_STATUSES as readonly string[]).includes(String(answer.status ?? ''));
      if (!known) throw new SeqrTransportError('getPaymentStatus', 'malformed', `unknown invoice status "${String(answer.status ?? '').slice(0, 40)}"`);
      return answer;
    };
    const result = await withRetries(policy, deadline, attempt, isRetryableRead, (error, n, delayMs) =>
      this.log.warn('retrying getPaymentStatus', { invoiceReference, attempt: n, delayMs, error: describe(error) }),
    );
    const status = String(result.status);
    return {
      status: status as InvoiceStatus,
      version: Number(result.version ?? 0),
      ...(result.ersReference ? { ersReference: String(result.ersReference) } : {}),
      ...(result.receipt ? { receipt: result.receipt as SeqrReceipt } : {}),
      ...(result.customerTokens ? { customerTokens: asArray((result.customerTokens as { token?: unknown }).token) as never } : {}),
    };
  }

  async updateInvoice(invoiceReference: string, invoice: SeqrInvoice): Promise<void> {
    await this.call('updateInvoice', { context: await this.terminalContext(), invoiceReference, invoice: invoiceXml(invoice) });
  }

  async cancelInvoice(invoiceReference: string): Promise<void> {
    await this.call('cancelInvoice', { context: await this.terminalContext(), invoiceReference });
  }

  async commitReservation(invoiceReference: string): Promise<void> {
    await this.call('commitReservation', { context: await this.terminalContext(), invoiceReference });
  }

  async submitPaymentReceipt(ersReference: string, receiptDocument: ReceiptDocument): Promise<void> {
    await this.call('submitPaymentReceipt', {
      context: await this.terminalContext(),
      ersReference,
      receiptDocument: {
        mimeType: receiptDocument.mimeType,
        receiptData: receiptDocument.receiptData,
        receiptType: receiptDocument.receiptType,
      },
    });
  }

  async refundPayment(ersReference: string, invoice: RefundInvoice): Promise<{ ersReference: string }> {
    const result = await this.call('refundPayment', {
      context: await this.terminalContext(),
      ersReference,
      invoice: ordered(
        {
          title: invoice.title,
          invoiceRows: invoice.invoiceRows ? { invoiceRow: invoice.invoiceRows.map(rowXml) } : undefined,
          totalAmount: amountXml(invoice.totalAmount),
          cashierId: invoice.cashierId,
        },
        INVOICE_ORDER,
      ),
    });
    return { ersReference: String(result.ersReference ?? '') };
  }

  async markTransactionPeriod(parameters?: Record<string, string>): Promise<{ transactionPeriodId: string }> {
    const result = await this.call('markTransactionPeriod', {
      context: await this.resellerContext(),
      ...(parameters && Object.keys(parameters).length > 0 ? { parameters: parameterMap(parameters) } : {}),
    });
    return { transactionPeriodId: String(result.transactionPeriodId ?? '') };
  }

  async executeReport(reportId: string, language: string, parameters: Record<string, string>): Promise<SeqrReport> {
    const retry = this.options.reportRetry ?? DEFAULT_REPORT_RETRY;
    const context = await this.resellerContext();
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.call('executeReport', { context, reportId, language, parameters: parameterMap(parameters) });
        return (result.report ?? {}) as SeqrReport;
      } catch (error) {
        if (!(error instanceof SeqrError && error.resultCode === 2) || attempt >= retry.attempts) throw error;
        this.log.info('report not ready, waiting', { reportId, attempt, delayMs: retry.delayMs });
        await sleep(retry.delayMs);
      }
    }
  }

  /**
   * Parses the WSDL now, so the first call does not pay for it. Lambda runs module
   * scope in its init phase: a handler that calls this there moves the cost off the
   * first request's clock (for a notification, off SEQR's 20 s).
   */
  warmUp(): void {
    this.client().catch((error: unknown) => this.log.warn('SOAP client warm-up failed; the first call retries', { error }));
  }

  /** Calls one operation and returns its `return` element, or throws a typed error. */
  private async call(operation: string, args: Record<string, unknown>, timeoutMs = this.options.timeoutMs): Promise<SeqrReturn> {
    const client = await this.client();
    const method = (client as unknown as Record<string, (a: unknown, o: unknown) => Promise<[unknown]>>)[`${operation}Async`];
    if (!method) throw new Error(`the WSDL has no operation ${operation}`);
    const started = Date.now();
    let response: unknown;
    try {
      [response] = await method.call(client, args, { timeout: timeoutMs });
    } catch (error) {
      throw toTransportError(operation, error, timeoutMs);
    }
    const result = (response as { return?: SeqrReturn } | null)?.return;
    if (!result || result.resultCode === undefined) {
      throw new SeqrTransportError(operation, 'malformed', 'the response has no return/resultCode');
    }
    const resultCode = Number(result.resultCode);
    this.log.debug('seqr call', {
      operation,
      invoiceReference: args.invoiceReference,
      resultCode,
      ms: Date.now() - started,
    });
    if (resultCode !== 0) throw new SeqrError(operation, resultCode, result.resultDescription);
    return result;
  }

  private client(): Promise<Client> {
    this.soapClient ??= (async () => {
      const wsdl = this.options.wsdlPath ?? WSDL_FILE;
      return createClientAsync(wsdl, { customDeserializer: KEEP_TEXT }, this.options.endpointUrl);
    })();
    this.soapClient.catch(() => (this.soapClient = undefined));
    return this.soapClient;
  }

  private async terminalContext() {
    const credentials = await this.options.terminalCredentials();
    return this.context({ id: credentials.terminalId, type: 'TERMINALID' }, credentials.password);
  }

  private async resellerContext() {
    const reseller = await this.options.resellerCredentials?.();
    if (!reseller) {
      // SEQR also takes these operations from a terminal where the reseller user is not configured.
      return this.terminalContext();
    }
    return this.context({ id: reseller.resellerId, type: 'RESELLERUSER', userId: reseller.userId }, reseller.password);
  }

  private context(principal: Principal, password: string) {
    return {
      channel: 'WS',
      clientId: this.options.clientId,
      clientReference: this.options.clientReference,
      clientRequestTimeout: '0',
      initiatorPrincipalId: ordered({ ...principal }, ['id', 'type', 'userId']),
      password,
    };
  }
}

const INVOICE_ORDER = [
  'paymentMode',
  'acknowledgmentMode',
  'issueDate',
  'title',
  'clientInvoiceId',
  'invoiceRows',
  'totalAmount',
  'cashierId',
  'footer',
  'backURL',
  'notificationUrl',
];
const ROW_ORDER = [
  'itemDescription',
  'itemDiscount',
  'itemEAN',
  'itemQuantity',
  'itemSKU',
  'itemTaxRate',
  'itemTotalAmount',
  'itemUnit',
  'itemUnitPrice',
];

/** A copy of `fields` with keys in `order` and undefined ones left out: soap writes keys as given. */
function ordered(fields: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) if (fields[key] !== undefined) out[key] = fields[key];
  return out;
}

function amountXml(amount: SeqrAmount) {
  return { currency: amount.currency, value: amount.value };
}

function rowXml(row: SeqrInvoiceRow) {
  return ordered(
    {
      ...row,
      itemDiscount: row.itemDiscount && amountXml(row.itemDiscount),
      itemTotalAmount: amountXml(row.itemTotalAmount),
      itemUnitPrice: row.itemUnitPrice && amountXml(row.itemUnitPrice),
    },
    ROW_ORDER,
  );
}

function invoiceXml(invoice: SeqrInvoice) {
  return ordered(
    {
      paymentMode: invoice.paymentMode ?? 'IMMEDIATE_DEBIT',
      // Without it SEQR v2 leaves the app waiting for an acknowledgment.
      acknowledgmentMode: invoice.acknowledgmentMode ?? 'NO_ACKNOWLEDGMENT',
      issueDate: invoice.issueDate ?? new Date().toISOString(),
      title: invoice.title,
      clientInvoiceId: invoice.clientInvoiceId,
      invoiceRows: invoice.invoiceRows ? { invoiceRow: invoice.invoiceRows.map(rowXml) } : undefined,
      totalAmount: amountXml(invoice.totalAmount),
      cashierId: invoice.cashierId,
      footer: invoice.footer,
      backURL: invoice.backURL,
      notificationUrl: invoice.notificationUrl,
    },
    INVOICE_ORDER,
  );
}

function parameterMap(parameters: Record<string, string>) {
  return { parameter: { entry: Object.entries(parameters).map(([key, value]) => ({ key, value })) } };
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function isRetryableRead(error: unknown): boolean {
  if (error instanceof SeqrTransportError) return true;
  return error instanceof SeqrError && TRANSIENT_RESULT_CODES.has(error.resultCode);
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof SeqrError) return { name: error.name, resultCode: error.resultCode, codeName: error.codeName };
  if (error instanceof SeqrTransportError) return { name: error.name, failure: error.failure, message: error.message };
  return { message: String(error) };
}

/**
 * Turns whatever soap or axios threw into a typed error. The original error is
 * not kept: it holds the request, and the request holds the password.
 */
function toTransportError(operation: string, error: unknown, timeoutMs: number): SeqrTransportError {
  const e = error as {
    code?: string;
    message?: string;
    response?: { status?: number };
    root?: { Envelope?: { Body?: { Fault?: { faultcode?: string; faultstring?: string } } } };
  };
  const fault = e?.root?.Envelope?.Body?.Fault;
  if (fault) {
    return new SeqrTransportError(operation, 'soap-fault', `${fault.faultcode ?? 'Fault'}: ${fault.faultstring ?? ''}`, e.response?.status);
  }
  if (e?.code === 'ECONNABORTED' || e?.code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '')) {
    return new SeqrTransportError(operation, 'timeout', `no answer within ${timeoutMs} ms`);
  }
  if (e?.response?.status !== undefined) {
    return new SeqrTransportError(operation, 'http', `HTTP ${e.response.status}`, e.response.status);
  }
  if (e?.code) return new SeqrTransportError(operation, 'network', e.code);
  return new SeqrTransportError(operation, 'malformed', 'could not read the response');
}

let shared: SeqrClient | undefined;

/** A SEQR client configured from the environment, with options of the caller's (e.g. a reportRetry of its own). */
export function createSeqrClient(overrides: Partial<SeqrClientOptions> = {}): SeqrClient {
  return new SeqrClient({
    endpointUrl: config.seqrEndpointUrl,
    terminalCredentials: seqrTerminalCredentials,
    resellerCredentials: seqrResellerCredentials,
    clientId: config.seqrClientId,
    clientReference: config.seqrClientReference,
    timeoutMs: config.seqrTimeoutMs,
    ...overrides,
  });
}

/** The process's one SEQR client, configured from the environment. */
export function getSeqrClient(): SeqrClient {
  shared ??= createSeqrClient();
  return shared;
}

/**
 * Starts parsing the WSDL and reading the terminal credentials (Secrets Manager,
 * deployed) for the process's client; never throws: a misconfiguration surfaces
 * on the first call, with its context.
 */
export function warmUpSeqrClient(): void {
  try {
    getSeqrClient().warmUp();
    seqrTerminalCredentials().catch(() => undefined);
  } catch {
    // Configuration errors are reported by the first real call, with its context.
  }
}

/**
 * The process's client as the core's SeqrMerchantApi port, resolved on each
 * call: importing a handler never needs SEQR's configuration, and a test that
 * resets the client gets a new one.
 */
export const seqrFromConfig: SeqrMerchantApi = {
  sendInvoice: (invoice) => getSeqrClient().sendInvoice(invoice),
  getPaymentStatus: (invoiceReference, invoiceVersion, options) => getSeqrClient().getPaymentStatus(invoiceReference, invoiceVersion, options),
  updateInvoice: (invoiceReference, invoice) => getSeqrClient().updateInvoice(invoiceReference, invoice),
  cancelInvoice: (invoiceReference) => getSeqrClient().cancelInvoice(invoiceReference),
  commitReservation: (invoiceReference) => getSeqrClient().commitReservation(invoiceReference),
  submitPaymentReceipt: (ersReference, document) => getSeqrClient().submitPaymentReceipt(ersReference, document),
  refundPayment: (ersReference, invoice) => getSeqrClient().refundPayment(ersReference, invoice),
  markTransactionPeriod: (parameters) => getSeqrClient().markTransactionPeriod(parameters),
  executeReport: (reportId, language, parameters) => getSeqrClient().executeReport(reportId, language, parameters),
};

/** Drop the process's client (tests that point it at another simulator). */
export function resetSeqrClient(): void {
  shared = undefined;
}
