/**
 * Transaction periods in DynamoDB, one item per schedule slot (the scheduled
 * minute, `2025-01-31T23:00Z`). A run claims the slot with a conditional put
 * before it calls SEQR, so a retried or doubled run marks the period once.
 * A claim that never got its transactionPeriodId (the run crashed) can be taken
 * over once its lease has run out. Single-item conditional writes only, so
 * dynalite serves it locally.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ClaimResult, PeriodStore, StoredPeriod } from '../../core/periods/transaction-period.js';
import { documentClient, tableName, writeIf } from './dynamo.js';

export type { ClaimResult, StoredPeriod };

/**
 * Claims the slot for this run: succeeds when the slot is new, or when it holds
 * no transactionPeriodId and its claim is older than the lease.
 */
export async function claimPeriodSlot(slot: string, claimId: string, now: number, leaseMs: number): Promise<ClaimResult> {
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: tableName('periods'),
        Key: { slot },
        UpdateExpression: 'SET claimId = :claimId, claimedAt = :now ADD attempts :one',
        ConditionExpression: 'attribute_not_exists(slot) OR (attribute_not_exists(transactionPeriodId) AND claimedAt < :staleBefore)',
        ExpressionAttributeValues: { ':claimId': claimId, ':now': now, ':one': 1, ':staleBefore': now - leaseMs },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return { claimed: true, period: Attributes as StoredPeriod };
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return { claimed: false, period: await getPeriod(slot) };
    throw error;
  }
}

/** Stores SEQR's answer on the claim; false if this run no longer holds it (taken over after its lease). */
export async function recordTransactionPeriod(slot: string, claimId: string, transactionPeriodId: string, markedAt: string): Promise<boolean> {
  return writeIf(
    new UpdateCommand({
      TableName: tableName('periods'),
      Key: { slot },
      UpdateExpression: 'SET transactionPeriodId = :id, markedAt = :markedAt',
      ConditionExpression: 'claimId = :claimId AND attribute_not_exists(transactionPeriodId)',
      ExpressionAttributeValues: { ':id': transactionPeriodId, ':markedAt': markedAt, ':claimId': claimId },
    }),
  );
}

/** Gives the slot back (SEQR said no: nothing was marked), so the next retry need not wait for the lease. */
export async function releasePeriodSlot(slot: string, claimId: string): Promise<void> {
  await writeIf(
    new DeleteCommand({
      TableName: tableName('periods'),
      Key: { slot },
      ConditionExpression: 'claimId = :claimId AND attribute_not_exists(transactionPeriodId)',
      ExpressionAttributeValues: { ':claimId': claimId },
    }),
  );
}

export async function getPeriod(slot: string): Promise<StoredPeriod | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: tableName('periods'), Key: { slot }, ConsistentRead: true }));
  return Item as StoredPeriod | undefined;
}

/** Writes a period as is (tests, and repairs by hand). */
export async function putPeriod(period: StoredPeriod): Promise<void> {
  await documentClient().send(new PutCommand({ TableName: tableName('periods'), Item: period }));
}

/** The period store of the core on DynamoDB. */
export const dynamoPeriodStore: PeriodStore = {
  claimSlot: claimPeriodSlot,
  recordTransactionPeriod,
  releaseSlot: releasePeriodSlot,
};
