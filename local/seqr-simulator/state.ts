/**
 * Invoices and their life: SEQR's statuses, the version that counts status
 * changes, payments, refunds and transaction periods. Everything here is
 * synchronous bookkeeping; timers and HTTP live with the caller, reached through
 * `onPaid` (every transition into PAID) so no path to PAID can skip them.
 */
import type { InvoiceStatus } from '../../src/contract/index.js';
import type { StoredInvoice, ValidInvoice, ValidRefund } from './invoice-validation.js';
import { addMoney, compareMoney, formatMoney, sumMoney, ZERO, type Money } from './money.js';
import type { ReferenceFactory } from './references.js';

export interface Payment {
  ersReference: string;
  paymentReference: string;
  paidAt: Date;
  payerTerminalId: string;
  /** The transaction period that closed over this sale, once marked. */
  transactionPeriodId?: string;
}

export interface Refund {
  ersReference: string;
  amount: Money;
  at: Date;
  cashierId?: string;
  /** The period markTransactionPeriod closed it in. */
  transactionPeriodId?: string;
}

export interface InvoiceRecord {
  invoiceReference: string;
  terminalId: string;
  invoice: StoredInvoice;
  total: Money;
  currency: string;
  status: InvoiceStatus;
  version: number;
  /** Scanned in the app and not yet paid: SEQR calls this "in progress". */
  scanned: boolean;
  createdAt: Date;
  payment?: Payment;
  /** A PAID getPaymentStatus answered: SEQR committed the payment. */
  confirmed: boolean;
  /** Not confirmed within the window, so SEQR took the money back. */
  reversed: boolean;
  notificationsSent: number;
  notificationFailures: number;
  /** Every notification POST: when it was sent and answered (epoch ms, sub-ms precision). */
  notifications: NotificationAttempt[];
  refunds: Refund[];
  receiptsSubmitted: number;
}

export interface NotificationAttempt {
  /** Just before the POST was started (epoch ms, sub-ms precision). */
  sentAtMs: number;
  /** When its answer ended or it failed. */
  answeredAtMs?: number;
  /** The HTTP status of the answer; absent when there was none. */
  status?: number;
  error?: string;
}

export interface TransactionPeriod {
  transactionPeriodId: string;
  markedAt: number;
  terminalId?: string;
  invoiceReferences: string[];
  /** Refunds closed in this period: the refunded invoice and the refund's ersReference. */
  refunds: { invoiceReference: string; ersReference: string }[];
}

/** A shopper-side action that the invoice's state does not allow (the control API's 409). */
export class TransitionRefused extends Error {
  constructor(
    readonly invoice: InvoiceRecord,
    action: string,
  ) {
    super(`cannot ${action} an invoice that is ${invoice.status}${invoice.scanned && invoice.status === 'ISSUED' ? ' (scanned)' : ''}`);
  }
}

export interface StateHooks {
  /** Called on every transition into PAID; resolves when the notifications are done. */
  onPaid(invoice: InvoiceRecord): Promise<void>;
  onChange?(invoice: InvoiceRecord, from: InvoiceStatus): void;
  /** A PAID getPaymentStatus answer committed the payment. */
  onConfirmed?(invoice: InvoiceRecord): void;
}

/** SEQR result codes as numbers; 0 = success. */
export type Code = number;

/**
 * Whether a terminal may refund: SEQR answers 97 when the terminal's reseller
 * may not, 99 when the receiving account does not allow refunds.
 */
export const REFUND_POLICIES = ['allowed', 'resellerNotAllowed', 'receiverNotAllowed'] as const;
export type RefundPolicy = (typeof REFUND_POLICIES)[number];

export class SimulatorState {
  private readonly invoices = new Map<string, InvoiceRecord>();
  /** ersReference, paymentReference and refund ersReferences → invoice reference. */
  private readonly byErsReference = new Map<string, string>();
  private readonly periods = new Map<string, TransactionPeriod>();
  private readonly refundPolicies = new Map<string, RefundPolicy>();

  constructor(
    private readonly refs: ReferenceFactory,
    private readonly hooks: StateHooks,
  ) {}

  create(terminalId: string, valid: ValidInvoice): InvoiceRecord {
    const createdAt = new Date();
    const record: InvoiceRecord = {
      invoiceReference: this.refs.invoiceReference(),
      terminalId,
      invoice: { ...valid.invoice, issueDate: valid.invoice.issueDate ?? createdAt.toISOString() },
      total: valid.total,
      currency: valid.currency,
      status: 'ISSUED',
      // SEQR's documented unpaid answer shows version 1 for a fresh invoice.
      version: 1,
      scanned: false,
      createdAt,
      confirmed: false,
      reversed: false,
      notificationsSent: 0,
      notificationFailures: 0,
      notifications: [],
      refunds: [],
      receiptsSubmitted: 0,
    };
    this.invoices.set(record.invoiceReference, record);
    return record;
  }

