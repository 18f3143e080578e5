/**
 * What the shop's operations on an invoice share (update, cancel, commit,
 * receipt, refunds): finding the invoice, and learning SEQR's status when SEQR
 * said something our stored status did not expect.
 */
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvoiceNotFoundError, SeqrFailedError, SeqrRejectedError, SeqrUnavailableError } from '../errors.js';
import { refreshFromSeqr } from '../payments/payment-status.js';
import type { InvoiceStore, PaymentDeps } from '../ports.js';
import { drainOutbox, hasPendingEvents } from '../events/outbox.js';
import { SeqrError, SeqrTransportError } from '../seqr/errors.js';
import { isInvoiceReference } from '../subscriptions/subscriber.js';
import type { StoredInvoice } from './invoice.js';

/**
 * The stored invoice, or not_found naming the path's invoiceReference. A path
 * that publishes (deps with `events`) first drains events an earlier run left
 * in the outbox (a retry of an operation that failed after its write).
 */
export async function loadInvoice(
  deps: { invoices: InvoiceStore } & Partial<Pick<PaymentDeps, 'events' | 'clock' | 'log'>>,
  invoiceReference: string,
): Promise<StoredInvoice> {
  const invoice = isInvoiceReference(invoiceReference) ? await deps.invoices.get(invoiceReference) : undefined;
  if (!invoice) throw new InvoiceNotFoundError('No invoice with that reference.', 'invoiceReference');
  const { events, clock, log } = deps;
  if (events && clock && log && hasPendingEvents(invoice)) await drainOutbox({ invoices: deps.invoices, events, clock, log }, invoice);
  return invoice;
}

/**
 * SEQR's answer says the invoice is not what we stored (paid, canceled in the
 * app, expired): ask SEQR now, so the store and every subscribed browser learn
 * it at once. A PAID answer here also confirms the payment with SEQR. Never throws.
 */
export async function refreshQuietly(deps: PaymentDeps, invoice: StoredInvoice, log: Logger): Promise<void> {
  try {
    await refreshFromSeqr(deps, invoice, log, { deadline: deps.clock.now() + 5_000 });
  } catch (error) {
    log.warn('could not refresh the status from SEQR', { error });
  }
}

/**
 * A SEQR failure no rule of the operation names: 11 and 49 are about what the
 * shop sent (422), other codes about us or SEQR (502), no answer 503.
 */
export function seqrFailureOf(error: unknown, operation: string, log: Logger): unknown {
  if (error instanceof SeqrError) {
    log.warn(`SEQR refused ${operation}`, { resultCode: error.resultCode, codeName: error.codeName });
    if (error.resultCode === RESULT.REJECTED_AMOUNT || error.resultCode === RESULT.INVALID_INVOICE_DATA) {
      return new SeqrRejectedError(`SEQR refused the ${operation}: ${error.codeName}.`, error.resultCode, error.codeName);
    }
    return new SeqrFailedError(`SEQR answered ${error.codeName} to the ${operation}.`, error.resultCode, error.codeName);
  }
  if (error instanceof SeqrTransportError) {
    log.error('SEQR unreachable', { operation, failure: error.failure });
    return new SeqrUnavailableError();
  }
  return error;
}

/** The SEQR result code of an error, if SEQR answered one. */
export function resultCodeOf(error: unknown): number | undefined {
  return error instanceof SeqrError ? error.resultCode : undefined;
}
