/** POST /invoices/{invoiceReference}/cancel (shop → us, Bearer shop key): cancelInvoice; CANCELED stored and pushed. */
import { cancelInvoice } from '../../core/invoices/cancel-invoice.js';
import { noFieldOperation } from './operation.js';

export const handler = noFieldOperation(cancelInvoice);
