/**
 * The payment view in Chromium against the real local stack: the sample shop
 * (GET /shop → add items → checkout → /shop/done) and a shop page on another
 * origin embedding the script, with the SEQR simulator playing the shopper's
 * app (pay, cancel). Nothing is faked between the browser and SEQR.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice, simulator, simulatorInvoice, sleep, startTestStack, subscribe, type CreatedInvoice, type LocalStack } from '../support/local-stack.js';
import { BROWSER_TESTS_RUN, launchBrowser, newShopperPage, paymentView, screenshot, waitForStatus, type Shopper } from './browser.js';
import { paymentViewScriptSrc, seqrCalls, startShopServer, type ShopServer } from './shop-page.js';

const OPERA_MINI_UA = 'Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54';
/** The view's default heartbeat poll while its socket is open. */
const HEARTBEAT_MS = 5000;
/** Tall enough for the sample shop's checkout page, cart and view, in one screenshot. */
const SHOP_DESKTOP = { viewport: { width: 800, height: 900 } };

let stack: LocalStack;
let browser: Browser;
/** A shop's own site on another origin (http://127.0.0.1:<port>; the API is http://localhost:<port>). */
let host: ShopServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [stack, browser, host] = await Promise.all([startTestStack(), launchBrowser(), startShopServer()]);
  // One payment end to end first, so the handlers' modules are loaded (as a deployed Lambda is
  // warm after its first call): the 1 s budget below is the push path's, not vitest's first import.
  const warmUp = await createInvoice(stack);
  const subscriber = await subscribe(warmUp);
  await pay(warmUp.invoiceReference);
  await subscriber.next((message) => message.status === 'PAID');
  await subscriber.close();
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await browser?.close();
  await host?.close();
  await stack?.stop();
});

interface Shopping {
  context: BrowserContext;
  page: Page;
  /** Every GET of the status URL the page made, in order. */
  statusGets: Array<{ url: string; at: number }>;
  /** Every WebSocket the page opened (its URLs). */
  sockets: string[];
  /** With `blockWebSocket`: every socket the page tried to open and the test closed (its URLs). */
  blockedSockets: string[];
}

/**
 * A shopper's browser. Its pages record, with Date.now(), each change of the
 * view's data-seqr-status in `window.seqrStatusLog` (clock shared with this
 * process: same machine). `blockWebSocket` closes every socket the page
 * opens, as a proxy that does not pass WebSockets would.
 */
async function shopper(kind: Shopper, options: BrowserContextOptions & { blockWebSocket?: boolean } = {}): Promise<Shopping> {
  const { blockWebSocket, ...contextOptions } = options;
  const { context, page } = await newShopperPage(browser, kind, contextOptions);
  contexts.push(context);
  await context.addInitScript(() => {
    const log: Array<{ status: string | null; at: number }> = [];
    (window as unknown as { seqrStatusLog: typeof log }).seqrStatusLog = log;
    new MutationObserver((records) => {
      for (const record of records) log.push({ status: (record.target as Element).getAttribute('data-seqr-status'), at: Date.now() });
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-seqr-status'] });
  });
  const blockedSockets: string[] = [];
  if (blockWebSocket) {
    await context.routeWebSocket(
      () => true,
      (socket) => {
        blockedSockets.push(socket.url());
        return socket.close({ code: 1011, reason: 'blocked by the test' });
      },
    );
  }
  const statusGets: Shopping['statusGets'] = [];
  const sockets: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'GET' && request.url().includes('/status?token=')) statusGets.push({ url: request.url(), at: Date.now() });
  });
  page.on('websocket', (socket) => sockets.push(socket.url()));
  return { context, page, statusGets, sockets, blockedSockets };
}

/** When the view first showed `status` (Date.now() in the page). */
async function statusShownAt(page: Page, status: string): Promise<number | undefined> {
  const log = await page.evaluate(() => (window as unknown as { seqrStatusLog: Array<{ status: string | null; at: number }> }).seqrStatusLog);
  return log.find((entry) => entry.status === status)?.at;
}

