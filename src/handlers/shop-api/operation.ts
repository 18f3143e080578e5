/** What the shop-operation handlers share: the path's invoice, an optional JSON body, the answer. */
import { jsonBody, rawBody, type HttpEvent } from '../../adapters/http/http.js';
import { InvalidRequestError } from '../../core/errors.js';

export function invoiceReferenceOf(event: HttpEvent): string {
  return event.pathParameters?.invoiceReference ?? '';
}

/** The JSON body, or undefined when there is none (a POST that needs nothing else). */
export function optionalJsonBody(event: HttpEvent): unknown {
  return rawBody(event).trim() === '' ? undefined : jsonBody(event);
}

/** A route that takes no fields: no body, or `{}`. */
export function requireNoFields(event: HttpEvent): void {
  const body = optionalJsonBody(event);
  if (body === undefined) return;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidRequestError('invalid_body', 'The body must be empty or a JSON object.');
  const field = Object.keys(body)[0];
  if (field !== undefined) throw new InvalidRequestError('unknown_field', `${field} is not a field of this request.`, field);
}
