/**
 * Invoice statuses, as SEQR reports them and as every wire of ours carries them
 * (HTTP answers, socket messages, events). FACTS.md §4; EXPIRED comes from later servers.
 */
export const INVOICE_STATUSES = [
  'ISSUED',
  'PAID',
  'PENDING_ISSUER_ACKNOWLEDGE',
  'CANCELED',
  'FAILED',
  'RESERVED',
  'EXPIRED',
] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Statuses after which nothing more happens to an invoice. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set<InvoiceStatus>(['PAID', 'CANCELED', 'FAILED', 'EXPIRED']);

export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

export function isInvoiceStatus(value: unknown): value is InvoiceStatus {
  return typeof value === 'string' && (INVOICE_STATUSES as readonly string[]).includes(value);
}
