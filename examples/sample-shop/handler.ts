/** The sample shop's pages: GET /shop, POST /shop/additem, POST and GET /shop/checkout, GET /shop/done. */
import { HttpError, answer, requestLogger, type HttpEvent, type HttpResult } from '../../src/adapters/http/http.js';
import { seqrFromConfig } from '../../src/adapters/seqr/client.js';
import { invoiceSettings, invoiceWatch, storeDeps } from '../../src/adapters/wiring.js';
import { log } from '../../src/log.js';
import { addItem, checkout, done, showCheckout, showProducts } from './shop.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    switch (event.routeKey) {
      case 'GET /shop':
        return showProducts(event);
      case 'POST /shop/additem':
        return addItem(event);
      case 'POST /shop/checkout': {
        const watch = invoiceWatch();
        return checkout({ ...deps, log: logger, settings: invoiceSettings(), ...(watch ? { watch } : {}) }, event, logger);
      }
      case 'GET /shop/checkout':
        return showCheckout(event);
      case 'GET /shop/done':
        return done({ ...deps, log: logger, settings: invoiceSettings() }, event, logger);
      default:
        throw new HttpError(404, 'not_found', 'No such page.');
    }
  });
};
