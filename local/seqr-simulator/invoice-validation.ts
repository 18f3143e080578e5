/**
 * Turns a request's `invoice` into a stored invoice, or says which result code
 * SEQR gives for it: 49 INVALID_INVOICE_DATA or 64 INVALID_NOTIFICATION_URL.
 * Text values are kept exactly as sent, so a receipt echoes "0.10", not 0.1.
 */
import { isKnownCurrency } from './currencies.js';
import { compareMoney, parseMoney, sumMoney, ZERO, type Money } from './money.js';
import { list, record, text } from './soap-values.js';

export interface StoredAmount {
  currency: string;
  value: string;
}

export interface StoredRow {
  itemDescription?: string;
  itemDiscount?: StoredAmount;
  itemEAN?: string;
  itemQuantity?: string;
  itemSKU?: string;
  itemTaxRate?: string;
  itemTotalAmount: StoredAmount;
  itemUnit?: string;
  itemUnitPrice?: StoredAmount;
}

export interface StoredInvoice {
  paymentMode?: string;
  acknowledgmentMode?: string;
  issueDate?: string;
  title: string;
  clientInvoiceId?: string;
  invoiceRows?: StoredRow[];
  totalAmount: StoredAmount;
  cashierId?: string;
  footer?: string;
  backURL?: string;
  notificationUrl?: string;
}

export interface ValidInvoice {
  invoice: StoredInvoice;
  total: Money;
  currency: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; code: 49 | 64; reason: string };

const PAYMENT_MODES = new Set(['IMMEDIATE_DEBIT', 'RESERVATION_DESIRED', 'RESERVATION_REQUIRED']);
const ACK_MODES = new Set(['NO_ACKNOWLEDGMENT', 'OPTIONAL_ACKNOWLEDGMENT', 'REQUIRE_ACKNOWLEDGMENT']);
const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

class InvalidInvoice extends Error {
  constructor(
    readonly code: 49 | 64,
    reason: string,
  ) {
    super(reason);
  }
}

function optionalText(value: unknown): string | undefined {
  const t = text(value);
  return t === undefined || t === '' ? undefined : t;
}

function amount(value: unknown, field: string, currency?: string): { stored: StoredAmount; money: Money } {
  const fields = record(value);
  if (!fields) throw new InvalidInvoice(49, `${field} is missing`);
  const code = text(fields.currency) ?? '';
  const raw = text(fields.value) ?? '';
  if (!/^[A-Z]{3}$/.test(code) || !isKnownCurrency(code)) throw new InvalidInvoice(49, `${field}.currency "${code}" is not an ISO 4217 code`);
  if (currency !== undefined && code !== currency) throw new InvalidInvoice(49, `${field}.currency ${code} differs from the total's ${currency}`);
  const money = parseMoney(raw);
  if (!money) throw new InvalidInvoice(49, `${field}.value "${raw}" is not a decimal`);
  return { stored: { currency: code, value: raw.trim() }, money };
}

function decimalText(value: unknown, field: string): string | undefined {
  const t = optionalText(value);
  if (t !== undefined && !DECIMAL.test(t)) throw new InvalidInvoice(49, `${field} "${t}" is not a decimal`);
  return t;
}

function row(value: unknown, index: number, currency: string): { stored: StoredRow; total: Money } {
  const fields = record(value) ?? {};
  const name = `invoiceRows[${index}]`;
  const total = amount(fields.itemTotalAmount, `${name}.itemTotalAmount`, currency);
  const discount = fields.itemDiscount === undefined ? undefined : amount(fields.itemDiscount, `${name}.itemDiscount`, currency);
  const unitPrice = fields.itemUnitPrice === undefined ? undefined : amount(fields.itemUnitPrice, `${name}.itemUnitPrice`, currency);
  const stored: StoredRow = {
    itemDescription: optionalText(fields.itemDescription),
    itemDiscount: discount?.stored,
    itemEAN: optionalText(fields.itemEAN),
    itemQuantity: decimalText(fields.itemQuantity, `${name}.itemQuantity`),
    itemSKU: optionalText(fields.itemSKU),
    itemTaxRate: decimalText(fields.itemTaxRate, `${name}.itemTaxRate`),
    itemTotalAmount: total.stored,
    itemUnit: optionalText(fields.itemUnit),
    itemUnitPrice: unitPrice?.stored,
  };
  return { stored, total: total.money };
}

function notificationUrl(value: unknown): string | undefined {
  const url = optionalText(value);
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInvoice(64, `notificationUrl "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidInvoice(64, `notificationUrl "${url}" is not http(s)`);
  }
  return url;
}

export function validateInvoice(value: unknown): Validation<ValidInvoice> {
  try {
    const fields = record(value);
    if (!fields) throw new InvalidInvoice(49, 'invoice is missing');
    const title = optionalText(fields.title);
    if (title === undefined) throw new InvalidInvoice(49, 'title is missing');
    const paymentMode = optionalText(fields.paymentMode);
    if (paymentMode !== undefined && !PAYMENT_MODES.has(paymentMode)) throw new InvalidInvoice(49, `paymentMode ${paymentMode} is unknown`);
    const acknowledgmentMode = optionalText(fields.acknowledgmentMode);
    if (acknowledgmentMode !== undefined && !ACK_MODES.has(acknowledgmentMode)) {
      throw new InvalidInvoice(49, `acknowledgmentMode ${acknowledgmentMode} is unknown`);
    }
    const total = amount(fields.totalAmount, 'totalAmount');
    if (compareMoney(total.money, ZERO) < 0) throw new InvalidInvoice(49, 'totalAmount is negative');
    const rowsElement = record(fields.invoiceRows);
    const rows = list(rowsElement?.invoiceRow).map((r, i) => row(r, i, total.stored.currency));
    if (rows.length > 0) {
      const sum = sumMoney(rows.map((r) => r.total));
      if (compareMoney(sum, total.money) !== 0) throw new InvalidInvoice(49, 'totalAmount is not the sum of the rows');
    }
    const invoice: StoredInvoice = {
      paymentMode,
      acknowledgmentMode,
      issueDate: optionalText(fields.issueDate),
      title,
      clientInvoiceId: optionalText(fields.clientInvoiceId),
      invoiceRows: rowsElement ? rows.map((r) => r.stored) : undefined,
      totalAmount: total.stored,
      cashierId: optionalText(fields.cashierId),
      footer: optionalText(fields.footer),
      backURL: optionalText(fields.backURL),
      notificationUrl: notificationUrl(fields.notificationUrl),
    };
    return { ok: true, value: { invoice, total: total.money, currency: total.stored.currency } };
  } catch (error) {
    if (error instanceof InvalidInvoice) return { ok: false, code: error.code, reason: error.message };
    throw error;
  }
}

export interface ValidRefund {
  title?: string;
  cashierId?: string;
  amount: Money;
  currency: string;
}

/** refundPayment's invoice: only the amount matters, in the original payment's currency. */
export function validateRefund(value: unknown, currency: string): Validation<ValidRefund> {
  try {
    const fields = record(value);
    if (!fields) throw new InvalidInvoice(49, 'invoice is missing');
    const total = amount(fields.totalAmount, 'totalAmount', currency);
    return {
      ok: true,
      value: { title: optionalText(fields.title), cashierId: optionalText(fields.cashierId), amount: total.money, currency },
    };
  } catch (error) {
    if (error instanceof InvalidInvoice) return { ok: false, code: error.code, reason: error.message };
    throw error;
  }
}
