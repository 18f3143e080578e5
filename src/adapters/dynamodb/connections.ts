/**
 * WebSocket connections subscribed to an invoice. API Gateway closes a socket
 * after 2 hours, so a row lives no longer than that.
 */
import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { InvoiceStatus } from '../../contract/index.js';
import type { Connection } from '../../core/invoices/invoice.js';
import { pushRank } from '../../core/invoices/status-rules.js';
import type { ConnectionStore } from '../../core/ports.js';
import { documentClient, epochSeconds, isExpired, tableName, writeIf } from './dynamo.js';

export type { Connection };

export const CONNECTION_LIFETIME_SECONDS = 2 * 60 * 60;


export async function addConnection(invoiceReference: string, connectionId: string, now = Date.now()): Promise<void> {
  const item: Connection = {
    invoiceReference,
    connectionId,
    connectedAt: new Date(now).toISOString(),
    expiresAt: epochSeconds(now) + CONNECTION_LIFETIME_SECONDS,
  };
  await documentClient().send(new PutCommand({ TableName: tableName('connections'), Item: item }));
}

export async function connectionsOf(invoiceReference: string): Promise<Connection[]> {
  const out: Connection[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: tableName('connections'),
        KeyConditionExpression: 'invoiceReference = :ref',
        ExpressionAttributeValues: { ':ref': invoiceReference },
        // A socket that connected a moment ago must get the push: read what $connect just wrote.
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) if (!isExpired(item as Connection)) out.push(item as Connection);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** The connection's row, found by its id alone ($disconnect and messages carry no invoice). */
export async function findConnection(connectionId: string): Promise<Pick<Connection, 'invoiceReference' | 'connectionId'> | undefined> {
  const { Items } = await documentClient().send(
    new QueryCommand({
      TableName: tableName('connections'),
      IndexName: 'byConnectionId',
      KeyConditionExpression: 'connectionId = :id',
      ExpressionAttributeValues: { ':id': connectionId },
      Limit: 1,
    }),
  );
  const key = Items?.[0];
  return key ? { invoiceReference: String(key.invoiceReference), connectionId: String(key.connectionId) } : undefined;
}

export async function removeConnection(invoiceReference: string, connectionId: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: tableName('connections'), Key: { invoiceReference, connectionId } }));
}


/** Claims the push of `status` to one connection when `pushAllowed` (src/core/invoices/status-rules.ts) says so. */
export async function claimPush(connection: Pick<Connection, 'invoiceReference' | 'connectionId'>, status: InvoiceStatus): Promise<boolean> {
  const rank = pushRank(status);
  return writeIf(
    new UpdateCommand({
      TableName: tableName('connections'),
      Key: { invoiceReference: connection.invoiceReference, connectionId: connection.connectionId },
      UpdateExpression: 'SET pushedRank = :rank',
      ConditionExpression: `attribute_exists(connectionId) AND (attribute_not_exists(pushedRank) OR pushedRank ${rank === 1 ? '<' : '<='} :rank)`,
      ExpressionAttributeValues: { ':rank': rank },
    }),
  );
}

/** Gives a claimed push back after the post failed, so a later attempt may deliver it. */
export async function releasePush(connection: Pick<Connection, 'invoiceReference' | 'connectionId'>, status: InvoiceStatus): Promise<void> {
  await writeIf(
    new UpdateCommand({
      TableName: tableName('connections'),
      Key: { invoiceReference: connection.invoiceReference, connectionId: connection.connectionId },
      UpdateExpression: 'REMOVE pushedRank',
      ConditionExpression: 'pushedRank = :rank',
      ExpressionAttributeValues: { ':rank': pushRank(status) },
    }),
  );
}

/** The connection store of the core (src/core/ports.ts) on DynamoDB. */
export const dynamoConnectionStore: ConnectionStore = {
  add: (invoiceReference, connectionId, now) => addConnection(invoiceReference, connectionId, now),
  listFor: connectionsOf,
  find: findConnection,
  remove: removeConnection,
  claimPush,
  releasePush,
};
