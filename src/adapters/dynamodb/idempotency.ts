/**
 * Idempotency records in DynamoDB, one item per (scope, key) hash, deleted by
 * TTL a day later. Single-item conditional writes only, so dynalite serves it.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord, IdempotencyStore } from '../../core/idempotency/idempotency.js';
import { documentClient, epochSeconds, isExpired, tableName, writeIf } from './dynamo.js';

const NAMES = { '#state': 'state' };

export const dynamoIdempotencyStore: IdempotencyStore = {
  async get(recordId, now) {
    const { Item } = await documentClient().send(new GetCommand({ TableName: tableName('idempotency'), Key: { recordId }, ConsistentRead: true }));
    const record = Item as IdempotencyRecord | undefined;
    return isExpired(record, now) ? undefined : record;
  },

  claim(record, now) {
    return writeIf(
      new PutCommand({
        TableName: tableName('idempotency'),
        Item: record,
        // A record past its expiry counts as gone even before TTL deletes it.
        ConditionExpression: 'attribute_not_exists(recordId) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': epochSeconds(now) },
      }),
    );
  },

  takeOver(recordId, seenLeaseUntil, leaseUntil, note) {
    return writeIf(
      new UpdateCommand({
        TableName: tableName('idempotency'),
        Key: { recordId },
        UpdateExpression: `SET leaseUntil = :lease${note ? ', note = :note' : ''} REMOVE outcomeUnknown`,
        ConditionExpression: '#state = :inProgress AND leaseUntil = :seen',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':lease': leaseUntil, ':seen': seenLeaseUntil, ':inProgress': 'IN_PROGRESS', ...(note ? { ':note': note } : {}) },
      }),
    );
  },

  async complete(recordId, result) {
    await documentClient().send(
      new UpdateCommand({
        TableName: tableName('idempotency'),
        Key: { recordId },
        UpdateExpression: 'SET #state = :completed, #result = :result REMOVE outcomeUnknown',
        ConditionExpression: 'attribute_exists(recordId)',
        ExpressionAttributeNames: { ...NAMES, '#result': 'result' },
        ExpressionAttributeValues: { ':completed': 'COMPLETED', ':result': result },
      }),
    );
  },

  async markUnknown(recordId) {
    await documentClient().send(
      new UpdateCommand({
        TableName: tableName('idempotency'),
        Key: { recordId },
        UpdateExpression: 'SET outcomeUnknown = :yes',
        ConditionExpression: 'attribute_exists(recordId)',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
  },

  async release(recordId) {
    await writeIf(
      new DeleteCommand({
        TableName: tableName('idempotency'),
        Key: { recordId },
        ConditionExpression: '#state = :inProgress',
        ExpressionAttributeNames: NAMES,
        ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
      }),
    );
  },
};
