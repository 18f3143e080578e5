/** GET /invoices/{invoiceReference} (shop → us, Bearer shop key): the stored invoice. */
import { HttpError, answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../shared/http.js';
import { shopView } from '../../shared/invoices/invoice-views.js';
import { log } from '../../shared/log.js';
import { getInvoice } from '../../shared/store/invoices.js';

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
