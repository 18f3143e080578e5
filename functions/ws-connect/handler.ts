/** WebSocket $connect with ?invoice=<ref>&token=<subscribeToken>: a wrong token is refused here. */
import { HttpError } from '../../shared/http.js';
import { log } from '../../shared/log.js';
import { connect } from '../../shared/subscriptions.js';
import type { WebSocketEvent, WebSocketResult } from '../../shared/websocket-event.js';

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
