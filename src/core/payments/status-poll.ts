/**
 * The browser's polling path: the stored status, refreshed from SEQR at most
 * once a second per invoice however many browsers ask.
 */
import type { Logger } from '../../log.js';
import type { InvoiceSnapshot, StoredInvoice } from '../invoices/invoice.js';
import { STATUS_CHECK_INTERVAL_MS, isFinal } from '../invoices/status-rules.js';
import type { PaymentDeps } from '../ports.js';
import { invoiceForSubscriber } from '../subscriptions/subscriber.js';
import { StatusNotStoredError, refreshFromSeqr } from './payment-status.js';
import { drainOutbox } from '../events/outbox.js';

const POLL_SEQR_BUDGET_MS = 5_000;

/**
 * Refreshes an open invoice from SEQR if its once-a-second slot is free; the
 * stored invoice otherwise, or when SEQR cannot be asked (the next poll asks again).
 */
export async function refreshIfDue<T extends InvoiceSnapshot>(deps: PaymentDeps, invoice: T, log: Logger, path: string): Promise<T | StoredInvoice> {
  const now = deps.clock.now();
  if (isFinal(invoice) || !(await deps.invoices.claimStatusCheck(invoice.invoiceReference, STATUS_CHECK_INTERVAL_MS, now))) return invoice;
  try {
    return await refreshFromSeqr(deps, invoice, log, { deadline: now + POLL_SEQR_BUDGET_MS });
  } catch (error) {
    if (error instanceof StatusNotStoredError) {
      // SEQR has committed what it said; our store lags. Alarmed like a notification that failed.
      log.error('notification not confirmed', { failedAt: 'store', path, error });
    } else {
      log.warn('status check could not reach SEQR', { path, error });
    }
    return invoice;
  }
}

export async function pollStatus(deps: PaymentDeps, invoiceReference: string, token: string | undefined, log: Logger): Promise<StoredInvoice> {
  const invoice = await invoiceForSubscriber(deps, invoiceReference, token);
  // Events a writer left behind (it failed or died after its write) go now.
  await drainOutbox(deps, invoice);
  return refreshIfDue(deps, invoice, log, 'status poll');
}
