/**
 * In-memory adapters for the core's ports (src/core/ports.ts): the unit tests'
 * stand-ins for DynamoDB, API Gateway and SEQR. They apply the very rules the
 * DynamoDB adapter writes as condition expressions (src/core/invoices/status-rules.ts),
 * so a broken rule fails a unit test without any server.
 */
import type { InvoiceStatus, PaymentEvent, StatusMessage } from '../../src/contract/index.js';
import { outboxClaimable, statusChangedEntry, withoutVersions } from '../../src/core/events/outbox.js';
import type { Connection, InvoiceSnapshot, StatusUpdate, StoredInvoice } from '../../src/core/invoices/invoice.js';
import { isExpired } from '../../src/core/invoices/invoice.js';
import { canAdvance, pushAllowed, pushRank, statusCheckDue } from '../../src/core/invoices/status-rules.js';
import type {
  AdvanceOptions,
  Clock,
  ConnectionKey,
  ConnectionPoster,
  ConnectionStore,
  EventPublisher,
  InvoiceStore,
  PaymentDeps,
  PostOutcome,
  WatchMessage,
  WatchQueue,
} from '../../src/core/ports.js';
import type { PaymentStatusResult, SeqrInvoice, SeqrMerchantApi } from '../../src/core/seqr/merchant-api.js';
import type { Logger } from '../../src/log.js';

/** A clock that moves only when told to, or when the code under test sleeps. */
export class ManualClock implements Clock {
  constructor(public time = Date.parse('2026-12-03T10:00:00Z')) {}
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.time += ms;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Fails the next `n` calls of a store method, as a DynamoDB outage would. */
export class Faults {
  private readonly remaining = new Map<string, number>();
  fail(method: string, times: number): void {
    this.remaining.set(method, times);
  }
  check(method: string): void {
    const left = this.remaining.get(method) ?? 0;
    if (left > 0) {
      this.remaining.set(method, left - 1);
      throw new Error(`injected ${method} failure`);
    }
  }
}

export class MemoryInvoiceStore implements InvoiceStore {
  readonly items = new Map<string, StoredInvoice>();
  readonly faults = new Faults();
  constructor(private readonly clock: Clock) {}