  find(invoiceReference: string | undefined): InvoiceRecord | undefined {
    return invoiceReference === undefined ? undefined : this.invoices.get(invoiceReference);
  }

  /** SEQR answers 54 alike for unknown references and other terminals' invoices. */
  findOwned(invoiceReference: string | undefined, terminalId: string): InvoiceRecord | undefined {
    const found = this.find(invoiceReference);
    return found && found.terminalId === terminalId ? found : undefined;
  }

  findByErsReference(ersReference: string | undefined): InvoiceRecord | undefined {
    if (ersReference === undefined) return undefined;
    return this.find(this.byErsReference.get(ersReference));
  }

  all(): InvoiceRecord[] {
    return [...this.invoices.values()];
  }

  private setStatus(invoice: InvoiceRecord, status: InvoiceStatus): void {
    const from = invoice.status;
    invoice.status = status;
    invoice.version += 1;
    this.hooks.onChange?.(invoice, from);
  }

  private markPaid(invoice: InvoiceRecord, payerTerminalId?: string): Promise<void> {
    if (!invoice.payment) {
      invoice.payment = {
        ersReference: this.refs.longReference(),
        paymentReference: this.refs.longReference(),
        paidAt: new Date(),
        payerTerminalId: payerTerminalId ?? 'seqr-app-user',
      };
      this.byErsReference.set(invoice.payment.ersReference, invoice.invoiceReference);
      this.byErsReference.set(invoice.payment.paymentReference, invoice.invoiceReference);
    } else {
      invoice.payment.paidAt = new Date();
    }
    invoice.scanned = false;
    this.setStatus(invoice, 'PAID');
    return this.hooks.onPaid(invoice);
  }

  refundPolicy(terminalId: string): RefundPolicy {
    return this.refundPolicies.get(terminalId) ?? 'allowed';
  }

  setRefundPolicy(terminalId: string, policy: RefundPolicy): void {
    this.refundPolicies.set(terminalId, policy);
  }

  // ---- The merchant's side (SOAP operations) ----

  /** getPaymentStatus: a PAID answer commits the payment. */
  statusFor(invoiceReference: string | undefined, terminalId: string): { code: Code; invoice?: InvoiceRecord } {
    const invoice = this.findOwned(invoiceReference, terminalId);
    if (!invoice) return { code: 54 };
    if (invoice.status === 'PAID' && !invoice.confirmed) {
      invoice.confirmed = true;
      this.hooks.onConfirmed?.(invoice);
    }
    return { code: 0, invoice };
  }

  cancelByMerchant(invoiceReference: string | undefined, terminalId: string): Code {
    const invoice = this.findOwned(invoiceReference, terminalId);
    if (!invoice) return 54;
    switch (invoice.status) {
      case 'PAID':
        return 50;
      case 'CANCELED':
        return 95;
      case 'RESERVED':
      case 'PENDING_ISSUER_ACKNOWLEDGE':
        return 51;
      case 'ISSUED':
        if (invoice.scanned) return 51;
        this.setStatus(invoice, 'CANCELED');
        return 0;
      default:
        // FAILED or EXPIRED: nothing left to cancel, and no documented code says so.
        return 10;
    }
  }

  update(invoiceReference: string | undefined, terminalId: string, validate: () => { code: Code; valid?: ValidInvoice }): Code {
    const invoice = this.findOwned(invoiceReference, terminalId);
    if (!invoice) return 54;
    if (invoice.status === 'RESERVED' || (invoice.status === 'ISSUED' && invoice.scanned)) return 48;
    if (invoice.status !== 'ISSUED' && invoice.status !== 'PENDING_ISSUER_ACKNOWLEDGE') return 10;
    const { code, valid } = validate();
    if (code !== 0 || !valid) return code;
    invoice.invoice = { ...valid.invoice, issueDate: valid.invoice.issueDate ?? invoice.invoice.issueDate };
    invoice.total = valid.total;
    invoice.currency = valid.currency;
    if (invoice.status === 'PENDING_ISSUER_ACKNOWLEDGE') void this.markPaid(invoice);
    return 0;
  }

