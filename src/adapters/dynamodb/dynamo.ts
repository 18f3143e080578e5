/**
 * One DynamoDB document client per process. Locally DYNAMODB_ENDPOINT points
 * at dynalite; deployed it is unset and the SDK finds DynamoDB itself.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, type DeleteCommand, type PutCommand, type UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../../config.js';
import * as core from '../../core/invoices/invoice.js';
import { TABLE_ENV, type TableName } from './schema.js';

let client: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  if (!client) {
    const endpoint = config.dynamoDbEndpoint;
    const base = new DynamoDBClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
    client = DynamoDBDocumentClient.from(base, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
  return client;
}

export function tableName(table: TableName): string {
  return config.table(TABLE_ENV[table]);
}

/** Epoch seconds, the unit DynamoDB's TTL reads in `expiresAt`. */
export function epochSeconds(at: number = Date.now()): number {
  return core.epochSeconds(at);
}

/** An item past its `expiresAt` counts as gone: DynamoDB's TTL deletes lazily. */
export function isExpired(item: { expiresAt?: number } | undefined, now: number = Date.now()): boolean {
  return core.isExpired(item, now);
}

/**
 * Sends a conditional write. True when it was made, false when its condition
 * did not hold (someone else got there first); any other failure is thrown.
 */
export async function writeIf(command: UpdateCommand | PutCommand | DeleteCommand): Promise<boolean> {
  try {
    await documentClient().send(command as UpdateCommand);
    return true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}
