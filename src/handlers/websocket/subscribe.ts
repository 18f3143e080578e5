/**
 * WebSocket `subscribe` and `$default` routes: on {"action":"subscribe"} send the
 * invoice's current status to this connection at once.
 */
import { log } from '../../log.js';
import { replyToConnection } from '../../adapters/apigateway/push.js';
import { subscribe } from '../../core/subscriptions/subscriptions.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

const UNKNOWN_MESSAGE = { type: 'error', error: { code: 'unknown_action', message: 'The only message is {"action":"subscribe"}.', field: 'action' } };

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
    logger.info('refused a message that is not a subscribe');
    await replyToConnection(event.requestContext.connectionId, UNKNOWN_MESSAGE, logger);
    return { statusCode: 400 };
  }
  try {
    return { statusCode: (await subscribe(event.requestContext.connectionId, logger)) ? 200 : 404 };
  } catch (error) {
    logger.error('subscribe failed', { error });
    return { statusCode: 500 };
  }
};
