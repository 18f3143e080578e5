/**
 * The sample shop, as SEQR's published webshop sequence draws it: products,
 * a cart in a session, a checkout that creates the invoice and shows the
 * payment view, and a receipt page (the phone's backURL) that asks SEQR once.
 */
import { randomBytes } from 'node:crypto';
import { config } from '../../src/config.js';
import { HttpError, header, rawBody, sha256, type HttpEvent, type HttpResult } from '../../src/adapters/http/http.js';
import { RESULT } from '../../src/contract/index.js';
import { SeqrError } from '../../src/core/seqr/errors.js';
import { createInvoice, type InvoiceSettings } from '../../src/core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../src/core/invoices/invoice-request.js';
import { refreshFromSeqr } from '../../src/core/payments/payment-status.js';
import { refreshIfDue } from '../../src/core/payments/status-poll.js';
import type { PaymentDeps } from '../../src/core/ports.js';
import type { Logger } from '../../src/log.js';
import { getSession, saveSession, type CartLine, type ShopSession } from './sessions.js';
import { checkoutPage, messagePage, productsPage, receiptPage } from './pages.js';
import { SHOP_CURRENCY, productBySku } from './products.js';

const COOKIE = 'seqr_shop_session';
const MAX_LINES = 50;
const MAX_QUANTITY = 99;

function html(statusCode: number, body: string, cookies: string[] = []): HttpResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
    },
    ...(cookies.length ? { cookies } : {}),
    body,
  };
}

function redirect(location: string, cookies: string[] = []): HttpResult {
  return { statusCode: 303, headers: { location, 'cache-control': 'no-store' }, ...(cookies.length ? { cookies } : {}), body: '' };
}

