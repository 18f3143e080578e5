/** WebSocket $connect with ?invoice=<ref>&token=<subscribeToken>: a wrong token is refused here. */
import { HttpError } from '../../adapters/http/http.js';
import { log } from '../../log.js';
import { connect } from '../../core/subscriptions/subscriptions.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const query = event.queryStringParameters ?? {};
  const logger = log.with({ invoiceReference: query.invoice, connectionId: event.requestContext.connectionId });
  try {
    await connect(query.invoice, query.token, event.requestContext.connectionId, logger);
    return { statusCode: 200 };
  } catch (error) {
    if (error instanceof HttpError) {
      logger.warn('socket refused', { code: error.code });
      return { statusCode: 403, body: error.code };
    }
    logger.error('connect failed', { error });
    return { statusCode: 500 };
  }
};
