/**
 * Asking SEQR for an invoice's status and acting on the answer. A PAID answer
 * to getPaymentStatus is what commits a payment at SEQR (unasked for 20 s, SEQR
 * reverses it), so the notification path asks at once and retries quickly.
 */
import type { Logger } from '../../log.js';
import { getSeqrClient } from '../../adapters/seqr/client.js';
import { pushToSubscribers, statusMessage } from '../../adapters/apigateway/push.js';
import { advanceStatus, getInvoice, type StoredInvoice, type StoredReceipt } from '../../adapters/dynamodb/invoices.js';
import type { PaymentStatusResult } from '../seqr/merchant-api.js';
import { withRetries, type RetryPolicy } from '../retry.js';

/** Storing a status SEQR has confirmed is retried: a PAID answer has already committed the payment. */
const STORE_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

/** The status SEQR gave could not be stored; SEQR itself has the payment. */
export class StatusNotStoredError extends Error {
  override readonly name = 'StatusNotStoredError';
  constructor(readonly status: string, override readonly cause: unknown) {
    super(`SEQR said ${status}, but the store could not record it`);
  }
}

/** How long the notification path may keep asking SEQR: well inside its 20 s window. */
export const CONFIRMATION_BUDGET_MS = Number(process.env.CONFIRMATION_BUDGET_MS ?? 12_000);

function receiptOf(result: PaymentStatusResult): StoredReceipt | undefined {
  const r = result.receipt;
  if (!r) return undefined;
  return {
    ...(r.paymentReference ? { paymentReference: String(r.paymentReference) } : {}),
    ...(r.paymentDate ? { paymentDate: String(r.paymentDate) } : {}),
    ...(r.payerTerminalId ? { payerTerminalId: String(r.payerTerminalId) } : {}),
    ...(r.receiverName ? { receiverName: String(r.receiverName) } : {}),
    ...(r.terminalId ? { terminalId: String(r.terminalId) } : {}),
  };
}

/**
 * getPaymentStatus, then store what changed and push it. Returns the invoice as
 * it now stands. Throws when SEQR cannot be asked (the caller decides what that means).
 */
export async function refreshFromSeqr(invoice: StoredInvoice, log: Logger, options: { deadline?: number } = {}): Promise<StoredInvoice> {
  const started = Date.now();
  const result = await getSeqrClient().getPaymentStatus(invoice.invoiceReference, invoice.seqrVersion, options);
  log.info('payment status from SEQR', { status: result.status, seqrVersion: result.version, ms: Date.now() - started });
  if (result.status === invoice.status) return invoice;
  const receipt = receiptOf(result);
  const update = {
    status: result.status,
    seqrVersion: result.version,
    ...(result.ersReference ? { ersReference: result.ersReference } : {}),
    ...(receipt ? { receipt } : {}),
  };
  let updated: StoredInvoice | undefined;
  try {
    updated = await withRetries(
      STORE_RETRY,
      options.deadline ?? Date.now() + 10_000,
      () => advanceStatus(invoice.invoiceReference, update),
      () => true,
      (error, attempt, delayMs) => log.warn('retrying the status update', { attempt, delayMs, error }),
    );
  } catch (error) {
    throw new StatusNotStoredError(result.status, error);
  }
  if (!updated) {
    // Someone else stored a change first (a duplicate notification, a poll): theirs stands.
    return (await getInvoice(invoice.invoiceReference)) ?? invoice;
  }
  log.info('invoice status changed', { from: invoice.status, to: updated.status, version: updated.version });
  await pushToSubscribers(statusMessage(updated), log);
  return updated;
}

/**
 * The notification path: confirm with SEQR now. An invoice already stored as
 * PAID was confirmed by whoever stored it; it is only pushed again (pushes are
 * once per connection, so this sends nothing twice). Any other stored status,
 * final or not, is asked about: SEQR notifies only payments.
 */
export async function confirmPayment(invoice: StoredInvoice, log: Logger, receivedAt = Date.now()): Promise<StoredInvoice> {
  if (invoice.status === 'PAID') {
    await pushToSubscribers(statusMessage(invoice), log);
    return invoice;
  }
  return refreshFromSeqr(invoice, log, { deadline: receivedAt + CONFIRMATION_BUDGET_MS });
}
