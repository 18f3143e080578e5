/** WebSocket $disconnect: forget the connection. */
import { log } from '../../log.js';
import { disconnect } from '../../core/subscriptions/subscriptions.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const logger = log.with({ connectionId: event.requestContext.connectionId });
  try {
    await disconnect(event.requestContext.connectionId, logger);
  } catch (error) {
    // The row expires with the socket's 2 h lifetime anyway.
    logger.warn('disconnect cleanup failed', { error });
  }
  return { statusCode: 200 };
};
