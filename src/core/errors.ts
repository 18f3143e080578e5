/**
 * What can go wrong in the payment domain, as types with a stable `code`
 * (src/contract/error-codes.ts). The core throws these and knows nothing of
 * HTTP: src/adapters/http/errors.ts maps each code to an answer, and the
 * socket handlers map them to error frames.
 */
import type { ErrorCode } from '../contract/index.js';

/** The base of every error the core means to be answered (anything else is a bug: a 500). */
export class PaymentError extends Error {
  override readonly name: string = 'PaymentError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The request field the error is about, where there is one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The request is not what the route takes; `field` names what is wrong. */
export class InvalidRequestError extends PaymentError {
  override readonly name = 'InvalidRequestError';
  constructor(code: Extract<ErrorCode, 'invalid_body' | 'invalid_field' | 'missing_field' | 'unknown_field'>, message: string, field?: string) {
    super(code, message, field);
  }
}

/** No invoice by that reference (or the token does not fit it: a wrong token learns nothing more). */
export class InvoiceNotFoundError extends PaymentError {
  override readonly name = 'InvoiceNotFoundError';
  constructor(message = 'No invoice with that reference.', field?: string) {
    super('not_found', message, field);
  }
}

/** SEQR said no to what the shop asked (its result code is kept, by name). */
export class SeqrRejectedError extends PaymentError {
  override readonly name = 'SeqrRejectedError';
  constructor(
    message: string,
    readonly resultCode: number,
    readonly codeName: string,
  ) {
    super('seqr_rejected', message);
  }
}

/** SEQR answered with a code that is about us, not the shop's request (configuration, licence…). */
export class SeqrFailedError extends PaymentError {
  override readonly name = 'SeqrFailedError';
  constructor(
    message: string,
    readonly resultCode: number,
    readonly codeName: string,
  ) {
    super('seqr_error', message);
  }
}

/** SEQR could not be reached, or did not answer in time. */
export class SeqrUnavailableError extends PaymentError {
  override readonly name = 'SeqrUnavailableError';
  constructor(message = 'SEQR could not be reached; try again shortly.') {
    super('seqr_unavailable', message);
  }
}

/** A payment SEQR may hold could not be confirmed with getPaymentStatus. */
export class PaymentNotConfirmedError extends PaymentError {
  override readonly name = 'PaymentNotConfirmedError';
  constructor(message = 'The payment status could not be confirmed with SEQR.') {
    super('not_confirmed', message);
  }
}

/** Our store did not take a write; nothing was charged (or, for `not_stored`, SEQR has it and we retry). */
export class StoreUnavailableError extends PaymentError {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, code: Extract<ErrorCode, 'store_unavailable' | 'not_stored'> = 'store_unavailable') {
    super(code, message);
  }
}

/**
 * What the shop asked cannot be done in the invoice's present state (or SEQR's):
 * a final invoice, a payment in progress, not paid, not reserved, refunds above
 * the paid total, refunds SEQR does not allow.
 */
export class InvoiceStateError extends PaymentError {
  override readonly name = 'InvoiceStateError';
  constructor(
    code: Extract<
      ErrorCode,
      | 'invoice_final'
      | 'payment_in_progress'
      | 'already_paid'
      | 'not_paid'
      | 'not_reserved'
      | 'refund_exceeds_paid_total'
      | 'payment_not_refundable'
      | 'reseller_refunds_not_allowed'
      | 'receiver_refunds_not_allowed'
    >,
    message: string,
    /** SEQR's result code, when SEQR said so. */
    readonly resultCode?: number,
  ) {
    super(code, message);
  }
}

/** A refund was sent to SEQR and no answer came: it may have been made, so it is never sent again blindly. */
export class RefundOutcomeUnknownError extends PaymentError {
  override readonly name = 'RefundOutcomeUnknownError';
  constructor(
    readonly refundId: string,
    message = 'SEQR did not answer the refund, so whether it was made is unknown; it is held against the paid total and will not be sent again with this Idempotency-Key.',
  ) {
    super('refund_outcome_unknown', message);
  }
}

/** An Idempotency-Key was used before with another request, or that request is still running. */
export class IdempotencyError extends PaymentError {
  override readonly name = 'IdempotencyError';
  constructor(code: Extract<ErrorCode, 'idempotency_key_reused' | 'request_in_progress'>, message: string) {
    super(code, message, 'Idempotency-Key');
  }
}
