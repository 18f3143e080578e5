/** GET /invoices/{invoiceReference} (shop → us, Bearer shop key): the stored invoice. */
import { HttpError, answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import { log } from '../../log.js';
import { getInvoice } from '../../adapters/dynamodb/invoices.js';

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = event.pathParameters?.invoiceReference ?? '';
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    const invoice = /^\d{1,32}$/.test(invoiceReference) ? await getInvoice(invoiceReference) : undefined;
    if (!invoice) throw new HttpError(404, 'not_found', 'No invoice with that reference.', 'invoiceReference');
    return json(200, shopView(invoice));
  });
};
