/**
 * POST /invoices/{invoiceReference}/refunds (shop → us, Bearer shop key,
 * Idempotency-Key required): a partial refund with refundPayment; 201 with the refund.
 */
import { answer, header, json, jsonBody, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { dynamoIdempotencyStore } from '../../adapters/dynamodb/idempotency.js';
import { dynamoRefundStore } from '../../adapters/dynamodb/refunds.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { storeDeps } from '../../adapters/wiring.js';
import { IDEMPOTENCY_HEADER, idempotencyKeyOf } from '../../core/idempotency/idempotency.js';
import { parseRefundRequest, refundPayment } from '../../core/refunds/refunds.js';
import { log } from '../../log.js';
import { invoiceReferenceOf } from './operation.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig, idempotency: dynamoIdempotencyStore, refunds: dynamoRefundStore };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = invoiceReferenceOf(event);
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    const body = jsonBody(event);
    const request = parseRefundRequest(body);
    const idempotencyKey = idempotencyKeyOf(header(event, IDEMPOTENCY_HEADER), true)!;
    const { result, replayed } = await refundPayment({ ...deps, log: logger }, invoiceReference, request, { idempotencyKey, body }, logger);
    return json(201, result, replayed ? { 'idempotent-replayed': 'true' } : {});
  });
};