  commitReservation(invoiceReference: string | undefined, terminalId: string): Code {
    const invoice = this.findOwned(invoiceReference, terminalId);
    if (!invoice) return 54;
    if (invoice.status !== 'RESERVED') return 96;
    void this.markPaid(invoice);
    return 0;
  }

  refund(ersReference: string | undefined, terminalId: string, validate: (currency: string) => { code: Code; valid?: ValidRefund }): { code: Code; ersReference?: string } {
    const invoice = this.findByErsReference(ersReference);
    // Refunds of refunds, other terminals' payments and reversed payments name nothing refundable.
    const isRefundReference = invoice?.refunds.some((r) => r.ersReference === ersReference);
    if (!invoice || !invoice.payment || invoice.terminalId !== terminalId || invoice.status !== 'PAID' || isRefundReference) {
      return { code: 23 };
    }
    const policy = this.refundPolicy(terminalId);
    if (policy === 'resellerNotAllowed') return { code: 97 };
    if (policy === 'receiverNotAllowed') return { code: 99 };
    // Only a PAID getPaymentStatus commits a payment; until then it may still be
    // reversed, so there is nothing to refund yet. 48 PAYMENT_IN_PROGRESS is the
    // documented code closest to "not committed yet".
    if (!invoice.confirmed) return { code: 48 };
    const { code, valid } = validate(invoice.currency);
    if (code !== 0 || !valid) return { code };
    if (compareMoney(valid.amount, ZERO) <= 0) return { code: 11 };
    const refunded = sumMoney(invoice.refunds.map((r) => r.amount));
    if (compareMoney(addMoney(refunded, valid.amount), invoice.total) > 0) return { code: 98 };
    const refund: Refund = { ersReference: this.refs.longReference(), amount: valid.amount, at: new Date(), cashierId: valid.cashierId };
    invoice.refunds.push(refund);
    this.byErsReference.set(refund.ersReference, invoice.invoiceReference);
    return { code: 0, ersReference: refund.ersReference };
  }

  submitReceipt(ersReference: string | undefined, terminalId: string): { code: Code; invoice?: InvoiceRecord } {
    const invoice = this.findByErsReference(ersReference);
    // A receipt is for a payment: a reversed (or otherwise not PAID) one names none, as in refundPayment.
    if (!invoice || invoice.terminalId !== terminalId || invoice.status !== 'PAID') return { code: 23 };
    invoice.receiptsSubmitted += 1;
    return { code: 0, invoice };
  }

  /** Closes the period over PAID sales not yet in one (only one terminal's when given). */
  markPeriod(terminalId?: string): TransactionPeriod {
    const period: TransactionPeriod = {
      transactionPeriodId: this.refs.longReference(),
      markedAt: Date.now(),
      terminalId,
      invoiceReferences: [],
      refunds: [],
    };
    for (const invoice of this.invoices.values()) {
      if (terminalId !== undefined && invoice.terminalId !== terminalId) continue;
      // Refunds made since the last mark, whatever period their payment was in.
      for (const refund of invoice.refunds) {
        if (refund.transactionPeriodId) continue;
        refund.transactionPeriodId = period.transactionPeriodId;
        period.refunds.push({ invoiceReference: invoice.invoiceReference, ersReference: refund.ersReference });
      }
      if (invoice.status !== 'PAID' || !invoice.payment || invoice.payment.transactionPeriodId) continue;
      invoice.payment.transactionPeriodId = period.transactionPeriodId;
      period.invoiceReferences.push(invoice.invoiceReference);
    }
    this.periods.set(period.transactionPeriodId, period);
    return period;
  }

  period(transactionPeriodId: string | undefined): TransactionPeriod | undefined {
    return transactionPeriodId === undefined ? undefined : this.periods.get(transactionPeriodId);
  }

  // ---- The shopper's side (control API) ----

  scan(invoiceReference: string): InvoiceRecord | undefined {
    const invoice = this.find(invoiceReference);
    if (!invoice) return undefined;
    if (invoice.status !== 'ISSUED') throw new TransitionRefused(invoice, 'scan');
    invoice.scanned = true;
    return invoice;
  }

