/**
 * `return` payloads in XSD sequence order. node-soap writes an object's keys in
 * insertion order and does not reorder them by the schema, so every builder
 * here lists fields exactly as the WSDL's sequences do; strict clients (CXF,
 * JAXB) reject out-of-order children.
 */
import { resultCodeName } from '../../src/contract/index.js';
import type { StoredAmount, StoredInvoice, StoredRow } from './invoice-validation.js';
import type { Report } from './reports.js';
import type { InvoiceRecord } from './state.js';

type Fields = Record<string, unknown>;

/** Drops undefined keys, keeping the order of the rest. */
function ordered(fields: Fields): Fields {
  const out: Fields = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out;
}

/** erswsResponse: ersReference?, resultCode, resultDescription, then the extension's fields. */
export function erswsReturn(resultCode: number, extension: Fields = {}, ersReference?: string): { return: Fields } {
  return { return: ordered({ ersReference, resultCode, resultDescription: resultCodeName(resultCode), ...ordered(extension) }) };
}

function amount(value: StoredAmount | undefined): Fields | undefined {
  return value && ordered({ currency: value.currency, value: value.value });
}

function row(value: StoredRow): Fields {
  return ordered({
    itemDescription: value.itemDescription,
    itemDiscount: amount(value.itemDiscount),
    itemEAN: value.itemEAN,
    itemQuantity: value.itemQuantity,
    itemSKU: value.itemSKU,
    itemTaxRate: value.itemTaxRate,
    itemTotalAmount: amount(value.itemTotalAmount),
    itemUnit: value.itemUnit,
    itemUnitPrice: amount(value.itemUnitPrice),
  });
}

export function invoiceFields(value: StoredInvoice): Fields {
  return ordered({
    paymentMode: value.paymentMode,
    acknowledgmentMode: value.acknowledgmentMode,
    issueDate: value.issueDate,
    title: value.title,
    clientInvoiceId: value.clientInvoiceId,
    invoiceRows: value.invoiceRows && value.invoiceRows.length > 0 ? { invoiceRow: value.invoiceRows.map(row) } : undefined,
    totalAmount: amount(value.totalAmount),
    cashierId: value.cashierId,
    footer: value.footer,
    backURL: value.backURL,
    notificationUrl: value.notificationUrl,
  });
}

export function receiptFields(invoice: InvoiceRecord, receiverName: string): Fields | undefined {
  const payment = invoice.payment;
  if (!payment) return undefined;
  return ordered({
    terminalId: invoice.terminalId,
    paymentDate: payment.paidAt.toISOString(),
    clientInvoiceId: invoice.invoice.clientInvoiceId,
    invoiceReference: invoice.invoiceReference,
    paymentReference: payment.paymentReference,
    payerTerminalId: payment.payerTerminalId,
    receiverName,
    invoice: invoiceFields(invoice.invoice),
  });
}

/** erswsPaymentStatusResponse: status, receipt, customerTokens, version (mandatory, so 0 on errors). */
export function paymentStatusReturn(resultCode: number, invoice?: InvoiceRecord, receiverName = ''): { return: Fields } {
  if (resultCode !== 0 || !invoice) return erswsReturn(resultCode, { version: 0 });
  const paid = invoice.status === 'PAID';
  return erswsReturn(
    0,
    {
      status: invoice.status,
      receipt: paid ? receiptFields(invoice, receiverName) : undefined,
      version: invoice.version,
    },
    paid ? invoice.payment?.ersReference : undefined,
  );
}

export function reportFields(report: Report): Fields {
  return ordered({ title: report.title, mimeType: report.mimeType, content: report.content, contentString: report.contentString });
}

/** The fields an operation's return must carry even when it fails (XSD minOccurs=1). */
export function failureReturn(operation: string, resultCode: number): { return: Fields } {
  return operation === 'getPaymentStatus' ? paymentStatusReturn(resultCode) : erswsReturn(resultCode);
}
