/**
 * Many shoppers at once: `checkouts` invoices, each with a page holding its own
 * subscribed WebSocket, all paid in the same instant. Counts what a shop owner
 * would lose sleep over: payments whose page never heard PAID (lost), pages that
 * heard it twice (duplicated), payments SEQR reversed or would reverse because
 * no PAID getPaymentStatus reached it (reversed), and 5xx answers from any handler.
 */
import { observeInvocations, type Invocation } from '../local/handlers.js';
import type { LocalStack } from '../local/stack.js';
import { createInvoice, fromEpoch, mapLimit, pay, sleep, SocketPage, warnings, type CreatedInvoice } from './clients.js';
import { round } from './stats.js';

export interface ThroughputResult {
  checkouts: number;
  perSecond: number;
  lost: number;
  duplicated: number;
  reversed: number;
  errors5xx: number;
}

export interface ThroughputDetails extends ThroughputResult {
  /** From the first pay to the last PAID heard, ms. */
  elapsedMs: number;
  /** SEQR's longest wait from a notification to our getPaymentStatus under this load, ms. */
  maxConfirmMs: number;
  /** Notification POSTs SEQR saw fail (time-out, error or non-2xx). */
  notificationFailures: number;
  /** 5xx answers by function. */
  errorsByFunction: Record<string, number>;
  setupMs: number;
  /** Each lost payment: what SEQR, the store and the logs say about it. */
  lostPayments: { invoiceReference: string; seqrStatus?: string; confirmed?: boolean; storedStatus?: string; logs: string[] }[];
  /** Handler warnings and errors by message, during the phase. */
  warningsByMessage: Record<string, number>;
}

export async function measureThroughput(stack: LocalStack, checkouts: number, options: { deadlineMs?: number } = {}): Promise<ThroughputDetails> {
  const errors: Invocation[] = [];
  let disconnects = 0;
  const stop = observeInvocations({
    onEnd: (invocation) => {
      if ((invocation.statusCode ?? 200) >= 500) errors.push(invocation);
      if (invocation.fn === 'wsDisconnect') disconnects++;
    },
  });
  const pages: SocketPage[] = [];
  try {
    const warningsBefore = warnings.length;
    const setupStarted = performance.now();
    // The shop's server creates invoices as its shoppers check out; a refused one is a 5xx counted above.
    const invoices = (await mapLimit(Array.from({ length: checkouts }), 16, () => createInvoice(stack).catch(() => undefined))).filter(
      (invoice): invoice is CreatedInvoice => invoice !== undefined,
    );
    pages.push(...(await mapLimit(invoices, 32, (invoice) => SocketPage.open(invoice, 20_000))));
    const setupMs = performance.now() - setupStarted;

    const firstPay = performance.now();
    await Promise.all(invoices.map((invoice) => pay(stack, invoice.invoiceReference)));
    const deadline = firstPay + (options.deadlineMs ?? 30_000);
    await Promise.all(pages.map((page) => page.next((r) => r.message.status === 'PAID', Math.max(1, deadline - performance.now())).catch(() => undefined)));
    // A duplicate would arrive right behind the first.
    await sleep(300);

    const heard = pages.filter((page) => page.paidMessages().length > 0);
    const lastHeard = Math.max(firstPay, ...heard.map((page) => page.paidMessages()[0]!.at));
    const elapsedMs = lastHeard - firstPay;
    let reversed = 0;
    let notificationFailures = 0;
    let maxConfirmMs = 0;
    for (const invoice of invoices) {
      const seqr = stack.simulator.invoice(invoice.invoiceReference);
      // Unconfirmed now is reversed when SEQR's 20 s window closes.
      if (!seqr || seqr.reversed || !seqr.confirmed) reversed++;
      notificationFailures += seqr?.notificationFailures ?? 0;
      const sent = seqr?.notifications[0]?.sentAtMs;
      const confirmedAt = stack.simulator
        .calls({ operation: 'getPaymentStatus', invoiceReference: invoice.invoiceReference })
        .map((call) => call.receivedAtMs ?? Number.POSITIVE_INFINITY)
        .filter((at) => sent !== undefined && at >= sent)
        .sort((a, b) => a - b)[0];
      if (sent !== undefined && confirmedAt !== undefined) maxConfirmMs = Math.max(maxConfirmMs, fromEpoch(confirmedAt) - fromEpoch(sent));
    }
    const lostPayments: ThroughputDetails['lostPayments'] = [];
    for (const [i, page] of pages.entries()) {
      if (page.paidMessages().length > 0) continue;
      const ref = invoices[i]!.invoiceReference;
      const seqr = stack.simulator.invoice(ref);
      const stored = await fetch(`${stack.httpUrl}/invoices/${ref}`, { headers: { authorization: `Bearer ${stack.shopApiKey}` } }).then((r) => r.json() as Promise<{ status?: string }>).catch(() => ({ status: undefined }));
      lostPayments.push({
        invoiceReference: ref,
        ...(seqr ? { seqrStatus: seqr.status, confirmed: seqr.confirmed } : {}),
        ...(stored.status ? { storedStatus: stored.status } : {}),
        logs: warnings.slice(warningsBefore).filter((line) => line.includes(ref)).slice(0, 10),
      });
    }
    const warningsByMessage: Record<string, number> = {};
    for (const line of warnings.slice(warningsBefore)) {
      const message = String((JSON.parse(line) as { message?: unknown }).message);
      warningsByMessage[message] = (warningsByMessage[message] ?? 0) + 1;
    }
    const errorsByFunction: Record<string, number> = {};
    for (const error of errors) errorsByFunction[error.fn] = (errorsByFunction[error.fn] ?? 0) + 1;
    const result: ThroughputDetails = {
      checkouts,
      perSecond: round(elapsedMs > 0 ? heard.length / (elapsedMs / 1000) : 0),
      lost: checkouts - heard.length,
      duplicated: pages.filter((page) => page.paidMessages().length > 1).length,
      reversed,
      errors5xx: errors.length,
      elapsedMs: round(elapsedMs),
      maxConfirmMs: round(maxConfirmMs),
      notificationFailures,
      errorsByFunction,
      setupMs: round(setupMs, 0),
      lostPayments,
      warningsByMessage,
    };
    return result;
  } finally {
    const opened = pages.length;
    await Promise.all(pages.map((page) => page.close()));
    // Let the $disconnects run out before anything else is measured.
    const until = performance.now() + 15_000;
    while (disconnects < opened && performance.now() < until) await sleep(20);
    stop();
  }
}
