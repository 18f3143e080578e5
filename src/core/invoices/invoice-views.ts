/** What the routes show of a stored invoice. Hashes and internal fields stay inside. */
import type { StatusView } from '../../contract/index.js';
import type { StoredInvoice } from './invoice.js';

export function qrCodeOf(invoiceReference: string): string {
  return `HTTP://SEQR.SE/R${invoiceReference}`;
}

/** The SEQR app's deep link: the QR code's text with `HTTP:` replaced by `SEQR:`. */
export function appLinkOf(invoiceReference: string): string {
  return `SEQR://SEQR.SE/R${invoiceReference}`;
}

/** GET /invoices/{ref}: the shop's view. */
export function shopView(invoice: StoredInvoice) {
  return {
    invoiceReference: invoice.invoiceReference,
    status: invoice.status,
    version: invoice.version,
    title: invoice.title,
    total: { value: invoice.total, currency: invoice.currency },
    rows: invoice.rows,
    qrCode: invoice.qrCode,
    appLink: appLinkOf(invoice.invoiceReference),
    ...(invoice.clientInvoiceId ? { clientInvoiceId: invoice.clientInvoiceId } : {}),
    ...(invoice.sessionId ? { sessionId: invoice.sessionId } : {}),
    ...(invoice.backUrl ? { backUrl: invoice.backUrl } : {}),
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    ...(invoice.receipt ? { receipt: invoice.receipt } : {}),
    createdAt: invoice.createdAt,
    updatedAt: invoice.updatedAt,
    ...(invoice.paidAt ? { paidAt: invoice.paidAt } : {}),
  };
}

/** GET /invoices/{ref}/status: the browser's view. */
export function statusView(invoice: StoredInvoice): StatusView {
  return {
    invoiceReference: invoice.invoiceReference,
    status: invoice.status,
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    version: invoice.version,
  };
}