/** GET /shop, add two different products, check out: the checkout page with the view. Returns the invoice reference. */
async function checkOutTwoItems(page: Page): Promise<string> {
  await page.goto(`${stack.httpUrl}/shop`);
  const buttons = page.locator('button[data-sku]');
  expect(await buttons.count()).toBeGreaterThanOrEqual(2);
  await buttons.nth(0).click();
  await page.locator('#cart-count').filter({ hasText: /^1$/ }).waitFor();
  await buttons.nth(1).click();
  await page.locator('#cart-count').filter({ hasText: /^2$/ }).waitFor();
  await page.locator('#checkout').click();
  await page.waitForURL(/\/shop\/checkout$/);
  await paymentView(page).waitFor();
  const ref = await paymentView(page).getAttribute('data-seqr-invoice');
  expect(ref).toMatch(/^\S+$/);
  return ref!;
}

/** The shop's own page on the other origin, embedding the view for an invoice made with POST /invoices. */
async function openHostPage(page: Page, invoice: CreatedInvoice, params: Record<string, string> = {}): Promise<void> {
  const src = paymentViewScriptSrc(stack.httpUrl, {
    invoiceReference: invoice.invoiceReference,
    token: invoice.subscribeToken,
    paidCallback: 'onPaid',
    canceledCallback: 'onCanceled',
    statusCallback: 'onStatus',
    ...params,
  });
  await page.goto(host.checkoutUrl(src));
  await paymentView(page).waitFor();
}

async function pay(ref: string): Promise<void> {
  const answer = await simulator(stack, 'POST', `/simulator/invoices/${ref}/pay`);
  expect(answer.status).toBe(200);
}

function classes(page: Page): Promise<string[]> {
  return paymentView(page).getAttribute('class').then((value) => (value ?? '').split(' '));
}

async function expectReceipt(page: Page, ref: string): Promise<void> {
  await page.goto(`${stack.httpUrl}/shop/done`);
  await expect(page.locator('#status').textContent()).resolves.toBe('PAID');
  await expect(page.locator('#invoice-reference').textContent()).resolves.toBe(ref);
  const seqr = await simulatorInvoice(stack, ref);
  expect(seqr.status).toBe('PAID');
  expect(seqr.ersReference).toMatch(/^\d+$/);
  await expect(page.locator('#ers-reference').textContent()).resolves.toBe(seqr.ersReference);
}

