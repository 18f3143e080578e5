/**
 * Events and the signed webhook on the local stack, over real sockets: the
 * real EventBridge client publishes to the local bus endpoint, which runs the
 * deployed webhook handler to POST each event, signed, to a real HTTP server.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../examples/webhook-receiver/verify.js';
import { LOCAL_TERMINAL } from '../../local/stack.js';
import { EVENT_SOURCE } from '../../src/contract/index.js';
import { createInvoice, eventually, post, simulator, simulatorInvoice, startTestStack, storedInvoice, type LocalStack } from '../support/local-stack.js';
import { busEventsFor, startWebhookReceiver, type WebhookReceiver } from './helpers.js';

let stack: LocalStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startTestStack({ webhookUrl: receiver.url, webhookSecret: 'test-webhook-secret', webhookRetryMs: 200, webhookRetryMaxMs: 400 });
});
afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function pay(invoiceReference: string) {
  expect((await simulator(stack, 'POST', `/simulator/invoices/${invoiceReference}/pay`)).status).toBe(200);
  await eventually(async () => (await storedInvoice(stack, invoiceReference)).body.status === 'PAID');
}

describe('When an invoice is paid', () => {
  it('should POST the PAID event to the shop once, as EventBridge delivers it, with a signature the documented check accepts', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    const ref = invoice.invoiceReference;
    await eventually(async () => receiver.deliveredFor(ref).length > 0, 5_000);

    const posts = receiver.received.filter((r) => r.event.detail.invoiceReference === ref);
    expect(posts).toHaveLength(1);
    const [post] = posts;
    const atSeqr = await simulatorInvoice(stack, ref);
    expect(post!.contentType).toBe('application/json');
    expect(post!.event).toMatchObject({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Invoice Status Changed',
      source: EVENT_SOURCE,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      resources: [],
      detail: {
        invoiceReference: ref,
        clientInvoiceId: '1042',
        status: 'PAID',
        previousStatus: 'ISSUED',
        version: 2,
        ersReference: atSeqr.ersReference,
        total: { value: '62.50', currency: 'SEK' },
        occurredAt: expect.any(String),
      },
    });
    // The body is the event the bus took, byte for byte as the queue would hold it.
    const onBus = stack.bus.events.filter((e) => e.detail.invoiceReference === ref);
    expect(onBus).toHaveLength(1);
    expect(post!.raw).toBe(JSON.stringify(onBus[0]));

    expect(post!.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(post!.raw, post!.signature, 'test-webhook-secret')).toBe(true);
    const t = Number(/t=(\d+)/.exec(post!.signature!)![1]);
    expect(Math.abs(Date.now() / 1000 - t)).toBeLessThan(30);
  });

  it('should have the documented check reject a forged body, a wrong secret, and a stale or future timestamp', async () => {
    const invoice = await createInvoice(stack);
    await pay(invoice.invoiceReference);
    await eventually(async () => receiver.deliveredFor(invoice.invoiceReference).length > 0, 5_000);
    const post = receiver.received.find((r) => r.event.detail.invoiceReference === invoice.invoiceReference)!;
    const secret = 'test-webhook-secret';
    const sign = (t: number, body = post.raw, key = secret) => `t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`;
    const now = Math.floor(Date.now() / 1000);

    expect(verifyWebhook(post.raw, post.signature, secret)).toBe(true);
    const forged = post.raw.replace('"status":"PAID"', '"status":"CANCELED"');
    expect(forged).not.toBe(post.raw);
    expect(verifyWebhook(forged, post.signature, secret)).toBe(false);
    expect(verifyWebhook(post.raw, post.signature, 'another-secret')).toBe(false);
    expect(verifyWebhook(post.raw, sign(now, post.raw, 'another-secret'), secret)).toBe(false);
    expect(verifyWebhook(post.raw, sign(now - 301), secret)).toBe(false);
    expect(verifyWebhook(post.raw, sign(now + 301), secret)).toBe(false);
    expect(verifyWebhook(post.raw, sign(now - 299), secret)).toBe(true);
    // The signature of one moment does not carry over to another.
    const t = Number(/t=(\d+)/.exec(post.signature!)![1]);
    expect(verifyWebhook(post.raw, post.signature!.replace(`t=${t}`, `t=${t + 1}`), secret)).toBe(false);
    expect(verifyWebhook(post.raw, undefined, secret)).toBe(false);
    expect(verifyWebhook(post.raw, 'v1=' + '0'.repeat(64), secret)).toBe(false);
  });

  it('should publish one PAID event for five duplicate notifications', async () => {
    const invoice = await createInvoice(stack);
    await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'duplicate', copies: 5 });
    await pay(invoice.invoiceReference);
    await eventually(async () => (await simulatorInvoice(stack, invoice.invoiceReference)).notificationsSent >= 5);
    await eventually(async () => receiver.deliveredFor(invoice.invoiceReference).length > 0, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    expect(receiver.deliveredFor(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
  });
});

describe('When the shop cancels an invoice', () => {
  it('should publish CANCELED with the status it left', async () => {
    const invoice = await createInvoice(stack);
    const response = await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.shopApiKey}` } });
    expect(response.status).toBe(200);
    await eventually(async () => receiver.deliveredFor(invoice.invoiceReference).length > 0, 5_000);
    expect(receiver.deliveredFor(invoice.invoiceReference)).toEqual(['Invoice Status Changed CANCELED@2']);
    expect(stack.bus.events.find((e) => e.detail.invoiceReference === invoice.invoiceReference)?.detail).toMatchObject({ previousStatus: 'ISSUED', status: 'CANCELED', version: 2 });
  });
});

describe('When a paid invoice is refunded', () => {
  it('should publish Refund Completed for each refund, with its own version and the refunded total', async () => {
    await simulator(stack, 'POST', `/simulator/terminals/${LOCAL_TERMINAL.terminalId}`, { refunds: 'allowed' });
    const invoice = await createInvoice(stack);
    const ref = invoice.invoiceReference;
    await pay(ref);
    const refund = (value: string) =>
      post(stack, `/invoices/${ref}/refunds`, { amount: { value, currency: 'SEK' } }, { 'idempotency-key': randomUUID() }).then(async (r) => ({ status: r.status, body: (await r.json()) as { refundId: string; ersReference: string } }));
    const first = await refund('20.00');
    const second = await refund('12.50');
    expect([first.status, second.status]).toEqual([201, 201]);
    await eventually(async () => receiver.deliveredFor(ref).length >= 3, 5_000);

    expect(receiver.deliveredFor(ref)).toEqual(['Invoice Status Changed PAID@2', 'Refund Completed PAID@3', 'Refund Completed PAID@4']);
    const refunds = stack.bus.events.filter((e) => e.detail.invoiceReference === ref && e['detail-type'] === 'Refund Completed').map((e) => e.detail);
    expect(refunds).toEqual([
      expect.objectContaining({
        status: 'PAID',
        previousStatus: 'PAID',
        version: 3,
        total: { value: '62.50', currency: 'SEK' },
        refundedTotal: { value: '20.00', currency: 'SEK' },
        refund: { refundId: first.body.refundId, amount: { value: '20.00', currency: 'SEK' }, ersReference: first.body.ersReference },
      }),
      expect.objectContaining({ version: 4, refundedTotal: { value: '32.50', currency: 'SEK' }, refund: expect.objectContaining({ refundId: second.body.refundId }) }),
    ]);
    // The shop's view counts the same versions.
    expect((await storedInvoice(stack, ref)).body).toMatchObject({ version: 4, refundedTotal: { value: '32.50', currency: 'SEK' } });
  });
});
