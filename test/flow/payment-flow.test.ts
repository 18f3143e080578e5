/**
 * The payment flow end to end on the local stack: the shop creates an invoice,
 * the simulated shopper pays, SEQR notifies us, we confirm with getPaymentStatus,
 * store PAID and push it to the browser's socket. Real HTTP, sockets and dynalite.
 */
import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '../../src/adapters/dynamodb/dynamo.js';
import {
  createInvoice,
  eventually,
  openSocket,
  seqrCalls,
  simulator,
  simulatorInvoice,
  sleep,
  startTestStack,
  storedInvoice,
  subscribe,
  type LocalStack,
} from '../support/local-stack.js';

let stack: LocalStack & { logs: string[] };

beforeAll(async () => {
  stack = await startTestStack({ simulator: { confirmationWindowMs: 3_000 } });
});
afterAll(async () => {
  await stack?.stop();
});

const isPaid = (m: Record<string, unknown>) => m.status === 'PAID';

describe('When the shopper pays an invoice', () => {
  it('should push PAID with the ersReference to the subscribed socket, store PAID, and confirm with SEQR', async () => {
    const invoice = await createInvoice(stack);
    expect(invoice).toMatchObject({
      status: 'ISSUED',
      total: { value: '62.50', currency: 'SEK' },
      qrCode: `HTTP://SEQR.SE/R${invoice.invoiceReference}`,
      appLink: `SEQR://SEQR.SE/R${invoice.invoiceReference}`,
    });
    expect(invoice.statusUrl).toBe(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/status?token=${invoice.subscribeToken}`);
    expect(invoice.websocketUrl).toBe(`${stack.websocketUrl}/?invoice=${invoice.invoiceReference}&token=${invoice.subscribeToken}`);

    const browser = await subscribe(invoice);
    const first = await browser.next(() => true);
    expect(first).toEqual({ type: 'invoice.status', invoiceReference: invoice.invoiceReference, status: 'ISSUED', version: 1 });

    expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);
    const paid = await browser.next(isPaid);
    const atSeqr = await simulatorInvoice(stack, invoice.invoiceReference);
    expect(paid).toEqual({ type: 'invoice.status', invoiceReference: invoice.invoiceReference, status: 'PAID', ersReference: atSeqr.ersReference, version: 2 });
    expect(atSeqr.ersReference).toMatch(/^\d{25}$/);

    const stored = await storedInvoice(stack, invoice.invoiceReference);
    expect(stored.body).toMatchObject({ status: 'PAID', ersReference: atSeqr.ersReference, version: 2 });
    expect(atSeqr).toMatchObject({ status: 'PAID', confirmed: true, reversed: false });

    // Past the reversal window, it stays paid.
    await sleep(3_300);
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', reversed: false });
    await browser.close();
  });

  it('should send the current status at once to a socket that subscribes after the payment', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    await eventually(async () => (await storedInvoice(stack, invoice.invoiceReference)).body.status === 'PAID');

    const late = await subscribe(invoice);
    const message = await late.next(() => true, 2_000);
    expect(message).toMatchObject({ status: 'PAID', invoiceReference: invoice.invoiceReference });
    expect(message.ersReference).toMatch(/^\d{25}$/);
    await late.close();
  });

  it('should make one status transition and one PAID push per connection for five duplicate notifications', async () => {
    const invoice = await createInvoice(stack);
    const browsers = [await subscribe(invoice), await subscribe(invoice)];
    for (const browser of browsers) await browser.next(() => true);
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'duplicate', copies: 5 });

    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    for (const browser of browsers) await browser.next(isPaid);
    await eventually(async () => (await simulatorInvoice(stack, invoice.invoiceReference)).notificationsSent >= 5);
    await sleep(500);

    for (const browser of browsers) expect(browser.messages.filter(isPaid)).toHaveLength(1);
    const stored = await storedInvoice(stack, invoice.invoiceReference);
    // Version 1 at creation, 2 after the one transition to PAID.
    expect(stored.body).toMatchObject({ status: 'PAID', version: 2 });
    for (const browser of browsers) await browser.close();
  });
});

describe('When the browser has no socket', () => {
  it('should find PAID by polling the status endpoint and confirm the payment in time', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'drop' });
    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);

    const status = await eventually(async () => {
      const response = await fetch(invoice.statusUrl, { headers: { origin: 'http://localhost:5173' } });
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      const body = (await response.json()) as Record<string, unknown>;
      return body.status === 'PAID' ? body : undefined;
    }, 2_500, 1_000);
    expect(status).toMatchObject({ invoiceReference: invoice.invoiceReference, status: 'PAID', version: 2 });
    expect(status?.ersReference).toMatch(/^\d{25}$/);

    await sleep(3_300);
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', confirmed: true, reversed: false, notificationsSent: 0 });
  });

  it('should ask SEQR at most once a second however many browsers poll', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'DELETE', '/simulator/calls');
    const started = Date.now();
    await Promise.all(Array.from({ length: 20 }, () => fetch(invoice.statusUrl).then((r) => r.json())));
    const elapsedMs = Date.now() - started;
    const calls = (await seqrCalls(stack, 'getPaymentStatus')).filter((c) => c.invoiceReference === invoice.invoiceReference);
    // Twenty polls at once get one call; on a loaded machine they may spread past a second, and
    // then one more call per second is allowed, never two in the same second.
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls.length).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / 1000));
    const times = calls.map((c) => Date.parse(c.at)).sort((a, b) => a - b);
    // The slot is taken before the SOAP request is sent, so arrival gaps may be a little under 1 s.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(800);
  });
});

describe('When tokens are stored', () => {
  it('should keep only hashes of the notification and subscribe tokens, and a notificationUrl unique to the purchase', async () => {
    const [a, b] = [await createInvoice(stack), await createInvoice(stack)];
    const urls = await Promise.all([a, b].map(async (i) => (await simulator(stack, 'GET', `/simulator/invoices/${i.invoiceReference}`)).body.notificationUrl as string));
    expect(urls[0]).not.toBe(urls[1]);
    const token = urls[0]!.split('/').at(-1)!;
    expect(token).toMatch(/^[\w-]{43}$/);
    const { GetCommand } = await import('@aws-sdk/lib-dynamodb');
    const { Item } = await documentClient().send(new GetCommand({ TableName: process.env.INVOICES_TABLE, Key: { invoiceReference: a.invoiceReference } }));
    const item = JSON.stringify(Item);
    expect(item).not.toContain(token);
    expect(item).not.toContain(a.subscribeToken);
    expect(Item?.notificationTokenHash).toBe(createHash('sha256').update(token).digest('hex'));
  });
});

describe('When a caller is not who it says', () => {
  it('should answer 404 to an unknown notification token and not call getPaymentStatus', async () => {
    await simulator(stack, 'DELETE', '/simulator/calls');
    const response = await fetch(`${stack.httpUrl}/seqr/notifications/${'A'.repeat(43)}`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(await seqrCalls(stack, 'getPaymentStatus')).toHaveLength(0);
  });

  it('should refuse a socket with a wrong subscribe token', async () => {
    const invoice = await createInvoice(stack);
    const wrong = invoice.websocketUrl.replace(invoice.subscribeToken, 'x'.repeat(43));
    await expect(openSocket(wrong)).rejects.toThrow(/HTTP 403/);
    const status = await fetch(invoice.statusUrl.replace(invoice.subscribeToken, 'wrong'));
    expect(status.status).toBe(404);
  });
});

describe('When a browser vanished without $disconnect', () => {
  it('should handle the 410 from @connections and delete the connection row', async () => {
    const invoice = await createInvoice(stack);
    const ghost = { invoiceReference: invoice.invoiceReference, connectionId: 'Gh0stConnId00A=', connectedAt: new Date(Date.now() - 60_000).toISOString(), expiresAt: Math.floor(Date.now() / 1000) + 3600 };
    // A row written a moment ago may be a socket whose $connect has not returned (also 410 from @connections): kept.
    const young = { ...ghost, connectionId: 'Y0ungConnId00A=', connectedAt: new Date().toISOString() };
    for (const item of [ghost, young]) await documentClient().send(new PutCommand({ TableName: process.env.CONNECTIONS_TABLE, Item: item }));
    const browser = await subscribe(invoice);
    await browser.next(() => true);

    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    await browser.next(isPaid);
    const rows = await eventually(async () => {
      const { Items } = await documentClient().send(
        new (await import('@aws-sdk/lib-dynamodb')).QueryCommand({
          TableName: process.env.CONNECTIONS_TABLE,
          KeyConditionExpression: 'invoiceReference = :r',
          ExpressionAttributeValues: { ':r': invoice.invoiceReference },
        }),
      );
      return Items?.some((i) => i.connectionId === ghost.connectionId) ? undefined : Items;
    });
    // The live browser's row and the young one remain; the ghost's is gone.
    expect(rows).toHaveLength(2);
    expect(rows?.map((r) => r.connectionId)).toContain(young.connectionId);
    expect(stack.logs.some((line) => line.includes('connection gone') && line.includes(ghost.connectionId))).toBe(true);
    await browser.close();
  });
});

describe('When SEQR stumbles while we confirm', () => {
  it('should retry getPaymentStatus past a transport error and code 94 and still confirm within the window', async () => {
    const invoice = await createInvoice(stack);
    const browser = await subscribe(invoice);
    await browser.next(() => true);
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'soapFault', operation: 'getPaymentStatus', count: 1 });
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'resultCode', code: 94, operation: 'getPaymentStatus', count: 1 });
    await simulator(stack, 'DELETE', '/simulator/calls');

    await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
    await browser.next(isPaid);
    const calls = (await seqrCalls(stack, 'getPaymentStatus')).filter((c) => c.invoiceReference === invoice.invoiceReference);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    expect(calls.at(-1)?.resultCode).toBe(0);
    await sleep(3_300);
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', confirmed: true, reversed: false });
    await browser.close();
  });
});

describe('When DynamoDB stumbles while we store a confirmed payment', () => {
  it('should retry the status update and still end PAID in the store', async () => {
    // dynalite cannot be made to fail on demand, so a middleware on the real client fails two updates.
    let failures = 0;
    const client = documentClient();
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (input.UpdateExpression?.includes('#status = :status') && failures < 2) {
          failures++;
          throw Object.assign(new Error('injected: service unavailable'), { name: 'ServiceUnavailable', $fault: 'server' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'injectStatusUpdateFaults' },
    );
    try {
      const invoice = await createInvoice(stack);
      const browser = await subscribe(invoice);
      await browser.next(() => true);
      await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`);
      await browser.next(isPaid);
      expect(failures).toBe(2);
      expect((await storedInvoice(stack, invoice.invoiceReference)).body).toMatchObject({ status: 'PAID', version: 2 });
      expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ confirmed: true, reversed: false });
      await browser.close();
    } finally {
      client.middlewareStack.remove('injectStatusUpdateFaults');
    }
  });
});
