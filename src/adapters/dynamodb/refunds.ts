/**
 * Refunds on the invoice item: a map `refunds` by refundId and the sum they
 * hold, `refundReservedMinor`, kept in one item so that one conditional write
 * stores a refund and checks it fits (no transactions, so dynalite serves it).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { refundCompletedEntry } from '../../core/events/outbox.js';
import type { StoredInvoice } from '../../core/invoices/invoice.js';
import type { RefundStore } from '../../core/refunds/refunds.js';
import { documentClient, tableName, writeIf } from './dynamo.js';
import { REFUND_LISTING } from './invoices.js';

function minor(value: bigint | number): number {
  const n = Number(value);
  // Totals are below 10^12 major units, 10^15 minor units at most: exact as a double.
  if (!Number.isSafeInteger(n)) throw new RangeError('amount out of range');
  return n;
}

export const dynamoRefundStore: RefundStore = {
  async reserve(invoiceReference, refund, totalMinor, needsMap) {
    if (needsMap) {
      await documentClient().send(
        new UpdateCommand({
          TableName: tableName('invoices'),
          Key: { invoiceReference },
          UpdateExpression: 'SET refunds = if_not_exists(refunds, :empty)',
          ConditionExpression: 'attribute_exists(invoiceReference)',
          ExpressionAttributeValues: { ':empty': {} },
        }),
      );
    }
    return writeIf(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: 'SET refunds.#id = :refund, refundReservedMinor = if_not_exists(refundReservedMinor, :zero) + :amount',
        ConditionExpression:
          '#status = :paid AND attribute_exists(refunds) AND attribute_not_exists(refunds.#id) AND (attribute_not_exists(refundReservedMinor) OR refundReservedMinor <= :limit)',
        ExpressionAttributeNames: { '#id': refund.refundId, '#status': 'status' },
        ExpressionAttributeValues: {
          ':refund': refund,
          ':zero': 0,
          ':amount': refund.amountMinor,
          ':paid': 'PAID',
          ':limit': minor(totalMinor - BigInt(refund.amountMinor)),
        },
      }),
    );
  },

  async complete(invoiceReference, refundId, ersReference, now, leaseUntil) {
    // The event's version and refunded sum are computed from the invoice as read; the write holds only while its version does.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { Item } = await documentClient().send(new GetCommand({ TableName: tableName('invoices'), Key: { invoiceReference }, ConsistentRead: true }));
      const current = Item as StoredInvoice | undefined;
      const state = current?.refunds?.[refundId]?.state;
      if (!current || (state !== 'PENDING' && state !== 'UNKNOWN')) return undefined;
      const entry = refundCompletedEntry(current, refundId, ersReference, now);
      try {
        const { Attributes } = await documentClient().send(
          new UpdateCommand({
            TableName: tableName('invoices'),
            Key: { invoiceReference },
            // refundListing and lastRefundCompletedAt put the invoice in the byRefundCompletedAt index, for reconciliation.
            UpdateExpression: `SET refunds.#id.#state = :succeeded, refunds.#id.ersReference = :ers, refunds.#id.completedAt = :now, refundListing = :listing, lastRefundCompletedAt = :now, #version = :next, outbox = list_append(if_not_exists(outbox, :noEvents), :events)${leaseUntil === undefined ? '' : ', outboxLeaseUntil = :leaseUntil'}`,
            ConditionExpression: 'refunds.#id.#state IN (:pending, :unknown) AND #version = :expected',
            ExpressionAttributeNames: { '#id': refundId, '#state': 'state', '#version': 'version' },
            ExpressionAttributeValues: {
              ':succeeded': 'SUCCEEDED',
              ':ers': ersReference,
              ':now': new Date(now).toISOString(),
              ':pending': 'PENDING',
              ':unknown': 'UNKNOWN',
              ':listing': REFUND_LISTING,
              ':expected': current.version,
              ':next': entry.version,
              ':noEvents': [],
              ':events': [entry],
              ...(leaseUntil === undefined ? {} : { ':leaseUntil': leaseUntil }),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return Attributes as StoredInvoice;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`refunds store: invoice ${invoiceReference} kept changing under the refund's completion`);
  },

  async release(invoiceReference, refundId, amountMinor) {
    await writeIf(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: 'REMOVE refunds.#id SET refundReservedMinor = refundReservedMinor - :amount',
        ConditionExpression: 'refunds.#id.#state = :pending',
        ExpressionAttributeNames: { '#id': refundId, '#state': 'state' },
        ExpressionAttributeValues: { ':amount': minor(amountMinor), ':pending': 'PENDING' },
      }),
    );
  },

  async markUnknown(invoiceReference, refundId) {
    await writeIf(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: 'SET refunds.#id.#state = :unknown',
        ConditionExpression: 'refunds.#id.#state = :pending',
        ExpressionAttributeNames: { '#id': refundId, '#state': 'state' },
        ExpressionAttributeValues: { ':unknown': 'UNKNOWN', ':pending': 'PENDING' },
      }),
    );
  },
};
