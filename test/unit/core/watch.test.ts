// Intent: the watch and the payment timeout over in-memory ports. An open
// invoice is asked about every interval until it is final, never twice a
// second however many paths ask; a paid invoice nobody told us about is
// confirmed inside SEQR's 20 s window; at its timeout an unpaid invoice is
// cancelled, and a payment that got there first ends PAID, never CANCELED.
import { beforeEach, describe, expect, it } from 'vitest';
import { createInvoice, type CreatedInvoice } from '../../../src/core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../../src/core/invoices/invoice-request.js';
import { recordStatus } from '../../../src/core/payments/payment-status.js';
import { pollStatus } from '../../../src/core/payments/status-poll.js';
import { SeqrError, SeqrTransportError } from '../../../src/core/seqr/errors.js';
import { connect } from '../../../src/core/subscriptions/subscriptions.js';
import { PAYMENT_TIMEOUT_CANCEL_MESSAGE, WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE } from '../../../src/core/watch/messages.js';
import {
  MAX_CANCEL_ATTEMPTS,
  MAX_FAILURES,
  handleWatchMessage,
  parseWatchMessage,
  type WatchDeps,
  type WatchOutcome,
  type WatchSettings,
} from '../../../src/core/watch/watch.js';
import type { PaymentStatusResult } from '../../../src/core/seqr/merchant-api.js';
import { watchSettings } from '../../../src/adapters/wiring.js';
import { memoryDeps, type MemoryDeps } from '../../support/memory-ports.js';

const ORDER = { title: 'Order 7', currency: 'SEK', rows: [{ description: 'Coffee', quantity: '2', unitPrice: '25.00' }] };
const URLS = { publicBaseUrl: 'https://api.example', websocketUrl: 'wss://ws.example/live', retentionDays: 90 };
const DEFAULTS: WatchSettings = { intervalMs: 5_000, paymentTimeoutMs: 600_000, seqrBudgetMs: 12_000 };
const PAID: PaymentStatusResult = { status: 'PAID', version: 2, ersReference: '7'.repeat(25) };
const ISSUED: PaymentStatusResult = { status: 'ISSUED', version: 1 };

let deps: MemoryDeps;
let settings: WatchSettings;
beforeEach(() => {
  deps = memoryDeps();
  settings = { ...DEFAULTS };
});

const watchDeps = (): WatchDeps => ({ ...deps, queue: deps.queue, settings });

async function created(): Promise<CreatedInvoice & { createdAt: number }> {
  const createdAt = deps.clock.now();
  const invoice = await createInvoice({ ...deps, settings: URLS, watch: { queue: deps.queue, settings } }, parseInvoiceRequest(ORDER), deps.log);
  return { ...invoice, createdAt };
}

/** Delivers the queue's messages in due order, moving the clock to each, until none is left or `until`. */
async function drain(options: { until?: number; before?: (at: number) => Promise<void> | void } = {}): Promise<WatchOutcome[]> {
  const outcomes: WatchOutcome[] = [];
  for (let next = deps.queue.takeNext(options.until); next; next = deps.queue.takeNext(options.until)) {
    if (next.dueAt > deps.clock.now()) deps.clock.time = next.dueAt;
    await options.before?.(deps.clock.now());
    outcomes.push(await handleWatchMessage(watchDeps(), next.message, deps.log));
    if (outcomes.length > 10_000) throw new Error('the watch does not end');
  }
  return outcomes;
}

const statusCalls = (ref: string) => deps.seqr.calls.filter((c) => c.operation === 'getPaymentStatus' && c.invoiceReference === ref);
const pushedStatuses = (connectionId: string) => deps.poster.to(connectionId).map((p) => (p as { status: string }).status);

describe('starting the watch', () => {
  it('should send a new invoice its first message, due after one interval, with the payment timeout as deadline', async () => {
    const invoice = await created();
    expect(deps.queue.sent).toEqual([
      { message: { invoiceReference: invoice.invoiceReference, deadline: invoice.createdAt + 600_000 }, delaySeconds: 5, sentAt: invoice.createdAt, dueAt: invoice.createdAt + 5_000 },
    ]);
  });
  it('should create the invoice even when the queue refuses, and log the unwatched invoice as an error', async () => {
    deps.queue.failNext = 1;
    const invoice = await created();
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('ISSUED');
    expect(deps.lines).toContainEqual(expect.objectContaining({ level: 'error', message: WATCH_NOT_STARTED_MESSAGE, invoiceReference: invoice.invoiceReference }));
  });
  it('should send nothing when the invoice has no watch', async () => {
    await createInvoice({ ...deps, settings: URLS }, parseInvoiceRequest(ORDER), deps.log);
    expect(deps.queue.sent).toEqual([]);
  });
});

