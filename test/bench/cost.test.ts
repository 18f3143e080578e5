/** The cost model (bench/cost.ts) against figures worked out by hand. */
import { describe, expect, it } from 'vitest';
import {
  ASSUMPTIONS,
  PRICES,
  dollars,
  itemSize,
  lambdaInvocation,
  oldPluginPaymentPlan,
  pathUsage,
  planUsage,
  pushPaymentPlan,
  storeUnits,
  watchCostPerInvoice,
  type PathUse,
  type Prices,
} from '../../bench/cost.js';

/** Round prices, so the expected figures are easy to check. */
const ONE: Prices = {
  ...PRICES,
  lambdaRequest: 1,
  lambdaArmGbSecond: 1,
  httpApiRequest: 1,
  websocketMessage: 1,
  websocketConnectionMinute: 1,
  dynamoWriteUnit: 1,
  dynamoReadUnit: 1,
  eventBridgeEvent: 1,
  schedulerInvocation: 1,
  sqsRequest: 1,
  logsIngestedGb: 1,
};

describe('cost model', () => {
  it('bills Lambda per started millisecond at the configured memory', () => {
    const usage = lambdaInvocation(9.2, 512);
    expect(usage.lambdaRequests).toBe(1);
    expect(usage.lambdaGbSeconds).toBeCloseTo(0.010 * 0.5, 12);
    // 1 M invocations of 10 ms at 512 MiB: $0.20 of requests + 5,000 GB-s.
    expect(dollars({ lambdaRequests: 1e6, lambdaGbSeconds: 5_000 })).toBeCloseTo(0.2 + 5_000 * 0.0000133334, 9);
  });

  it('counts DynamoDB request units by consistency, item size and index writes', () => {
    const sizes = { invoices: 830, connections: 122, sessions: 1500 };
    expect(storeUnits([{ operation: 'GetItem', table: 'invoices', consistent: true }], sizes)).toEqual({ read: 1, write: 0 });
    expect(storeUnits([{ operation: 'GetItem', table: 'invoices', consistent: false }], sizes)).toEqual({ read: 0.5, write: 0 });
    expect(storeUnits([{ operation: 'Query', table: 'invoices', index: 'byNotificationTokenHash', consistent: false }], sizes)).toEqual({ read: 0.5, write: 0 });
    // A Put writes the item and the one GSI entry; an Update changes no index key.
    expect(storeUnits([{ operation: 'PutItem', table: 'invoices' }], sizes)).toEqual({ read: 0, write: 2 });
    expect(storeUnits([{ operation: 'UpdateItem', table: 'invoices' }], sizes)).toEqual({ read: 0, write: 1 });
    // Sessions have no index; 1,500 bytes is two 1 KB write units.
    expect(storeUnits([{ operation: 'PutItem', table: 'sessions' }], sizes)).toEqual({ read: 0, write: 2 });
    expect(storeUnits([{ operation: 'DeleteItem', table: 'connections' }], sizes)).toEqual({ read: 0, write: 2 });
  });

  it("measures an item as DynamoDB does: names plus values", () => {
    expect(itemSize({ id: 'abc' })).toBe(5);
    expect(itemSize({ n: 12345 })).toBe(1 + 4);
    expect(itemSize({ ok: true, tags: ['a', 'bb'] })).toBe(2 + 1 + 4 + 3 + (1 + 1) + (1 + 2));
  });

  it('prices one path use: the request in, the invocation, the store, the pushes', () => {
    const use: PathUse = { via: 'http', durationMs: 20, memoryMiB: 1024, store: [{ operation: 'UpdateItem', table: 'invoices' }], pushes: 1, logBytes: 0 };
    const usage = pathUsage(use, { invoices: 500 });
    expect(usage).toMatchObject({ httpApiRequests: 1, lambdaRequests: 1, websocketMessages: 1, dynamoWriteUnits: 1, dynamoReadUnits: 0 });
    expect(usage.lambdaGbSeconds).toBeCloseTo(0.02, 12);
    expect(usage.logBytes).toBe(ASSUMPTIONS.lambdaPlatformLogBytes + ASSUMPTIONS.httpAccessLogBytes);
    expect(dollars(usage, ONE)).toBeCloseTo(1 + 1 + 1 + 1 + 0.02 + usage.logBytes / 1024 ** 3, 9);
  });

  it('plans a push payment with a heartbeat every 5 s and the old plugin with a poll a second', () => {
    const push = Object.fromEntries(pushPaymentPlan(30).map((step) => [step.path, step.times]));
    expect(push['GET /invoices/{invoiceReference}/status']).toBe(6);
    expect(push['POST /seqr/notifications/{notificationToken}']).toBe(1);
    const old = Object.fromEntries(oldPluginPaymentPlan(30).map((step) => [step.path, step.times]));
    expect(old['GET /invoices/{invoiceReference}/status']).toBe(31);
    expect(old['$connect']).toBeUndefined();
  });

  it('refuses a plan step nobody counted', () => {
    expect(() => planUsage([{ path: 'GET /nowhere', times: 1 }], {}, {})).toThrow(/GET \/nowhere/);
  });

  it('prices the server-side watch of issue 11 per invoice', () => {
    const watch = watchCostPerInvoice({
      openSeconds: 30,
      intervalSeconds: 5,
      tick: { durationMs: 12, memoryMiB: 512, store: [{ operation: 'GetItem', table: 'invoices', consistent: true }, { operation: 'UpdateItem', table: 'invoices' }], sqsRequests: 3 },
      sizes: { invoices: 900 },
      prices: ONE,
    });
    expect(watch.ticks).toBe(6);
    expect(watch.usage).toMatchObject({ lambdaRequests: 6, dynamoReadUnits: 6, dynamoWriteUnits: 6, sqsRequests: 18, httpApiRequests: 0, websocketMessages: 0 });
    expect(watch.usage.lambdaGbSeconds).toBeCloseTo(6 * 0.012 * 0.5, 12);
    expect(watch.dollars).toBeCloseTo(6 + 6 + 6 + 18 + 0.036 + (6 * ASSUMPTIONS.lambdaPlatformLogBytes) / 1024 ** 3, 9);
    // At list prices a 30 s watch is a small fraction of a cent.
    const real = watchCostPerInvoice({ openSeconds: 30, tick: { durationMs: 12, memoryMiB: 512, store: [], sqsRequests: 3 } });
    expect(real.dollars).toBeGreaterThan(0);
    expect(real.dollars).toBeLessThan(0.0001);
  });

  it('labels its prices with their date and region', () => {
    expect(PRICES.label).toMatch(/eu-north-1.*as of \d{4}-\d{2}/);
  });
});
