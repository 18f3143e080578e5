/**
 * WebSocket `subscribe` and `$default` routes: on {"action":"subscribe"} send the
 * invoice's current status to this connection at once.
 */
import { log } from '../../shared/log.js';
import { subscribe } from '../../shared/subscriptions.js';
import type { WebSocketEvent, WebSocketResult } from '../../shared/websocket-event.js';

function actionOf(body: string | null | undefined): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    return typeof parsed === 'object' && parsed !== null ? String((parsed as { action?: unknown }).action ?? '') : undefined;
  } catch {
    return undefined;
  }
}

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const logger = log.with({ connectionId: event.requestContext.connectionId });
  if (actionOf(event.body) !== 'subscribe') {
    logger.info('ignored a message that is not a subscribe');
    return { statusCode: 400, body: 'send {"action":"subscribe"}' };
  }
  try {
    return { statusCode: (await subscribe(event.requestContext.connectionId, logger)) ? 200 : 404 };
  } catch (error) {
    logger.error('subscribe failed', { error });
    return { statusCode: 500 };
  }
};
