/** Access to an invoice by its subscribe token: what a browser holds. No SEQR here. */
import { HttpError } from '../../adapters/http/http.js';
import { getInvoice, type StoredInvoice } from '../../adapters/dynamodb/invoices.js';
import { tokenMatches } from '../invoices/tokens.js';

/** The invoice if the token is its subscribe token; 404 otherwise, so a wrong token learns nothing. */
export async function invoiceForSubscriber(invoiceReference: string | undefined, token: string | undefined): Promise<StoredInvoice> {
  const invoice = invoiceReference && /^\d{1,32}$/.test(invoiceReference) ? await getInvoice(invoiceReference) : undefined;
  if (!invoice || !tokenMatches(token, invoice.subscribeTokenHash)) {
    throw new HttpError(404, 'not_found', 'No invoice with that reference and token.');
  }
  return invoice;
}
