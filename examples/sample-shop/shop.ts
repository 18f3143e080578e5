/**
 * The sample shop, as SEQR's published webshop sequence draws it: products,
 * a cart in a session, a checkout that creates the invoice and shows the
 * payment view, and a receipt page (the phone's backURL) that asks for the
 * status through the same paced path as the browser's polls.
 *
 * Abuse bounds: what changes state is a POST (`/shop/additem`,
 * `/shop/checkout`) from a page of this shop: the browser's Origin (and
 * Sec-Fetch-Site) must be this shop's, and the form must carry the session's
 * form token. A refused post writes nothing and sets no cookie, so a page on
 * another site (or another port) can neither fill a cart nor replace the
 * shopper's session. GETs never write. The session id is replaced when a cart
 * is invoiced. HTML pages carry a Content-Security-Policy.
 */
import { createHash, randomBytes } from 'node:crypto';
import { config } from '../../src/config.js';
import { HttpError, header, rawBody, secretsEqual, sha256, type HttpEvent, type HttpResult } from '../../src/adapters/http/http.js';
import { RESULT } from '../../src/contract/index.js';
import { SeqrError } from '../../src/core/seqr/errors.js';
import { createInvoice, type CreateInvoiceDeps, type InvoiceSettings } from '../../src/core/invoices/create-invoice.js';
import { parseInvoiceRequest } from '../../src/core/invoices/invoice-request.js';
import type { StoredInvoice } from '../../src/core/invoices/invoice.js';
import { refreshFromSeqr } from '../../src/core/payments/payment-status.js';
import { pollStatus } from '../../src/core/payments/status-poll.js';
import type { PaymentDeps } from '../../src/core/ports.js';
import type { Logger } from '../../src/log.js';
import { dynamoInvoiceStore } from '../../src/adapters/dynamodb/invoices.js';

/** What the shop uses of the payment core: the same ports the product's handlers have. */
export type ShopDeps = PaymentDeps & { settings: InvoiceSettings; watch?: CreateInvoiceDeps['watch'] };

const getInvoice = (invoiceReference: string) => dynamoInvoiceStore.get(invoiceReference);
import { deleteSession, getSession, saveSession, type CartLine, type ShopSession } from './sessions.js';
import { CHECKOUT_SCRIPT, checkoutPage, messagePage, productsPage, receiptPage } from './pages.js';
import { SHOP_CURRENCY, productBySku } from './products.js';

const COOKIE = 'seqr_shop_session';
const MAX_LINES = 50;
const MAX_QUANTITY = 99;
const MAX_FORM_BYTES = 4096;

type Session = ShopSession | Omit<ShopSession, 'updatedAt' | 'expiresAt'>;

