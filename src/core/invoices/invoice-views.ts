/** What the routes show of a stored invoice. Hashes and internal fields stay inside. */
import type { StatusView } from '../../contract/index.js';
import { formatMinor, minorUnitDigits, toScaled } from '../money.js';
import type { StoredInvoice, StoredRefund } from './invoice.js';

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
    ...(invoice.footer ? { footer: invoice.footer } : {}),
    ...(invoice.cashierId ? { cashierId: invoice.cashierId } : {}),
    ...(invoice.paymentMode ? { paymentMode: invoice.paymentMode } : {}),
    refunds: refundsOf(invoice).map((refund) => refundView(invoice, refund)),
    refundedTotal: { value: refundedTotal(invoice), currency: invoice.currency },
    ...(invoice.paymentReceipt ? { paymentReceipt: invoice.paymentReceipt } : {}),
    createdAt: invoice.createdAt,
    updatedAt: invoice.updatedAt,
    ...(invoice.paidAt ? { paidAt: invoice.paidAt } : {}),
  };
}

/** The invoice's refunds, oldest first. */
export function refundsOf(invoice: Pick<StoredInvoice, 'refunds'>): StoredRefund[] {
  return Object.values(invoice.refunds ?? {}).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.refundId.localeCompare(b.refundId));
}

/** The sum of the refunds SEQR has made, as an exact decimal string. */
export function refundedTotal(invoice: Pick<StoredInvoice, 'refunds' | 'currency'>): string {
  const digits = minorUnitDigits(invoice.currency);
  const sum = refundsOf(invoice)
    .filter((refund) => refund.state === 'SUCCEEDED')
    .reduce((total, refund) => total + (toScaled(refund.amount, digits) ?? 0n), 0n);
  return formatMinor(sum, digits);
}

/** One refund as GET /invoices/{ref} lists it: SUCCEEDED, or PENDING while SEQR's answer is not known. */
export function refundView(invoice: Pick<StoredInvoice, 'currency'>, refund: StoredRefund) {
  return {
    refundId: refund.refundId,
    status: refund.state === 'SUCCEEDED' ? 'SUCCEEDED' : 'PENDING',
    amount: { value: refund.amount, currency: invoice.currency },
    title: refund.title,
    ...(refund.ersReference ? { ersReference: refund.ersReference } : {}),
    ...(refund.rows ? { rows: refund.rows } : {}),
    createdAt: refund.createdAt,
    ...(refund.completedAt ? { completedAt: refund.completedAt } : {}),
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
