/** Access to an invoice by its subscribe token: what a browser holds. No SEQR here. */
import { InvoiceNotFoundError } from '../errors.js';
import type { StoredInvoice } from '../invoices/invoice.js';
import { tokenMatches } from '../invoices/tokens.js';
import type { InvoiceStore } from '../ports.js';

/** SEQR's invoice references are digits; anything else is looked up nowhere. */
const REFERENCE_SHAPE = /^\d{1,32}$/;

export function isInvoiceReference(value: string | undefined): value is string {
  return value !== undefined && REFERENCE_SHAPE.test(value);
}

/** The invoice if the token is its subscribe token; not found otherwise, so a wrong token learns nothing. */
export async function invoiceForSubscriber(deps: { invoices: InvoiceStore }, invoiceReference: string | undefined, token: string | undefined): Promise<StoredInvoice> {
  const invoice = isInvoiceReference(invoiceReference) ? await deps.invoices.get(invoiceReference) : undefined;
  if (!invoice || !tokenMatches(token, invoice.subscribeTokenHash)) {
    throw new InvoiceNotFoundError('No invoice with that reference and token.');
  }
  return invoice;
}
