/**
 * POST /invoices/{ref}/refunds: partial refunds of a PAID invoice's payment,
 * with refundPayment and the payment's ersReference. Every refund needs an
 * Idempotency-Key, and the refunds of a payment never add up to more than it.
 *
 * The order of things, so that no retry, race or crash refunds twice:
 * 1. The body is checked (400s) and, when the key is new, the invoice too
 *    (404, 409 not_paid, 422 over the total): a refused request writes nothing.
 * 2. The key is claimed (src/core/idempotency/idempotency.ts) with a new refundId.
 * 3. The refund is stored PENDING on the invoice by one conditional write that
 *    also holds its amount against the paid total (refundReservedMinor): two
 *    refunds racing cannot both fit when only one does.
 * 4. SEQR is asked. A result code means nothing was refunded: the hold and the
 *    key are released. No answer (a time-out) means it may have been: the
 *    refund turns UNKNOWN, its amount stays held, and the key keeps answering
 *    `refund_outcome_unknown` without asking SEQR again.
 * 5. SUCCEEDED with SEQR's ersReference is stored, then the answer under the key.
 *
 * A retry whose first run died in between finds out from what step 3 left: no
 * refund (died before SEQR was asked: run again), SUCCEEDED (answer from it),
 * PENDING (SEQR may have been asked: UNKNOWN). SEQR offers no way to look a
 * refund up, so an UNKNOWN refund is settled by a person (see the README).
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { RESULT } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import { InvalidRequestError, InvoiceStateError, RefundOutcomeUnknownError } from '../errors.js';
import { idempotent, type IdempotencyDeps, type IdempotencyRecord, type IdempotentOutcome } from '../idempotency/idempotency.js';
import type { InvoiceRow } from '../invoices/invoice-request.js';
import { parseBody, priceRows, rowsSchema, text, toSeqrRows } from '../invoices/invoice-request.js';
import type { StoredInvoice, StoredRefund } from '../invoices/invoice.js';
import { refundedTotal } from '../invoices/invoice-views.js';
import { loadInvoice, resultCodeOf, seqrFailureOf } from '../invoices/operations.js';
import { formatMinor, isKnownCurrency, minorUnitDigits, toScaled } from '../money.js';
import type { EventPublisher, InvoiceStore, SeqrMerchantApi } from '../ports.js';
import { publishOutbox } from '../events/outbox.js';
import { withRetries } from '../retry.js';
import { SeqrError, SeqrTransportError } from '../seqr/errors.js';

const amountSchema = z.strictObject({
  value: z.string().check(z.regex(/^\d{1,12}(\.\d{1,6})?$/, 'must be a positive decimal string such as "30.00"')),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "SEK"'), z.refine(isKnownCurrency, 'is not a known ISO 4217 currency')),
});

const refundSchema = z.strictObject({
  amount: amountSchema,
  title: z.optional(text(200)),
  rows: z.optional(rowsSchema),
});

export interface RefundRequest {
  /** Exact decimal with the currency's digits. */
  amount: string;
  amountMinor: bigint;
  currency: string;
  title?: string;
  rows?: InvoiceRow[];
}

/** Checks and prices the body; every refusal names its field. Rows, when given, must add up to the amount. */
export function parseRefundRequest(body: unknown): RefundRequest {
  const parsed = parseBody(refundSchema, body, 'a refund');
  const { currency } = parsed.amount;
  const digits = minorUnitDigits(currency);
  const amountMinor = toScaled(parsed.amount.value, digits);
  if (amountMinor === undefined) throw new InvalidRequestError('invalid_field', `amount.value has more decimals than ${currency} allows (${digits}).`, 'amount.value');
  if (amountMinor <= 0n) throw new InvalidRequestError('invalid_field', 'amount.value must be more than zero.', 'amount.value');
  let rows: InvoiceRow[] | undefined;
  if (parsed.rows) {
    const priced = priceRows(parsed.rows, currency);
    if (priced.totalMinor !== amountMinor) {
      throw new InvalidRequestError('invalid_field', `The rows add up to ${formatMinor(priced.totalMinor, digits)}, not amount.value ${formatMinor(amountMinor, digits)}.`, 'rows');
    }
    rows = priced.rows;
  }
  return {
    amount: formatMinor(amountMinor, digits),
    amountMinor,
    currency,
    ...(parsed.title ? { title: parsed.title } : {}),
    ...(rows ? { rows } : {}),
  };
}

/** The 201 answer, and what a retry with the same key gets again. */
export interface RefundAnswer {
  refundId: string;
  ersReference: string;
  amount: { value: string; currency: string };
  refundedTotal: { value: string; currency: string };
  createdAt: string;
}

