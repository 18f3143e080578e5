/**
 * Fault suite, the notification path alone: no page and the invoice watch
 * off, so nothing but the notification handler's own getPaymentStatus (and
 * its retries inside the confirmation budget) can confirm a payment before
 * SEQR's window closes. Each scenario pays SIZE.payments invoices at once
 * under SEQR faults; every one must end PAID, confirmed, not reversed, with
 * one change into PAID, stored by the notification path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFault, closeReader, expectHeld, runScenario, SEED, SIZE, startFaultStack, table, TIMING, type FaultStack, type Outcome } from './harness.js';

let stack: FaultStack;
const outcomes: Outcome[] = [];
const started = Date.now();

beforeAll(async () => {
  stack = await startFaultStack({ watch: false });
});
afterAll(async () => {
  process.stdout.write(table(`Fault suite, the notification path alone (no page, no watch): ${SIZE.payments} payments a scenario, seed ${SEED}, window ${TIMING.windowMs} ms, ${((Date.now() - started) / 1000).toFixed(1)} s`, outcomes));
  closeReader();
  await stack?.stop();
});

async function run(scenario: Parameters<typeof runScenario>[1]): Promise<Outcome> {
  const outcome = await runScenario(stack, scenario);
  outcomes.push(outcome);
  return outcome;
}

describe('When only the notification can confirm and SEQR fails', () => {
  it('should lose nothing with three consecutive faults per payment (SOAP fault, HTTP 503, dropped connection)', async () => {
    const o = await run({
      name: '3 consecutive faults',
      browser: false,
      arm: async ({ stack }) => {
        await addFault(stack, { kind: 'soapFault', operation: 'getPaymentStatus', perInvoice: true, count: 1 });
        await addFault(stack, { kind: 'httpError', status: 503, operation: 'getPaymentStatus', perInvoice: true, count: 1 });
        await addFault(stack, { kind: 'dropConnection', operation: 'getPaymentStatus', perInvoice: true, count: 1 });
      },
    });
    expectHeld(o);
    expect(o.injected).toBe(3 * o.payments);
    expect(o.paidBy).toEqual({ notification: o.payments });
  });

  it('should lose nothing through bursts of result codes 93 SYSTEM_BUSY and 94 SERVICE_UNAVAILABLE', async () => {
    const o = await run({
      name: 'bursts of 93 and 94',
      browser: false,
      arm: async ({ stack, invoices }) => {
        await addFault(stack, { kind: 'resultCode', code: 93, operation: 'getPaymentStatus', count: invoices.length });
        await addFault(stack, { kind: 'resultCode', code: 94, operation: 'getPaymentStatus', count: invoices.length });
      },
    });
    expectHeld(o);
    expect(o.injected).toBe(2 * o.payments);
    expect(o.paidBy).toEqual({ notification: o.payments });
  });

  it('should lose nothing, and change each invoice into PAID once, when every notification comes five times at once', async () => {
    const o = await run({
      name: 'notifications x5 at once',
      browser: false,
      arm: ({ stack }) => addFault(stack, { kind: 'notification', mode: 'duplicate', copies: 5, count: 'unlimited' }),
    });
    expectHeld(o);
    expect(o.notificationPosts).toBe(5 * o.payments);
    expect(o.paidBy).toEqual({ notification: o.payments });
  });
});
