/**
 * Pushes invoice statuses to browsers through the WebSocket stage's
 * `@connections` API. A push never fails its caller: the status is already
 * stored, and a browser without the push finds it by polling.
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { InvoiceStatus } from '../../contract/result-codes.js';
import { claimPush, connectionsOf, releasePush, removeConnection, type Connection } from '../dynamodb/connections.js';

export interface StatusMessage {
  type: 'invoice.status';
  invoiceReference: string;
  status: InvoiceStatus;
  ersReference?: string;
  /** The stored invoice's version: a client keeps the highest it has seen, as messages may cross. */
  version: number;
}

const POST_TIMEOUT_MS = Number(process.env.PUSH_TIMEOUT_MS ?? 2_000);
const FAN_OUT = 10;

let client: ApiGatewayManagementApiClient | undefined;

function managementClient(): ApiGatewayManagementApiClient {
  client ??= new ApiGatewayManagementApiClient({
    endpoint: config.websocketCallbackUrl,
    // One attempt: the caller's time is SEQR's 20 s window, and polling covers a lost push.
    maxAttempts: 1,
  });
  return client;
}

export function statusMessage(invoice: { invoiceReference: string; status: InvoiceStatus; ersReference?: string; version: number }): StatusMessage {
  return {
    type: 'invoice.status',
    invoiceReference: invoice.invoiceReference,
    status: invoice.status,
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    version: invoice.version,
  };
}

export type PushOutcome = 'sent' | 'skipped' | 'gone' | 'failed';

/** An answer to one connection's own message (an error frame): sent once, not claimed, never retried. */
export async function replyToConnection(connectionId: string, payload: unknown, log: Logger): Promise<void> {
  try {
    await managementClient().send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(JSON.stringify(payload)) }), {
      abortSignal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
  } catch (error) {
    log.info('could not reply to the connection', { connectionId, error });
  }
}

/** Sends the message to one connection, once per status rank; a gone connection's row is deleted. */
export async function pushToConnection(connection: Pick<Connection, 'invoiceReference' | 'connectionId'>, message: StatusMessage, log: Logger): Promise<PushOutcome> {
  try {
    if (!(await claimPush(connection, message.status))) return 'skipped';
  } catch (error) {
    log.warn('push claim failed', { connectionId: connection.connectionId, error });
    return 'failed';
  }
  try {
    await managementClient().send(
      new PostToConnectionCommand({ ConnectionId: connection.connectionId, Data: new TextEncoder().encode(JSON.stringify(message)) }),
      { abortSignal: AbortSignal.timeout(POST_TIMEOUT_MS) },
    );
    return 'sent';
  } catch (error) {
    const gone = error instanceof GoneException || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;
    // A socket whose $connect has not returned yet is also 410: its row is young, keep it.
    if (gone && 'connectedAt' in connection && Date.now() - Date.parse(String(connection.connectedAt)) < 10_000) {
      await releasePush(connection, message.status).catch(() => undefined);
      return 'failed';
    }
    if (gone) {
      log.info('connection gone, removing it', { connectionId: connection.connectionId });
      await removeConnection(connection.invoiceReference, connection.connectionId).catch((e: unknown) =>
        log.warn('could not remove a gone connection', { connectionId: connection.connectionId, error: e }),
      );
      return 'gone';
    }
    log.warn('push failed', { connectionId: connection.connectionId, error });
    // Give the claim back only when API Gateway answered no. After a time-out the
    // message may have been delivered, and PAID must not arrive twice; the view's
    // heartbeat poll covers a push that was really lost.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== undefined) {
      await releasePush(connection, message.status).catch(() => undefined);
    }
    return 'failed';
  }
}

/** Pushes to every connection subscribed to the invoice, a bounded number at a time. */
export async function pushToSubscribers(message: StatusMessage, log: Logger): Promise<Record<PushOutcome, number>> {
  const tally: Record<PushOutcome, number> = { sent: 0, skipped: 0, gone: 0, failed: 0 };
  let connections: Connection[];
  try {
    connections = await connectionsOf(message.invoiceReference);
  } catch (error) {
    log.warn('could not list connections', { error });
    return tally;
  }
  let next = 0;
  const worker = async () => {
    while (next < connections.length) {
      const connection = connections[next++]!;
      tally[await pushToConnection(connection, message, log)]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(FAN_OUT, connections.length) }, worker));
  if (connections.length > 0) log.info('pushed status', { status: message.status, ...tally });
  return tally;
}
