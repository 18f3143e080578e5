/**
 * SEQR's call to our notificationUrl: the token in the path names the invoice;
 * the body (empty, or `invoiceReference=…`) is only a cross-check. We must ask
 * SEQR at once: unasked within 20 s, SEQR reverses the payment.
 */
import type { Logger } from '../../log.js';
import { InvoiceNotFoundError, PaymentNotConfirmedError, StoreUnavailableError } from '../errors.js';
import type { InvoiceSnapshot } from '../invoices/invoice.js';
import { hashToken } from '../invoices/tokens.js';
import type { PaymentDeps } from '../ports.js';
import { pushToSubscribers } from '../subscriptions/push.js';
import { statusMessage } from '../../contract/index.js';
import { StatusNotStoredError, refreshFromSeqr } from './payment-status.js';
import { drainOutbox } from '../events/outbox.js';

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** How long the notification path may keep asking SEQR: well inside its 20 s window. */
export const DEFAULT_CONFIRMATION_BUDGET_MS = 12_000;

export interface NotificationOptions {
  /** When the notification arrived (epoch ms): the budget runs from then. */
  receivedAt?: number;
  confirmationBudgetMs?: number;
}

async function invoiceForToken(deps: PaymentDeps, token: string): Promise<InvoiceSnapshot | undefined> {
  const hash = hashToken(token);
  const found = await deps.invoices.findByNotificationTokenHash(hash);
  if (found) return found;
  // The token index is eventually consistent: one short second look before calling it unknown.
  await deps.clock.sleep(150);
  return deps.invoices.findByNotificationTokenHash(hash);
}

/**
 * The notification path: confirm with SEQR now. An invoice already stored as
 * PAID was confirmed by whoever stored it; it is only pushed again (pushes are
 * once per connection, so this sends nothing twice). Any other stored status,
 * final or not, is asked about: SEQR notifies only payments.
 */
export async function confirmPayment(deps: PaymentDeps, invoice: InvoiceSnapshot, log: Logger, deadline: number): Promise<InvoiceSnapshot> {
  if (invoice.status === 'PAID') {
    await pushToSubscribers(deps, statusMessage(invoice));
    // A repeated notification: the PAID event may still be pending, if the path that stored it failed to publish.
    const stored = await deps.invoices.get(invoice.invoiceReference).catch((error: unknown) => log.warn('could not read the invoice for its outbox', { error }));
    if (stored) await drainOutbox(deps, stored);
    return invoice;
  }
  return refreshFromSeqr(deps, invoice, log, { deadline });
}

export async function handleNotification(deps: PaymentDeps, token: string | undefined, body: string, log: Logger, options: NotificationOptions = {}): Promise<InvoiceSnapshot> {
  const receivedAt = options.receivedAt ?? deps.clock.now();
  if (!token || !TOKEN_SHAPE.test(token)) throw new InvoiceNotFoundError('Unknown notification.');
  const invoice = await invoiceForToken(deps, token);
  if (!invoice) {
    log.warn('notification for an unknown token');
    throw new InvoiceNotFoundError('Unknown notification.');
  }
  const logger = log.with({ invoiceReference: invoice.invoiceReference });
  const named = new URLSearchParams(body).get('invoiceReference');
  if (named && named !== invoice.invoiceReference) {
    logger.warn('notification body names another invoice; the token decides', { bodyInvoiceReference: named });
  }
  logger.info('notification received', { storedStatus: invoice.status });
  try {
    // The pushes log through deps.log: with the invoice's reference on their lines too.
    return await confirmPayment({ ...deps, log: logger }, invoice, logger, receivedAt + (options.confirmationBudgetMs ?? DEFAULT_CONFIRMATION_BUDGET_MS));
  } catch (error) {
    // The alarm on this line tells the shop a payment needs a look: SEQR may reverse it
    // (failedAt: seqr), or SEQR has it but our store does not yet (failedAt: store).
    const failedAt = error instanceof StatusNotStoredError ? 'store' : 'seqr';
    logger.error('notification not confirmed', { failedAt, error, ms: deps.clock.now() - receivedAt });
    if (failedAt === 'store') throw new StoreUnavailableError('The payment was confirmed with SEQR but could not be stored yet.', 'not_stored');
    throw new PaymentNotConfirmedError();
  }
}
