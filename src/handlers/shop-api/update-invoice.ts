/** PUT /invoices/{invoiceReference} (shop → us, Bearer shop key): updateInvoice with the POST /invoices body while ISSUED. */
import { answer, json, jsonBody, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { dynamoContentStore } from '../../adapters/dynamodb/invoice-contents.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { invoiceSettings, storeDeps } from '../../adapters/wiring.js';
import { parseInvoiceRequest } from '../../core/invoices/invoice-request.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import { updateInvoice } from '../../core/invoices/update-invoice.js';
import { log } from '../../log.js';
import { invoiceReferenceOf } from './operation.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig, contents: dynamoContentStore };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = invoiceReferenceOf(event);
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    const invoice = parseInvoiceRequest(jsonBody(event));
    const updated = await updateInvoice({ ...deps, log: logger, settings: invoiceSettings() }, invoiceReference, invoice, logger);
    return json(200, shopView(updated));
  });
};
