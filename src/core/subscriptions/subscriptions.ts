/**
 * WebSocket subscriptions: a browser connects with the invoice and its subscribe
 * token, says `{"action":"subscribe"}`, and is sent the current status at once,
 * so a payment finished before the socket opened is never missed.
 */
import { statusMessage } from '../../contract/index.js';
import type { Logger } from '../../log.js';
import type { PaymentDeps } from '../ports.js';
import { drainOutbox } from '../events/outbox.js';
import { pushToConnection, type PushDeps } from './push.js';
import { invoiceForSubscriber } from './subscriber.js';

export type SubscriptionDeps = Pick<PaymentDeps, 'invoices' | 'connections' | 'poster' | 'clock' | 'log'>;
export type SubscribeDeps = SubscriptionDeps & Pick<PaymentDeps, 'events'>;

/** $connect: refuse (throws InvoiceNotFoundError) unless the token is the invoice's subscribe token. */
export async function connect(deps: SubscriptionDeps, invoiceReference: string | undefined, token: string | undefined, connectionId: string, log: Logger): Promise<void> {
  const invoice = await invoiceForSubscriber(deps, invoiceReference, token);
  await deps.connections.add(invoice.invoiceReference, connectionId, deps.clock.now());
  log.info('socket connected', { connectionId });
}

/**
 * The connection's row by its id. The index behind that lookup is eventually
 * consistent, and a browser subscribes the moment its socket opens: a few short
 * second looks before calling the connection unknown.
 */
async function findNewConnection(deps: SubscriptionDeps, connectionId: string) {
  for (let attempt = 0; ; attempt++) {
    const connection = await deps.connections.find(connectionId);
    if (connection || attempt >= 4) return connection;
    await deps.clock.sleep(100);
  }
}

/** subscribe: send the current status to this connection. */
export async function subscribe(deps: SubscribeDeps, connectionId: string, log: Logger): Promise<boolean> {
  const connection = await findNewConnection(deps, connectionId);
  if (!connection) {
    log.warn('subscribe from an unknown connection', { connectionId });
    return false;
  }
  const invoice = await deps.invoices.get(connection.invoiceReference);
  if (!invoice) return false;
  const pushDeps: PushDeps = { ...deps, log: log.with({ invoiceReference: invoice.invoiceReference }) };
  const outcome = await pushToConnection(pushDeps, connection, statusMessage(invoice));
  // Events a writer left behind go now (the browser has its answer already).
  await drainOutbox({ ...deps, log: pushDeps.log }, invoice);
  return outcome === 'sent' || outcome === 'skipped';
}

export async function disconnect(deps: Pick<PaymentDeps, 'connections'>, connectionId: string, log: Logger): Promise<void> {
  const connection = await deps.connections.find(connectionId);
  if (connection) await deps.connections.remove(connection.invoiceReference, connection.connectionId);
  log.info('socket disconnected', { connectionId, invoiceReference: connection?.invoiceReference });
}
