/** The one table from domain errors to WebSocket error frames (`{"type":"error","error":{…}}`). */
import type { ErrorCode, ErrorFrame } from '../../contract/index.js';
import { PaymentError } from '../../core/errors.js';

export function errorFrame(code: ErrorCode, message: string, field?: string): ErrorFrame {
  return { type: 'error', error: { code, message, ...(field ? { field } : {}) } };
}

/** The frame for an error thrown while serving a socket message: a domain error says what; anything else says nothing. */
export function errorFrameOf(error: unknown): ErrorFrame {
  if (error instanceof PaymentError) return errorFrame(error.code, error.message, error.field);
  return errorFrame('internal_error', 'Something went wrong on our side.');
}
