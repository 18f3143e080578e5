/** GET /invoices/{invoiceReference} (shop → us, Bearer shop key): the stored invoice. */
import { answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { dynamoInvoiceStore } from '../../adapters/dynamodb/invoices.js';
import { InvoiceNotFoundError } from '../../core/errors.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import { isInvoiceReference } from '../../core/subscriptions/subscriber.js';
import { log } from '../../log.js';

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = event.pathParameters?.invoiceReference ?? '';
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    const invoice = isInvoiceReference(invoiceReference) ? await dynamoInvoiceStore.get(invoiceReference) : undefined;
    if (!invoice) throw new InvoiceNotFoundError('No invoice with that reference.', 'invoiceReference');
    return json(200, shopView(invoice));
  });
};
