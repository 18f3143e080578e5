/**
 * POST /invoices/{ref}/commit: commitReservation for a RESERVED invoice. The
 * committed payment is PAID at SEQR and, like any payment, must be confirmed
 * with getPaymentStatus (SEQR reverses one it is not asked about), so the
 * status is asked for at once, then stored and pushed.
 *
 * SEQR does not notify a reservation, so the stored status may still read
 * ISSUED when the shopper has reserved: any open invoice is tried, and SEQR's
 * 96 (not reserved) is the answer for those that are not.
 */
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvoiceStateError, PaymentNotConfirmedError } from '../errors.js';
import { refreshFromSeqr } from '../payments/payment-status.js';
import type { PaymentDeps } from '../ports.js';
import type { StoredInvoice } from './invoice.js';
import { loadInvoice, refreshQuietly, resultCodeOf, seqrFailureOf } from './operations.js';
import { isFinal } from './status-rules.js';

/** How long the confirmation after a commit may take. */
const CONFIRM_BUDGET_MS = 10_000;

export async function commitReservation(deps: PaymentDeps, invoiceReference: string, log: Logger): Promise<StoredInvoice> {
  const invoice = await loadInvoice(deps, invoiceReference);
  if (isFinal(invoice)) throw new InvoiceStateError('not_reserved', `The invoice is ${invoice.status}; only a RESERVED invoice can be committed.`);
  try {
    await deps.seqr.commitReservation(invoiceReference);
  } catch (error) {
    if (resultCodeOf(error) === RESULT.INVOICE_STATE_NOT_RESERVED) {
      await refreshQuietly(deps, invoice, log);
      throw new InvoiceStateError('not_reserved', 'SEQR says the invoice is not reserved (INVOICE_STATE_NOT_RESERVED).', RESULT.INVOICE_STATE_NOT_RESERVED);
    }
    throw seqrFailureOf(error, 'commit', log);
  }
  log.info('reservation committed at SEQR');
  try {
    return (await refreshFromSeqr(deps, invoice, log, { deadline: deps.clock.now() + CONFIRM_BUDGET_MS })) as StoredInvoice;
  } catch (error) {
    // SEQR notifies the payment too, and the notification path confirms it then.
    log.error('reservation committed, payment not confirmed yet', { error });
    throw new PaymentNotConfirmedError('The reservation was committed, but the payment could not be confirmed with SEQR yet; its notification will confirm it.');
  }
}
