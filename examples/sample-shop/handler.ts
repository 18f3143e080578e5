/** The sample shop's pages: GET /shop, POST /shop/additem, GET /shop/checkout, GET /shop/done. */
import { HttpError, answer, requestLogger, type HttpEvent, type HttpResult } from '../../src/adapters/http/http.js';
import { log } from '../../src/log.js';
import { addItem, checkout, done, isFormPost, showProducts } from './shop.js';

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    switch (event.routeKey) {
      case 'GET /shop':
        return showProducts(event);
      case 'POST /shop/additem':
        if (!isFormPost(event)) throw new HttpError(415, 'unsupported_media_type', 'Post the form as application/x-www-form-urlencoded.');
        return addItem(event);
      case 'GET /shop/checkout':
        return checkout(event, logger);
      case 'GET /shop/done':
        return done(event, logger);
      default:
        throw new HttpError(404, 'not_found', 'No such page.');
    }
  });
};