describe.runIf(BROWSER_TESTS_RUN)('the payment view on the local stack', () => {
  it('desktop: add two items and check out → QR code, ISSUED; paid in the app → PAID within 1 s without a reload, paidCallback once, /shop/done shows PAID and the ersReference', async () => {
    const { page, sockets } = await shopper('desktop', SHOP_DESKTOP);
    const ref = await checkOutTwoItems(page);
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('desktop');
    const qr = view.locator('svg.seqr-qr-code');
    await expect(qr.count()).resolves.toBe(1);
    expect((await qr.locator('path').getAttribute('d'))?.length).toBeGreaterThan(100);
    expect(await classes(page)).toEqual(expect.arrayContaining(['seqr-view', 'seqr-desktop', 'seqr-status-issued']));
    expect(sockets).toEqual([expect.stringMatching(new RegExp(`^${stack.websocketUrl}/\\?invoice=${ref}&token=`))]);
    await expect(page.locator('#receipt-link').isVisible()).resolves.toBe(false);
    await screenshot(page, 'shop-desktop-issued');
    await screenshot(view, 'shop-desktop-issued-view');

    const loads = await page.evaluate(() => performance.getEntriesByType('navigation').length);
    const paidAt = Date.now();
    await pay(ref);
    await waitForStatus(page, 'PAID', 1000);
    const shownAt = await statusShownAt(page, 'PAID');
    expect(shownAt).toBeDefined();
    const latency = shownAt! - paidAt;
    console.info(`pay → PAID shown: ${latency} ms`);
    expect(latency).toBeLessThan(1000);
    // Same document: no reload happened.
    expect(page.url()).toMatch(/\/shop\/checkout$/);
    await expect(page.evaluate(() => performance.getEntriesByType('navigation').length)).resolves.toBe(loads);
    expect(await classes(page)).toEqual(expect.arrayContaining(['seqr-status-paid', 'seqr-final']));
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('Payment complete. Thank you!');
    await expect(page.evaluate(() => (window as unknown as { seqrPaidCalls: number }).seqrPaidCalls)).resolves.toBe(1);
    await expect(page.locator('#receipt-link').isVisible()).resolves.toBe(true);
    await screenshot(page, 'shop-desktop-paid');
    await screenshot(view, 'shop-desktop-paid-view');
    await sleep(600);
    await expect(page.evaluate(() => (window as unknown as { seqrPaidCalls: number }).seqrPaidCalls)).resolves.toBe(1);

    await expectReceipt(page, ref);
    await screenshot(page, 'shop-desktop-receipt');
  });

  it('small layout in Swedish (layout=small&language=sv) renders and turns PAID; an unknown language falls back to English', async () => {
    const { page } = await shopper('desktop');
    const invoice = await createInvoice(stack);
    await openHostPage(page, invoice, { layout: 'small', language: 'sv' });
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-layout')).resolves.toBe('small');
    await expect(view.getAttribute('lang')).resolves.toBe('sv');
    expect(await classes(page)).toContain('seqr-layout-small');
    await expect(view.locator('.seqr-title').textContent()).resolves.toBe('Betala med SEQR');
    expect(await view.locator('.seqr-hint').textContent()).toContain('Skanna QR-koden');
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('Väntar på betalning');
    await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(1);
    expect((await view.boundingBox())?.width).toBeLessThanOrEqual(340);
    await screenshot(page, 'shop-small-sv-issued');
    await pay(invoice.invoiceReference);
    await waitForStatus(page, 'PAID', 1000);
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('Betalningen är klar. Tack!');
    await screenshot(page, 'shop-small-sv-paid');

    const other = await shopper('desktop', { locale: 'sv-SE' });
    await openHostPage(other.page, await createInvoice(stack), { language: 'xx' });
    await waitForStatus(other.page, 'ISSUED');
    await expect(paymentView(other.page).getAttribute('lang')).resolves.toBe('en');
    await expect(paymentView(other.page).locator('.seqr-title').textContent()).resolves.toBe('Pay with SEQR');
    await expect(paymentView(other.page).locator('[aria-live="polite"]').textContent()).resolves.toBe('Waiting for payment');
    await screenshot(other.page, 'shop-unknown-language-english');
  });

  it('embedded in a page served from another origin, as a shop embeds it: the paid flow completes by socket and by poll', async () => {
    expect(new URL(host.origin).origin).not.toBe(new URL(stack.httpUrl).origin);

    // By socket.
    const bySocket = await shopper('desktop');
    const first = await createInvoice(stack);
    await openHostPage(bySocket.page, first);
    expect(bySocket.page.url().startsWith(host.origin)).toBe(true);
    await waitForStatus(bySocket.page, 'ISSUED');
    expect(bySocket.sockets).toHaveLength(1);
    await pay(first.invoiceReference);
    await waitForStatus(bySocket.page, 'PAID', 1000);
    await sleep(300);
    const socketCalls = await seqrCalls(bySocket.page);
    expect(socketCalls.paid).toHaveLength(1);
    expect(socketCalls.paid[0]).toMatchObject({ invoiceReference: first.invoiceReference, status: 'PAID', ersReference: (await simulatorInvoice(stack, first.invoiceReference)).ersReference });
    expect(socketCalls.status.map((data) => data.status)).toEqual(['ISSUED', 'PAID']);
    await screenshot(bySocket.page, 'shop-cross-origin-socket-paid');

    // By poll: the socket is blocked, so every status comes by cross-origin fetch (CORS).
    const byPoll = await shopper('desktop', { blockWebSocket: true });
    const corsOrigins: Array<string | undefined> = [];
    byPoll.page.on('response', (response) => {
      if (response.url().includes('/status?token=')) corsOrigins.push(response.headers()['access-control-allow-origin']);
    });
    const second = await createInvoice(stack);
    await openHostPage(byPoll.page, second);
    await waitForStatus(byPoll.page, 'ISSUED', 3000);
    expect(byPoll.blockedSockets).toHaveLength(1);
    // Once a second, not the 5 s heartbeat: the view is polling.
    await expect.poll(() => byPoll.statusGets.length, { timeout: 3000, interval: 50 }).toBeGreaterThanOrEqual(2);
    await pay(second.invoiceReference);
    await waitForStatus(byPoll.page, 'PAID', 2500);
    expect(corsOrigins.length).toBeGreaterThanOrEqual(3);
    expect(new Set(corsOrigins)).toEqual(new Set([host.origin]));
    await sleep(300);
    expect((await seqrCalls(byPoll.page)).paid).toHaveLength(1);
    await screenshot(byPoll.page, 'shop-cross-origin-poll-paid');
  });

  it('WebSocket blocked: polling once a second completes the shop flow and stops at PAID', async () => {
    const { page, statusGets, blockedSockets } = await shopper('desktop', { ...SHOP_DESKTOP, blockWebSocket: true });
    const ref = await checkOutTwoItems(page);
    await waitForStatus(page, 'ISSUED', 3000);
    expect(blockedSockets).toEqual([expect.stringContaining(`/?invoice=${ref}&token=`)]);
    await expect.poll(() => statusGets.length, { timeout: 3000, interval: 50 }).toBeGreaterThanOrEqual(2);
    const gaps = statusGets.slice(1).map((get, i) => get.at - statusGets[i]!.at);
    for (const gap of gaps) expect(gap).toBeLessThan(1800);
    await screenshot(page, 'shop-polling-issued');

    await pay(ref);
    await waitForStatus(page, 'PAID', 2500);
    const atPaid = statusGets.length;
    await sleep(2500);
    expect(statusGets.length).toBe(atPaid);
    await expect(page.evaluate(() => (window as unknown as { seqrPaidCalls: number }).seqrPaidCalls)).resolves.toBe(1);
    await screenshot(page, 'shop-polling-paid');
    await expectReceipt(page, ref);
  });

  it('phone (iPhone): a SEQR://SEQR.SE/R<ref> link instead of the QR code; paid in the app → the backUrl /shop/done shows the receipt with PAID', async () => {
    const { page } = await shopper('iphone');
    const ref = await checkOutTwoItems(page);
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('mobile');
    await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(0);
    const link = view.getByRole('link', { name: 'Pay with SEQR' });
    await expect(link.getAttribute('href')).resolves.toBe(`SEQR://SEQR.SE/R${ref}`);
    await expect(link.isVisible()).resolves.toBe(true);
    await screenshot(page, 'shop-iphone-issued');

    await pay(ref);
    await waitForStatus(page, 'PAID', 1000);
    await screenshot(page, 'shop-iphone-paid');
    // The SEQR app then opens the invoice's backUrl in the same browser (the session cookie applies).
    await expectReceipt(page, ref);
    await screenshot(page, 'shop-iphone-receipt');
  });

  it('canceled in the SEQR app: no push comes, the heartbeat poll learns it and the view shows the canceled state', async () => {
    const { page, statusGets, sockets } = await shopper('desktop');
    const invoice = await createInvoice(stack);
    await openHostPage(page, invoice);
    await waitForStatus(page, 'ISSUED');
    expect(sockets).toHaveLength(1);
    const canceled = await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/cancel`);
    expect(canceled.status).toBe(200);
    await waitForStatus(page, 'CANCELED', HEARTBEAT_MS + 2000);
    expect(statusGets.length).toBeGreaterThanOrEqual(1);
    expect(await classes(page)).toEqual(expect.arrayContaining(['seqr-status-canceled', 'seqr-final']));
    await expect(paymentView(page).locator('[aria-live="polite"]').textContent()).resolves.toBe('The payment was canceled');
    const calls = await seqrCalls(page);
    expect(calls.canceled).toHaveLength(1);
    expect(calls.paid).toHaveLength(0);
    await screenshot(page, 'shop-canceled');
  });

  it('unsupported phones (BlackBerry, Opera Mini) get the unsupported view: no QR code, no link', async () => {
    const invoice = await createInvoice(stack);
    const blackberry = await shopper('blackberry');
    const operaMini = await shopper('blackberry', { userAgent: OPERA_MINI_UA });
    for (const [{ page }, name] of [[blackberry, 'shop-blackberry-unsupported'], [operaMini, 'shop-opera-mini-unsupported']] as const) {
      await openHostPage(page, invoice);
      await waitForStatus(page, 'ISSUED');
      const view = paymentView(page);
      await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('unsupported');
      expect(await classes(page)).toContain('seqr-unsupported');
      expect(await view.textContent()).toContain('SEQR does not support this phone');
      await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(0);
      await expect(view.locator('a').count()).resolves.toBe(0);
      await screenshot(page, name);
    }
  });
});
