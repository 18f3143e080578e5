/** WebSocket $disconnect: forget the connection. */
import { storeDeps } from '../../adapters/wiring.js';
import { disconnect } from '../../core/subscriptions/subscriptions.js';
import { log } from '../../log.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

const deps = storeDeps(log);

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const logger = log.with({ connectionId: event.requestContext.connectionId });
  try {
    await disconnect(deps, event.requestContext.connectionId, logger);
  } catch (error) {
    // The row expires with the socket's 2 h lifetime anyway.
    logger.warn('disconnect cleanup failed', { error });
  }
  return { statusCode: 200 };
};
