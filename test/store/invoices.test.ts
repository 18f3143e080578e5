/**
 * The invoice store's status rules on dynalite: statuses move forward only,
 * a stale SEQR answer changes nothing, a final status stays, and PAID (which
 * SEQR has committed) always lands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables, startDynamoDb, type RunningDynamoDb } from '../../local/dynamodb.js';
import { advanceStatus, createInvoice, getInvoice, invoiceExpiry, type StoredInvoice } from '../../src/adapters/dynamodb/invoices.js';

let dynamo: RunningDynamoDb;
let next = 1_000_000_000_000;

beforeAll(async () => {
  dynamo = await startDynamoDb({ port: 0 });
  await createTables(dynamo.endpoint, { invoices: 'inv', connections: 'con', periods: 'per', idempotency: 'idem' });
  Object.assign(process.env, {
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    INVOICES_TABLE: 'inv',
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
});
afterAll(async () => {
  await dynamo?.stop();
});

async function stored(status: StoredInvoice['status'] = 'ISSUED', seqrVersion = 1): Promise<string> {
  const invoiceReference = String(next++);
  const now = new Date().toISOString();
  await createInvoice({
    invoiceReference,
    status,
    version: 1,
    seqrVersion,
    title: 't',
    currency: 'SEK',
    total: '1.00',
    rows: [],
    qrCode: `HTTP://SEQR.SE/R${invoiceReference}`,
    notificationTokenHash: `n${invoiceReference}`,
    subscribeTokenHash: `s${invoiceReference}`,
    createdAt: now,
    updatedAt: now,
    expiresAt: invoiceExpiry(),
  });
  return invoiceReference;
}

describe('When a status update reaches the store', () => {
  it('should move ISSUED to PAID once, and ignore the same update again', async () => {
    const ref = await stored();
    expect(await advanceStatus(ref, { status: 'PAID', seqrVersion: 2, ersReference: '1'.repeat(25) })).toMatchObject({ status: 'PAID', version: 2 });
    expect(await advanceStatus(ref, { status: 'PAID', seqrVersion: 2 })).toBeUndefined();
    expect(await getInvoice(ref)).toMatchObject({ status: 'PAID', version: 2, ersReference: '1'.repeat(25) });
  });

  it('should never move a final status to another one but PAID', async () => {
    const ref = await stored('PAID', 2);
    expect(await advanceStatus(ref, { status: 'CANCELED', seqrVersion: 3 })).toBeUndefined();
    expect(await advanceStatus(ref, { status: 'ISSUED', seqrVersion: 4 })).toBeUndefined();
    expect((await getInvoice(ref))?.status).toBe('PAID');
  });

  it('should let PAID, which SEQR has committed, replace another final status', async () => {
    const ref = await stored('CANCELED', 2);
    expect(await advanceStatus(ref, { status: 'PAID', seqrVersion: 3 })).toMatchObject({ status: 'PAID' });
  });

  it('should ignore an open status from an older SEQR version', async () => {
    const ref = await stored('RESERVED', 3);
    expect(await advanceStatus(ref, { status: 'ISSUED', seqrVersion: 2 })).toBeUndefined();
    expect((await getInvoice(ref))?.status).toBe('RESERVED');
  });
});

describe('When an invoice is past its expiresAt', () => {
  it('should read as absent before DynamoDB’s TTL gets round to deleting it', async () => {
    const ref = await stored();
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { documentClient } = await import('../../src/adapters/dynamodb/dynamo.js');
    await documentClient().send(
      new UpdateCommand({ TableName: 'inv', Key: { invoiceReference: ref }, UpdateExpression: 'SET expiresAt = :past', ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 } }),
    );
    expect(await getInvoice(ref)).toBeUndefined();
  });
});
