/**
 * Load: SIZE.load checkouts (200 in CI, 350 in `npm run faults`; 500 saturates the one local process), each page
 * with its own subscribed socket and the payment view's 5 s heartbeat, all
 * paid in the same instant, with 10 % of getPaymentStatus calls faulted (SOAP
 * faults, HTTP 503s and dropped connections, seeded). At the deployed timing
 * (SEQR's 20 s window, 10 s SOAP time-out): 0 lost, 0 duplicated, 0 reversed, 0 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFault, closeReader, expectHeld, runScenario, SEED, SIZE, startFaultStack, table, type FaultStack, type Outcome } from './harness.js';

let stack: FaultStack;
let outcome: Outcome | undefined;

beforeAll(async () => {
  stack = await startFaultStack({ deployedTiming: true });
});
afterAll(async () => {
  if (outcome) {
    process.stdout.write(table(`Load: ${SIZE.load} checkouts paid at once, 10 % of getPaymentStatus faulted, seed ${SEED}, deployed timing`, [outcome]));
    process.stdout.write(
      `load figures: checkouts ${outcome.payments}, PAID in store ${outcome.paidInStore}, confirmed ${outcome.confirmedInWindow}, lost ${outcome.lost}, ` +
        `duplicated ${outcome.maxPaidFramesPerSocket > 1 ? 'yes' : 0}, reversed ${outcome.reversed}, 5xx ${outcome.serverErrors}, heard by push ${outcome.heardByPush}, ` +
        `getPaymentStatus ${outcome.getPaymentStatusCalls} (faulted ${outcome.injected}), burst settled in ${outcome.settleSeconds.toFixed(1)} s, run ${outcome.seconds.toFixed(1)} s\n`,
    );
  }
  closeReader();
  await stack?.stop();
});

describe(`When ${SIZE.load} checkouts are paid at once with 10 % of getPaymentStatus calls failing`, () => {
  it('should lose none, push none twice, have none reversed and answer no 5xx', async () => {
    outcome = await runScenario(stack, {
      name: `load ${SIZE.load}, 10 % faulted`,
      payments: SIZE.load,
      browser: { socket: true, heartbeatMs: 5_000 },
      arm: async ({ stack }) => {
        const op = { operation: 'getPaymentStatus', count: 'unlimited' } as const;
        // The first acting rule decides: 1/30 + (29/30)(1/29) + (28/30)(1/28) = 10 % in all.
        await addFault(stack, { kind: 'soapFault', probability: 1 / 30, seed: SEED, ...op });
        await addFault(stack, { kind: 'httpError', status: 503, probability: 1 / 29, seed: SEED + 1, ...op });
        await addFault(stack, { kind: 'dropConnection', probability: 1 / 28, seed: SEED + 2, ...op });
      },
    });
    const o = outcome;
    expect(o.injected, 'about a tenth of the calls were faulted').toBeGreaterThan(0.04 * o.getPaymentStatusCalls);
    expectHeld(o);
    expect(o.maxPaidFramesPerSocket).toBe(1);
    expect({ serverErrors: o.serverErrors, byRoute: o.serverErrorsByRoute }).toEqual({ serverErrors: 0, byRoute: {} });
  }, Math.max(120_000, SIZE.load * 600));
});