/** Refunds, on the invoice item (src/adapters/dynamodb/refunds.ts). Every write is conditional. */
export interface RefundStore {
  /**
   * Stores the PENDING refund and holds its amount, if the invoice is PAID and
   * the held amounts, this one included, stay within `totalMinor`. False when not.
   */
  reserve(invoiceReference: string, refund: StoredRefund, totalMinor: bigint, needsMap: boolean): Promise<boolean>;
  /**
   * PENDING or UNKNOWN → SUCCEEDED with SEQR's ersReference; in the same write
   * the invoice's version is bumped and the Refund Completed event appended to
   * its outbox (`refundCompletedEntry`, src/core/events/outbox.ts), the outbox
   * held by the writer until `leaseUntil`. Returns the invoice.
   */
  complete(invoiceReference: string, refundId: string, ersReference: string, now: number, leaseUntil?: number): Promise<StoredInvoice | undefined>;
  /** Removes a PENDING refund and its hold: SEQR refused it. */
  release(invoiceReference: string, refundId: string, amountMinor: number): Promise<void>;
  /** PENDING → UNKNOWN: SEQR was asked and did not answer. */
  markUnknown(invoiceReference: string, refundId: string): Promise<void>;
}

export type RefundDeps = IdempotencyDeps & { seqr: SeqrMerchantApi; invoices: InvoiceStore; refunds: RefundStore; events: EventPublisher; log: Logger };

function totalMinorOf(invoice: StoredInvoice): bigint {
  return toScaled(invoice.total, minorUnitDigits(invoice.currency)) ?? 0n;
}

/** 409/422 for an invoice that cannot take this refund now. */
function checkRefundable(invoice: StoredInvoice, request: RefundRequest): void {
  if (request.currency !== invoice.currency) {
    throw new InvalidRequestError('invalid_field', `amount.currency must be the invoice's currency, ${invoice.currency}.`, 'amount.currency');
  }
  if (invoice.status !== 'PAID' || !invoice.ersReference) {
    throw new InvoiceStateError('not_paid', `The invoice is ${invoice.status}; only a PAID invoice can be refunded.`);
  }
  const held = BigInt(invoice.refundReservedMinor ?? 0);
  const total = totalMinorOf(invoice);
  if (held + request.amountMinor > total) {
    const digits = minorUnitDigits(invoice.currency);
    throw new InvoiceStateError(
      'refund_exceeds_paid_total',
      `Refunds would add up to ${formatMinor(held + request.amountMinor, digits)} ${invoice.currency}, more than the ${invoice.total} paid (${formatMinor(total - held, digits)} left to refund).`,
    );
  }
}

function answerOf(invoice: StoredInvoice, refund: StoredRefund): RefundAnswer {
  return {
    refundId: refund.refundId,
    ersReference: refund.ersReference ?? '',
    amount: { value: refund.amount, currency: invoice.currency },
    refundedTotal: { value: refundedTotal(invoice), currency: invoice.currency },
    createdAt: refund.createdAt,
  };
}

function seqrRefusal(error: SeqrError, log: Logger): unknown {
  switch (error.resultCode) {
    case RESULT.INVALID_ERS_REFERENCE:
      return new InvoiceStateError('payment_not_refundable', 'SEQR does not know this payment (INVALID_ERS_REFERENCE): it may have been reversed.', error.resultCode);
    case RESULT.PAYMENT_IN_PROGRESS:
      return new InvoiceStateError('payment_in_progress', 'SEQR has not committed the payment yet (PAYMENT_IN_PROGRESS); try the refund again shortly.', error.resultCode);
    case RESULT.RESELLER_NOT_ALLOWED_TO_DO_REFUND:
      return new InvoiceStateError('reseller_refunds_not_allowed', 'SEQR does not let this terminal’s reseller make refunds (RESELLER_NOT_ALLOWED_TO_DO_REFUND).', error.resultCode);
    case RESULT.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION:
      return new InvoiceStateError('refund_exceeds_paid_total', 'SEQR says the refunds would add up to more than the payment (SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION).', error.resultCode);
    case RESULT.RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS:
      return new InvoiceStateError('receiver_refunds_not_allowed', 'The receiving SEQR account does not allow refunds (RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS).', error.resultCode);
    default:
      return seqrFailureOf(error, 'refund', log);
  }
}

export async function refundPayment(
  deps: RefundDeps,
  invoiceReference: string,
  request: RefundRequest,
  call: { idempotencyKey: string; body: unknown },
  log: Logger,
): Promise<IdempotentOutcome<RefundAnswer>> {
  let checked: StoredInvoice | undefined;
  return idempotent<RefundAnswer>(
    deps,
    { scope: `POST /invoices/${invoiceReference}/refunds`, key: call.idempotencyKey, body: call.body },
    {
      before: async () => {
        checked = await loadInvoice(deps, invoiceReference);
        checkRefundable(checked, request);
      },
      note: () => ({ refundId: randomUUID() }),
      run: async (note) => run(deps, checked ?? (await loadInvoice(deps, invoiceReference)), request, note!.refundId!, log),
      recover: (record) => recover(deps, invoiceReference, record, log),
      keepRecordOn: (error) => error instanceof RefundOutcomeUnknownError,
    },
  );
}

