// Intent: with SEQR's notification lost and no browser at all, the back end's
// own watch confirms a payment inside SEQR's real 20 s window with the default
// 5 s interval: the invoice ends PAID and SEQR does not reverse it. Browsers
// polling as hard as they like never make SEQR see two getPaymentStatus in a
// second for one invoice, the watch's included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice, eventually, seqrCalls, simulator, simulatorInvoice, sleep, startTestStack, storedInvoice, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack & { logs: string[] };
beforeAll(async () => {
  // The real SEQR window and the watch's defaults (every 5 s, payment timeout 10 min).
  stack = await startTestStack({ watch: true, simulator: { confirmationWindowMs: 20_000 } });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

describe('a payment whose notification never arrives, with no browser open', () => {
  it('should be confirmed by the watch before SEQR’s 20 s window closes, end PAID, and not be reversed', async () => {
    const invoice = await createInvoice(stack);
    expect((await simulator(stack, 'POST', '/simulator/faults', { kind: 'notification', mode: 'drop' })).status).toBe(201);
    await sleep(1_200); // paid a little after creation, so the first round (at 5 s) is not at the very moment of payment
    const paidAt = Date.now();
    expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);

    const stored = await eventually(async () => {
      const { body } = await storedInvoice(stack, invoice.invoiceReference);
      return body.status === 'PAID' ? body : undefined;
    }, 19_000, 200);
    expect(stored?.status).toBe('PAID');
    expect(Date.now() - paidAt).toBeLessThan(20_000);

    const atSeqr = await simulatorInvoice(stack, invoice.invoiceReference);
    expect(atSeqr).toMatchObject({ status: 'PAID', confirmed: true, reversed: false, notificationsSent: 0 });
    expect(stored?.ersReference).toBe(atSeqr.ersReference);
    // And the shop's back end hears it: one PAID event on the bus.
    const published = await eventually(async () => {
      const found = stack.bus.events.filter((e) => e.detail.invoiceReference === invoice.invoiceReference);
      return found.length > 0 ? found : undefined;
    }, 5_000);
    expect(published?.map((e) => [e['detail-type'], e.detail.status, e.detail.ersReference])).toEqual([['Invoice Status Changed', 'PAID', atSeqr.ersReference]]);

    // The chain ends at PAID: no message waits, and SEQR hears nothing more about the invoice.
    expect(await eventually(async () => stack.queues!.pending('watch') === 0, 5_000)).toBe(true);
    const asked = (await seqrCalls(stack, 'getPaymentStatus')).filter((c) => c.invoiceReference === invoice.invoiceReference).length;
    await sleep(5_500);
    expect((await seqrCalls(stack, 'getPaymentStatus')).filter((c) => c.invoiceReference === invoice.invoiceReference)).toHaveLength(asked);
    // Still confirmed after SEQR's window has passed.
    expect(await simulatorInvoice(stack, invoice.invoiceReference)).toMatchObject({ status: 'PAID', reversed: false });
  }, 40_000);

  it('should never let SEQR see more than one getPaymentStatus a second for an invoice, however hard browsers poll', async () => {
    const invoice = await createInvoice(stack);
    const started = Date.now();
    const until = started + 11_000; // two of the watch's rounds
    const polls: Promise<unknown>[] = [];
    while (Date.now() < until) {
      polls.push(fetch(invoice.statusUrl).then((r) => r.text()));
      await sleep(150);
    }
    await Promise.all(polls);
    const calls = (await simulator(stack, 'GET', `/simulator/calls?operation=getPaymentStatus&invoiceReference=${invoice.invoiceReference}`)).body.calls as {
      receivedAtMs: number;
    }[];
    const times = calls.map((c) => c.receivedAtMs).sort((a, b) => a - b);
    expect(times.length).toBeGreaterThanOrEqual(8);
    // At most one a second: no more calls than started seconds (the first at once)...
    expect(times.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1_000) + 1);
    // ...and none close together. The slot is taken at 1 s intervals by the functions' clocks; each
    // request then reaches SEQR after its own few (on a loaded machine, up to ~100) ms of SOAP work.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `call ${i}`).toBeGreaterThan(800);
    // The watch took part: its rounds are in the log, and it found the slot taken or asked itself.
    const rounds = stack.logs.filter((line) => line.includes('"invoice watch round"') && line.includes(invoice.invoiceReference));
    expect(rounds.length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});
