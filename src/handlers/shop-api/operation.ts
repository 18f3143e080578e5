/** What the shop-operation handlers share: the path's invoice, an optional JSON body, the answer. */
import { answer, json, jsonBody, rawBody, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { storeDeps } from '../../adapters/wiring.js';
import { InvalidRequestError } from '../../core/errors.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import type { StoredInvoice } from '../../core/invoices/invoice.js';
import type { PaymentDeps } from '../../core/ports.js';
import { log, type Logger } from '../../log.js';

/**
 * The handler of a shop operation that takes no fields (cancel, commit):
 * the shop key, an empty body, the operation, the shop's view of the invoice.
 */
export function noFieldOperation(operation: (deps: PaymentDeps, invoiceReference: string, log: Logger) => Promise<StoredInvoice>) {
  const deps = { ...storeDeps(log), seqr: seqrFromConfig };
  return async (event: HttpEvent): Promise<HttpResult> => {
    const invoiceReference = invoiceReferenceOf(event);
    const logger = requestLogger(event, log).with({ invoiceReference });
    return answer(logger, async () => {
      await requireShopKey(event);
      requireNoFields(event);
      return json(200, shopView(await operation({ ...deps, log: logger }, invoiceReference, logger)));
    });
  };
}

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
