/**
 * Events the shop's back end hears (EventBridge, and the signed webhook that
 * delivers them): one per stored change, at least once.
 * Consumers deduplicate by `invoiceReference` + `version`.
 */
import type { InvoiceStatus } from './statuses.js';

export const EVENT_SOURCE = 'seqr.webshop';

export const EVENT_DETAIL_TYPES = {
  invoiceStatusChanged: 'Invoice Status Changed',
  refundCompleted: 'Refund Completed',
} as const;

export type EventDetailType = (typeof EVENT_DETAIL_TYPES)[keyof typeof EVENT_DETAIL_TYPES];

export interface Amount {
  /** Exact decimal string, e.g. "50.00". */
  value: string;
  currency: string;
}

/** The `detail` of every event. */
export interface PaymentEventDetail {
  invoiceReference: string;
  clientInvoiceId?: string;
  /** The invoice's status after the change (a refund leaves it PAID). */
  status: InvoiceStatus;
  /** The status before the change (for a refund, the same as `status`). */
  previousStatus?: InvoiceStatus;
  /** The invoice's version after the change: with invoiceReference, the deduplication key. */
  version: number;
  /** The payment's ersReference, once PAID. */
  ersReference?: string;
  total: Amount;
  /** The sum of the refunds SEQR has made (Refund Completed). */
  refundedTotal?: Amount;
  /** The refund this event is about (Refund Completed). */
  refund?: { refundId: string; amount: Amount; ersReference: string };
  /** When the change was stored (ISO 8601); also the event's `time`. */
  occurredAt: string;
}

export interface PaymentEvent {
  detailType: EventDetailType;
  detail: PaymentEventDetail;
}

/**
 * An event as EventBridge delivers it to a rule's target, and so the body of
 * every webhook POST (byte for byte as the queue received it).
 */
export interface PaymentEventEnvelope {
  version: '0';
  id: string;
  'detail-type': EventDetailType;
  source: typeof EVENT_SOURCE;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: PaymentEventDetail;
}

/**
 * The webhook's signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`,
 * keyed with the webhook secret. Receivers reject a `t` more than 5 minutes old.
 */
export const WEBHOOK_SIGNATURE_HEADER = 'SEQR-Webhook-Signature';
