/**
 * POST /invoices/{ref}/receipt: submitPaymentReceipt for a PAID invoice (SEQR's
 * certification step 3). The document may be empty, as SEQR allows; what was
 * sent is stored on the invoice.
 */
import * as z from 'zod/mini';
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvoiceStateError, StoreUnavailableError } from '../errors.js';
import type { InvoiceStore, SeqrMerchantApi, Clock } from '../ports.js';
import { withRetries } from '../retry.js';
import type { SentReceipt, StoredInvoice } from './invoice.js';
import { parseBody } from './invoice-request.js';
import { loadInvoice, resultCodeOf, seqrFailureOf } from './operations.js';

export const RECEIPT_TYPES = ['PAYMENT_RECEIPT', 'WARRANTY', 'VOUCHER', 'OTHER'] as const;

const base64 = (value: string) => value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);

const receiptSchema = z.strictObject({
  document: z.optional(
    z.strictObject({
      mimeType: z.string().check(z.maxLength(100, 'must be at most 100 characters'), z.regex(/^[\w.+-]+\/[\w.+-]+$/, 'must be a media type such as "text/html"')),
      data: z.string().check(z.refine(base64, 'must be base64 (it may be empty)')),
      type: z.optional(z.enum(RECEIPT_TYPES, `must be one of ${RECEIPT_TYPES.join(', ')}`)),
    }),
  ),
});

export type ReceiptDocumentRequest = Omit<SentReceipt, 'submittedAt'>;

/** The body (absent or `{}` sends an empty HTML receipt); throws InvalidRequestError naming the field. */
export function parseReceiptRequest(body: unknown): ReceiptDocumentRequest {
  const parsed = body === undefined ? {} : parseBody(receiptSchema, body, 'a receipt request');
  const document = parsed.document;
  return { mimeType: document?.mimeType ?? 'text/html', data: document?.data ?? '', type: document?.type ?? 'PAYMENT_RECEIPT' };
}

export interface ReceiptStore {
  /** Stores the document as sent on the invoice; returns the invoice. */
  recordReceipt(invoiceReference: string, receipt: SentReceipt): Promise<StoredInvoice | undefined>;
}

export interface SubmitReceiptDeps {
  seqr: SeqrMerchantApi;
  invoices: InvoiceStore;
  receipts: ReceiptStore;
  clock: Clock;
}

export async function submitReceipt(deps: SubmitReceiptDeps, invoiceReference: string, document: ReceiptDocumentRequest, log: Logger): Promise<StoredInvoice> {
  const invoice = await loadInvoice(deps, invoiceReference);
  if (invoice.status !== 'PAID' || !invoice.ersReference) {
    throw new InvoiceStateError('not_paid', `The invoice is ${invoice.status}; a receipt is for a PAID invoice.`);
  }
  try {
    await deps.seqr.submitPaymentReceipt(invoice.ersReference, { mimeType: document.mimeType, receiptData: document.data, receiptType: document.type });
  } catch (error) {
    if (resultCodeOf(error) === RESULT.INVALID_ERS_REFERENCE) {
      throw new InvoiceStateError('not_paid', 'SEQR no longer knows this payment (INVALID_ERS_REFERENCE): it was reversed.', RESULT.INVALID_ERS_REFERENCE);
    }
    throw seqrFailureOf(error, 'receipt', log);
  }
  const sent: SentReceipt = { ...document, submittedAt: new Date(deps.clock.now()).toISOString() };
  log.info('payment receipt submitted', { mimeType: sent.mimeType, type: sent.type, bytes: Buffer.byteLength(sent.data, 'base64') });
  try {
    const stored = await withRetries(
      { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 },
      deps.clock.now() + 5_000,
      () => deps.receipts.recordReceipt(invoiceReference, sent),
      () => true,
      undefined,
      deps.clock,
    );
    return stored ?? { ...invoice, paymentReceipt: sent };
  } catch (error) {
    log.error('receipt sent to SEQR but not stored', { error });
    throw new StoreUnavailableError('SEQR has the receipt, but it could not be stored; sending it again is harmless.', 'not_stored');
  }
}
