/**
 * Pushing a status to the browsers subscribed to an invoice. A push never fails
 * its caller: the status is already stored, and a browser without the push
 * finds it by its heartbeat or by polling. Each connection hears a final status
 * once (a claim in the connection store), however many paths push it.
 */
import type { StatusMessage } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import type { Connection } from '../invoices/invoice.js';
import type { Clock, ConnectionKey, ConnectionPoster, ConnectionStore } from '../ports.js';

export interface PushDeps {
  connections: ConnectionStore;
  poster: ConnectionPoster;
  clock: Clock;
  log: Logger;
}

export type PushOutcome = 'sent' | 'skipped' | 'gone' | 'failed';

/** How many connections are posted to at once. */
const FAN_OUT = 10;
/** A socket whose $connect has not returned yet also answers 410: a row this young is kept. */
const YOUNG_CONNECTION_MS = 10_000;

/** Sends the message to one connection, once per status rank; a gone connection's row is deleted. */
export async function pushToConnection(deps: PushDeps, connection: ConnectionKey | Connection, message: StatusMessage): Promise<PushOutcome> {
  const { connections, poster, log } = deps;
  try {
    if (!(await connections.claimPush(connection, message.status))) return 'skipped';
  } catch (error) {
    log.warn('push claim failed', { connectionId: connection.connectionId, error });
    return 'failed';
  }
  const outcome = await poster.post(connection.connectionId, message);
  if (outcome === 'sent') return 'sent';
  if (outcome === 'gone') {
    const young = 'connectedAt' in connection && deps.clock.now() - Date.parse(connection.connectedAt) < YOUNG_CONNECTION_MS;
    if (young) {
      await connections.releasePush(connection, message.status).catch(() => undefined);
      return 'failed';
    }
    log.info('connection gone, removing it', { connectionId: connection.connectionId });
    await connections
      .remove(connection.invoiceReference, connection.connectionId)
      .catch((error: unknown) => log.warn('could not remove a gone connection', { connectionId: connection.connectionId, error }));
    return 'gone';
  }
  log.warn('push failed', { connectionId: connection.connectionId, outcome });
  // Give the claim back only when the gateway answered no. After a time-out the
  // message may have been delivered, and PAID must not arrive twice; the view's
  // heartbeat poll covers a push that was really lost.
  if (outcome === 'refused') await connections.releasePush(connection, message.status).catch(() => undefined);
  return 'failed';
}

/** Pushes to every connection subscribed to the invoice, a bounded number at a time. */
export async function pushToSubscribers(deps: PushDeps, message: StatusMessage): Promise<Record<PushOutcome, number>> {
  const tally: Record<PushOutcome, number> = { sent: 0, skipped: 0, gone: 0, failed: 0 };
  let subscribed: Connection[];
  try {
    subscribed = await deps.connections.listFor(message.invoiceReference);
  } catch (error) {
    deps.log.warn('could not list connections', { error });
    return tally;
  }
  let next = 0;
  const worker = async () => {
    while (next < subscribed.length) {
      const connection = subscribed[next++]!;
      tally[await pushToConnection(deps, connection, message)]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAN_OUT, subscribed.length) }, worker));
  if (subscribed.length > 0) deps.log.info('pushed status', { status: message.status, ...tally });
  return tally;
}
