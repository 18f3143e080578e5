// Intent: the README's figure for the watch's AWS cost per invoice, computed by
// the bench's cost model (bench/cost.ts, list prices) from the watch's own
// defaults and the construct's memory for it: under $0.001 for an invoice left
// open until its payment timeout, the most a watch costs.
import { describe, expect, it } from 'vitest';
import { PRICES, watchCostPerInvoice } from '../../../bench/cost.js';
import { FUNCTIONS } from '../../../src/catalog.js';
import { DEFAULT_PAYMENT_TIMEOUT_MS, DEFAULT_WATCH_INTERVAL_MS } from '../../../src/core/watch/watch.js';

/** One round, conservatively: alone in its SQS batch, a SEQR round trip of 300 ms, a 2 KB invoice. */
const ROUND = {
  durationMs: 300,
  memoryMiB: FUNCTIONS.invoiceWatch.memoryMiB,
  // The invoice (consistent GetItem) and its once-a-second slot (UpdateItem).
  store: [
    { operation: 'GetItem', table: 'invoices', consistent: true },
    { operation: 'UpdateItem', table: 'invoices' },
  ],
  // SendMessage of the next round, and the event source's ReceiveMessage and DeleteMessageBatch.
  sqsRequests: 3,
  // Three JSON lines of ours (status from SEQR, the round, and one more).
  logBytes: 750,
};
const SIZES = { invoices: 2048 };

describe('the watch’s AWS cost per invoice, with the defaults', () => {
  it('should stay under $0.001 for an invoice open until its payment timeout (120 rounds)', () => {
    const { ticks, dollars } = watchCostPerInvoice({
      openSeconds: DEFAULT_PAYMENT_TIMEOUT_MS / 1000,
      intervalSeconds: DEFAULT_WATCH_INTERVAL_MS / 1000,
      tick: ROUND,
      sizes: SIZES,
    });
    expect(ticks).toBe(120);
    // By hand (README "Cost of the watch"): per round Lambda 0.2e-6 + 0.3 s × 0.25 GB × 13.3334e-6,
    // DynamoDB 1 read × 0.1348e-6 + 2 writes × 0.6738e-6, SQS 3 × 0.4e-6, logs 1,100 B × $0.50/GiB.
    const perRound =
      PRICES.lambdaRequest + 0.3 * 0.25 * PRICES.lambdaArmGbSecond + PRICES.dynamoReadUnit + 2 * PRICES.dynamoWriteUnit + 3 * PRICES.sqsRequest + (1_100 / 1024 ** 3) * PRICES.logsIngestedGb;
    expect(dollars).toBeCloseTo(120 * perRound, 10);
    expect(dollars).toBeLessThan(0.001);
    expect(dollars).toBeCloseTo(0.000527, 6);
  });

  it('should cost a few hundredths of that for an invoice paid in 30 s', () => {
    const { ticks, dollars } = watchCostPerInvoice({ openSeconds: 30, intervalSeconds: 5, tick: ROUND, sizes: SIZES });
    expect(ticks).toBe(6);
    expect(dollars).toBeLessThan(0.00003);
  });
});
