/**
 * A shop's checkout page on its own origin, embedding the payment view as a
 * shop would. Its global callbacks record what the view reports in
 * `window.seqrCalls`. Reusable against the real local stack: give it that
 * stack's API base URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';

export interface ShopServer {
  /** e.g. http://127.0.0.1:23456 */
  readonly origin: string;
  /**
   * URL of a checkout page embedding the script with this src; `twice`
   * embeds it a second time (once async, once defer), as a page that
   * includes the tag twice by mistake.
   */
  checkoutUrl(scriptSrc: string, options?: CheckoutOptions): string;
  close(): Promise<void>;
}

export interface CheckoutOptions {
  /** Embed the script a second time (once async, once defer). */
  twice?: boolean;
  /** More attributes on the script element (e.g. `data-allow-websocket-origins`). */
  attributes?: Record<string, string>;
}

export interface SeqrCalls {
  paid: Array<Record<string, unknown>>;
  canceled: Array<Record<string, unknown>>;
  status: Array<Record<string, unknown>>;
}

/** `<api>/seqr/payment-view.js#!name=value&…`, values percent-encoded. */
export function paymentViewScriptSrc(apiBaseUrl: string, params: Record<string, string | undefined>): string {
  const fragment = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return `${apiBaseUrl.replace(/\/+$/, '')}/seqr/payment-view.js#!${fragment}`;
}

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

function checkoutPage(scriptSrc: string, twice: boolean, attributes: Record<string, string> = {}): string {
  const src = escapeHtml(scriptSrc);
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` ${name.replace(/[^a-z0-9-]/gi, '')}="${escapeHtml(value)}"`)
    .join('');
  // Deliberately loud shop styles: the view's own must hold against them.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Test shop: checkout</title>
<style>
  body { margin: 0; padding: 24px 16px; background: #f3f4f6; color: #333; font: 16px/1.6 Georgia, serif; }
  h1 { margin: 0 0 8px; text-align: center; font-size: 24px; }
  p { margin: 2em 0; color: #7a2c8f; }
  .order { text-align: center; margin: 0 0 8px; }
  a { color: red; }
</style>
<script>
  window.seqrCalls = { paid: [], canceled: [], status: [] };
  function onPaid(data) { window.seqrCalls.paid.push(data); }
  function onCanceled(data) { window.seqrCalls.canceled.push(data); }
  function onStatus(data) { window.seqrCalls.status.push(data); }
</script>
</head>
<body>
<h1>Checkout</h1>
<p class="order" id="before">Order 1001: 249.00 SEK</p>
${twice ? `<script id="seqrShop" async src="${src}"${extra}></script>` : `<script id="seqrShop" src="${src}"${extra}></script>`}
<p class="order" id="after">Thank you for shopping with us.</p>${twice ? `\n<script defer src="${src}"></script>` : ''}
</body>
</html>`;
}

export async function startShopServer(): Promise<ShopServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://shop');
    const src = url.searchParams.get('src');
    if (url.pathname !== '/checkout' || !src) {
      res.writeHead(404).end();
      return;
    }
    const attributes = JSON.parse(url.searchParams.get('attributes') ?? '{}') as Record<string, string>;
    const page = checkoutPage(src, url.searchParams.get('twice') === '1', attributes);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    checkoutUrl: (scriptSrc, options = {}) =>
      `${origin}/checkout?src=${encodeURIComponent(scriptSrc)}${options.twice ? '&twice=1' : ''}${options.attributes ? `&attributes=${encodeURIComponent(JSON.stringify(options.attributes))}` : ''}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the shop's callbacks have recorded so far. */
export function seqrCalls(page: Page): Promise<SeqrCalls> {
  return page.evaluate(() => (window as unknown as { seqrCalls: SeqrCalls }).seqrCalls);
}
