/**
 * PUT /invoices/{ref}: updateInvoice with new rows and attributes while the
 * invoice is ISSUED. The stored rows and total change only once SEQR said 0.
 *
 * updateInvoice replaces the whole invoice at SEQR, notificationUrl included,
 * and only the token's hash is stored: the update carries a new notification
 * token, whose hash replaces the old one once SEQR has taken it. SEQR refuses
 * an update while the shopper is paying (48), so no payment can be notified
 * to the new URL before the new hash is stored.
 */
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvoiceStateError, StoreUnavailableError } from '../errors.js';
import type { PaymentDeps } from '../ports.js';
import { withRetries } from '../retry.js';
import type { InvoiceSettings } from './create-invoice.js';
import type { StoredInvoice } from './invoice.js';
import { storedContentsOf, toSeqrRows, type PricedInvoice } from './invoice-request.js';
import { loadInvoice, refreshQuietly, resultCodeOf, seqrFailureOf } from './operations.js';
import { isFinal } from './status-rules.js';
import { hashToken, newToken } from './tokens.js';

/** What an update replaces of the stored invoice. */
export type InvoiceContents = Pick<StoredInvoice, 'title' | 'currency' | 'total' | 'rows' | 'notificationTokenHash'> &
  Partial<Pick<StoredInvoice, 'clientInvoiceId' | 'backUrl' | 'sessionId' | 'footer' | 'cashierId' | 'paymentMode'>>;

export interface InvoiceContentStore {
  /** Replaces the contents of an invoice that is not final; undefined when it is (or is gone). */
  replaceContents(invoiceReference: string, contents: InvoiceContents, now: number): Promise<StoredInvoice | undefined>;
}

export type UpdateInvoiceDeps = PaymentDeps & { contents: InvoiceContentStore; settings: Pick<InvoiceSettings, 'publicBaseUrl'> };

export async function updateInvoice(deps: UpdateInvoiceDeps, invoiceReference: string, invoice: PricedInvoice, log: Logger): Promise<StoredInvoice> {
  const stored = await loadInvoice(deps, invoiceReference);
  if (isFinal(stored)) throw new InvoiceStateError('invoice_final', `The invoice is ${stored.status}; it can no longer be changed.`);
  if (stored.status !== 'ISSUED') {
    throw new InvoiceStateError('payment_in_progress', `The invoice is ${stored.status}: the shopper has acted on it, so it can no longer be changed.`);
  }
  const notificationToken = newToken();
  try {
    await deps.seqr.updateInvoice(invoiceReference, {
      paymentMode: invoice.paymentMode,
      issueDate: stored.createdAt,
      title: invoice.title,
      clientInvoiceId: invoice.clientInvoiceId,
      invoiceRows: toSeqrRows(invoice),
      totalAmount: { currency: invoice.currency, value: invoice.total },
      cashierId: invoice.cashierId,
      footer: invoice.footer,
      backURL: invoice.backUrl,
      notificationUrl: `${deps.settings.publicBaseUrl}/seqr/notifications/${notificationToken}`,
    });
  } catch (error) {
    switch (resultCodeOf(error)) {
      case RESULT.PAYMENT_IN_PROGRESS:
        throw new InvoiceStateError('payment_in_progress', 'The shopper is paying this invoice right now; it cannot be changed.', RESULT.PAYMENT_IN_PROGRESS);
      case RESULT.REJECTED_BUSINESS_LOGIC:
        // Final at SEQR (paid, canceled in the app, expired) before we heard: learn which.
        await refreshQuietly(deps, stored, log);
        throw new InvoiceStateError('invoice_final', 'SEQR says the invoice is already final (REJECTED_BUSINESS_LOGIC); it can no longer be changed.', RESULT.REJECTED_BUSINESS_LOGIC);
      default:
        throw seqrFailureOf(error, 'update', log);
    }
  }
  const contents: InvoiceContents = {
    ...storedContentsOf(invoice),
    notificationTokenHash: hashToken(notificationToken),
  };
  let updated: StoredInvoice | undefined;
  try {
    // SEQR holds the new invoice now: the store must follow, so the write is retried.
    updated = await withRetries(
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
      deps.clock.now() + 8_000,
      () => deps.contents.replaceContents(invoiceReference, contents, deps.clock.now()),
      () => true,
      (error, attempt, delayMs) => log.warn('retrying the invoice update', { attempt, delayMs, error }),
      deps.clock,
    );
  } catch (error) {
    log.error('SEQR took the update but the store did not', { error });
    throw new StoreUnavailableError('SEQR has the updated invoice, but it could not be stored yet; send the same update again.', 'not_stored');
  }
  log.info('invoice updated', { total: invoice.total, currency: invoice.currency, rows: invoice.rows.length });
  return updated ?? (await loadInvoice(deps, invoiceReference));
}