  /**
   * The shopper pays: reservations go to RESERVED, invoices that require the
   * issuer's acknowledgment to PENDING_ISSUER_ACKNOWLEDGE, the rest to PAID.
   */
  pay(invoiceReference: string, payerTerminalId?: string): { invoice: InvoiceRecord; delivered: Promise<void> } | undefined {
    const invoice = this.find(invoiceReference);
    if (!invoice) return undefined;
    if (invoice.status !== 'ISSUED') throw new TransitionRefused(invoice, 'pay');
    const mode = invoice.invoice.paymentMode;
    if (mode === 'RESERVATION_DESIRED' || mode === 'RESERVATION_REQUIRED') {
      invoice.scanned = false;
      this.setStatus(invoice, 'RESERVED');
      return { invoice, delivered: Promise.resolve() };
    }
    if (invoice.invoice.acknowledgmentMode === 'REQUIRE_ACKNOWLEDGMENT') {
      invoice.scanned = false;
      this.setStatus(invoice, 'PENDING_ISSUER_ACKNOWLEDGE');
      return { invoice, delivered: Promise.resolve() };
    }
    return { invoice, delivered: this.markPaid(invoice, payerTerminalId) };
  }

  userCancel(invoiceReference: string): InvoiceRecord | undefined {
    return this.endInApp(invoiceReference, 'cancel', ['ISSUED'], 'CANCELED');
  }

  fail(invoiceReference: string): InvoiceRecord | undefined {
    return this.endInApp(invoiceReference, 'fail', ['ISSUED', 'RESERVED'], 'FAILED');
  }

  /** The invoice timed out unpaid (later servers' EXPIRED status). */
  expire(invoiceReference: string): InvoiceRecord | undefined {
    return this.endInApp(invoiceReference, 'expire', ['ISSUED'], 'EXPIRED');
  }

  /** Ends an open invoice from the shopper's side (cancel, failure, expiry); no notification, SEQR sends those only on PAID. */
  private endInApp(
    invoiceReference: string,
    action: string,
    from: readonly InvoiceRecord['status'][],
    to: 'CANCELED' | 'FAILED' | 'EXPIRED',
  ): InvoiceRecord | undefined {
    const invoice = this.find(invoiceReference);
    if (!invoice) return undefined;
    if (!from.includes(invoice.status)) throw new TransitionRefused(invoice, action);
    invoice.scanned = false;
    this.setStatus(invoice, to);
    return invoice;
  }

  /** The confirmation window ran out: SEQR takes the payment back. */
  reverse(invoiceReference: string, status: 'CANCELED' | 'FAILED'): InvoiceRecord | undefined {
    const invoice = this.find(invoiceReference);
    if (!invoice || invoice.status !== 'PAID' || invoice.confirmed) return undefined;
    invoice.reversed = true;
    this.setStatus(invoice, status);
    return invoice;
  }
}

/** The control API's JSON for an invoice. */
export interface InvoiceView {
  invoiceReference: string;
  terminalId: string;
  status: InvoiceStatus;
  version: number;
  scanned: boolean;
  confirmed: boolean;
  reversed: boolean;
  notificationsSent: number;
  notificationFailures: number;
  notifications: NotificationAttempt[];
  createdAt: string;
  paymentMode: string;
  totalAmount: { currency: string; value: string };
  notificationUrl?: string;
  ersReference?: string;
  paymentReference?: string;
  paidAt?: string;
  refundedAmount: string;
  refunds: { ersReference: string; value: string; at: string }[];
  receiptsSubmitted: number;
  transactionPeriodId?: string;
}

export function invoiceView(invoice: InvoiceRecord): InvoiceView {
  return {
    invoiceReference: invoice.invoiceReference,
    terminalId: invoice.terminalId,
    status: invoice.status,
    version: invoice.version,
    scanned: invoice.scanned,
    confirmed: invoice.confirmed,
    reversed: invoice.reversed,
    notificationsSent: invoice.notificationsSent,
    notificationFailures: invoice.notificationFailures,
    notifications: invoice.notifications.map((n) => ({ ...n })),
    createdAt: invoice.createdAt.toISOString(),
    paymentMode: invoice.invoice.paymentMode ?? 'IMMEDIATE_DEBIT',
    totalAmount: { ...invoice.invoice.totalAmount },
    notificationUrl: invoice.invoice.notificationUrl,
    ersReference: invoice.payment?.ersReference,
    paymentReference: invoice.payment?.paymentReference,
    paidAt: invoice.payment?.paidAt.toISOString(),
    refundedAmount: formatMoney(sumMoney(invoice.refunds.map((r) => r.amount))),
    refunds: invoice.refunds.map((r) => ({ ersReference: r.ersReference, value: formatMoney(r.amount), at: r.at.toISOString() })),
    receiptsSubmitted: invoice.receiptsSubmitted,
    transactionPeriodId: invoice.payment?.transactionPeriodId,
  };
}
