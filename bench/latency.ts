/**
 * How long after SEQR marks a payment PAID the shopper's page knows it:
 *   - push: the page holds the payment view's WebSocket (SEQR's notification →
 *     our getPaymentStatus → store → @connections → socket);
 *   - polling: the old plugin's page, a once-a-second timer GETting the status
 *     URL, started when the page loaded, so the payment falls at a random phase
 *     of the timer;
 * and, from the simulator's own stamps, how long SEQR waits from its
 * notification POST until our confirming getPaymentStatus reaches it.
 * The clock starts at the simulator's notification send time (taken in the same
 * tick in which it makes the invoice PAID).
 */
import type { LocalStack } from '../local/stack.js';
import { createInvoice, fromEpoch, mapLimit, notificationSentAt, pay, pollOnce, sleep, SocketPage, type CreatedInvoice } from './clients.js';

export interface PushSample {
  invoiceReference: string;
  ms: number;
}

/** Payments one after another, each with its page subscribed first; pages stay open until the end. */
export async function measurePush(stack: LocalStack, payments: number, warmUp = 3): Promise<PushSample[]> {
  const samples: PushSample[] = [];
  const pages: SocketPage[] = [];
  try {
    for (let i = 0; i < warmUp + payments; i++) {
      const invoice = await createInvoice(stack);
      const page = await SocketPage.open(invoice);
      pages.push(page);
      await pay(stack, invoice.invoiceReference);
      const paid = await page.next((r) => r.message.status === 'PAID', 15_000);
      const sentAt = notificationSentAt(stack, invoice.invoiceReference);
      if (sentAt === undefined) throw new Error(`no notification recorded for ${invoice.invoiceReference}`);
      // Warm-up payments warm the handlers and the SOAP client, as a warm Lambda is.
      if (i >= warmUp) samples.push({ invoiceReference: invoice.invoiceReference, ms: paid.at - sentAt });
    }
  } finally {
    await Promise.all(pages.map((page) => page.close()));
  }
  return samples;
}

export interface PollOptions {
  payments: number;
  /** Pages polling at the same time (each polls once a second). */
  concurrency: number;
  intervalMs?: number;
}

/** The old plugin's page: a poll at load and then one a second, the payment at a uniformly random phase. */
async function pollingPage(stack: LocalStack, invoice: CreatedInvoice, intervalMs: number): Promise<number> {
  const loadedAt = performance.now();
  // At least one poll sees the invoice open; then the shopper pays at any moment of the timer's period.
  const payAt = loadedAt + intervalMs + Math.random() * intervalMs;
  const payment = sleep(payAt - performance.now()).then(() => pay(stack, invoice.invoiceReference));
  try {
    for (let tick = 0; tick < 30; tick++) {
      await sleep(loadedAt + tick * intervalMs - performance.now());
      const answer = await pollOnce(invoice);
      const answeredAt = performance.now();
      if (answer.status === 'PAID') {
        await payment;
        const sentAt = notificationSentAt(stack, invoice.invoiceReference);
        if (sentAt === undefined) throw new Error(`no notification recorded for ${invoice.invoiceReference}`);
        return answeredAt - sentAt;
      }
    }
    throw new Error(`${invoice.invoiceReference}: the poll never saw PAID`);
  } finally {
    await payment.catch(() => undefined);
  }
}

export async function measurePolling(stack: LocalStack, options: PollOptions): Promise<number[]> {
  const intervalMs = options.intervalMs ?? 1000;
  return mapLimit(
    Array.from({ length: options.payments }, (_, i) => i),
    options.concurrency,
    async (i) => {
      // Pages load at different moments, as shoppers' do.
      await sleep((i % options.concurrency) * (intervalMs / options.concurrency));
      const invoice = await createInvoice(stack);
      return pollingPage(stack, invoice, intervalMs);
    },
  );
}

/** SEQR's notification POST → our getPaymentStatus reaching the simulator, per paid invoice. */
export function confirmationDelays(stack: LocalStack, invoiceReferences: readonly string[]): number[] {
  const delays: number[] = [];
  for (const ref of invoiceReferences) {
    const sent = stack.simulator.invoice(ref)?.notifications[0]?.sentAtMs;
    if (sent === undefined) continue;
    const arrivals = stack.simulator
      .calls({ operation: 'getPaymentStatus', invoiceReference: ref })
      .map((call) => call.receivedAtMs)
      .filter((at): at is number => at !== undefined && at >= sent)
      .sort((a, b) => a - b);
    if (arrivals[0] !== undefined) delays.push(fromEpoch(arrivals[0]) - fromEpoch(sent));
  }
  return delays;
}
