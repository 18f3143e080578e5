/**
 * The wait for a report is the flow's decision and fits the run's deadline:
 * against a SEQR that answers 2 REPORT_NOT_READY forever (the simulator's fault
 * rule), on dynalite, with a clock the test drives so minutes pass at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_ENV, type TableName } from '../../src/catalog.js';
import { createTables, startDynamoDb, type RunningDynamoDb } from '../../local/dynamodb.js';
import { startSeqrSimulator, type RunningSimulator } from '../../local/seqr-simulator/index.js';
import { resetConfigCache } from '../../src/config.js';
import { log, setLogSink } from '../../src/log.js';
import { transactionPeriodDeps } from '../../src/handlers/schedule/transaction-period.js';
import { closeTransactionPeriod } from '../../src/core/periods/transaction-period.js';
import { getPeriod } from '../../src/adapters/dynamodb/periods.js';

const TABLES: Record<TableName, string> = { invoices: 'bw-invoices', connections: 'bw-connections', periods: 'bw-periods', idempotency: 'bw-idempotency' };
let dynamo: RunningDynamoDb;
let simulator: RunningSimulator;

beforeAll(async () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  dynamo = await startDynamoDb({ port: 0 });
  await createTables(dynamo.endpoint, TABLES);
  // Reports are ready at once unless a fault rule says otherwise: every code 2 below is the test's.
  simulator = await startSeqrSimulator({ port: 0, reportNotReadyMs: 0 });
  Object.assign(process.env, {
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    DYNAMODB_ENDPOINT: dynamo.endpoint,
    SEQR_ENDPOINT_URL: simulator.soapUrl,
    SEQR_TERMINAL_ID: 'local-webshop',
    SEQR_TERMINAL_PASSWORD: 'local-password',
    SEQR_RESELLER_ID: 'local-reseller',
    SEQR_RESELLER_USER_ID: '9900',
    SEQR_RESELLER_PASSWORD: 'local-password',
    ...Object.fromEntries(Object.entries(TABLES).map(([table, name]) => [TABLE_ENV[table as TableName], name])),
  });
  resetConfigCache();
  setLogSink(() => undefined);
});

afterAll(async () => {
  await simulator?.stop();
  await dynamo?.stop();
});

describe('When SEQR keeps answering REPORT_NOT_READY', () => {
  it('should pause, retry every few seconds and start no call that could end after the deadline', async () => {
    simulator.addFault({ operation: 'executeReport', kind: 'resultCode', code: 2, count: 1000 });
    let fake = Date.parse('2034-06-01T00:00:00Z');
    const start = fake;
    const callStarts: number[] = [];
    const deps = transactionPeriodDeps(log);
    const seqr = deps.seqr;
    // One report, so that the fake clock has one sleeper.
    const settings = { ...deps.settings, reportIds: ['Reconciliation/STD_RECON_003.xml'], pauseMs: 3_000, retryDelayMs: 4_000, callBudgetMs: 10_000 };
    const outcome = await closeTransactionPeriod(
      {
        ...deps,
        settings,
        clock: { now: () => fake, sleep: async (ms) => void (fake += ms) },
        seqr: async () => {
          const api = await seqr();
          return {
            markTransactionPeriod: (p) => api.markTransactionPeriod(p),
            getPaymentStatus: (...args) => api.getPaymentStatus(...args),
            executeReport: (...args) => (callStarts.push(fake), api.executeReport(...args)),
          };
        },
      },
      { scheduledTime: '2034-06-01T00:00:00Z', deadline: start + 30_000 },
    );

    expect(outcome).toMatchObject({ outcome: 'marked', reports: { 'Reconciliation/STD_RECON_003.xml': 'pending' } });
    // After the 3 s pause, then every 4 s, while a 10 s call still fits before the 30 s deadline.
    expect(callStarts.map((at) => at - start)).toEqual([3_000, 7_000, 11_000, 15_000, 19_000]);
    expect(simulator.calls({ operation: 'executeReport' }).filter((call) => call.resultCode === 2)).toHaveLength(callStarts.length);
    const period = await getPeriod('2034-06-01T00:00Z');
    expect(period?.transactionPeriodId).toMatch(/^\d{25}$/);
    for (const report of Object.values(period!.reports!)) expect(report).toMatchObject({ state: 'pending', lastResultCode: 2, notReadyAnswers: report.attempts });
    expect(period!.reports!['Reconciliation/STD_RECON_003.xml']).toMatchObject({ attempts: 5, notReadyAnswers: 5 });
    // The work lease is given back, so the next run can take the pending reports at once.
    expect(period!.workClaimId).toBeUndefined();
  });
});

describe('When a run spends its whole wait on its own period', () => {
  it('should still ask once for every earlier pending report, and stop asking again after the wait bound', async () => {
    const DETAIL = 'Reconciliation/STD_RECON_003.xml';
    let fake = Date.parse('2034-06-02T00:00:00Z');
    const asked: { at: number; transactionPeriodId: string }[] = [];
    const deps = transactionPeriodDeps(log);
    const seqr = deps.seqr;
    const run = (slot: string) =>
      closeTransactionPeriod(
        {
          ...deps,
          // One report, so that the fake clock has one sleeper.
          settings: { ...deps.settings, reportIds: [DETAIL], pauseMs: 3_000, retryDelayMs: 4_000, callBudgetMs: 10_000 },
          clock: { now: () => fake, sleep: async (ms) => void (fake += ms) },
          seqr: async () => {
            const api = await seqr();
            return {
              markTransactionPeriod: (p) => api.markTransactionPeriod(p),
              getPaymentStatus: (...args) => api.getPaymentStatus(...args),
              executeReport: (reportId, language, parameters) => (asked.push({ at: fake, transactionPeriodId: parameters.transactionPeriodId! }), api.executeReport(reportId, language, parameters)),
            };
          },
        },
        // The function's time-out leaves a minute; a report is asked again for 10 s at most.
        { scheduledTime: slot, deadline: fake + 60_000, maxWaitMs: 10_000 },
      );

    // Day 1: SEQR answers 2 to every ask. Asked at 3 s, 7 s, 11 s; not again at 15 s (past 3 s + 10 s).
    simulator.clearFaults();
    simulator.addFault({ operation: 'executeReport', kind: 'resultCode', code: 2, count: 1000 });
    let start = fake;
    const day1 = await run('2034-06-02T00:00:00Z');
    expect(day1).toMatchObject({ outcome: 'marked', reports: { [DETAIL]: 'pending' } });
    const day1Id = (day1 as { transactionPeriodId: string }).transactionPeriodId;
    expect(asked.filter((a) => a.transactionPeriodId === day1Id).map((a) => a.at - start)).toEqual([3_000, 7_000, 11_000]);

    // Day 2: SEQR has day 1's report now, but answers 2 to all three asks for day 2's: the run's wait is used up
    // on its own period. It asks for day 1's report once all the same, and stores and reconciles it.
    simulator.clearFaults();
    simulator.addFault({ operation: 'executeReport', kind: 'resultCode', code: 2, count: 3 });
    asked.length = 0;
    fake += 24 * 3_600_000;
    start = fake;
    const day2 = await run('2034-06-03T00:00:00Z');
    const day2Id = (day2 as { transactionPeriodId: string }).transactionPeriodId;
    expect(day2).toMatchObject({ outcome: 'marked', reports: { [DETAIL]: 'pending' } });
    expect(asked.filter((a) => a.transactionPeriodId === day2Id).map((a) => a.at - start)).toEqual([3_000, 7_000, 11_000]);
    expect(asked.filter((a) => a.transactionPeriodId === day1Id)).toHaveLength(1);
    expect((day2 as { earlier?: unknown[] }).earlier).toEqual(
      expect.arrayContaining([expect.objectContaining({ slot: '2034-06-02T00:00Z', transactionPeriodId: day1Id, reports: { [DETAIL]: 'ready' }, reconciliation: expect.objectContaining({ state: 'done' }) })]),
    );
    expect((await getPeriod('2034-06-02T00:00Z'))!.reports![DETAIL]).toMatchObject({ state: 'ready', attempts: 4, notReadyAnswers: 3, lastResultCode: 0 });
    expect((await getPeriod('2034-06-03T00:00Z'))!.reports![DETAIL]).toMatchObject({ state: 'pending', attempts: 3, notReadyAnswers: 3 });
  });
});