function sessionIdFrom(event: HttpEvent): string | undefined {
  for (const cookie of event.cookies ?? []) {
    const [name, ...rest] = cookie.split('=');
    if (name?.trim() === COOKIE) {
      const value = rest.join('=').trim();
      return /^[A-Za-z0-9_-]{32,64}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

function sessionCookie(sessionId: string): string {
  return `${COOKIE}=${sessionId}; Path=/shop; HttpOnly; SameSite=Lax; Max-Age=86400${config.secureCookies ? '; Secure' : ''}`;
}

/** The visitor's session, or a new one with its Set-Cookie. */
async function session(event: HttpEvent): Promise<{ session: ShopSession | Omit<ShopSession, 'updatedAt' | 'expiresAt'>; cookies: string[] }> {
  const id = sessionIdFrom(event);
  const found = id ? await getSession(id) : undefined;
  if (found) return { session: found, cookies: [] };
  const sessionId = randomBytes(24).toString('base64url');
  return { session: { sessionId, cart: [] }, cookies: [sessionCookie(sessionId)] };
}

export async function showProducts(event: HttpEvent): Promise<HttpResult> {
  const { session: s, cookies } = await session(event);
  return html(200, productsPage(s.cart), cookies);
}

export async function addItem(event: HttpEvent): Promise<HttpResult> {
  const form = new URLSearchParams(rawBody(event, 4096));
  const sku = form.get('sku') ?? '';
  if (!productBySku(sku)) throw new HttpError(400, 'invalid_field', 'No product with that sku.', 'sku');
  const { session: s, cookies } = await session(event);
  const cart: CartLine[] = s.cart.map((line) => ({ ...line }));
  const line = cart.find((l) => l.sku === sku);
  if (line) line.quantity = Math.min(MAX_QUANTITY, line.quantity + 1);
  else if (cart.length < MAX_LINES) cart.push({ sku, quantity: 1 });
  await saveSession({ ...s, cart });
  return redirect('/shop', cookies);
}

function cartKey(cart: readonly CartLine[]): string {
  return cart.map((l) => `${l.sku}:${l.quantity}`).join(',');
}

/**
 * What the invoice carries of the session: its hash, so the cookie's value is
 * never stored beside the invoice or shown by the shop API.
 */
export function sessionReference(sessionId: string): string {
  return sha256(sessionId).slice(0, 32);
}

/** What the shop uses of the payment core: the same ports the product's handlers have. */
export type ShopDeps = PaymentDeps & { settings: InvoiceSettings };

export async function checkout(deps: ShopDeps, event: HttpEvent, log: Logger): Promise<HttpResult> {
  const { session: s, cookies } = await session(event);
  if (s.cart.length === 0) return redirect('/shop', cookies);
  const base = config.publicBaseUrl;
  const previous = s.invoiceReference ? await deps.invoices.get(s.invoiceReference) : undefined;
  if (previous?.status === 'PAID') return redirect('/shop/done', cookies);
  if (previous && previous.status === 'ISSUED' && s.subscribeToken) {
    // A reload shows the same invoice while it can still be paid.
    if (s.checkedOutCart === cartKey(s.cart)) {
      return html(200, checkoutPage({ invoiceReference: previous.invoiceReference, subscribeToken: s.subscribeToken, total: previous.total, cart: s.cart, apiBaseUrl: base }), cookies);
    }
    // The cart changed: the old invoice must not stay payable beside the new one.
    const logger = log.with({ invoiceReference: previous.invoiceReference });
    try {
      await deps.seqr.cancelInvoice(previous.invoiceReference);
      await refreshFromSeqr(deps, previous, logger, { deadline: Date.now() + 5_000 });
    } catch (error) {
      if (error instanceof SeqrError && error.resultCode === RESULT.CANNOT_CANCEL_PAID_INVOICE) return redirect('/shop/done', cookies);
      logger.warn('could not cancel the previous invoice', { error });
      return html(409, messagePage('Payment in progress', 'Your previous cart is being paid. Finish or cancel that payment in the SEQR app first.'), cookies);
    }
  }
  const priced = parseInvoiceRequest({
    title: 'Sample shop order',
    currency: SHOP_CURRENCY,
    rows: s.cart.map((line) => {
      const product = productBySku(line.sku)!;
      return { description: product.name, quantity: String(line.quantity), unitPrice: product.unitPrice, taxRate: product.taxRate, sku: product.sku };
    }),
    backUrl: `${base}/shop/done`,
    sessionId: sessionReference(s.sessionId),
  });
  const created = await createInvoice(deps, priced, log);
  await saveSession({ ...s, invoiceReference: created.invoiceReference, subscribeToken: created.subscribeToken, checkedOutCart: cartKey(s.cart) });
  return html(200, checkoutPage({ invoiceReference: created.invoiceReference, subscribeToken: created.subscribeToken, total: created.total.value, cart: s.cart, apiBaseUrl: base }), cookies);
}

export async function done(deps: ShopDeps, event: HttpEvent, log: Logger): Promise<HttpResult> {
  const id = sessionIdFrom(event);
  const s = id ? await getSession(id) : undefined;
  if (!s?.invoiceReference) return html(404, messagePage('No order', 'We found no order in this browser.'));
  let invoice = await deps.invoices.get(s.invoiceReference);
  if (!invoice || invoice.sessionId !== sessionReference(s.sessionId)) return html(404, messagePage('No order', 'We found no order in this browser.'));
  const logger = log.with({ invoiceReference: invoice.invoiceReference });
  // The backURL opens the same way after pay or cancel: only SEQR knows which it was.
  // Asked at most once a second, however often the page is reloaded.
  invoice = await refreshIfDue(deps, invoice, logger, 'receipt page');
  const cart = s.cart;
  if (invoice.status === 'PAID' && s.cart.length) await saveSession({ ...s, cart: [] });
  return html(200, receiptPage({ invoiceReference: invoice.invoiceReference, status: invoice.status, ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}), total: invoice.total, cart }));
}

export function isFormPost(event: HttpEvent): boolean {
  return /^application\/x-www-form-urlencoded\b/i.test(header(event, 'content-type') ?? '');
}