  async create(invoice: StoredInvoice): Promise<void> {
    this.faults.check('create');
    if (this.items.has(invoice.invoiceReference)) throw new Error('invoice reference taken');
    this.items.set(invoice.invoiceReference, structuredClone(invoice));
  }
  async get(invoiceReference: string): Promise<StoredInvoice | undefined> {
    this.faults.check('get');
    const item = this.items.get(invoiceReference);
    return item && !isExpired(item, this.clock.now()) ? structuredClone(item) : undefined;
  }
  async findByNotificationTokenHash(hash: string): Promise<InvoiceSnapshot | undefined> {
    this.faults.check('findByNotificationTokenHash');
    for (const item of this.items.values()) {
      if (item.notificationTokenHash !== hash || isExpired(item, this.clock.now())) continue;
      const { invoiceReference, status, version, seqrVersion, ersReference, expiresAt } = item;
      return { invoiceReference, status, version, seqrVersion, expiresAt, ...(ersReference ? { ersReference } : {}) };
    }
    return undefined;
  }
  /** The versions the callers of advanceStatus said they had read (`expected`), in call order. */
  readonly expectedVersions: (number | undefined)[] = [];
  async advanceStatus(invoiceReference: string, update: StatusUpdate, now: number, options: AdvanceOptions = {}): Promise<StoredInvoice | undefined> {
    this.faults.check('advanceStatus');
    this.expectedVersions.push(options.expected?.version);
    const item = this.items.get(invoiceReference);
    // A stale `expected` is re-read, as the DynamoDB store does: the stored item decides.
    if (!item || !canAdvance(item, update)) return undefined;
    const at = new Date(now).toISOString();
    const entry = statusChangedEntry(item, update, now);
    Object.assign(item, {
      status: update.status,
      seqrVersion: update.seqrVersion,
      version: entry.version,
      updatedAt: at,
      outbox: [...(item.outbox ?? []), entry],
      ...(options.leaseUntil !== undefined ? { outboxLeaseUntil: options.leaseUntil } : {}),
      ...(update.ersReference ? { ersReference: update.ersReference } : {}),
      ...(update.receipt ? { receipt: update.receipt } : {}),
      ...(update.status === 'PAID' ? { paidAt: at } : {}),
    });
    return structuredClone(item);
  }
  async claimOutbox(invoiceReference: string, now: number, leaseUntil: number): Promise<StoredInvoice | undefined> {
    this.faults.check('claimOutbox');
    const item = this.items.get(invoiceReference);
    if (!item || !outboxClaimable(item, now)) return undefined;
    item.outboxLeaseUntil = leaseUntil;
    return structuredClone(item);
  }
  async acknowledgeEvents(invoice: Pick<StoredInvoice, 'invoiceReference' | 'outbox'>, versions: readonly number[]): Promise<void> {
    this.faults.check('acknowledgeEvents');
    const item = this.items.get(invoice.invoiceReference);
    if (item) item.outbox = withoutVersions(item.outbox, versions);
  }
  async claimStatusCheck(invoiceReference: string, intervalMs: number, now: number): Promise<boolean> {
    this.faults.check('claimStatusCheck');
    const item = this.items.get(invoiceReference);
    if (!item || !statusCheckDue(item.lastCheckedAt, now, intervalMs)) return false;
    item.lastCheckedAt = now;
    return true;
  }
}

export class MemoryConnectionStore implements ConnectionStore {
  readonly rows = new Map<string, Connection>();
  constructor(private readonly clock: Clock) {}
  private key(c: ConnectionKey): string {
    return `${c.invoiceReference}/${c.connectionId}`;
  }
  async add(invoiceReference: string, connectionId: string, now: number): Promise<void> {
    this.rows.set(this.key({ invoiceReference, connectionId }), {
      invoiceReference,
      connectionId,
      connectedAt: new Date(now).toISOString(),
      expiresAt: Math.floor(now / 1000) + 7200,
    });
  }
  async listFor(invoiceReference: string): Promise<Connection[]> {
    return [...this.rows.values()].filter((c) => c.invoiceReference === invoiceReference && !isExpired(c, this.clock.now())).map((c) => ({ ...c }));
  }
  async find(connectionId: string) {
    const row = [...this.rows.values()].find((c) => c.connectionId === connectionId);
    return row ? { invoiceReference: row.invoiceReference, connectionId: row.connectionId } : undefined;
  }
  async remove(invoiceReference: string, connectionId: string): Promise<void> {
    this.rows.delete(this.key({ invoiceReference, connectionId }));
  }
  async claimPush(connection: ConnectionKey, status: InvoiceStatus): Promise<boolean> {
    const row = this.rows.get(this.key(connection));
    if (!row || !pushAllowed(row.pushedRank, status)) return false;
    row.pushedRank = pushRank(status);
    return true;
  }
  async releasePush(connection: ConnectionKey, status: InvoiceStatus): Promise<void> {
    const row = this.rows.get(this.key(connection));
    if (row && row.pushedRank === pushRank(status)) delete row.pushedRank;
  }
}

/** Records every post; answers `sent` unless told otherwise per connection. */
export class RecordingPoster implements ConnectionPoster {
  readonly posts: { connectionId: string; payload: StatusMessage | object }[] = [];
  readonly outcomes = new Map<string, PostOutcome[]>();
  async post(connectionId: string, payload: StatusMessage | object): Promise<PostOutcome> {
    const outcome = this.outcomes.get(connectionId)?.shift() ?? 'sent';
    if (outcome === 'sent' || outcome === 'unknown') this.posts.push({ connectionId, payload });
    return outcome;
  }
  to(connectionId: string): (StatusMessage | object)[] {
    return this.posts.filter((p) => p.connectionId === connectionId).map((p) => p.payload);
  }
}

/** A queue of watch messages, each due `delaySeconds` after it was sent by the clock; fails the next `failNext` sends. */
export class MemoryWatchQueue implements WatchQueue {
  readonly sent: { message: WatchMessage; delaySeconds: number; sentAt: number; dueAt: number }[] = [];
  private readonly waiting: { message: WatchMessage; dueAt: number }[] = [];
  failNext = 0;
  constructor(private readonly clock: Clock) {}
  async send(message: WatchMessage, delaySeconds: number): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('injected queue failure');
    }
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 900) throw new Error(`DelaySeconds ${delaySeconds} out of range`);
    const sentAt = this.clock.now();
    const entry = { message: structuredClone(message), delaySeconds, sentAt, dueAt: sentAt + delaySeconds * 1000 };
    this.sent.push(entry);
    this.waiting.push({ message: entry.message, dueAt: entry.dueAt });
  }
  /** Messages not yet taken. */
  get size(): number {
    return this.waiting.length;
  }
  /** The earliest waiting message (due by `until`, when given), removed, with when it is due. */
  takeNext(until = Infinity): { message: WatchMessage; dueAt: number } | undefined {
    this.waiting.sort((a, b) => a.dueAt - b.dueAt);
    return this.waiting[0] && this.waiting[0].dueAt <= until ? this.waiting.shift() : undefined;
  }
}

/** A SEQR that answers getPaymentStatus from a script, and logs every call. */
export class ScriptedSeqr implements SeqrMerchantApi {
  /** Every call; `at` by the clock when one was given, `deadline` as getPaymentStatus was given it. */
  readonly calls: { operation: string; invoiceReference?: string; at?: number; deadline?: number }[] = [];
  constructor(private readonly clock?: Clock) {}
  /** Per invoice: what getPaymentStatus answers (the last one repeats), or an error to throw. */
  readonly statuses = new Map<string, (PaymentStatusResult | Error)[]>();
  nextReference = 1_000_000_000_001n;
  sendInvoiceError: Error | undefined;

