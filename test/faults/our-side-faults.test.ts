/**
 * Fault suite, our side: the store stopped mid-run and started again on the
 * same data (dynalite on disk, closed and reopened), the `@connections` API
 * failing or hanging, sockets cut without a close frame and reconnected, and
 * every fault of both suites at once. Each scenario pays SIZE.payments
 * invoices at once; nothing may be lost or reversed, one change into PAID per
 * invoice, at most one PAID frame per socket.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../support/local-stack.js';
import { addFault, closeReader, expectHeld, runScenario, SEED, SIZE, startFaultStack, table, TIMING, type FaultStack, type Outcome } from './harness.js';

let stack: FaultStack;
let dataDir: string;
const outcomes: Outcome[] = [];
const started = Date.now();

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'seqr-faults-'));
  // On disk, so that stopping the store closes dynalite's database and starting it reopens the same files.
  stack = await startFaultStack({ dataPath: path.join(dataDir, 'dynamodb') });
});
afterAll(async () => {
  process.stdout.write(table(`Fault suite, our side: ${SIZE.payments} payments a scenario, seed ${SEED}, window ${TIMING.windowMs} ms, ${((Date.now() - started) / 1000).toFixed(1)} s`, outcomes));
  if (process.env.FAULTS_DEBUG_LOG && stack) (await import('node:fs')).appendFileSync(process.env.FAULTS_DEBUG_LOG + '.all', stack.logs.filter((l) => /"level":"(warn|error)"/.test(l)).join('\n') + '\n');
  closeReader();
  await stack?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function run(scenario: Parameters<typeof runScenario>[1]): Promise<Outcome> {
  const outcome = await runScenario(stack, scenario);
  outcomes.push(outcome);
  return outcome;
}

const PAGE = { socket: true, heartbeatMs: TIMING.heartbeatMs } as const;

/** A draw in [from, to) from a small seeded generator, so a run's timings repeat. */
function drawer(seed: number) {
  let a = seed >>> 0;
  return (from: number, to: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return from + (((t ^ (t >>> 14)) >>> 0) / 4294967296) * (to - from);
  };
}

describe('When our store is briefly down', () => {
  it('should lose nothing when DynamoDB stops for 2 s mid-run and starts again on the same data', async () => {
    let downFor = 0;
    const o = await run({
      name: 'DynamoDB down 2 s',
      browser: PAGE,
      // Notifications spread over the outage and after it.
      arm: ({ stack }) => addFault(stack, { kind: 'notification', mode: 'late', delayMs: 0, maxDelayMs: 3_000, seed: SEED, count: 'unlimited' }),
      during: async ({ stack }) => {
        await sleep(150);
        await stack.dynamo.stop();
        const stoppedAt = Date.now();
        await sleep(2_000);
        await stack.dynamo.start();
        downFor = Date.now() - stoppedAt;
      },
    });
    expect(downFor).toBeGreaterThanOrEqual(2_000);
    expect(stack.dynamo.running).toBe(true);
    // The outage was felt: some request met the stopped store.
    expect(stack.logs.some((l) => /ECONNREFUSED|ECONNRESET|socket hang up|retrying the status update|not_stored|could not/i.test(l))).toBe(true);
    expectHeld(o);
  });
});

describe('When the @connections API fails or hangs', () => {
  it('should lose nothing and push PAID at most once per socket when half the posts answer 500', async () => {
    const before = stack.websocket.connectionsCounts().failed;
    const o = await run({
      name: '@connections 500 (p=0.5)',
      browser: PAGE,
      arm: async ({ stack }) => stack.websocket.setConnectionsFault({ mode: 'fail', probability: 0.5, seed: SEED }),
    });
    expect(stack.websocket.connectionsCounts().failed - before).toBeGreaterThan(0);
    expectHeld(o);
  });

  it('should lose nothing when half the posts hang until the push time-out', async () => {
    const before = stack.websocket.connectionsCounts().hung;
    const o = await run({
      name: '@connections hangs (p=0.5)',
      browser: PAGE,
      arm: async ({ stack }) => stack.websocket.setConnectionsFault({ mode: 'hang', probability: 0.5, seed: SEED }),
    });
    expect(stack.websocket.connectionsCounts().hung - before).toBeGreaterThan(0);
    expectHeld(o);
  });
});

describe('When sockets drop', () => {
  it('should lose nothing, and hear PAID at most once per socket, when every socket is cut without a close frame mid-payment and reconnected', async () => {
    const draw = drawer(SEED);
    const o = await run({
      name: 'sockets cut, reconnected',
      browser: PAGE,
      during: async ({ browsers }) => {
        await Promise.all(
          browsers.map(async (browser) => {
            await sleep(draw(0, 400));
            browser.cut();
            await sleep(draw(100, 900));
            await browser.reconnect();
          }),
        );
      },
    });
    expect(o.sockets).toBe(2 * o.payments);
    expectHeld(o);
  });
});

describe('When everything goes wrong at once', () => {
  it('should lose nothing under every fault mixed: slow and failing SEQR, dropped, repeated and late notifications, the store down, pushes failing, sockets cut', async () => {
    const draw = drawer(SEED + 1);
    const o = await run({
      name: 'everything at once',
      browser: PAGE,
      arm: async ({ stack }) => {
        const op = { operation: 'getPaymentStatus', count: 'unlimited' } as const;
        await addFault(stack, { kind: 'latency', ms: TIMING.seqrTimeoutMs * 0.5, maxMs: TIMING.seqrTimeoutMs * 1.1, probability: 0.3, seed: SEED + 2, ...op });
        await addFault(stack, { kind: 'soapFault', probability: 0.05, seed: SEED + 3, ...op });
        await addFault(stack, { kind: 'httpError', status: 503, probability: 0.05, seed: SEED + 4, ...op });
        await addFault(stack, { kind: 'dropConnection', probability: 0.05, seed: SEED + 5, ...op });
        await addFault(stack, { kind: 'resultCode', code: 93, probability: 0.05, seed: SEED + 6, ...op });
        await addFault(stack, { kind: 'resultCode', code: 94, probability: 0.05, seed: SEED + 7, ...op });
        await addFault(stack, { kind: 'notification', mode: 'drop', probability: 0.15, seed: SEED + 8, count: 'unlimited' });
        await addFault(stack, { kind: 'notification', mode: 'duplicate', copies: 5, delayMs: 0, maxDelayMs: 2_000, probability: 0.5, seed: SEED + 9, count: 'unlimited' });
        stack.websocket.setConnectionsFault({ mode: 'fail', probability: 0.2, seed: SEED + 10 });
      },
      during: async ({ stack, browsers }) => {
        const outage = (async () => {
          await sleep(500);
          await stack.dynamo.stop();
          await sleep(1_500);
          await stack.dynamo.start();
        })();
        const cuts = browsers.map(async (browser, i) => {
          if (i % 3 !== 0) return;
          await sleep(draw(0, 1_500));
          browser.cut();
          await sleep(draw(100, 900));
          await browser.reconnect();
        });
        await Promise.all([outage, ...cuts]);
      },
    });
    expect(o.injected).toBeGreaterThan(0);
    expectHeld(o);
  });
});
