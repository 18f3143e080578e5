/**
 * POST /invoices (shop → us, Bearer shop key): price the rows, send the invoice
 * to SEQR, store it, answer 201 with what the shop's page needs.
 * Event: HTTP API payload format 2.0.
 */
import { answer, json, jsonBody, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { invoiceSettings, storeDeps } from '../../adapters/wiring.js';
import { createInvoice } from '../../core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../core/invoices/invoice-request.js';
import { log } from '../../log.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    await requireShopKey(event);
    const invoice = parseInvoiceRequest(jsonBody(event));
    return json(201, await createInvoice({ ...deps, settings: invoiceSettings() }, invoice, logger));
  });
};
