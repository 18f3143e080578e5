/** WebSocket $connect with ?invoice=<ref>&token=<subscribeToken>: a wrong token is refused here. */
import { storeDeps } from '../../adapters/wiring.js';
import { PaymentError } from '../../core/errors.js';
import { connect } from '../../core/subscriptions/subscriptions.js';
import { log } from '../../log.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

const deps = storeDeps(log);

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const query = event.queryStringParameters ?? {};
  const logger = log.with({ invoiceReference: query.invoice, connectionId: event.requestContext.connectionId });
  try {
    await connect(deps, query.invoice, query.token, event.requestContext.connectionId, logger);
    return { statusCode: 200 };
  } catch (error) {
    if (error instanceof PaymentError) {
      logger.warn('socket refused', { code: error.code });
      return { statusCode: 403, body: error.code };
    }
    logger.error('connect failed', { error });
    return { statusCode: 500 };
  }
};
