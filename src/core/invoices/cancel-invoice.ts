/**
 * POST /invoices/{ref}/cancel: cancelInvoice at SEQR, then CANCELED stored and
 * pushed to every subscribed browser, as a payment is. An invoice already
 * stored as CANCELED is answered as it is, without asking SEQR again.
 */
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvoiceStateError } from '../errors.js';
import { recordStatus } from '../payments/payment-status.js';
import type { PaymentDeps } from '../ports.js';
import type { StoredInvoice } from './invoice.js';
import { loadInvoice, refreshQuietly, resultCodeOf, seqrFailureOf } from './operations.js';
import { isFinal } from './status-rules.js';

export async function cancelInvoice(deps: PaymentDeps, invoiceReference: string, log: Logger): Promise<StoredInvoice> {
  const invoice = await loadInvoice(deps, invoiceReference);
  if (invoice.status === 'CANCELED') return invoice;
  if (invoice.status === 'PAID') throw new InvoiceStateError('already_paid', 'The invoice is paid; refund it instead.');
  if (isFinal(invoice)) throw new InvoiceStateError('invoice_final', `The invoice is ${invoice.status}; there is nothing to cancel.`);
  try {
    await deps.seqr.cancelInvoice(invoiceReference);
  } catch (error) {
    switch (resultCodeOf(error)) {
      case RESULT.INVOICE_ALREADY_CANCELED:
        // Canceled already (in the app, or by an earlier try of ours): store it as such.
        break;
      case RESULT.CANNOT_CANCEL_PAID_INVOICE:
        // Paid at SEQR before we heard: asking now stores PAID and confirms the payment.
        await refreshQuietly(deps, invoice, log);
        throw new InvoiceStateError('already_paid', 'SEQR says the invoice is paid (CANNOT_CANCEL_PAID_INVOICE); refund it instead.', RESULT.CANNOT_CANCEL_PAID_INVOICE);
      case RESULT.CANNOT_CANCEL_INVOICE_IN_PROGRESS:
      case RESULT.PAYMENT_IN_PROGRESS:
        throw new InvoiceStateError('payment_in_progress', 'The shopper is paying this invoice right now; it cannot be canceled.', resultCodeOf(error));
      case RESULT.REJECTED_BUSINESS_LOGIC:
        // SEQR has it final (failed or expired) while we had it open.
        await refreshQuietly(deps, invoice, log);
        throw new InvoiceStateError('invoice_final', 'SEQR says the invoice is already final (REJECTED_BUSINESS_LOGIC).', RESULT.REJECTED_BUSINESS_LOGIC);
      default:
        throw seqrFailureOf(error, 'cancel', log);
    }
  }
  log.info('invoice canceled at SEQR');
  // The SEQR version is not in cancelInvoice's answer: the stored one stands (a final status moves no further).
  const stored = await recordStatus(deps, invoice, { status: 'CANCELED', seqrVersion: invoice.seqrVersion }, log);
  return stored as StoredInvoice;
}
