/** Helpers for the transaction-period tests on the local stack: the schedule's invoke, periods over HTTP, seeded store rows. */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { advanceStatus, createInvoice as storeInvoice, invoiceExpiry } from '../../src/adapters/dynamodb/invoices.js';
import { dynamoRefundStore } from '../../src/adapters/dynamodb/refunds.js';
import { createInvoice, simulator, type LocalStack } from '../support/local-stack.js';

/** What EventBridge Scheduler does: invoke the transaction-period function with the scheduled time (here synchronously, to see the result). */
export async function scheduledRun(stack: LocalStack, scheduledTime: string): Promise<{ result?: Record<string, any>; error?: { errorType: string; errorMessage: string } }> {
  const client = new LambdaClient({ endpoint: stack.lambda.url, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const answer = await client.send(
      new InvokeCommand({ FunctionName: 'transactionPeriod', InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify({ scheduledTime })) }),
    );
    const body = JSON.parse(new TextDecoder().decode(answer.Payload));
    return answer.FunctionError ? { error: body } : { result: body };
  } finally {
    client.destroy();
  }
}

export async function shopGet(stack: LocalStack, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${stack.httpUrl}${path}`, { headers: { authorization: `Bearer ${stack.shopApiKey}` } });
  return { status: response.status, body: await response.json() };
}

/** An invoice created through our route and paid in the (simulated) app: SEQR notifies, we confirm and store PAID. */
export async function paidInvoice(stack: LocalStack): Promise<{ invoiceReference: string; ersReference: string }> {
  const invoice = await createInvoice(stack);
  const paid = await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
  if (paid.status !== 200) throw new Error(`pay: ${paid.status}`);
  const stored = await shopGet(stack, `/invoices/${invoice.invoiceReference}`);
  if (stored.body.status !== 'PAID') throw new Error(`not stored PAID: ${JSON.stringify(stored.body)}`);
  return { invoiceReference: invoice.invoiceReference, ersReference: String(stored.body.ersReference) };
}

let nextReference = 9_100_000_000_000;

/** An invoice our store says is PAID, written straight into the store (SEQR never saw it, or saw it otherwise). */
export async function storedPaid(invoiceReference = String(nextReference++), ersReference = `9${String(Date.now()).padStart(13, '0')}${String(nextReference++).slice(-11)}`, total = '10.00') {
  const now = new Date().toISOString();
  await storeInvoice({
    invoiceReference,
    status: 'ISSUED',
    version: 1,
    seqrVersion: 1,
    title: 'Seeded',
    currency: 'SEK',
    total,
    rows: [],
    qrCode: `HTTP://SEQR.SE/R${invoiceReference}`,
    notificationTokenHash: `seeded-n-${invoiceReference}`,
    subscribeTokenHash: `seeded-s-${invoiceReference}`,
    createdAt: now,
    updatedAt: now,
    expiresAt: invoiceExpiry(),
  }).catch((error: { name?: string }) => {
    // Already there (an invoice SEQR knows, created through our route): only its status is seeded.
    if (error?.name !== 'ConditionalCheckFailedException') throw error;
  });
  const updated = await advanceStatus(invoiceReference, { status: 'PAID', seqrVersion: 99, ersReference });
  if (!updated) throw new Error('could not seed PAID');
  return { invoiceReference, ersReference };
}

/** Changes a stored invoice's total behind the code's back (a store that disagrees with SEQR). */
export async function setStoredTotal(stack: LocalStack, invoiceReference: string, total: string): Promise<void> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  await client.send(
    new UpdateCommand({ TableName: 'seqr-invoices', Key: { invoiceReference }, UpdateExpression: 'SET #total = :total', ExpressionAttributeNames: { '#total': 'total' }, ExpressionAttributeValues: { ':total': total } }),
  );
  client.destroy();
}

export function jsonLines(logs: string[], message: string): Record<string, any>[] {
  return logs.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as Record<string, any>;
      return parsed.message === message ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

export async function executeReportCalls(stack: LocalStack): Promise<{ resultCode: number | null }[]> {
  return (await simulator(stack, 'GET', '/simulator/calls?operation=executeReport')).body.calls as never;
}

/** A refund through our route (Idempotency-Key), as the shop makes one. */
export async function refundThroughRoute(stack: LocalStack, invoiceReference: string, value: string): Promise<{ refundId: string; ersReference: string }> {
  const response = await fetch(`${stack.httpUrl}/invoices/${invoiceReference}/refunds`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.shopApiKey}`, 'content-type': 'application/json', 'idempotency-key': `test-${invoiceReference}-${value}` },
    body: JSON.stringify({ amount: { value, currency: 'SEK' } }),
  });
  const body = (await response.json()) as { refundId: string; ersReference: string };
  if (response.status !== 201) throw new Error(`refund: ${response.status} ${JSON.stringify(body)}`);
  return body;
}

/** A SUCCEEDED refund written straight into our store (SEQR never made it). */
export async function storedRefund(invoiceReference: string, amount: string, ersReference: string): Promise<{ refundId: string }> {
  const refundId = `seeded-${ersReference.slice(-8)}`;
  const amountMinor = Math.round(Number(amount) * 100);
  const now = new Date().toISOString();
  const reserved = await dynamoRefundStore.reserve(invoiceReference, { refundId, state: 'PENDING', amount, amountMinor, title: 'Seeded', createdAt: now }, 10n ** 12n, true);
  if (!reserved) throw new Error('could not seed the refund');
  if (!(await dynamoRefundStore.complete(invoiceReference, refundId, ersReference, Date.now()))) throw new Error('could not complete the seeded refund');
  return { refundId };
}

/** Changes a stored refund's amount behind the code's back. */
export async function setStoredRefundAmount(stack: LocalStack, invoiceReference: string, refundId: string, amount: string): Promise<void> {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: stack.dynamoDbEndpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  await client.send(
    new UpdateCommand({
      TableName: 'seqr-invoices',
      Key: { invoiceReference },
      UpdateExpression: 'SET refunds.#id.amount = :amount',
      ExpressionAttributeNames: { '#id': refundId },
      ExpressionAttributeValues: { ':amount': amount },
    }),
  );
  client.destroy();
}