async function run(deps: RefundDeps, invoice: StoredInvoice, request: RefundRequest, refundId: string, log: Logger): Promise<RefundAnswer> {
  const logger = log.with({ refundId });
  checkRefundable(invoice, request);
  const refund: StoredRefund = {
    refundId,
    state: 'PENDING',
    amount: request.amount,
    amountMinor: Number(request.amountMinor),
    title: request.title ?? `Refund: ${invoice.title}`.slice(0, 200),
    ...(request.rows ? { rows: request.rows } : {}),
    createdAt: new Date(deps.clock.now()).toISOString(),
  };
  if (!(await deps.refunds.reserve(invoice.invoiceReference, refund, totalMinorOf(invoice), invoice.refunds === undefined))) {
    // Another refund took the room, or the invoice changed: say which, from what is stored now.
    checkRefundable(await loadInvoice(deps, invoice.invoiceReference), request);
    throw new InvoiceStateError('refund_exceeds_paid_total', 'Another refund of this payment was made at the same moment; the sum would be more than the payment.');
  }
  let ersReference: string;
  try {
    ({ ersReference } = await deps.seqr.refundPayment(invoice.ersReference!, {
      title: refund.title,
      ...(invoice.cashierId ? { cashierId: invoice.cashierId } : {}),
      totalAmount: { currency: invoice.currency, value: refund.amount },
      ...(request.rows ? { invoiceRows: toSeqrRows({ rows: request.rows, currency: invoice.currency }) } : {}),
    }));
  } catch (error) {
    if (error instanceof SeqrError) {
      // SEQR answered with a code: nothing was refunded. Give the amount back.
      await deps.refunds.release(invoice.invoiceReference, refundId, refund.amountMinor).catch((e: unknown) => logger.error('could not release a refused refund', { error: e }));
      logger.warn('SEQR refused the refund', { resultCode: error.resultCode, codeName: error.codeName });
      throw seqrRefusal(error, logger);
    }
    if (error instanceof SeqrTransportError) {
      logger.error('refund sent, no answer from SEQR: outcome unknown, held against the total', { failure: error.failure, amount: refund.amount });
      await deps.refunds.markUnknown(invoice.invoiceReference, refundId).catch((e: unknown) => logger.error('could not mark the refund unknown', { error: e }));
      throw new RefundOutcomeUnknownError(refundId);
    }
    throw error;
  }
  logger.info('refund made', { amount: refund.amount, currency: invoice.currency, ersReference });
  let stored: StoredInvoice | undefined;
  try {
    stored = await withRetries(
      { attempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 },
      deps.clock.now() + 8_000,
      () => {
        const now = deps.clock.now();
        return deps.refunds.complete(invoice.invoiceReference, refundId, ersReference, now, now + deps.events.leaseMs);
      },
      () => true,
      (error, attempt, delayMs) => logger.warn('retrying the refund write', { attempt, delayMs, error }),
      deps.clock,
    );
  } catch (error) {
    // SEQR made the refund: the answer says so even though the invoice still shows it PENDING.
    logger.error('refund made at SEQR but not stored as SUCCEEDED', { error, ersReference });
  }
  // The shop's back end hears it (left in the outbox for the next path if the bus is not reachable now).
  if (stored) await publishOutbox({ ...deps, log: logger }, stored);
  const done: StoredRefund = { ...refund, state: 'SUCCEEDED', ersReference, completedAt: new Date(deps.clock.now()).toISOString() };
  const after = stored ?? { ...invoice, refunds: { ...invoice.refunds, [refundId]: done } };
  return answerOf(after, after.refunds?.[refundId] ?? done);
}

/** A retry of a refund whose first run stopped without an answer: decide from the stored refund, never by asking SEQR to refund again. */
async function recover(deps: RefundDeps, invoiceReference: string, record: IdempotencyRecord, log: Logger) {
  const refundId = record.note?.refundId;
  const invoice = await loadInvoice(deps, invoiceReference);
  const refund = refundId ? invoice.refunds?.[refundId] : undefined;
  if (!refund) {
    // The run stopped before the refund was stored: SEQR was never asked.
    return { runAgain: true as const, note: { refundId: randomUUID() } };
  }
  if (refund.state === 'SUCCEEDED') return { result: answerOf(invoice, refund) };
  if (refund.state === 'PENDING') {
    log.error('a refund run stopped after asking SEQR: outcome unknown', { refundId, amount: refund.amount });
    await deps.refunds.markUnknown(invoiceReference, refund.refundId).catch(() => undefined);
  }
  throw new RefundOutcomeUnknownError(refund.refundId);
}
