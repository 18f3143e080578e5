/** The invoice as the core holds it, and the connections subscribed to it. */
import type { EventDetailType, InvoiceStatus } from '../../contract/index.js';
import type { InvoiceRow, PricedInvoice } from './invoice-request.js';

export interface StoredReceipt {
  paymentReference?: string;
  paymentDate?: string;
  payerTerminalId?: string;
  receiverName?: string;
  terminalId?: string;
}

export interface StoredInvoice {
  invoiceReference: string;
  status: InvoiceStatus;
  /** Ours: bumped on every status change and every completed refund; browsers order pushes by it, events are deduplicated by it. */
  version: number;
  /** SEQR's status version, echoed back as invoiceVersion. */
  seqrVersion: number;
  title: string;
  currency: string;
  total: string;
  rows: InvoiceRow[];
  qrCode: string;
  clientInvoiceId?: string;
  backUrl?: string;
  sessionId?: string;
  footer?: string;
  cashierId?: string;
  paymentMode?: PricedInvoice['paymentMode'];
  ersReference?: string;
  receipt?: StoredReceipt;
  notificationTokenHash: string;
  subscribeTokenHash: string;
  createdAt: string;
  updatedAt: string;
  paidAt?: string;
  /** Epoch ms of the last getPaymentStatus asked for (one a second at most). */
  lastCheckedAt?: number;
  /** Set when stored PAID: `OPEN` until a transaction period takes the invoice, then that period's transactionPeriodId. */
  transactionPeriod?: string;
  /** Epoch seconds after which the item counts as gone (DynamoDB TTL). */
  expiresAt: number;
  /** Refunds by refundId (src/core/refunds/refunds.ts). */
  refunds?: Record<string, StoredRefund>;
  /** Minor units held by refunds that succeeded or may have: never above the total. */
  refundReservedMinor?: number;
  /** The last receipt document sent with submitPaymentReceipt, as sent. */
  paymentReceipt?: SentReceipt;
  /**
   * Events stored with their change and not yet acknowledged by the bus, oldest
   * first (src/core/events/outbox.ts): written by the same conditional write as
   * the change, removed once published.
   */
  outbox?: OutboxEntry[];
  /** Epoch ms until which one publisher holds the outbox; another may take it after. */
  outboxLeaseUntil?: number;
}

/**
 * One pending event: what its change alone knows. The invoice's reference,
 * clientInvoiceId and total are added from the item when it is published.
 */
export interface OutboxEntry {
  detailType: EventDetailType;
  status: InvoiceStatus;
  previousStatus?: InvoiceStatus;
  /** The invoice's version this change made. */
  version: number;
  ersReference?: string;
  /** Refund Completed: the refunded sum after this refund, exact decimal. */
  refundedTotal?: string;
  refund?: { refundId: string; amount: string; ersReference: string };
  occurredAt: string;
}

/**
 * A refund of the invoice's payment. PENDING while SEQR is being asked;
 * SUCCEEDED with SEQR's ersReference for it; UNKNOWN when SEQR was asked and
 * never answered (it may have refunded: the amount stays held).
 */
export interface StoredRefund {
  refundId: string;
  state: 'PENDING' | 'SUCCEEDED' | 'UNKNOWN';
  /** Exact decimal string in the invoice's currency. */
  amount: string;
  amountMinor: number;
  title: string;
  rows?: InvoiceRow[];
  ersReference?: string;
  createdAt: string;
  completedAt?: string;
}

export interface SentReceipt {
  mimeType: string;
  type: 'PAYMENT_RECEIPT' | 'WARRANTY' | 'VOUCHER' | 'OTHER';
  /** Base64, as sent; may be empty. */
  data: string;
  submittedAt: string;
}

/**
 * What the notification path knows of an invoice before it asks SEQR: the
 * status-bearing fields, read from the notification-token index in one request.
 */
export type InvoiceSnapshot = Pick<StoredInvoice, 'invoiceReference' | 'status' | 'version' | 'seqrVersion' | 'ersReference' | 'expiresAt'>;

/** A new status from SEQR, to be stored if the rules allow it. */
export interface StatusUpdate {
  status: InvoiceStatus;
  seqrVersion: number;
  ersReference?: string;
  receipt?: StoredReceipt;
}

export interface Connection {
  invoiceReference: string;
  connectionId: string;
  connectedAt: string;
  /** Epoch seconds. */
  expiresAt: number;
  /** How far the pushes to this connection have gone: 0 open, 1 final. */
  pushedRank?: number;
}

/** Epoch seconds, the unit DynamoDB's TTL reads in `expiresAt`. */
export function epochSeconds(at: number): number {
  return Math.floor(at / 1000);
}

/** An item past its `expiresAt` counts as gone: TTL deletes lazily. */
export function isExpired(item: { expiresAt?: number } | undefined, now: number): boolean {
  return item?.expiresAt !== undefined && item.expiresAt <= epochSeconds(now);
}
