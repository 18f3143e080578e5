/** The sample shop's HTML. Every value that reaches the page is escaped. */
import type { CartLine } from './sessions.js';
import { formatMinor, lineTotalMinor, minorUnitDigits } from '../../src/core/money.js';
import { PRODUCTS, SHOP_CURRENCY, productBySku } from './products.js';

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Sample shop</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f6f7f9; }
  header { background: #1d2433; color: #fff; padding: 12px 24px; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { max-width: 720px; margin: 24px auto; padding: 0 16px; }
  .card { background: #fff; border-radius: 8px; padding: 16px 20px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .product { display: flex; justify-content: space-between; align-items: center; }
  button, .button { background: #2b6cb0; color: #fff; border: 0; border-radius: 6px; padding: 8px 14px; font-size: 15px; cursor: pointer; text-decoration: none; display: inline-block; }
  table { width: 100%; border-collapse: collapse; }
  td, th { text-align: left; padding: 4px 0; }
  td.amount, th.amount { text-align: right; }
  .status-PAID { color: #276749; }
  .status-CANCELED, .status-FAILED, .status-EXPIRED { color: #9b2c2c; }
</style>
</head>
<body>
<header><a href="/shop">Sample shop</a> · pays with SEQR</header>
<main>
${body}
</main>
</body>
</html>`;
}

function cartTable(cart: readonly CartLine[]): string {
  const rows = cart
    .map((line) => {
      const product = productBySku(line.sku);
      if (!product) return '';
      const digits = minorUnitDigits(SHOP_CURRENCY);
      const lineTotal = formatMinor(lineTotalMinor(String(line.quantity), product.unitPrice, digits), digits);
      return `<tr><td>${escapeHtml(product.name)}</td><td>× ${line.quantity}</td><td class="amount">${escapeHtml(lineTotal)} ${SHOP_CURRENCY}</td></tr>`;
    })
    .join('');
  return `<table aria-label="Cart">${rows}</table>`;
}

/** `formToken` is the session's form token: every form that changes something carries it. */
export function productsPage(cart: readonly CartLine[], formToken: string): string {
  const token = `<input type="hidden" name="formToken" value="${escapeHtml(formToken)}">`;
  const products = PRODUCTS.map(
    (product) => `<div class="card product">
  <div><strong>${escapeHtml(product.name)}</strong><br>${escapeHtml(product.unitPrice)} ${SHOP_CURRENCY}</div>
  <form method="post" action="/shop/additem">${token}<input type="hidden" name="sku" value="${escapeHtml(product.sku)}"><button type="submit" data-sku="${escapeHtml(product.sku)}">Add to cart</button></form>
</div>`,
  ).join('\n');
  const count = cart.reduce((sum, line) => sum + line.quantity, 0);
  const cartCard = count
    ? `<div class="card"><h2>Cart (<span id="cart-count">${count}</span>)</h2>${cartTable(cart)}<form method="post" action="/shop/checkout">${token}<p><button type="submit" class="button" id="checkout">Check out with SEQR</button></p></form></div>`
    : `<div class="card"><h2>Cart (<span id="cart-count">0</span>)</h2><p>Your cart is empty.</p></div>`;
  return layout('Products', `<h1>Products</h1>\n${products}\n${cartCard}`);
}

export interface CheckoutView {
  invoiceReference: string;
  subscribeToken: string;
  total: string;
  cart: readonly CartLine[];
  /** Where the payment view is served from (the HTTP API's base URL). */
  apiBaseUrl: string;
}

/**
 * The checkout page's one inline script, allowed by its hash in the
 * Content-Security-Policy (shop.ts): any other inline script is refused.
 */
export const CHECKOUT_SCRIPT = `
  window.seqrPaidCalls = 0;
  function onSeqrPaid(status) {
    window.seqrPaidCalls += 1;
    var next = document.getElementById('receipt-link');
    if (next) next.hidden = false;
  }
`;

export function checkoutPage(view: CheckoutView): string {
  const fragment = new URLSearchParams({ invoiceReference: view.invoiceReference, token: view.subscribeToken, paidCallback: 'onSeqrPaid' });
  return layout(
    'Check out',
    `<h1>Pay with SEQR</h1>
<div class="card">${cartTable(view.cart)}<p><strong>Total: ${escapeHtml(view.total)} ${SHOP_CURRENCY}</strong></p></div>
<div class="card" id="payment">
<script>${CHECKOUT_SCRIPT}</script>
<script id="seqrShop" src="${escapeHtml(view.apiBaseUrl)}/seqr/payment-view.js#!${escapeHtml(fragment.toString())}"></script>
<p id="receipt-link" hidden><a class="button" href="/shop/done">See your receipt</a></p>
</div>`,
  );
}

export interface ReceiptView {
  invoiceReference: string;
  status: string;
  ersReference?: string;
  total: string;
  cart: readonly CartLine[];
}

export function receiptPage(view: ReceiptView): string {
  const paid = view.status === 'PAID';
  return layout(
    'Receipt',
    `<h1>${paid ? 'Thank you for your order' : 'Your order'}</h1>
<div class="card">
<p>Status: <strong id="status" class="status-${escapeHtml(view.status)}">${escapeHtml(view.status)}</strong></p>
<p>Invoice reference: <span id="invoice-reference">${escapeHtml(view.invoiceReference)}</span></p>
${view.ersReference ? `<p>Payment reference (ersReference): <span id="ers-reference">${escapeHtml(view.ersReference)}</span></p>` : ''}
<p>Total: ${escapeHtml(view.total)} ${SHOP_CURRENCY}</p>
${cartTable(view.cart)}
</div>
<p><a href="/shop">Back to the shop</a></p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><div class="card"><p>${escapeHtml(message)}</p><p><a href="/shop">Back to the shop</a></p></div>`);
}
