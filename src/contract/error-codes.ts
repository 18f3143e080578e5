/**
 * The stable `code` of every error answer (HTTP bodies and socket error frames).
 * Shops and the payment view branch on these; the message is for people.
 */
export const ERROR_CODES = [
  // The request itself
  'invalid_body',
  'invalid_json',
  'invalid_field',
  'missing_field',
  'unknown_field',
  'body_too_large',
  'unsupported_media_type',
  'unauthorized',
  'unknown_action',
  // The invoice
  'not_found',
  // SEQR
  'seqr_rejected',
  'seqr_error',
  'seqr_unavailable',
  'not_confirmed',
  // Shop operations (update, cancel, refund, receipt, commit)
  'invoice_final',
  'payment_in_progress',
  'already_paid',
  'not_paid',
  'not_reserved',
  'refund_exceeds_paid_total',
  'payment_not_refundable',
  'reseller_refunds_not_allowed',
  'receiver_refunds_not_allowed',
  'refund_outcome_unknown',
  // Idempotent requests (Idempotency-Key)
  'idempotency_key_reused',
  'request_in_progress',
  // Our store
  'store_unavailable',
  'not_stored',
  // Anything else
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
