/**
 * The one table from error codes to HTTP answers. The core throws PaymentErrors
 * with a code; a handler's answer is looked up here, so the same domain error
 * is the same HTTP status on every route.
 */
import type { ErrorCode } from '../../contract/index.js';

export const HTTP_STATUS_OF: Record<ErrorCode, number> = {
  invalid_body: 400,
  invalid_json: 400,
  invalid_field: 400,
  missing_field: 400,
  unknown_field: 400,
  body_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  unknown_action: 400,
  not_found: 404,
  seqr_rejected: 422,
  seqr_error: 502,
  seqr_unavailable: 503,
  not_confirmed: 502,
  invoice_final: 409,
  payment_in_progress: 409,
  already_paid: 409,
  not_paid: 409,
  not_reserved: 409,
  refund_exceeds_paid_total: 422,
  payment_not_refundable: 409,
  reseller_refunds_not_allowed: 403,
  receiver_refunds_not_allowed: 403,
  refund_outcome_unknown: 502,
  idempotency_key_reused: 422,
  request_in_progress: 409,
  store_unavailable: 503,
  not_stored: 503,
  internal_error: 500,
};

/** The HTTP status of an error code; a code missing from the table is a bug, answered as 500. */
export function httpStatusOf(code: string): number {
  return (HTTP_STATUS_OF as Record<string, number>)[code] ?? 500;
}
