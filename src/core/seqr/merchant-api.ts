/**
 * The SEQR merchant API in TypeScript, field for field as the WSDL declares it
 * (ERSWSExternalClientService, namespace http://external.interfaces.ers.seamless.com/).
 * Decimals stay strings (`"50.00"`), longs stay strings, dates keep their offsets.
 */
import type { InvoiceStatus } from '../../contract/index.js';

export interface SeqrAmount {
  currency: string;
  /** Exact decimal, e.g. "25.00". */
  value: string;
}

export interface SeqrInvoiceRow {
  itemDescription?: string;
  itemDiscount?: SeqrAmount;
  itemEAN?: string;
  /** Exact decimal, at least 1. */
  itemQuantity: string;
  itemSKU?: string;
  /** Percent, e.g. "25" (SEQR's convention since 2016). */
  itemTaxRate?: string;
  itemTotalAmount: SeqrAmount;
  itemUnit?: string;
  itemUnitPrice?: SeqrAmount;
}

export type PaymentMode = 'IMMEDIATE_DEBIT' | 'RESERVATION_DESIRED' | 'RESERVATION_REQUIRED';
export type AcknowledgmentMode = 'NO_ACKNOWLEDGMENT' | 'OPTIONAL_ACKNOWLEDGMENT' | 'REQUIRE_ACKNOWLEDGMENT';

export interface SeqrInvoice {
  paymentMode?: PaymentMode;
  acknowledgmentMode?: AcknowledgmentMode;
  /** xs:dateTime; defaults to now. */
  issueDate?: string;
  title: string;
  clientInvoiceId?: string;
  invoiceRows?: SeqrInvoiceRow[];
  totalAmount: SeqrAmount;
  cashierId?: string;
  footer?: string;
  backURL?: string;
  notificationUrl?: string;
}

export interface SeqrReceipt {
  terminalId?: string;
  paymentDate?: string;
  clientInvoiceId?: string;
  invoiceReference?: string;
  paymentReference?: string;
  payerTerminalId?: string;
  receiverName?: string;
  invoice?: Partial<SeqrInvoice>;
}

export interface SeqrCustomerToken {
  description?: string;
  id?: string;
  status: number;
  value?: string;
}

export interface SendInvoiceResult {
  invoiceReference: string;
  invoiceQRCode: string;
}

export interface PaymentStatusResult {
  status: InvoiceStatus;
  version: number;
  ersReference?: string;
  receipt?: SeqrReceipt;
  customerTokens?: SeqrCustomerToken[];
}

export interface ReceiptDocument {
  mimeType: string;
  /** Base64 of the receipt; may be empty. */
  receiptData: string;
  receiptType: 'PAYMENT_RECEIPT' | 'WARRANTY' | 'VOUCHER' | 'OTHER';
}

export interface RefundInvoice {
  title: string;
  /** What is refunded, row by row; they add up to totalAmount. */
  invoiceRows?: SeqrInvoiceRow[];
  cashierId?: string;
  totalAmount: SeqrAmount;
}

export interface SeqrReport {
  title?: string;
  mimeType?: string;
  /** Base64 content, as sent. */
  content?: string;
  contentString?: string;
}

/** The webshop operations of SEQR's merchant API. */
export interface SeqrMerchantApi {
  sendInvoice(invoice: SeqrInvoice): Promise<SendInvoiceResult>;
  /** `deadline` (epoch ms): give up, and stop retrying, then. */
  getPaymentStatus(invoiceReference: string, invoiceVersion?: number, options?: { deadline?: number }): Promise<PaymentStatusResult>;
  updateInvoice(invoiceReference: string, invoice: SeqrInvoice): Promise<void>;
  cancelInvoice(invoiceReference: string): Promise<void>;
  commitReservation(invoiceReference: string): Promise<void>;
  submitPaymentReceipt(ersReference: string, receiptDocument: ReceiptDocument): Promise<void>;
  /** Returns the refund's own ersReference. */
  refundPayment(ersReference: string, invoice: RefundInvoice): Promise<{ ersReference: string }>;
  /** Parameters such as `TERMINALID`; returns the closed period's id. */
  markTransactionPeriod(parameters?: Record<string, string>): Promise<{ transactionPeriodId: string }>;
  /** Waits and retries REPORT_NOT_READY (code 2), bounded. */
  executeReport(reportId: string, language: string, parameters: Record<string, string>): Promise<SeqrReport>;
}
