/**
 * The browser's polling path: the stored status, refreshed from SEQR at most
 * once a second per invoice however many browsers ask.
 */
import type { Logger } from '../../log.js';
import { claimStatusCheck, isFinal, type StoredInvoice } from '../../adapters/dynamodb/invoices.js';
import { StatusNotStoredError, refreshFromSeqr } from './payment-status.js';
import { invoiceForSubscriber } from '../subscriptions/subscriber.js';

const POLL_SEQR_BUDGET_MS = 5_000;

export async function pollStatus(invoiceReference: string, token: string | undefined, log: Logger): Promise<StoredInvoice> {
  const invoice = await invoiceForSubscriber(invoiceReference, token);
  if (isFinal(invoice) || !(await claimStatusCheck(invoiceReference))) return invoice;
  try {
    return await refreshFromSeqr(invoice, log, { deadline: Date.now() + POLL_SEQR_BUDGET_MS });
  } catch (error) {
    if (error instanceof StatusNotStoredError) {
      // SEQR has committed what it said; our store lags. Alarmed like a notification that failed.
      log.error('notification not confirmed', { failedAt: 'store', path: 'status poll', error });
    } else {
      // The stored status is still the truth we have; the next poll asks again.
      log.warn('status poll could not reach SEQR', { error });
    }
    return invoice;
  }
}
