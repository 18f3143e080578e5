/**
 * SEQR's call to our notificationUrl: the token in the path names the invoice;
 * the body (empty, or `invoiceReference=…`) is only a cross-check.
 */
import { HttpError } from '../../adapters/http/http.js';
import type { Logger } from '../../log.js';
import { sleep } from '../retry.js';
import { findInvoiceByNotificationTokenHash, type StoredInvoice } from '../../adapters/dynamodb/invoices.js';
import { StatusNotStoredError, confirmPayment } from './payment-status.js';
import { hashToken } from '../invoices/tokens.js';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

async function invoiceForToken(token: string): Promise<StoredInvoice | undefined> {
  const hash = hashToken(token);
  const found = await findInvoiceByNotificationTokenHash(hash);
  if (found) return found;
  // The token index is eventually consistent: one short second look before calling it unknown.
  await sleep(150);
  return findInvoiceByNotificationTokenHash(hash);
}

export async function handleNotification(token: string | undefined, body: string, log: Logger): Promise<StoredInvoice> {
  const receivedAt = Date.now();
  if (!token || !TOKEN_SHAPE.test(token)) throw new HttpError(404, 'not_found', 'Unknown notification.');
  const invoice = await invoiceForToken(token);
  if (!invoice) {
    log.warn('notification for an unknown token');
    throw new HttpError(404, 'not_found', 'Unknown notification.');
  }
  const logger = log.with({ invoiceReference: invoice.invoiceReference });
  const named = new URLSearchParams(body).get('invoiceReference');
  if (named && named !== invoice.invoiceReference) {
    logger.warn('notification body names another invoice; the token decides', { bodyInvoiceReference: named });
  }
  logger.info('notification received', { storedStatus: invoice.status });
  try {
    return await confirmPayment(invoice, logger, receivedAt);
  } catch (error) {
    // The alarm on this line tells the shop a payment needs a look: SEQR may reverse it
    // (failedAt: seqr), or SEQR has it but our store does not yet (failedAt: store).
    const failedAt = error instanceof StatusNotStoredError ? 'store' : 'seqr';
    logger.error('notification not confirmed', { failedAt, error, ms: Date.now() - receivedAt });
    if (failedAt === 'store') throw new HttpError(503, 'not_stored', 'The payment was confirmed with SEQR but could not be stored yet.');
    throw new HttpError(502, 'not_confirmed', 'The payment status could not be confirmed with SEQR.');
  }
}
