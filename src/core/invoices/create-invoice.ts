/**
 * Creating an invoice: price it, register it with SEQR (sendInvoice) with a
 * notificationUrl unique to this purchase, then store it. If the store write
 * fails the SEQR invoice is cancelled, so nothing is left half-made.
 */
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { SeqrFailedError, SeqrRejectedError, SeqrUnavailableError, StoreUnavailableError } from '../errors.js';
import type { PaymentDeps } from '../ports.js';
import { SeqrError, SeqrTransportError } from '../seqr/errors.js';
import { epochSeconds, type StoredInvoice } from './invoice.js';
import { storedContentsOf, toSeqrRows, type PricedInvoice } from './invoice-request.js';
import { appLinkOf, qrCodeOf } from './invoice-views.js';
import { hashToken, newToken } from './tokens.js';
import { idempotent, type IdempotencyDeps, type IdempotentOutcome } from '../idempotency/idempotency.js';
import { startWatchQuietly, type InvoiceWatch } from '../watch/watch.js';

export interface CreatedInvoice {
  invoiceReference: string;
  qrCode: string;
  appLink: string;
  status: 'ISSUED';
  total: { value: string; currency: string };
  subscribeToken: string;
  statusUrl: string;
  websocketUrl: string;
}

/** Where the invoice's URLs point, and how long it is kept. */
export interface InvoiceSettings {
  /** Public base URL of the HTTP API (notificationUrl, statusUrl); no trailing slash. */
  publicBaseUrl: string;
  /** Public WebSocket URL browsers connect to; no trailing slash. */
  websocketUrl: string;
  /** Days an invoice is kept before DynamoDB's TTL deletes it. */
  retentionDays: number;
}

export type CreateInvoiceDeps = Pick<PaymentDeps, 'seqr' | 'invoices' | 'clock'> & {
  settings: InvoiceSettings;
  /** The watch and payment timeout (src/core/watch/): each new invoice's first message is sent here. None: not watched. */
  watch?: InvoiceWatch;
};

export async function createInvoice(deps: CreateInvoiceDeps, invoice: PricedInvoice, log: Logger): Promise<CreatedInvoice> {
  const now = new Date(deps.clock.now());
  const notificationToken = newToken();
  const subscribeToken = newToken();
  const base = deps.settings.publicBaseUrl;
  let sent;
  try {
    sent = await deps.seqr.sendInvoice({
      title: invoice.title,
      clientInvoiceId: invoice.clientInvoiceId,
      issueDate: now.toISOString(),
      invoiceRows: toSeqrRows(invoice),
      totalAmount: { currency: invoice.currency, value: invoice.total },
      backURL: invoice.backUrl,
      cashierId: invoice.cashierId,
      footer: invoice.footer,
      paymentMode: invoice.paymentMode,
      notificationUrl: `${base}/seqr/notifications/${notificationToken}`,
    });
  } catch (error) {
    throw seqrFailure(error, log);
  }
  const invoiceReference = sent.invoiceReference;
  const logger = log.with({ invoiceReference });
  const stored: StoredInvoice = {
    invoiceReference,
    status: 'ISSUED',
    version: 1,
    seqrVersion: 0,
    ...storedContentsOf(invoice),
    qrCode: sent.invoiceQRCode || qrCodeOf(invoiceReference),
    notificationTokenHash: hashToken(notificationToken),
    subscribeTokenHash: hashToken(subscribeToken),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: epochSeconds(now.getTime()) + deps.settings.retentionDays * 86_400,
  };
  try {
    await deps.invoices.create(stored);
  } catch (error) {
    logger.error('could not store the invoice; cancelling it at SEQR', { error });
    await deps.seqr
      .cancelInvoice(invoiceReference)
      .catch((cancelError: unknown) => logger.error('could not cancel the unstored invoice', { error: cancelError }));
    throw new StoreUnavailableError('The invoice could not be stored; nothing was charged. Try again.');
  }
  logger.info('invoice created', { total: invoice.total, currency: invoice.currency, rows: invoice.rows.length });
  if (deps.watch) await startWatchQuietly({ ...deps.watch, clock: deps.clock }, invoiceReference, now.getTime(), logger);
  return {
    invoiceReference,
    qrCode: stored.qrCode,
    appLink: appLinkOf(invoiceReference),
    status: 'ISSUED',
    total: { value: invoice.total, currency: invoice.currency },
    subscribeToken,
    statusUrl: `${base}/invoices/${invoiceReference}/status?token=${subscribeToken}`,
    websocketUrl: `${deps.settings.websocketUrl}/?invoice=${invoiceReference}&token=${subscribeToken}`,
  };
}

/**
 * POST /invoices with an Idempotency-Key: a retried checkout (same key, same
 * body) gets the first invoice back and SEQR sees one sendInvoice. Without a
 * key, every request is a new invoice.
 */
export async function createInvoiceOnce(
  deps: CreateInvoiceDeps & IdempotencyDeps,
  invoice: PricedInvoice,
  request: { body: unknown; idempotencyKey?: string },
  log: Logger,
): Promise<IdempotentOutcome<CreatedInvoice>> {
  if (!request.idempotencyKey) return { result: await createInvoice(deps, invoice, log), replayed: false };
  return idempotent(deps, { scope: 'POST /invoices', key: request.idempotencyKey, body: request.body }, { run: () => createInvoice(deps, invoice, log) });
}

function seqrFailure(error: unknown, log: Logger): unknown {
  if (error instanceof SeqrError) {
    log.warn('SEQR refused the invoice', { resultCode: error.resultCode, codeName: error.codeName });
    // These are about the invoice the shop sent; INVALID_NOTIFICATION_URL would be our own notificationUrl (PUBLIC_BASE_URL).
    if (error.resultCode === RESULT.INVALID_INVOICE_DATA || error.resultCode === RESULT.REJECTED_AMOUNT) {
      return new SeqrRejectedError(`SEQR refused the invoice: ${error.codeName}.`, error.resultCode, error.codeName);
    }
    return new SeqrFailedError(`SEQR answered ${error.codeName}.`, error.resultCode, error.codeName);
  }
  if (error instanceof SeqrTransportError) {
    log.error('SEQR unreachable', { failure: error.failure });
    return new SeqrUnavailableError();
  }
  return error;
}
