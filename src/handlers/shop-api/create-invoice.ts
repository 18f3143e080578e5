/**
 * POST /invoices (shop → us, Bearer shop key): price the rows, send the invoice
 * to SEQR, store it, answer 201 with what the shop's page needs. With an
 * `Idempotency-Key`, a retry of the same request gets the first answer again.
 * Event: HTTP API payload format 2.0.
 */
import { answer, header, json, jsonBody, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { dynamoIdempotencyStore } from '../../adapters/dynamodb/idempotency.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { invoiceSettings, invoiceWatch, storeDeps } from '../../adapters/wiring.js';
import { createInvoiceOnce } from '../../core/invoices/create-invoice.js';
import { IDEMPOTENCY_HEADER, idempotencyKeyOf } from '../../core/idempotency/idempotency.js';
import { parseInvoiceRequest } from '../../core/invoices/invoice-request.js';
import { log } from '../../log.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig, idempotency: dynamoIdempotencyStore };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    await requireShopKey(event);
    const body = jsonBody(event);
    const invoice = parseInvoiceRequest(body);
    const idempotencyKey = idempotencyKeyOf(header(event, IDEMPOTENCY_HEADER), false);
    const watch = invoiceWatch();
    const { result, replayed } = await createInvoiceOnce(
      { ...deps, log: logger, settings: invoiceSettings(), ...(watch ? { watch } : {}) },
      invoice,
      { body, idempotencyKey },
      logger,
    );
    return json(201, result, replayed ? { 'idempotent-replayed': 'true' } : {});
  });
};
