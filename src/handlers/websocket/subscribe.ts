/**
 * WebSocket `subscribe` and `$default` routes: on {"action":"subscribe"} send the
 * invoice's current status to this connection at once; anything else gets an error frame.
 */
import { storeDeps } from '../../adapters/wiring.js';
import { SUBSCRIBE_ACTION } from '../../contract/index.js';
import { subscribe } from '../../core/subscriptions/subscriptions.js';
import { log } from '../../log.js';
import { errorFrame, errorFrameOf } from './errors.js';
import type { WebSocketEvent, WebSocketResult } from './event.js';

const deps = storeDeps(log);

function actionOf(body: string | null | undefined): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body ?? '');
    return typeof parsed === 'object' && parsed !== null ? String((parsed as { action?: unknown }).action ?? '') : undefined;
  } catch {
    return undefined;
  }
}

export const handler = async (event: WebSocketEvent): Promise<WebSocketResult> => {
  const connectionId = event.requestContext.connectionId;
  const logger = log.with({ connectionId });
  if (actionOf(event.body) !== SUBSCRIBE_ACTION) {
    logger.info('refused a message that is not a subscribe');
    await deps.poster.post(connectionId, errorFrame('unknown_action', 'The only message is {"action":"subscribe"}.', 'action'));
    return { statusCode: 400 };
  }
  try {
    return { statusCode: (await subscribe({ ...deps, log: logger }, connectionId, logger)) ? 200 : 404 };
  } catch (error) {
    logger.error('subscribe failed', { error });
    await deps.poster.post(connectionId, errorFrameOf(error));
    return { statusCode: 500 };
  }
};