describe('watching an open invoice', () => {
  it('should confirm a payment nobody told us about within SEQR’s 20 s window, push it, and stop', async () => {
    const invoice = await created();
    await connect(deps, invoice.invoiceReference, invoice.subscribeToken, 'c1', deps.log);
    const paidAt = invoice.createdAt + 7_300;
    const outcomes = await drain({
      before: (at) => void deps.seqr.statuses.set(invoice.invoiceReference, [at >= paidAt ? PAID : ISSUED]),
    });
    const stored = deps.invoices.items.get(invoice.invoiceReference)!;
    expect(stored).toMatchObject({ status: 'PAID', ersReference: PAID.ersReference });
    expect(Date.parse(stored.paidAt!) - paidAt).toBeLessThan(20_000);
    expect(Date.parse(stored.paidAt!) - paidAt).toBeLessThanOrEqual(DEFAULTS.intervalMs);
    expect(pushedStatuses('c1')).toEqual(['PAID']);
    expect(outcomes.at(-1)).toEqual({ outcome: 'final', status: 'PAID', checked: true });
    expect(deps.queue.size).toBe(0);
    expect(deps.seqr.count('cancelInvoice')).toBe(0);
  });

  it('should ask no more than once a second however many browsers poll, and skip its own check when a poll just asked', async () => {
    const invoice = await created();
    settings.intervalMs = 1_000;
    deps.queue.takeNext();
    deps.queue.sent.length = 0;
    await deps.queue.send({ invoiceReference: invoice.invoiceReference, deadline: invoice.createdAt + 30_000 }, 1);
    let skipped = 0;
    const outcomes = await drain({
      // A browser polls 300 ms before every round, and three more at the round's very moment.
      before: async (at) => {
        deps.clock.time = at - 300;
        await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
        deps.clock.time = at;
        for (let i = 0; i < 3; i++) await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
      },
    });
    for (const o of outcomes) if (o.outcome === 'rescheduled' && !o.checked) skipped++;
    const times = statusCalls(invoice.invoiceReference).map((c) => c.at!);
    expect(times.length).toBeGreaterThan(20);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!, `call ${i}`).toBeGreaterThanOrEqual(1_000);
    // The poll 300 ms before took the slot each time, so the rounds themselves asked nothing.
    expect(skipped).toBe(outcomes.filter((o) => o.outcome === 'rescheduled').length);
  });

  it('should stop at once, asking SEQR nothing, when the invoice is already final', async () => {
    const invoice = await created();
    await recordStatus(deps, deps.invoices.items.get(invoice.invoiceReference)!, { status: 'PAID', seqrVersion: 2, ersReference: PAID.ersReference }, deps.log);
    const outcomes = await drain();
    expect(outcomes).toEqual([{ outcome: 'final', status: 'PAID', checked: false }]);
    expect(statusCalls(invoice.invoiceReference)).toHaveLength(0);
  });

  it('should stop when the invoice is gone', async () => {
    const invoice = await created();
    deps.invoices.items.delete(invoice.invoiceReference);
    expect(await drain()).toEqual([{ outcome: 'gone' }]);
  });

  it('should give each getPaymentStatus a budget of at least the SEQR client’s 10 s time-out', async () => {
    const invoice = await created();
    await drain({ until: invoice.createdAt + 5_000 });
    const [call] = statusCalls(invoice.invoiceReference);
    expect(call!.deadline! - call!.at!).toBe(DEFAULTS.seqrBudgetMs);
    expect(call!.deadline! - call!.at!).toBeGreaterThanOrEqual(10_000);
  });

  it('should keep watching when SEQR cannot be reached, and confirm once it answers', async () => {
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [new SeqrTransportError('getPaymentStatus', 'timeout', 'no answer'), new SeqrTransportError('getPaymentStatus', 'timeout', 'no answer'), PAID]);
    const outcomes = await drain();
    expect(outcomes.map((o) => o.outcome)).toEqual(['rescheduled', 'rescheduled', 'final']);
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('PAID');
  });

  it('should try a round again when the store fails, a bounded number of times', async () => {
    const invoice = await created();
    deps.invoices.faults.fail('get', 2);
    const first = await drain({ until: invoice.createdAt + 60_000 });
    expect(first.slice(0, 2).map((o) => o.outcome)).toEqual(['retrying', 'retrying']);
    expect(first[2]).toMatchObject({ outcome: 'rescheduled', message: { invoiceReference: invoice.invoiceReference } });
    expect((first[2] as { message: { failures?: number } }).message.failures).toBeUndefined();

    deps.invoices.faults.fail('get', 1_000);
    const rest = await drain();
    expect(rest.filter((o) => o.outcome === 'retrying')).toHaveLength(MAX_FAILURES);
    expect(rest.at(-1)).toEqual({ outcome: 'gave-up', reason: 'failures' });
    expect(deps.lines).toContainEqual(expect.objectContaining({ level: 'error', message: WATCH_GAVE_UP_MESSAGE, reason: 'failures' }));
  });

  it('should not ask SEQR at all with the interval 0, and still cancel at the deadline, reached in steps of at most 900 s', async () => {
    settings.intervalMs = 0;
    settings.paymentTimeoutMs = 20 * 60_000;
    const invoice = await created();
    const outcomes = await drain();
    expect(statusCalls(invoice.invoiceReference)).toHaveLength(0);
    expect(deps.queue.sent.map((s) => s.delaySeconds)).toEqual([900, 300]);
    expect(outcomes.at(-1)).toEqual({ outcome: 'final', status: 'CANCELED', checked: false });
  });
});