  count(operation: string): number {
    return this.calls.filter((c) => c.operation === operation).length;
  }
  /** Every invoice sent, by the reference it was given (its notificationUrl carries the token). */
  readonly sent = new Map<string, SeqrInvoice>();
  async sendInvoice(invoice: SeqrInvoice) {
    this.calls.push({ operation: 'sendInvoice' });
    if (this.sendInvoiceError) throw this.sendInvoiceError;
    const invoiceReference = String(this.nextReference++);
    this.sent.set(invoiceReference, invoice);
    return { invoiceReference, invoiceQRCode: `HTTP://SEQR.SE/R${invoiceReference}` };
  }
  async getPaymentStatus(invoiceReference: string, _invoiceVersion?: number, options: { deadline?: number } = {}): Promise<PaymentStatusResult> {
    this.calls.push({
      operation: 'getPaymentStatus',
      invoiceReference,
      ...(this.clock ? { at: this.clock.now() } : {}),
      ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    });
    const script = this.statuses.get(invoiceReference) ?? [];
    const answer = script.length > 1 ? script.shift()! : (script[0] ?? { status: 'ISSUED', version: 1 });
    if (answer instanceof Error) throw answer;
    return answer;
  }
  async updateInvoice(invoiceReference: string) {
    this.calls.push({ operation: 'updateInvoice', invoiceReference });
  }
  /** Per invoice: what cancelInvoice does, in turn (the last one repeats): an error to throw, or a function to run; none: it succeeds. */
  readonly cancels = new Map<string, (Error | (() => Promise<void> | void))[]>();
  async cancelInvoice(invoiceReference: string) {
    this.calls.push({ operation: 'cancelInvoice', invoiceReference, ...(this.clock ? { at: this.clock.now() } : {}) });
    const script = this.cancels.get(invoiceReference) ?? [];
    const next = script.length > 1 ? script.shift() : script[0];
    if (next instanceof Error) throw next;
    if (next) await next();
  }
  async commitReservation(invoiceReference: string) {
    this.calls.push({ operation: 'commitReservation', invoiceReference });
  }
  async submitPaymentReceipt() {
    this.calls.push({ operation: 'submitPaymentReceipt' });
  }
  async refundPayment() {
    this.calls.push({ operation: 'refundPayment' });
    return { ersReference: '9'.repeat(25) };
  }
  async markTransactionPeriod() {
    this.calls.push({ operation: 'markTransactionPeriod' });
    return { transactionPeriodId: '1'.repeat(25) };
  }
  async executeReport() {
    this.calls.push({ operation: 'executeReport' });
    return {};
  }
}

/** Records every event published; fails the next `n` publishes when told to, as a bus outage would. */
export class RecordingPublisher implements EventPublisher {
  readonly published: PaymentEvent[] = [];
  readonly faults = new Faults();
  calls = 0;
  constructor(readonly leaseMs = 10_000) {}
  async publish(events: readonly PaymentEvent[]): Promise<void> {
    this.calls++;
    this.faults.check('publish');
    this.published.push(...structuredClone(events));
  }
  /** The published events of one invoice, as `detailType status@version`. */
  of(invoiceReference: string): string[] {
    return this.published.filter((e) => e.detail.invoiceReference === invoiceReference).map((e) => `${e.detailType} ${e.detail.status}@${e.detail.version}`);
  }
}

export interface MemoryDeps extends PaymentDeps {
  events: RecordingPublisher;
  clock: ManualClock;
  invoices: MemoryInvoiceStore;
  connections: MemoryConnectionStore;
  poster: RecordingPoster;
  seqr: ScriptedSeqr;
  queue: MemoryWatchQueue;
  lines: Record<string, unknown>[];
}

/** A fresh set of in-memory ports, and the log lines written through them. */
export function memoryDeps(): MemoryDeps {
  const clock = new ManualClock();
  const lines: Record<string, unknown>[] = [];
  const log: Logger = capturingLogger(lines);
  return {
    clock,
    invoices: new MemoryInvoiceStore(clock),
    connections: new MemoryConnectionStore(clock),
    poster: new RecordingPoster(),
    events: new RecordingPublisher(),
    seqr: new ScriptedSeqr(clock),
    queue: new MemoryWatchQueue(clock),
    log,
    lines,
  };
}

function capturingLogger(lines: Record<string, unknown>[], context: Record<string, unknown> = {}): Logger {
  const write = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push({ level, message, ...context, ...fields });
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    with: (fields) => capturingLogger(lines, { ...context, ...fields }),
  };
}

