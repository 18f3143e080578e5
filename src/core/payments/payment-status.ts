/**
 * Asking SEQR for an invoice's status and acting on the answer. A PAID answer
 * to getPaymentStatus is what commits a payment at SEQR (unasked for 20 s, SEQR
 * reverses it), so the notification path asks at once and retries quickly.
 */
import { statusMessage } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import type { InvoiceSnapshot, StatusUpdate, StoredInvoice, StoredReceipt } from '../invoices/invoice.js';
import type { PaymentDeps } from '../ports.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import type { PaymentStatusResult } from '../seqr/merchant-api.js';
import { pushToSubscribers } from '../subscriptions/push.js';
import { drainOutbox, publishOutbox } from '../events/outbox.js';

/** Storing a status SEQR has confirmed is retried: a PAID answer has already committed the payment. */
const STORE_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

/** The status SEQR gave could not be stored; SEQR itself has the payment. */
export class StatusNotStoredError extends Error {
  override readonly name = 'StatusNotStoredError';
  constructor(
    readonly status: string,
    override readonly cause: unknown,
  ) {
    super(`SEQR said ${status}, but the store could not record it`);
  }
}

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

export function statusUpdateOf(result: PaymentStatusResult): StatusUpdate {
  const receipt = receiptOf(result);
  return {
    status: result.status,
    seqrVersion: result.version,
    ...(result.ersReference ? { ersReference: result.ersReference } : {}),
    ...(receipt ? { receipt } : {}),
  };
}

/**
 * Stores a status SEQR gave (retried: SEQR has it already) and, when this call
 * made the change, pushes it and publishes its event. This is the one place a
 * status change is stored: the store writes the change's event into the
 * invoice's outbox in the same write (src/core/events/outbox.ts), and this
 * call publishes it, or leaves it for the next path that reads the invoice.
 * Returns the invoice as it now stands.
 */
export async function recordStatus<T extends InvoiceSnapshot>(
  deps: PaymentDeps,
  invoice: T,
  update: StatusUpdate,
  log: Logger,
  deadline = deps.clock.now() + 10_000,
): Promise<T | StoredInvoice> {
  let updated: StoredInvoice | undefined;
  try {
    updated = await withRetries(
      STORE_RETRY,
      deadline,
      () => {
        const now = deps.clock.now();
        return deps.invoices.advanceStatus(invoice.invoiceReference, update, now, { expected: invoice, leaseUntil: now + deps.events.leaseMs });
      },
      () => true,
      (error, attempt, delayMs) => log.warn('retrying the status update', { attempt, delayMs, error }),
      deps.clock,
    );
  } catch (error) {
    throw new StatusNotStoredError(update.status, error);
  }
  if (!updated) {
    // Someone else stored a change first (a duplicate notification, a poll): theirs stands.
    const current = await deps.invoices.get(invoice.invoiceReference);
    if (current) await drainOutbox(deps, current);
    return current ?? invoice;
  }
  log.info('invoice status changed', { from: invoice.status, to: updated.status, version: updated.version });
  // The browser first (it waits on a page), then the shop's back end.
  await pushToSubscribers(deps, statusMessage(updated));
  // As it now stands: what this call published is out of the outbox (a caller such as the watch reads that).
  if (!(await publishOutbox(deps, updated))) return updated;
  const { outbox: _published, ...rest } = updated;
  return rest;
}

/**
 * getPaymentStatus, then store what changed and push it. Returns the invoice as
 * it now stands. Throws when SEQR cannot be asked (the caller decides what that means).
 */
export async function refreshFromSeqr<T extends InvoiceSnapshot>(deps: PaymentDeps, invoice: T, log: Logger, options: { deadline?: number } = {}): Promise<T | StoredInvoice> {
  const started = deps.clock.now();
  const result = await deps.seqr.getPaymentStatus(invoice.invoiceReference, invoice.seqrVersion, options);
  log.info('payment status from SEQR', { status: result.status, seqrVersion: result.version, ms: deps.clock.now() - started });
  if (result.status === invoice.status) return invoice;
  return recordStatus(deps, invoice, statusUpdateOf(result), log, options.deadline);
}