describe('the payment timeout', () => {
  it('should cancel an invoice still unpaid at SEQR, store and push CANCELED, and end its watch', async () => {
    const invoice = await created();
    await connect(deps, invoice.invoiceReference, invoice.subscribeToken, 'c1', deps.log);
    const outcomes = await drain();
    const cancels = deps.seqr.calls.filter((c) => c.operation === 'cancelInvoice');
    expect(cancels).toEqual([{ operation: 'cancelInvoice', invoiceReference: invoice.invoiceReference, at: invoice.createdAt + 600_000 }]);
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('CANCELED');
    expect(pushedStatuses('c1')).toEqual(['CANCELED']);
    expect(outcomes.at(-1)).toEqual({ outcome: 'final', status: 'CANCELED', checked: false });
    // One check every 5 s until the deadline, and then nothing more.
    expect(statusCalls(invoice.invoiceReference)).toHaveLength(600 / 5 - 1);
    expect(outcomes).toHaveLength(600 / 5);
    expect(deps.queue.size).toBe(0);
    expect(deps.lines).toContainEqual(expect.objectContaining({ message: PAYMENT_TIMEOUT_CANCEL_MESSAGE, invoiceReference: invoice.invoiceReference }));
  });

  it('should store PAID, never CANCELED, when SEQR answers 50 (paid meanwhile), and confirm it with getPaymentStatus', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    await connect(deps, invoice.invoiceReference, invoice.subscribeToken, 'c1', deps.log);
    deps.seqr.cancels.set(invoice.invoiceReference, [
      new SeqrError('cancelInvoice', 50),
    ]);
    const outcomes = await drain({
      before: (at) => void deps.seqr.statuses.set(invoice.invoiceReference, [at >= invoice.createdAt + 10_000 ? PAID : ISSUED]),
    });
    expect(deps.invoices.items.get(invoice.invoiceReference)).toMatchObject({ status: 'PAID', ersReference: PAID.ersReference });
    expect(pushedStatuses('c1')).toEqual(['PAID']);
    expect(outcomes.at(-1)).toEqual({ outcome: 'final', status: 'PAID', checked: true });
    const ops = deps.seqr.calls.map((c) => c.operation);
    expect(ops.slice(ops.indexOf('cancelInvoice'))).toEqual(['cancelInvoice', 'getPaymentStatus']);
  });

  it('should wait for the status slot after a 50 when a browser just asked, rather than ask twice in a second', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    deps.seqr.cancels.set(invoice.invoiceReference, [
      // The browser polls while cancelInvoice is on its way: it takes the slot (and sees ISSUED still).
      async () => {
        await pollStatus(deps, invoice.invoiceReference, invoice.subscribeToken, deps.log);
        deps.seqr.statuses.set(invoice.invoiceReference, [PAID]);
        throw new SeqrError('cancelInvoice', 50);
      },
    ]);
    await drain();
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('PAID');
    const times = statusCalls(invoice.invoiceReference).map((c) => c.at!);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('should end PAID when the payment is stored while the cancel is on its way (the notification path won)', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    await connect(deps, invoice.invoiceReference, invoice.subscribeToken, 'c1', deps.log);
    deps.seqr.cancels.set(invoice.invoiceReference, [
      async () => {
        await recordStatus(deps, deps.invoices.items.get(invoice.invoiceReference)!, { status: 'PAID', seqrVersion: 2, ersReference: PAID.ersReference }, deps.log);
        // Even a SEQR that said the cancel went through cannot make a stored PAID CANCELED.
      },
    ]);
    const outcomes = await drain();
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('PAID');
    expect(pushedStatuses('c1')).toEqual(['PAID']);
    expect(outcomes.at(-1)).toMatchObject({ outcome: 'final', status: 'PAID' });
  });

  it('should store CANCELED when SEQR says it is canceled already (95)', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    deps.seqr.cancels.set(invoice.invoiceReference, [new SeqrError('cancelInvoice', 95)]);
    await drain();
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('CANCELED');
  });

  it('should watch on and cancel later while the shopper is paying (51), and give up after a bounded number of attempts', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    deps.seqr.cancels.set(invoice.invoiceReference, [new SeqrError('cancelInvoice', 51)]);
    const outcomes = await drain();
    expect(deps.seqr.count('cancelInvoice')).toBe(MAX_CANCEL_ATTEMPTS);
    expect(outcomes.at(-1)).toEqual({ outcome: 'gave-up', status: 'ISSUED', reason: 'cancel' });
    expect(deps.lines).toContainEqual(expect.objectContaining({ level: 'error', message: WATCH_GAVE_UP_MESSAGE, reason: 'cancel' }));
    // Each attempt also looked at the status: a payment then would be confirmed.
    const afterDeadline = statusCalls(invoice.invoiceReference).filter((c) => c.at! >= invoice.createdAt + 10_000);
    expect(afterDeadline.length).toBeGreaterThanOrEqual(MAX_CANCEL_ATTEMPTS - 1);
  });

  it('should confirm a payment made while cancels were refused as in progress (51), and stop', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    deps.seqr.cancels.set(invoice.invoiceReference, [new SeqrError('cancelInvoice', 51)]);
    await drain({
      before: (at) => void deps.seqr.statuses.set(invoice.invoiceReference, [at >= invoice.createdAt + 16_000 ? PAID : ISSUED]),
    });
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('PAID');
    expect(deps.seqr.count('cancelInvoice')).toBeLessThan(MAX_CANCEL_ATTEMPTS);
  });

  it('should retry a cancel SEQR did not answer, later each time, and then cancel', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    const lost = new SeqrTransportError('cancelInvoice', 'timeout', 'no answer');
    deps.seqr.cancels.set(invoice.invoiceReference, [lost, lost, new SeqrError('cancelInvoice', 95)]);
    await drain();
    const times = deps.seqr.calls.filter((c) => c.operation === 'cancelInvoice').map((c) => c.at! - invoice.createdAt);
    expect(times).toEqual([10_000, 15_000, 25_000]);
    expect(deps.invoices.items.get(invoice.invoiceReference)?.status).toBe('CANCELED');
  });

  it('should leave an invoice that is RESERVED at its deadline to the shop', async () => {
    settings.paymentTimeoutMs = 10_000;
    const invoice = await created();
    deps.seqr.statuses.set(invoice.invoiceReference, [{ status: 'RESERVED', version: 2 }]);
    const outcomes = await drain();
    expect(outcomes.at(-1)).toEqual({ outcome: 'left', status: 'RESERVED' });
    expect(deps.seqr.count('cancelInvoice')).toBe(0);
  });
});

