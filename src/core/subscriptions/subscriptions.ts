/**
 * WebSocket subscriptions: a browser connects with the invoice and its subscribe
 * token, says `{"action":"subscribe"}`, and is sent the current status at once,
 * so a payment finished before the socket opened is never missed.
 */
import type { Logger } from '../../log.js';
import { sleep } from '../retry.js';
import { pushToConnection, statusMessage } from '../../adapters/apigateway/push.js';
import { addConnection, findConnection, removeConnection } from '../../adapters/dynamodb/connections.js';
import { getInvoice } from '../../adapters/dynamodb/invoices.js';
import { invoiceForSubscriber } from './subscriber.js';

/** $connect: refuse (throws HttpError 404) unless the token is the invoice's subscribe token. */
export async function connect(invoiceReference: string | undefined, token: string | undefined, connectionId: string, log: Logger): Promise<void> {
  const invoice = await invoiceForSubscriber(invoiceReference, token);
  await addConnection(invoice.invoiceReference, connectionId);
  log.info('socket connected', { connectionId });
}

/**
 * The connection's row by its id. The index behind that lookup is eventually
 * consistent, and a browser subscribes the moment its socket opens: a few short
 * second looks before calling the connection unknown.
 */
async function findNewConnection(connectionId: string) {
  for (let attempt = 0; ; attempt++) {
    const connection = await findConnection(connectionId);
    if (connection || attempt >= 4) return connection;
    await sleep(100);
  }
}

/** subscribe: send the current status to this connection. */
export async function subscribe(connectionId: string, log: Logger): Promise<boolean> {
  const connection = await findNewConnection(connectionId);
  if (!connection) {
    log.warn('subscribe from an unknown connection', { connectionId });
    return false;
  }
  const invoice = await getInvoice(connection.invoiceReference);
  if (!invoice) return false;
  const outcome = await pushToConnection(connection, statusMessage(invoice), log.with({ invoiceReference: invoice.invoiceReference }));
  return outcome === 'sent' || outcome === 'skipped';
}

export async function disconnect(connectionId: string, log: Logger): Promise<void> {
  const connection = await findConnection(connectionId);
  if (connection) await removeConnection(connection.invoiceReference, connection.connectionId);
  log.info('socket disconnected', { connectionId, invoiceReference: connection?.invoiceReference });
}