function origin(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

const CHECKOUT_SCRIPT_HASH = `'sha256-${createHash('sha256').update(CHECKOUT_SCRIPT).digest('base64')}'`;

/**
 * Scripts only from this shop, the payment view's origin and the checkout
 * page's one inline script (by its hash); the view's status requests and its
 * WebSocket; no framing by anyone.
 */
export function contentSecurityPolicy(): string {
  const api = origin(config.publicBaseUrl) ?? '';
  const socket = origin(config.websocketUrl) ?? '';
  return [
    "default-src 'none'",
    `script-src 'self' ${api} ${CHECKOUT_SCRIPT_HASH}`.replace(/\s+/g, ' '),
    // The page's own <style> and the one the payment view inserts.
    "style-src 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${api} ${socket}`.replace(/\s+/g, ' ').trim(),
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function html(statusCode: number, body: string, cookies: string[] = []): HttpResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': contentSecurityPolicy(),
      'x-frame-options': 'DENY',
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

function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The token the shop's forms carry: derived from the session id (which only
 * the shopper's browser holds, in an HttpOnly cookie), so a page elsewhere
 * cannot know it, and nothing needs storing before the first post.
 */
export function formToken(sessionId: string): string {
  return createHash('sha256').update(`sample-shop form token\n${sessionId}`).digest('base64url');
}

/** The visitor's session, or a new one with its Set-Cookie (GET pages only: a post never makes a session). */
async function session(event: HttpEvent): Promise<{ session: Session; cookies: string[] }> {
  const id = sessionIdFrom(event);
  const found = id ? await getSession(id) : undefined;
  if (found) return { session: found, cookies: [] };
  const sessionId = newSessionId();
  return { session: { sessionId, cart: [] }, cookies: [sessionCookie(sessionId)] };
}

/** This shop's origins: the public base URL's, and the one the browser addressed (Host, and the scheme API Gateway saw). */
function ownOrigins(event: HttpEvent): string[] {
  const origins = [origin(config.publicBaseUrl)];
  const host = header(event, 'host');
  if (host) origins.push(origin(`${header(event, 'x-forwarded-proto') === 'https' ? 'https' : 'http'}://${host}`));
  return origins.filter((o): o is string => Boolean(o));
}

/**
 * A state-changing post must come from this shop's own page: same-origin by
 * Sec-Fetch-Site and Origin when the browser sends them (every current one
 * does on a POST), and always the session's form token.
 */
function checkPost(event: HttpEvent): { sessionId: string; form: URLSearchParams } {
  if (!/^application\/x-www-form-urlencoded\b/i.test(header(event, 'content-type') ?? '')) {
    throw new HttpError(415, 'unsupported_media_type', 'Post the form as application/x-www-form-urlencoded.');
  }
  const site = header(event, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') {
    throw new HttpError(403, 'cross_site_request', 'Forms are taken only from this shop’s own pages.', 'sec-fetch-site');
  }
  const from = header(event, 'origin');
  if (from !== undefined && !ownOrigins(event).includes(from)) {
    throw new HttpError(403, 'cross_site_request', 'Forms are taken only from this shop’s own pages.', 'origin');
  }
  const sessionId = sessionIdFrom(event);
  if (!sessionId) throw new HttpError(403, 'no_session', 'Open the shop first: this browser has no session.', 'cookie');
  const form = new URLSearchParams(rawBody(event, MAX_FORM_BYTES));
  if (!secretsEqual(form.get('formToken') ?? '', formToken(sessionId))) {
    throw new HttpError(403, 'invalid_form_token', 'The form is out of date: reload the page and try again.', 'formToken');
  }
  return { sessionId, form };
}

function cartKey(cart: readonly CartLine[]): string {
  return cart.map((l) => `${l.sku}:${l.quantity}`).join(',');
}

/** The session's invoice if it was made from the cart as it is now. */
async function invoiceOfCart(s: Session): Promise<StoredInvoice | undefined> {
  if (!s.invoiceReference || !s.cart.length || s.checkedOutCart !== cartKey(s.cart)) return undefined;
  return getInvoice(s.invoiceReference);
}

/** The cart as the shopper sees it: a cart that has been paid is empty (worked out, so that GETs write nothing). */
async function liveCart(s: Session): Promise<CartLine[]> {
  return (await invoiceOfCart(s))?.status === 'PAID' ? [] : s.cart;
}

export async function showProducts(event: HttpEvent): Promise<HttpResult> {
  const { session: s, cookies } = await session(event);
  return html(200, productsPage(await liveCart(s), formToken(s.sessionId)), cookies);
}

export async function addItem(event: HttpEvent): Promise<HttpResult> {
  const { sessionId, form } = checkPost(event);
  const sku = form.get('sku') ?? '';
  if (!productBySku(sku)) throw new HttpError(400, 'invalid_field', 'No product with that sku.', 'sku');
  const s: Session = (await getSession(sessionId)) ?? { sessionId, cart: [] };
  const cart: CartLine[] = (await liveCart(s)).map((line) => ({ ...line }));
  const line = cart.find((l) => l.sku === sku);
  if (line) line.quantity = Math.min(MAX_QUANTITY, line.quantity + 1);
  else if (cart.length < MAX_LINES) cart.push({ sku, quantity: 1 });
  await saveSession({ ...s, cart });
  return redirect('/shop');
}

/**
 * What the invoice carries of the session: its hash, so the cookie's value is
 * never stored beside the invoice or shown by the shop API.
 */
export function sessionReference(sessionId: string): string {
  return sha256(sessionId).slice(0, 32);
}

/**
 * POST /shop/checkout: the cart becomes an invoice (once: the same cart posted
 * again keeps its invoice), under a new session id, then GET /shop/checkout
 * shows it.
 */
export async function checkout(deps: ShopDeps, event: HttpEvent, log: Logger): Promise<HttpResult> {
  const { sessionId } = checkPost(event);
  const s = await getSession(sessionId);
  if (!s?.cart.length) return redirect('/shop');
  const previous = s.invoiceReference ? await getInvoice(s.invoiceReference) : undefined;
  const sameCart = s.checkedOutCart === cartKey(s.cart);
  if (previous && sameCart && previous.status === 'PAID') return redirect('/shop/done');
  // A second post of the same cart (a double click, a reload) shows the same invoice while it can still be paid.
  if (previous && sameCart && previous.status === 'ISSUED') return redirect('/shop/checkout');
  if (previous && previous.status === 'ISSUED') {
    // The cart changed: the old invoice must not stay payable beside the new one.
    const logger = log.with({ invoiceReference: previous.invoiceReference });
    try {
      await deps.seqr.cancelInvoice(previous.invoiceReference);
      await refreshFromSeqr(deps, previous, logger, { deadline: Date.now() + 5_000 });
    } catch (error) {
      if (error instanceof SeqrError && error.resultCode === RESULT.CANNOT_CANCEL_PAID_INVOICE) return redirect('/shop/done');
      logger.warn('could not cancel the previous invoice', { error });
      return html(409, messagePage('Payment in progress', 'Your previous cart is being paid. Finish or cancel that payment in the SEQR app first.'));
    }
  }
  // The session id changes with every invoice: an id seen before the checkout opens nothing after it.
  const rotated = newSessionId();
  const base = config.publicBaseUrl;
  const priced = parseInvoiceRequest({
    title: 'Sample shop order',
    currency: SHOP_CURRENCY,
    rows: s.cart.map((line) => {
      const product = productBySku(line.sku)!;
      return { description: product.name, quantity: String(line.quantity), unitPrice: product.unitPrice, taxRate: product.taxRate, sku: product.sku };
    }),
    backUrl: `${base}/shop/done`,
    sessionId: sessionReference(rotated),
  });
  const created = await createInvoice(deps, priced, log);
  await saveSession({ sessionId: rotated, cart: s.cart, invoiceReference: created.invoiceReference, subscribeToken: created.subscribeToken, checkedOutCart: cartKey(s.cart) });
  await deleteSession(s.sessionId);
  return redirect('/shop/checkout', [sessionCookie(rotated)]);
}

/** GET /shop/checkout: the payment view for the cart's invoice. Creates nothing: a cart is invoiced by POST only. */
export async function showCheckout(event: HttpEvent): Promise<HttpResult> {
  const id = sessionIdFrom(event);
  const s = id ? await getSession(id) : undefined;
  if (!s) return redirect('/shop');
  const invoice = await invoiceOfCart(s);
  if (invoice?.status === 'PAID') return redirect('/shop/done');
  if (!invoice || !s.subscribeToken || invoice.status !== 'ISSUED') return redirect('/shop');
  return html(200, checkoutPage({ invoiceReference: invoice.invoiceReference, subscribeToken: s.subscribeToken, total: invoice.total, cart: s.cart, apiBaseUrl: config.publicBaseUrl }));
}

/**
 * GET /shop/done (the invoice's backUrl, opened after pay or cancel): the
 * status through the browser's polling path, which asks SEQR at most once a
 * second per invoice however often the page is reloaded.
 */
export async function done(deps: ShopDeps, event: HttpEvent, log: Logger): Promise<HttpResult> {
  const id = sessionIdFrom(event);
  const s = id ? await getSession(id) : undefined;
  const noOrder = () => html(404, messagePage('No order', 'We found no order in this browser.'));
  if (!s?.invoiceReference || !s.subscribeToken) return noOrder();
  const stored = await getInvoice(s.invoiceReference);
  if (!stored || stored.sessionId !== sessionReference(s.sessionId)) return noOrder();
  const logger = log.with({ invoiceReference: stored.invoiceReference });
  // The backURL opens the same way after pay or cancel: only SEQR knows which it was.
  const invoice = await pollStatus(deps, stored.invoiceReference, s.subscribeToken, logger).catch((error: unknown) => {
    logger.warn('receipt page could not read the status', { error });
    return stored;
  });
  return html(200, receiptPage({ invoiceReference: invoice.invoiceReference, status: invoice.status, ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}), total: invoice.total, cart: s.cart }));
}
