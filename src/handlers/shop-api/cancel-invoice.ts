/** POST /invoices/{invoiceReference}/cancel (shop → us, Bearer shop key): cancelInvoice; CANCELED stored and pushed. */
import { answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { storeDeps } from '../../adapters/wiring.js';
import { cancelInvoice } from '../../core/invoices/cancel-invoice.js';
import { shopView } from '../../core/invoices/invoice-views.js';
import { log } from '../../log.js';
import { invoiceReferenceOf, requireNoFields } from './operation.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = invoiceReferenceOf(event);
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(logger, async () => {
    await requireShopKey(event);
    requireNoFields(event);
    return json(200, shopView(await cancelInvoice({ ...deps, log: logger }, invoiceReference, logger)));
  });
};
