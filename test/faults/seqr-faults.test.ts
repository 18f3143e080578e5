/**
 * Fault suite, SEQR's side: each scenario pays SIZE.payments invoices at once
 * on the local stack while the simulator slows, fails, drops or repeats what
 * SEQR would, and nothing may be lost: every payment PAID in our store and
 * confirmed at SEQR inside its window, none reversed, one change into PAID per
 * invoice, at most one PAID frame per socket. The figures are printed as a table.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/local-stack.js';
import { addFault, closeReader, expectHeld, runScenario, SEED, SIZE, startFaultStack, table, TIMING, type FaultStack, type Outcome } from './harness.js';

let stack: FaultStack;
const outcomes: Outcome[] = [];
const started = Date.now();

beforeAll(async () => {
  stack = await startFaultStack();
});
afterAll(async () => {
  process.stdout.write(table(`Fault suite, SEQR's side: ${SIZE.payments} payments a scenario, seed ${SEED}, window ${TIMING.windowMs} ms, ${((Date.now() - started) / 1000).toFixed(1)} s`, outcomes));
  if (process.env.FAULTS_DEBUG_LOG && stack) (await import('node:fs')).appendFileSync(process.env.FAULTS_DEBUG_LOG + '.all', stack.logs.filter((l) => /"level":"(warn|error)"/.test(l)).join('\n') + '\n');
  closeReader();
  await stack?.stop();
});

async function run(scenario: Parameters<typeof runScenario>[1]): Promise<Outcome> {
  const outcome = await runScenario(stack, scenario);
  outcomes.push(outcome);
  return outcome;
}

const SOCKET_AND_HEARTBEAT = { socket: true, heartbeatMs: TIMING.heartbeatMs } as const;

describe('When SEQR is slow or failing on getPaymentStatus', () => {
  it('should lose nothing with half the calls answered close to the client’s time-out (some past it)', async () => {
    const o = await run({
      name: 'latency near time-out',
      browser: SOCKET_AND_HEARTBEAT,
      arm: ({ stack }) =>
        addFault(stack, { kind: 'latency', operation: 'getPaymentStatus', ms: TIMING.seqrTimeoutMs * 0.75, maxMs: TIMING.seqrTimeoutMs * 1.15, probability: 0.5, seed: SEED, count: 'unlimited' }),
    });
    expectHeld(o);
    const slow = stack.logs.filter((l) => l.includes('"retrying getPaymentStatus"') && l.includes('"timeout"'));
    expect(slow.length, 'some calls ran past the time-out and were retried').toBeGreaterThan(0);
  });

  it('should lose nothing with five consecutive 503s per payment (past the notification’s retries), the page’s heartbeat confirming', async () => {
    const o = await run({
      name: '5 consecutive 503s',
      browser: SOCKET_AND_HEARTBEAT,
      arm: ({ stack }) => addFault(stack, { kind: 'httpError', status: 503, operation: 'getPaymentStatus', perInvoice: true, count: 5 }),
    });
    expectHeld(o);
    expect(o.injected).toBe(5 * o.payments);
  });

});

describe('When SEQR’s notifications are lost, repeated or late', () => {
  it('should lose nothing when no notification arrives and the shopper’s page is open (socket and heartbeat)', async () => {
    const o = await run({
      name: 'notifications dropped, page open',
      browser: SOCKET_AND_HEARTBEAT,
      arm: ({ stack }) => addFault(stack, { kind: 'notification', mode: 'drop', count: 'unlimited' }),
    });
    expectHeld(o);
    expect(o.notificationPosts).toBe(0);
    expect((o.paidBy.poll ?? 0) + (o.paidBy.watch ?? 0)).toBe(o.payments);
  });

  it('should lose nothing when no notification arrives and no page is open (the invoice watch confirms)', async () => {
    const o = await run({
      name: 'notifications dropped, no page',
      browser: false,
      arm: ({ stack }) => addFault(stack, { kind: 'notification', mode: 'drop', count: 'unlimited' }),
    });
    expect(o.notificationPosts).toBe(0);
    expectHeld(o);
    expect(o.paidBy.watch).toBe(o.payments);
  });

  it('should lose nothing and push PAID once per socket when each notification comes five times, late', async () => {
    const o = await run({
      name: 'notifications x5, late',
      browser: SOCKET_AND_HEARTBEAT,
      // Spread from at once to well after the payment was confirmed (by the first copy, a page or the watch).
      arm: ({ stack }) => addFault(stack, { kind: 'notification', mode: 'duplicate', copies: 5, delayMs: 0, maxDelayMs: TIMING.windowMs * 0.5, seed: SEED, count: 'unlimited' }),
      // Every copy is answered before the outcome is read: a late duplicate's push would show as a second PAID frame.
      during: ({ stack, invoices }) =>
        eventually(async () => invoices.every((i) => stack.simulator.invoice(i.invoiceReference)!.notifications.filter((n) => n.answeredAtMs !== undefined).length === 5), TIMING.windowMs + 5_000).then(() => undefined),
    });
    expectHeld(o);
    expect(o.notificationPosts).toBe(5 * o.payments);
  });
});
