/**
 * Creating an invoice: price it, register it with SEQR (sendInvoice) with a
 * notificationUrl unique to this purchase, then store it. If the store write
 * fails the SEQR invoice is cancelled, so nothing is left half-made.
 */
import { config } from '../../config.js';
import { HttpError } from '../../adapters/http/http.js';
import type { Logger } from '../../log.js';
import { getSeqrClient } from '../../adapters/seqr/client.js';
import { SeqrError, SeqrTransportError } from '../seqr/errors.js';
import { createInvoice as storeInvoice, invoiceExpiry, type StoredInvoice } from '../../adapters/dynamodb/invoices.js';
import { toSeqrRows, type PricedInvoice } from './invoice-request.js';
import { appLinkOf, qrCodeOf } from './invoice-views.js';
import { hashToken, newToken } from './tokens.js';

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

export async function createInvoice(invoice: PricedInvoice, log: Logger, now = new Date()): Promise<CreatedInvoice> {
  const notificationToken = newToken();
  const subscribeToken = newToken();
  const base = config.publicBaseUrl;
  let sent;
  try {
    sent = await getSeqrClient().sendInvoice({
      title: invoice.title,
      clientInvoiceId: invoice.clientInvoiceId,
      issueDate: now.toISOString(),
      invoiceRows: toSeqrRows(invoice),
      totalAmount: { currency: invoice.currency, value: invoice.total },
      backURL: invoice.backUrl,
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
    title: invoice.title,
    currency: invoice.currency,
    total: invoice.total,
    rows: invoice.rows,
    qrCode: sent.invoiceQRCode || qrCodeOf(invoiceReference),
    ...(invoice.clientInvoiceId ? { clientInvoiceId: invoice.clientInvoiceId } : {}),
    ...(invoice.backUrl ? { backUrl: invoice.backUrl } : {}),
    ...(invoice.sessionId ? { sessionId: invoice.sessionId } : {}),
    notificationTokenHash: hashToken(notificationToken),
    subscribeTokenHash: hashToken(subscribeToken),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: invoiceExpiry(now.getTime()),
  };
  try {
    await storeInvoice(stored);
  } catch (error) {
    logger.error('could not store the invoice; cancelling it at SEQR', { error });
    await getSeqrClient()
      .cancelInvoice(invoiceReference)
      .catch((cancelError: unknown) => logger.error('could not cancel the unstored invoice', { error: cancelError }));
    throw new HttpError(503, 'store_unavailable', 'The invoice could not be stored; nothing was charged. Try again.');
  }
  logger.info('invoice created', { total: invoice.total, currency: invoice.currency, rows: invoice.rows.length });
  return {
    invoiceReference,
    qrCode: stored.qrCode,
    appLink: appLinkOf(invoiceReference),
    status: 'ISSUED',
    total: { value: invoice.total, currency: invoice.currency },
    subscribeToken,
    statusUrl: `${base}/invoices/${invoiceReference}/status?token=${subscribeToken}`,
    websocketUrl: `${config.websocketUrl}/?invoice=${invoiceReference}&token=${subscribeToken}`,
  };
}

function seqrFailure(error: unknown, log: Logger): unknown {
  if (error instanceof SeqrError) {
    log.warn('SEQR refused the invoice', { resultCode: error.resultCode, codeName: error.codeName });
    // 49 and 11 are about the invoice the shop sent; 64 would be our own notificationUrl (PUBLIC_BASE_URL), so a 502.
    if (error.resultCode === 49 || error.resultCode === 11) {
      return new HttpError(422, 'seqr_rejected', `SEQR refused the invoice: ${error.codeName}.`);
    }
    return new HttpError(502, 'seqr_error', `SEQR answered ${error.codeName}.`);
  }
  if (error instanceof SeqrTransportError) {
    log.error('SEQR unreachable', { failure: error.failure });
    return new HttpError(503, 'seqr_unavailable', 'SEQR could not be reached; try again shortly.');
  }
  return error;
}