describe('watch messages', () => {
  it('should read what the watch sends and refuse anything else', () => {
    expect(parseWatchMessage('{"invoiceReference":"1397222701693","deadline":1700000000000,"cancelAttempts":2}')).toEqual({
      invoiceReference: '1397222701693',
      deadline: 1_700_000_000_000,
      cancelAttempts: 2,
    });
    for (const body of ['', 'null', '[]', '{"invoiceReference":"12x","deadline":1}', '{"invoiceReference":"12","deadline":"soon"}', '{"invoiceReference":"12","deadline":1,"failures":-1}']) {
      expect(parseWatchMessage(body), body).toBeUndefined();
    }
  });
});

describe('the watch’s settings from the environment', () => {
  const saved = { ...process.env };
  const withEnv = (env: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  const restore = () => {
    for (const key of ['SEQR_TIMEOUT_MS', 'WATCH_INTERVAL_MS', 'PAYMENT_TIMEOUT_MS']) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  };

  it('should default to every 5 s and 10 minutes, with a SEQR budget of at least the client’s time-out', () => {
    withEnv({ SEQR_TIMEOUT_MS: undefined, WATCH_INTERVAL_MS: undefined, PAYMENT_TIMEOUT_MS: undefined });
    try {
      const settings = watchSettings();
      expect(settings).toMatchObject({ intervalMs: 5_000, paymentTimeoutMs: 600_000 });
      expect(settings.seqrBudgetMs).toBeGreaterThanOrEqual(10_000);
      withEnv({ SEQR_TIMEOUT_MS: '15000', WATCH_INTERVAL_MS: '0', PAYMENT_TIMEOUT_MS: '120000' });
      expect(watchSettings()).toMatchObject({ intervalMs: 0, paymentTimeoutMs: 120_000 });
      expect(watchSettings().seqrBudgetMs).toBeGreaterThanOrEqual(15_000);
      withEnv({ PAYMENT_TIMEOUT_MS: '0' });
      expect(() => watchSettings()).toThrow(/PAYMENT_TIMEOUT_MS/);
    } finally {
      restore();
    }
  });
});
