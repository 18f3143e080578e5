/**
 * The shop's changes to a stored invoice that are not statuses: new contents
 * after updateInvoice, the receipt document sent with submitPaymentReceipt.
 * Conditional single-item writes on the invoices table.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES } from '../../contract/index.js';
import type { StoredInvoice } from '../../core/invoices/invoice.js';
import type { InvoiceContents, InvoiceContentStore } from '../../core/invoices/update-invoice.js';
import type { ReceiptStore } from '../../core/invoices/submit-receipt.js';
import { documentClient, tableName } from './dynamo.js';

/** Attributes an update may drop (the new request leaves them out). */
const OPTIONAL_CONTENTS = ['clientInvoiceId', 'backUrl', 'sessionId', 'footer', 'cashierId', 'paymentMode'] as const;

async function updateOrUndefined(command: UpdateCommand): Promise<StoredInvoice | undefined> {
  try {
    const { Attributes } = await documentClient().send(command);
    return Attributes as StoredInvoice;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}

export const dynamoContentStore: InvoiceContentStore = {
  replaceContents(invoiceReference: string, contents: InvoiceContents, now: number) {
    const sets: string[] = ['updatedAt = :now'];
    const values: Record<string, unknown> = { ':now': new Date(now).toISOString() };
    const names: Record<string, string> = { '#status': 'status' };
    for (const [key, value] of Object.entries(contents)) {
      names[`#${key}`] = key;
      sets.push(`#${key} = :${key}`);
      values[`:${key}`] = value;
    }
    const removes = OPTIONAL_CONTENTS.filter((key) => contents[key] === undefined);
    for (const key of removes) names[`#${key}`] = key;
    const finals = [...FINAL_STATUSES];
    finals.forEach((status, i) => (values[`:final${i}`] = status));
    return updateOrUndefined(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.map((key) => `#${key}`).join(', ')}` : ''}`,
        ConditionExpression: `attribute_exists(invoiceReference) AND NOT (#status IN (${finals.map((_, i) => `:final${i}`).join(', ')}))`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
  },
};

export const dynamoReceiptStore: ReceiptStore = {
  recordReceipt(invoiceReference, receipt) {
    return updateOrUndefined(
      new UpdateCommand({
        TableName: tableName('invoices'),
        Key: { invoiceReference },
        UpdateExpression: 'SET paymentReceipt = :receipt',
        ConditionExpression: 'attribute_exists(invoiceReference)',
        ExpressionAttributeValues: { ':receipt': receipt },
        ReturnValues: 'ALL_NEW',
      }),
    );
  },
};
