/**
 * Closing the transaction period once per schedule slot, against dynalite and
 * the SEQR simulator in process: the handler the schedule invokes, the periods
 * table, and markTransactionPeriod as SEQR sees it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TABLE_ENV, type TableName } from '../../src/catalog.js';
import { handler, transactionPeriodDeps } from '../../src/handlers/schedule/transaction-period.js';
import { createTables, startDynamoDb, type RunningDynamoDb } from '../../local/dynamodb.js';
import { startSeqrSimulator, type RunningSimulator } from '../../local/seqr-simulator/index.js';
import { resetConfigCache } from '../../src/config.js';
import { log, setLogSink } from '../../src/log.js';
import { sleep } from '../../src/core/retry.js';
import { resetSeqrClient } from '../../src/adapters/seqr/client.js';
import { getPeriod, putPeriod } from '../../src/adapters/dynamodb/periods.js';
import {
  PERIOD_CLAIM_LEASE_MS,
  TransactionPeriodInProgressError,
  closeTransactionPeriod,
  periodSlot,
} from '../../src/core/periods/transaction-period.js';

const TABLES: Record<TableName, string> = {
  invoices: 'test-invoices',
  connections: 'test-connections',
  periods: 'test-periods',
  idempotency: 'test-idempotency',
};
const RESELLER = { resellerId: 'test-reseller', userId: '9900', password: 'test-password' };
const TERMINAL = { terminalId: 'test-webshop', password: 'test-password' };

let dynamo: RunningDynamoDb;
let simulator: RunningSimulator;
const logLines: string[] = [];

async function markCalls(): Promise<unknown[]> {
  const response = await fetch(`${simulator.baseUrl}/simulator/calls?operation=markTransactionPeriod`);
  return ((await response.json()) as { calls: unknown[] }).calls;
}

async function addFault(fault: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${simulator.baseUrl}/simulator/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(fault),
  });
  expect(response.status).toBe(201);
}

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  dynamo = await startDynamoDb({ port: 0 });
  await createTables(dynamo.endpoint, TABLES);
  // Reports are ready soon after the mark here: this file is about marking once (test/periods/ is about reports).
  simulator = await startSeqrSimulator({ port: 0, terminals: [TERMINAL], reseller: RESELLER, reportNotReadyMs: 50 });
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SEQR_ENDPOINT_URL: simulator.soapUrl,
    SEQR_TERMINAL_ID: TERMINAL.terminalId,
    SEQR_TERMINAL_PASSWORD: TERMINAL.password,
    SEQR_RESELLER_ID: RESELLER.resellerId,
    SEQR_RESELLER_USER_ID: RESELLER.userId,
    SEQR_RESELLER_PASSWORD: RESELLER.password,
    TRANSACTION_PERIOD_REPORT_PAUSE_MS: '0',
    TRANSACTION_PERIOD_REPORT_RETRY_MS: '50',
    ...Object.fromEntries(Object.entries(TABLES).map(([table, name]) => [TABLE_ENV[table as TableName], name])),
  });
  resetConfigCache();
  resetSeqrClient();
  setLogSink((line) => logLines.push(line));
});

afterAll(async () => {
  await simulator?.stop();
  await dynamo?.stop();
});

beforeEach(async () => {
  await fetch(`${simulator.baseUrl}/simulator/calls`, { method: 'DELETE' });
  await fetch(`${simulator.baseUrl}/simulator/faults`, { method: 'DELETE' });
  logLines.length = 0;
});

describe('When a schedule slot is run twice', () => {
  it('should call markTransactionPeriod once and store one period', async () => {
    // Happy path: EventBridge Scheduler delivers the same slot twice (at-least-once delivery, or a retry).
    const event = { scheduledTime: '2031-01-31T23:00:00Z' };
    const first = await handler(event);
    const second = await handler(event);

    expect(first).toMatchObject({ outcome: 'marked', slot: '2031-01-31T23:00Z' });
    expect(second).toMatchObject({ outcome: 'already-marked', slot: '2031-01-31T23:00Z' });
    const id = first.outcome === 'marked' ? first.transactionPeriodId : '';
    expect(id).toMatch(/^\d{25}$/);
    expect(second.outcome === 'already-marked' && second.transactionPeriodId).toBe(id);
    expect(await markCalls()).toHaveLength(1);
    expect(await getPeriod('2031-01-31T23:00Z')).toMatchObject({ slot: '2031-01-31T23:00Z', transactionPeriodId: id, attempts: 1 });
  });

  it('should mark once when the two runs overlap', async () => {
    // Two deliveries at the same moment: one claims the slot, the other sees the claim.
    const event = { scheduledTime: '2031-02-01T23:00:00.000Z' };
    const results = await Promise.allSettled([handler(event), handler(event)]);
    const marked = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'marked');
    expect(marked).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(TransactionPeriodInProgressError);
    }
    expect(await markCalls()).toHaveLength(1);
  });

  it('should treat times within the same minute as the same slot', async () => {
    await handler({ scheduledTime: '2031-02-02T23:00:00Z' });
    const again = await handler({ scheduledTime: '2031-02-02T23:00:42.123Z' });
    expect(again.outcome).toBe('already-marked');
    expect(await markCalls()).toHaveLength(1);
  });
});

describe('When another run holds the slot', () => {
  it('should not call SEQR while the claim is live, and fail so that Lambda retries', async () => {
    // Unhappy path: a run is still working on this slot.
    const slot = '2031-03-01T23:00Z';
    await putPeriod({ slot, claimId: 'other-run', claimedAt: Date.now() - 10_000, attempts: 1 });
    await expect(handler({ scheduledTime: slot })).rejects.toBeInstanceOf(TransactionPeriodInProgressError);
    expect(await markCalls()).toHaveLength(0);
    expect((await getPeriod(slot))?.transactionPeriodId).toBeUndefined();
  });

  it('should take over a claim left without a transactionPeriodId once its lease has run out', async () => {
    // A crashed run: its claim is older than the lease and never got SEQR's answer.
    const slot = '2031-03-02T23:00Z';
    await putPeriod({ slot, claimId: 'crashed-run', claimedAt: Date.now() - PERIOD_CLAIM_LEASE_MS - 1_000, attempts: 1 });
    const result = await handler({ scheduledTime: slot });
    expect(result.outcome).toBe('marked');
    expect(await markCalls()).toHaveLength(1);
    expect(await getPeriod(slot)).toMatchObject({ attempts: 2, transactionPeriodId: expect.stringMatching(/^\d{25}$/) });
  });
});

describe('When SEQR refuses to mark the period', () => {
  it('should release the slot so that the retry marks it at once', async () => {
    // Unhappy path: a result code, so SEQR certainly marked nothing.
    const slot = '2031-04-01T23:00Z';
    await addFault({ operation: 'markTransactionPeriod', kind: 'resultCode', code: 90 });
    await expect(handler({ scheduledTime: slot })).rejects.toThrow(/markTransactionPeriod/);
    expect(await getPeriod(slot)).toBeUndefined();

    const retry = await handler({ scheduledTime: slot });
    expect(retry.outcome).toBe('marked');
    expect(await markCalls()).toHaveLength(2);
  });

  it('should keep the claim when the answer is lost, so no second period is marked within the lease', async () => {
    // Unhappy path: the connection drops; SEQR may have marked the period, so the claim stands.
    const slot = '2031-04-02T23:00Z';
    await addFault({ operation: 'markTransactionPeriod', kind: 'dropConnection' });
    await expect(handler({ scheduledTime: slot })).rejects.toThrow();
    await expect(handler({ scheduledTime: slot })).rejects.toBeInstanceOf(TransactionPeriodInProgressError);
    expect(await getPeriod(slot)).toMatchObject({ slot, attempts: 1 });
  });
});

describe('When the period is closed by hand', () => {
  it('should use the current minute as the slot', async () => {
    const now = Date.parse('2031-05-05T12:34:56.789Z');
    const result = await closeTransactionPeriod({ ...transactionPeriodDeps(log), clock: { now: () => now, sleep } });
    expect(result).toMatchObject({ outcome: 'marked', slot: '2031-05-05T12:34Z' });
  });

  it('should log JSON lines without any password', async () => {
    await closeTransactionPeriod(transactionPeriodDeps(log), { scheduledTime: '2031-05-06T00:00:00Z' });
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) {
      expect(() => JSON.parse(line)).not.toThrow();
      expect(line).not.toContain(RESELLER.password);
    }
    expect(logLines.map((line) => JSON.parse(line).message)).toContain('transaction period marked');
  });
});

describe('When a slot is computed', () => {
  it('should truncate the scheduled time to the minute in UTC', () => {
    expect(periodSlot('2031-01-31T23:59:59.999Z')).toBe('2031-01-31T23:59Z');
    expect(periodSlot('2031-02-01T00:00:00+01:00')).toBe('2031-01-31T23:00Z');
  });

  it('should refuse a time that is not one', () => {
    expect(() => periodSlot('yesterday-ish')).toThrow(/not a schedule time/);
  });
});
