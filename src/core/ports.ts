/**
 * The ports of the payment core: what it needs from the world, as small
 * interfaces. Handlers build the real adapters (src/adapters/) once at init and
 * pass them in; unit tests pass in-memory ones (test/support/memory-ports.ts).
 * Nothing here knows DynamoDB, API Gateway or SOAP.
 */
import type { InvoiceStatus, PaymentEvent, StatusMessage } from '../contract/index.js';
import type { Logger } from '../log.js';
import type { Connection, InvoiceSnapshot, StatusUpdate, StoredInvoice } from './invoices/invoice.js';
import type { SeqrMerchantApi } from './seqr/merchant-api.js';

export type { SeqrMerchantApi };

/** Time, so rules about seconds and windows can be tested without waiting. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Invoices, keyed by SEQR's invoiceReference. Every write is conditional. */
export interface InvoiceStore {
  /** Stores a new invoice; throws if the reference is taken. */
  create(invoice: StoredInvoice): Promise<void>;
  /** The invoice as last written (a consistent read); expired ones are absent. */
  get(invoiceReference: string): Promise<StoredInvoice | undefined>;
  /** The invoice whose notificationUrl carries the token with this hash: its status fields (an eventually consistent read). */
  findByNotificationTokenHash(hash: string): Promise<InvoiceSnapshot | undefined>;
  /**
   * Applies the update when `canAdvance` (src/core/invoices/status-rules.ts)
   * allows it against the stored invoice, atomically, and in the same write
   * appends the change's event to the invoice's outbox (`statusChangedEntry`,
   * src/core/events/outbox.ts) and bumps `version` by one. Returns the updated
   * invoice (its outbox included), or undefined when the rule refused (a
   * duplicate or stale answer).
   */
  advanceStatus(invoiceReference: string, update: StatusUpdate, now: number, options?: AdvanceOptions): Promise<StoredInvoice | undefined>;
  /** Takes the invoice's SEQR slot when `statusCheckDue` allows it: true for one caller per interval. */
  claimStatusCheck(invoiceReference: string, intervalMs: number, now: number): Promise<boolean>;
  /**
   * Takes the right to publish the invoice's outbox until `leaseUntil` when it
   * has pending events and no other publisher holds it (`outboxClaimable`).
   * Returns the invoice as it now stands, or undefined when not taken.
   */
  claimOutbox(invoiceReference: string, now: number, leaseUntil: number): Promise<StoredInvoice | undefined>;
  /** Removes these versions' events from the outbox (published); `invoice` is the item they were read from. */
  acknowledgeEvents(invoice: Pick<StoredInvoice, 'invoiceReference' | 'outbox'>, versions: readonly number[]): Promise<void>;
}

export interface AdvanceOptions {
  /**
   * The invoice as the caller read it. The write holds only while the stored
   * version is still this one (so the event's version and previousStatus are
   * exact); otherwise the store reads the invoice again and decides anew.
   * Without it, the store reads first.
   */
  expected?: Pick<StoredInvoice, 'status' | 'version' | 'seqrVersion' | 'ersReference'>;
  /** The writer keeps the outbox until then, to publish what it wrote (`outboxLeaseUntil`). */
  leaseUntil?: number;
}

/** WebSocket connections subscribed to an invoice. */
export interface ConnectionStore {
  add(invoiceReference: string, connectionId: string, now: number): Promise<void>;
  /** Every live connection of the invoice, including one added a moment ago. */
  listFor(invoiceReference: string): Promise<Connection[]>;
  /** A connection by its id alone (its invoice, for $disconnect and messages). */
  find(connectionId: string): Promise<Pick<Connection, 'invoiceReference' | 'connectionId'> | undefined>;
  remove(invoiceReference: string, connectionId: string): Promise<void>;
  /** Claims the push of a status of this rank to this connection (`pushAllowed`): false when already pushed. */
  claimPush(connection: ConnectionKey, status: InvoiceStatus): Promise<boolean>;
  /** Gives a claim back after a post API Gateway refused, so a later attempt may deliver it. */
  releasePush(connection: ConnectionKey, status: InvoiceStatus): Promise<void>;
}

export type ConnectionKey = Pick<Connection, 'invoiceReference' | 'connectionId'>;

/**
 * What a post to one connection came to:
 * - `sent`: delivered;
 * - `gone`: the socket is closed (410);
 * - `refused`: the gateway answered with an error: not delivered;
 * - `unknown`: no answer (a time-out): it may have been delivered.
 */
export type PostOutcome = 'sent' | 'gone' | 'refused' | 'unknown';

/** Posts a frame to one WebSocket connection (API Gateway's @connections). */
export interface ConnectionPoster {
  post(connectionId: string, payload: StatusMessage | object): Promise<PostOutcome>;
}

/** Publishes the events of stored changes (EventBridge). */
export interface EventPublisher {
  /** Resolves when the bus has taken every event; throws when any was refused (the caller keeps them all). */
  publish(events: readonly PaymentEvent[]): Promise<void>;
  /** How long one publisher holds an outbox before another may take over: longer than a publish may take. */
  readonly leaseMs: number;
}

/**
 * One message of an invoice's watch (src/core/watch/): the invoice to look at,
 * and its payment timeout. Deployed an SQS message, delivered after its delay.
 */
export interface WatchMessage {
  invoiceReference: string;
  /** Epoch ms of the payment timeout: an invoice still ISSUED then is cancelled. */
  deadline: number;
  /** Cancel attempts made after the deadline (each answered "not now" or not at all). */
  cancelAttempts?: number;
  /** Rounds that failed unexpectedly (the store unreachable), in a row. */
  failures?: number;
}

/** Delivers a watch message after a delay (SQS DelaySeconds, 0–900). */
export interface WatchQueue {
  send(message: WatchMessage, delaySeconds: number): Promise<void>;
}

/** Everything the payment paths (create, notify, poll, subscribe) need. */
export interface PaymentDeps {
  seqr: SeqrMerchantApi;
  invoices: InvoiceStore;
  connections: ConnectionStore;
  poster: ConnectionPoster;
  events: EventPublisher;
  clock: Clock;
  log: Logger;
}
