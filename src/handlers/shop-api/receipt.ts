/** POST /invoices/{invoiceReference}/receipt (shop → us, Bearer shop key): submitPaymentReceipt for a PAID invoice; stored as sent. */
import { answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { dynamoInvoiceStore } from '../../adapters/dynamodb/invoices.js';
import { dynamoReceiptStore } from '../../adapters/dynamodb/invoice-contents.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import { parseReceiptRequest, submitReceipt } from '../../core/invoices/submit-receipt.js';
import { systemClock } from '../../core/ports.js';
import { log } from '../../log.js';
import { invoiceReferenceOf, optionalJsonBody } from './operation.js';

const deps = { seqr: seqrFromConfig, invoices: dynamoInvoiceStore, receipts: dynamoReceiptStore, clock: systemClock };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = invoiceReferenceOf(event);
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    const document = parseReceiptRequest(optionalJsonBody(event));
    return json(200, shopView(await submitReceipt(deps, invoiceReference, document, logger)));
  });
};
