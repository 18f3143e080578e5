/**
 * Events the shop's back end hears (EventBridge): one per stored change.
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
  status: InvoiceStatus;
  previousStatus?: InvoiceStatus;
  /** The invoice's version after the change: with invoiceReference, the deduplication key. */
  version: number;
  ersReference?: string;
  total: Amount;
  refundedTotal?: Amount;
  occurredAt: string;
}

export interface PaymentEvent {
  detailType: EventDetailType;
  detail: PaymentEventDetail;
}
