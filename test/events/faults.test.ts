/**
 * At least once, nothing lost: the local bus endpoint failing for a while
 * (HTTP 500, and entries refused with FailedEntryCount), the shop's endpoint
 * failing for a while, and a function that stops between its store write and
 * its publish. Every event still reaches the bus once and the shop once.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhook } from '../../examples/webhook-receiver/verify.js';
import { getInvoice } from '../../src/adapters/dynamodb/invoices.js';
import { eventPublisher } from '../../src/adapters/wiring.js';
import { createInvoice, eventually, simulator, sleep, startTestStack, storedInvoice, subscribe, type CreatedInvoice, type LocalStack } from '../support/local-stack.js';
import { busEventsFor, startWebhookReceiver, type WebhookReceiver } from './helpers.js';

const LEASE_MS = 1_500;
let stack: LocalStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startTestStack({
    webhookUrl: receiver.url,
    webhookRetryMs: 200,
    webhookRetryMaxMs: 500,
    // A short lease, so a later path may take over an outbox soon after its writer failed.
    env: { EVENT_OUTBOX_LEASE_MS: String(LEASE_MS), EVENT_PUBLISH_TIMEOUT_MS: '2000' },
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
  await receiver?.close();
});

async function payAndStore(invoice: CreatedInvoice) {
  expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);
  await eventually(async () => (await storedInvoice(stack, invoice.invoiceReference)).body.status === 'PAID');
}

/** The browser's polling path: GET /invoices/{ref}/status, which drains what a writer left. */
async function poll(invoice: CreatedInvoice) {
  const response = await fetch(invoice.statusUrl);
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; version: number };
}

describe('When the bus fails for a while and then recovers', () => {
  it('should still publish and deliver every event, once each', async () => {
    const invoices = await Promise.all([createInvoice(stack), createInvoice(stack), createInvoice(stack)]);
    stack.bus.failFor(60_000);
    for (const invoice of invoices) await payAndStore(invoice);
    // While it fails, the polling path's drains fail too, and nothing is lost.
    await sleep(LEASE_MS + 50);
    for (const invoice of invoices) expect((await poll(invoice)).status).toBe('PAID');
    expect(stack.bus.requests.filter((r) => r.answer === 'failed').length).toBeGreaterThanOrEqual(invoices.length * 2);
    for (const invoice of invoices) {
      expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual([]);
      expect((await getInvoice(invoice.invoiceReference))?.outbox?.map((e) => `${e.status}@${e.version}`)).toEqual(['PAID@2']);
    }

    // A bus that answers but refuses the entry (FailedEntryCount) counts as a failure too.
    stack.bus.failFor(0);
    stack.bus.refuseEntries(1);
    const refused = await createInvoice(stack);
    await payAndStore(refused);
    expect(stack.bus.requests.at(-1)?.answer).toBe('refused');
    expect(busEventsFor(stack.bus.events, refused.invoiceReference)).toEqual([]);
    invoices.push(refused);

    // Recovered, and the shop's endpoint failing for a moment: the polls drain, the webhook retries.
    receiver.failFor(60_000);
    await sleep(LEASE_MS + 50);
    for (const invoice of invoices) await poll(invoice);
    await eventually(async () => receiver.received.filter((r) => r.answered === 503).length >= invoices.length, 8_000);
    receiver.failFor(0);
    for (const invoice of invoices) {
      await eventually(async () => receiver.deliveredFor(invoice.invoiceReference).length > 0, 8_000);
    }
    await sleep(300);
    for (const invoice of invoices) {
      expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
      expect(receiver.deliveredFor(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
      expect((await getInvoice(invoice.invoiceReference))?.outbox).toEqual([]);
    }
    // Each was refused once at least, and then taken once.
    for (const invoice of invoices) {
      expect(receiver.received.filter((r) => r.event.detail.invoiceReference === invoice.invoiceReference && r.answered === 503).length).toBeGreaterThanOrEqual(1);
    }
    for (const r of receiver.received) expect(verifyWebhook(r.raw, r.signature, stack.webhookSecret)).toBe(true);
  });
});

describe('When the function stops between its store write and its publish', () => {
  it('should leave the event in the invoice, and the next path that reads the invoice publishes it', async () => {
    const invoice = await createInvoice(stack);
    // The one fault a real part cannot produce: the notification function gone right after its write.
    const publish = vi.spyOn(eventPublisher, 'publish').mockRejectedValueOnce(new Error('the function stopped after its store write'));
    await payAndStore(invoice);
    expect(publish).toHaveBeenCalledTimes(1);
    expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual([]);
    const stored = await getInvoice(invoice.invoiceReference);
    expect(stored?.outbox?.map((e) => `${e.status}@${e.version}`)).toEqual(['PAID@2']);

    // The shopper's page subscribes once its writer's lease is over: that read publishes it.
    await sleep(LEASE_MS + 50);
    const browser = await subscribe(invoice);
    await browser.next((m) => m.status === 'PAID');
    await eventually(async () => receiver.deliveredFor(invoice.invoiceReference).length > 0, 5_000);
    await browser.close();
    expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    expect(receiver.deliveredFor(invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
    expect((await getInvoice(invoice.invoiceReference))?.outbox).toEqual([]);
  });

  it('should not let a later path publish it while the writer still holds the outbox', async () => {
    const invoice = await createInvoice(stack);
    vi.spyOn(eventPublisher, 'publish').mockRejectedValueOnce(new Error('the function stopped after its store write'));
    await payAndStore(invoice);
    // At once, inside the writer's lease: the poll leaves it alone.
    await poll(invoice);
    expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual([]);
    await sleep(LEASE_MS + 50);
    await poll(invoice);
    await eventually(async () => busEventsFor(stack.bus.events, invoice.invoiceReference).length > 0, 3_000);
    expect(busEventsFor(stack.bus.events, invoice.invoiceReference)).toEqual(['Invoice Status Changed PAID@2']);
  });
});
