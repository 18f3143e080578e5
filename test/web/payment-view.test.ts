/**
 * The payment view in Chromium, against a fake status API (HTTP + WebSocket)
 * on one origin and a shop page on another, with the script served by the
 * real Lambda handler from a fresh build.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../src/handlers/browser/payment-view.js';
import { buildPaymentView } from '../../web/build.js';
import { BROWSER_TESTS_RUN, launchBrowser, newShopperPage, paymentView, screenshot, waitForStatus, type Shopper } from './browser.js';
import { startFakeStatusServer, type FakeStatusServer } from './fake-status-server.js';
import { paymentViewScriptSrc, seqrCalls, startShopServer, type CheckoutOptions, type ShopServer } from './shop-page.js';

let browser: Browser;
let api: FakeStatusServer;
let shop: ShopServer;
let buildDir: string;
let closedPort: number;
const contexts: BrowserContext[] = [];

function scriptEvent(headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'GET /seqr/payment-view.js',
    rawPath: '/seqr/payment-view.js',
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
    requestContext: {
      accountId: 'test',
      apiId: 'test',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method: 'GET', path: '/seqr/payment-view.js', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: 'test',
      routeKey: 'GET /seqr/payment-view.js',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

async function freePortThatIsClosed(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  buildDir = await mkdtemp(join(tmpdir(), 'seqr-payment-view-'));
  const outfile = join(buildDir, 'payment-view.js');
  const [, fake, shopServer, launched, port] = await Promise.all([
    buildPaymentView({ outfile, minify: true }),
    startFakeStatusServer({ serveScript: async (headers) => handler(scriptEvent(headers)) }),
    startShopServer(),
    launchBrowser(),
    freePortThatIsClosed(),
  ]);
  api = fake;
  shop = shopServer;
  browser = launched;
  closedPort = port;
  // Read by the handler on its first request.
  process.env.PAYMENT_VIEW_ASSET = outfile;
  process.env.WEBSOCKET_URL = api.websocketUrl;
});

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.close(), shop?.close()]);
  if (buildDir) await rm(buildDir, { recursive: true, force: true });
});

let counter = 0;
function newInvoice(status = 'ISSUED'): { ref: string; token: string } {
  counter++;
  // SEQR's shape (13–17 digits), as the simulator issues them: epoch milliseconds and a sequence.
  const ref = `${Date.now()}${String(counter).padStart(3, '0')}`;
  // `+` and `/` check that the token survives the fragment and the query string.
  const token = `tok+${counter}/x`;
  api.addInvoice(ref, token, status);
  return { ref, token };
}

async function openCheckout(
  params: Record<string, string | undefined>,
  shopper: Shopper = 'desktop',
  contextOptions: BrowserContextOptions = {},
  pageOptions: CheckoutOptions = {},
): Promise<Page> {
  const { context, page } = await newShopperPage(browser, shopper, contextOptions);
  contexts.push(context);
  await page.goto(shop.checkoutUrl(paymentViewScriptSrc(api.baseUrl, params), pageOptions));
  await paymentView(page).first().waitFor();
  return page;
}

/** A WebSocket URL nothing listens on: another origin than the baked-in one, so the shop opts in on the script element. */
const unreachableSocket = () => `ws://127.0.0.1:${closedPort}`;
const optInUnreachable = (): CheckoutOptions => ({ attributes: { 'data-allow-websocket-origins': unreachableSocket() } });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The view's default heartbeat while its socket is open. */
const HEARTBEAT_MS = 5000;

/** Emulates the page being hidden or shown again (the trip to the SEQR app). */
async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((value) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}

describe.runIf(BROWSER_TESTS_RUN)('payment view', () => {
  it('desktop: draws the QR code, follows the WebSocket, turns PAID at once and calls paidCallback once', async () => {
    const { ref, token } = newInvoice();
    const opened = Date.now();
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid', statusCallback: 'onStatus' });
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);

    await expect(view.getAttribute('data-seqr-layout')).resolves.toBe('standard');
    await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('desktop');
    const classes = (await view.getAttribute('class'))?.split(' ') ?? [];
    expect(classes).toEqual(expect.arrayContaining(['seqr-view', 'seqr-desktop', 'seqr-status-issued']));
    // Inserted where the tag stands.
    expect(await page.evaluate(() => document.getElementById('seqrShop')?.nextElementSibling?.classList.contains('seqr-view'))).toBe(true);
    // The QR code is drawn in the page, with a text alternative.
    const qr = view.locator('svg.seqr-qr-code');
    await expect(qr.count()).resolves.toBe(1);
    await expect(qr.getAttribute('role')).resolves.toBe('img');
    expect(await qr.getAttribute('aria-label')).toMatch(/QR code/);
    expect((await qr.locator('path').getAttribute('d'))?.length).toBeGreaterThan(100);
    expect(await view.locator('img').count()).toBe(0);
    const live = view.locator('[aria-live="polite"]');
    await expect(live.textContent()).resolves.toBe('Waiting for payment');
    // Status came by WebSocket alone: no status GET within the first heartbeat interval (5 s).
    expect(api.openSockets(ref)).toBe(1);
    expect(api.statusGets(ref)).toBe(0);
    await screenshot(page, 'desktop-standard-issued');
    expect(Date.now() - opened).toBeLessThan(HEARTBEAT_MS);

    api.setStatus(ref, 'PAID', { ersReference: 'ERS-1' });
    api.push(ref); // a duplicate push must not call paidCallback twice
    await waitForStatus(page, 'PAID', 1000);
    expect((await view.getAttribute('class'))?.split(' ')).toEqual(expect.arrayContaining(['seqr-status-paid', 'seqr-final']));
    await expect(live.textContent()).resolves.toBe('Payment complete. Thank you!');
    await expect.poll(() => api.openSockets(ref), { timeout: 2000 }).toBe(0);
    await sleep(200);
    // PAID came by push, before any heartbeat.
    expect(api.statusGets(ref)).toBe(0);
    const calls = await seqrCalls(page);
    // The socket's messages carry the invoice's version (1 when issued, 2 at PAID).
    expect(calls.paid).toEqual([{ invoiceReference: ref, status: 'PAID', ersReference: 'ERS-1', version: 2 }]);
    expect(calls.status.map((data) => [data.status, data.version])).toEqual([['ISSUED', 1], ['PAID', 2]]);
    await screenshot(page, 'desktop-standard-paid');
  });

  it('small layout in Swedish', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, layout: 'small', language: 'sv', paidCallback: 'onPaid' });
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-layout')).resolves.toBe('small');
    await expect(view.getAttribute('lang')).resolves.toBe('sv');
    expect((await view.getAttribute('class'))?.split(' ')).toContain('seqr-layout-small');
    await expect(view.locator('.seqr-title').textContent()).resolves.toBe('Betala med SEQR');
    expect(await view.locator('.seqr-hint').textContent()).toContain('Skanna QR-koden');
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('Väntar på betalning');
    await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(1);
    const box = await view.boundingBox();
    expect(box?.width).toBeLessThanOrEqual(340);
    await screenshot(page, 'desktop-small-sv-issued');

    api.setStatus(ref, 'PAID');
    await waitForStatus(page, 'PAID', 1000);
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('Betalningen är klar. Tack!');
    await screenshot(page, 'desktop-small-sv-paid');
  });

  it("language: the browser's first language by default, English for an unknown one", async () => {
    const { ref, token } = newInvoice();
    const swedishBrowser = await openCheckout({ invoiceReference: ref, token }, 'desktop', { locale: 'sv-SE' });
    await expect(paymentView(swedishBrowser).locator('.seqr-title').textContent()).resolves.toBe('Betala med SEQR');

    const unknownParam = await openCheckout({ invoiceReference: ref, token, language: 'xx' }, 'desktop', { locale: 'sv-SE' });
    await expect(paymentView(unknownParam).locator('.seqr-title').textContent()).resolves.toBe('Pay with SEQR');
    await expect(paymentView(unknownParam).getAttribute('lang')).resolves.toBe('en');

    const germanBrowser = await openCheckout({ invoiceReference: ref, token }, 'desktop', { locale: 'de-DE' });
    await expect(paymentView(germanBrowser).locator('.seqr-title').textContent()).resolves.toBe('Pay with SEQR');
  });

  it('WebSocket unreachable: polls once a second, retries errors, and stops after the final status', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({
      invoiceReference: ref,
      token,
      paidCallback: 'onPaid',
      websocketUrl: unreachableSocket(),
    }, 'desktop', {}, optInUnreachable());
    await waitForStatus(page, 'ISSUED', 2000);
    expect(api.statusGets(ref)).toBeGreaterThanOrEqual(1);

    api.failNextGets(ref, 1);
    const before = api.statusGets(ref);
    await expect.poll(() => api.statusGets(ref), { timeout: 3000, interval: 50 }).toBeGreaterThanOrEqual(before + 2);
    await expect(page.getAttribute('.seqr-view', 'data-seqr-status')).resolves.toBe('ISSUED');

    api.setStatus(ref, 'PAID', { push: false });
    await waitForStatus(page, 'PAID', 2500);
    const atPaid = api.statusGets(ref);
    await sleep(2200);
    expect(api.statusGets(ref)).toBe(atPaid);
    expect((await seqrCalls(page)).paid).toHaveLength(1);
  });

  it('socket refused for a wrong token: the status URL answers 404 and polling stops', async () => {
    const { ref } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token: 'wrong' });
    const view = paymentView(page);
    await page.waitForSelector('.seqr-view.seqr-not-found', { timeout: 3000 });
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('This payment could not be found.');
    const gets = api.statusGets(ref);
    expect(gets).toBe(1);
    await sleep(1500);
    expect(api.statusGets(ref)).toBe(gets);
    await screenshot(page, 'desktop-not-found');
  });

  it('socket refused by the server: falls back to polling', async () => {
    const { ref, token } = newInvoice();
    api.refuseSockets(ref);
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid' });
    await waitForStatus(page, 'ISSUED', 2000);
    api.setStatus(ref, 'PAID', { push: false });
    await waitForStatus(page, 'PAID', 2500);
    expect((await seqrCalls(page)).paid).toHaveLength(1);
  });

  it('socket dropped before a final status: polling takes over', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid' });
    await waitForStatus(page, 'ISSUED');
    // On the socket, and well within the first heartbeat interval: no status GET yet.
    expect(api.openSockets(ref)).toBe(1);
    expect(api.statusGets(ref)).toBe(0);
    api.dropSockets(ref);
    await expect.poll(() => api.statusGets(ref), { timeout: 3000, interval: 50 }).toBeGreaterThanOrEqual(1);
    api.setStatus(ref, 'PAID', { push: false });
    await waitForStatus(page, 'PAID', 2500);
    expect((await seqrCalls(page)).paid).toHaveLength(1);
  });

  it('polling pauses while the page is hidden and polls at once when it is shown again', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, websocketUrl: unreachableSocket() }, 'desktop', {}, optInUnreachable());
    await waitForStatus(page, 'ISSUED', 2000);
    await setVisibility(page, 'hidden');
    await sleep(150);
    const hidden = api.statusGets(ref);
    await sleep(1800);
    expect(api.statusGets(ref)).toBe(hidden);

    // Back from the SEQR app, already paid.
    api.setStatus(ref, 'PAID', { push: false });
    await setVisibility(page, 'visible');
    await waitForStatus(page, 'PAID', 800);
    expect(api.statusGets(ref)).toBe(hidden + 1);
  });

  it('WebSocket open: a heartbeat poll every 5 s learns a status that is never pushed (a cancel in the app)', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid', canceledCallback: 'onCanceled' });
    await waitForStatus(page, 'ISSUED');
    const issuedAt = Date.now();
    expect(api.openSockets(ref)).toBe(1);
    // SEQR never notifies a cancel, so no push comes: only asking the status URL tells.
    api.setStatus(ref, 'CANCELED', { push: false });
    await waitForStatus(page, 'CANCELED', HEARTBEAT_MS + 2000);
    const elapsed = Date.now() - issuedAt;
    expect(elapsed).toBeGreaterThan(HEARTBEAT_MS - 1000);
    expect(elapsed).toBeLessThan(HEARTBEAT_MS + 1500);
    expect(api.statusGets(ref)).toBe(1);
    await expect.poll(() => api.openSockets(ref), { timeout: 2000 }).toBe(0);
    const calls = await seqrCalls(page);
    expect(calls.canceled).toHaveLength(1);
    expect(calls.paid).toHaveLength(0);
  });

  it('heartbeatFreq: one status GET per interval beside the socket, paused while hidden; 0 turns it off', async () => {
    const fast = newInvoice();
    const off = newInvoice();
    const [fastPage, offPage] = await Promise.all([
      openCheckout({ invoiceReference: fast.ref, token: fast.token, heartbeatFreq: '1000' }),
      openCheckout({ invoiceReference: off.ref, token: off.token, heartbeatFreq: '0' }),
    ]);
    await Promise.all([waitForStatus(fastPage, 'ISSUED'), waitForStatus(offPage, 'ISSUED')]);
    expect(api.openSockets(fast.ref)).toBe(1);
    expect(api.openSockets(off.ref)).toBe(1);
    await sleep(3300);
    // About three heartbeats in 3.3 s (the first one interval after the socket opened).
    expect(api.statusGets(fast.ref)).toBeGreaterThanOrEqual(2);
    expect(api.statusGets(fast.ref)).toBeLessThanOrEqual(4);
    expect(api.statusGets(off.ref)).toBe(0);

    await setVisibility(fastPage, 'hidden');
    await sleep(150);
    const hidden = api.statusGets(fast.ref);
    await sleep(1600);
    expect(api.statusGets(fast.ref)).toBe(hidden);
    // Shown again: one poll at once, then the heartbeat goes on and still finds an unpushed status.
    api.setStatus(fast.ref, 'PAID', { push: false });
    await setVisibility(fastPage, 'visible');
    await waitForStatus(fastPage, 'PAID', 800);
    expect(api.statusGets(fast.ref)).toBe(hidden + 1);
    await sleep(1300);
    expect(api.statusGets(fast.ref)).toBe(hidden + 1);
    expect(api.statusGets(off.ref)).toBe(0);
  });

  it('iPhone: a focusable "Pay with SEQR" link to SEQR://SEQR.SE/R<ref> instead of the QR code', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid' }, 'iphone');
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('mobile');
    expect((await view.getAttribute('class'))?.split(' ')).toContain('seqr-mobile');
    await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(0);
    const link = view.getByRole('link', { name: 'Pay with SEQR' });
    await expect(link.getAttribute('href')).resolves.toBe(`SEQR://SEQR.SE/R${ref}`);
    await link.focus();
    expect(await page.evaluate(() => document.activeElement?.classList.contains('seqr-pay-link'))).toBe(true);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, 'iphone-issued');

    api.setStatus(ref, 'PAID');
    await waitForStatus(page, 'PAID', 1000);
    await expect(link.isVisible()).resolves.toBe(false);
    await screenshot(page, 'iphone-paid');
  });

  it('BlackBerry: "SEQR does not support this phone"', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token }, 'blackberry');
    const view = paymentView(page);
    await expect(view.getAttribute('data-seqr-platform')).resolves.toBe('unsupported');
    expect((await view.getAttribute('class'))?.split(' ')).toContain('seqr-unsupported');
    expect(await view.textContent()).toContain('SEQR does not support this phone');
    await expect(view.locator('svg.seqr-qr-code').count()).resolves.toBe(0);
    await expect(view.locator('a').count()).resolves.toBe(0);
    await screenshot(page, 'blackberry-unsupported');
  });

  it('CANCELED: shows the canceled state, calls canceledCallback and never paidCallback', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({
      invoiceReference: ref,
      token,
      paidCallback: 'onPaid',
      canceledCallback: 'onCanceled',
      statusCallback: 'onStatus',
    });
    await waitForStatus(page, 'ISSUED');
    api.setStatus(ref, 'CANCELED');
    await waitForStatus(page, 'CANCELED', 1000);
    const view = paymentView(page);
    expect((await view.getAttribute('class'))?.split(' ')).toEqual(expect.arrayContaining(['seqr-status-canceled', 'seqr-final']));
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('The payment was canceled');
    await expect.poll(() => api.openSockets(ref), { timeout: 2000 }).toBe(0);
    const calls = await seqrCalls(page);
    expect(calls.paid).toHaveLength(0);
    expect(calls.canceled).toHaveLength(1);
    expect(calls.status.map((data) => data.status)).toEqual(['ISSUED', 'CANCELED']);
    await screenshot(page, 'desktop-standard-canceled');
  });

  it('an invoice already PAID when the page opens: PAID at once, paidCallback once', async () => {
    const { ref, token } = newInvoice('PAID');
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid' });
    await waitForStatus(page, 'PAID');
    await sleep(300);
    expect((await seqrCalls(page)).paid).toHaveLength(1);
  });

  it('version: a slow poll answer (ISSUED v1) arriving after a newer push (RESERVED v2) is dropped', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, heartbeatFreq: '1000', statusCallback: 'onStatus' });
    await waitForStatus(page, 'ISSUED');
    expect(api.openSockets(ref)).toBe(1);
    // The first heartbeat takes ISSUED v1 as its answer, which is held back…
    const held = api.holdNextGet(ref);
    await held.arrived;
    const gets = api.statusGets(ref);
    // …while RESERVED v2 is pushed and shown…
    api.setStatus(ref, 'RESERVED');
    await waitForStatus(page, 'RESERVED', 1000);
    // …and then arrives. The next heartbeat starts only after it was handled.
    held.release();
    await expect.poll(() => api.statusGets(ref), { timeout: 3000, interval: 25 }).toBeGreaterThan(gets);
    await sleep(300);
    await expect(page.getAttribute('.seqr-view', 'data-seqr-status')).resolves.toBe('RESERVED');
    const calls = await seqrCalls(page);
    expect(calls.status.map((data) => [data.status, data.version])).toEqual([['ISSUED', 1], ['RESERVED', 2]]);
  });

  it('the script included twice (async and defer): two views, yet each callback fires once', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token, paidCallback: 'onPaid', statusCallback: 'onStatus' }, 'desktop', {}, { twice: true });
    const views = paymentView(page);
    const allShow = (status: string, timeout: number) =>
      page.waitForFunction(
        (expected) => {
          const found = [...document.querySelectorAll('.seqr-view')];
          return found.length === 2 && found.every((view) => view.getAttribute('data-seqr-status') === expected);
        },
        status,
        { timeout, polling: 25 },
      );
    await allShow('ISSUED', 5000);
    await expect(views.count()).resolves.toBe(2);
    api.setStatus(ref, 'PAID', { ersReference: 'ERS-2' });
    await allShow('PAID', 1000);
    await sleep(300);
    const calls = await seqrCalls(page);
    expect(calls.paid).toEqual([{ invoiceReference: ref, status: 'PAID', ersReference: 'ERS-2', version: 2 }]);
    expect(calls.status.map((data) => data.status)).toEqual(['ISSUED', 'PAID']);
  });

  it('a view removed from the document (single-page app) stops its socket, heartbeat and polling', async () => {
    const bySocket = newInvoice();
    const byPoll = newInvoice();
    const [socketPage, pollPage] = await Promise.all([
      openCheckout({ invoiceReference: bySocket.ref, token: bySocket.token, heartbeatFreq: '1000', paidCallback: 'onPaid', statusCallback: 'onStatus' }),
      openCheckout({ invoiceReference: byPoll.ref, token: byPoll.token, websocketUrl: unreachableSocket(), paidCallback: 'onPaid' }, 'desktop', {}, optInUnreachable()),
    ]);
    await Promise.all([waitForStatus(socketPage, 'ISSUED'), waitForStatus(pollPage, 'ISSUED', 2000)]);
    expect(api.openSockets(bySocket.ref)).toBe(1);
    const removeView = (page: Page) => page.evaluate(() => document.querySelector('.seqr-view')?.remove());
    await Promise.all([removeView(socketPage), removeView(pollPage)]);
    // A heartbeat that fired before the removal (a loaded machine can be that slow) may still land.
    const socketGetsAtRemoval = api.statusGets(bySocket.ref);

    // Socket: the next heartbeat finds the view gone and closes everything, without a GET.
    await expect.poll(() => api.openSockets(bySocket.ref), { timeout: 2500, interval: 50 }).toBe(0);
    expect(api.statusGets(bySocket.ref)).toBeLessThanOrEqual(socketGetsAtRemoval + 1);
    const socketGetsAtClose = api.statusGets(bySocket.ref);
    // Polling: at most the GET already in flight, then none.
    await sleep(150);
    const polled = api.statusGets(byPoll.ref);
    await sleep(1600);
    expect(api.statusGets(byPoll.ref)).toBeLessThanOrEqual(polled + 1);
    const settled = api.statusGets(byPoll.ref);
    await sleep(1200);
    expect(api.statusGets(byPoll.ref)).toBe(settled);
    // Nearly three heartbeats (1 s) since the socket closed: none of them asked.
    expect(api.statusGets(bySocket.ref)).toBe(socketGetsAtClose);

    api.setStatus(bySocket.ref, 'PAID');
    api.setStatus(byPoll.ref, 'PAID', { push: false });
    await sleep(1200);
    expect((await seqrCalls(socketPage)).paid).toHaveLength(0);
    expect((await seqrCalls(socketPage)).status.map((data) => data.status)).toEqual(['ISSUED']);
    expect((await seqrCalls(pollPage)).paid).toHaveLength(0);
    expect(api.statusGets(bySocket.ref)).toBe(socketGetsAtClose);
  });

  it('iPhone: when PAID hides the focused pay link, focus moves to the status text, not to <body>', async () => {
    const { ref, token } = newInvoice();
    const page = await openCheckout({ invoiceReference: ref, token }, 'iphone');
    await waitForStatus(page, 'ISSUED');
    const view = paymentView(page);
    await view.locator('.seqr-pay-link').focus();
    api.setStatus(ref, 'PAID');
    await waitForStatus(page, 'PAID', 1000);
    await expect(view.locator('.seqr-pay-link').isVisible()).resolves.toBe(false);
    const focused = await page.evaluate(() => ({
      className: document.activeElement?.className,
      text: document.activeElement?.textContent,
      role: document.activeElement?.getAttribute('role'),
    }));
    expect(focused).toEqual({ className: 'seqr-status-text', text: 'Payment complete. Thank you!', role: 'status' });
    // Focusable by script only (tabindex -1), not a tab stop.
    await expect(view.locator('[aria-live="polite"]').getAttribute('tabindex')).resolves.toBe('-1');
  });

  it('LOADING: the live region says the status is loading until the first answer (en and sv)', async () => {
    const en = newInvoice();
    const sv = newInvoice();
    const held = [en, sv].map(({ ref }) => {
      // No socket: the status URL's first answer is what ends LOADING.
      api.refuseSockets(ref);
      return api.holdNextGet(ref);
    });
    const [enPage, svPage] = await Promise.all([
      openCheckout({ invoiceReference: en.ref, token: en.token }),
      openCheckout({ invoiceReference: sv.ref, token: sv.token, language: 'sv' }),
    ]);
    await Promise.all(held.map((hold) => hold.arrived));
    for (const [page, text] of [[enPage, 'Loading payment status…'], [svPage, 'Hämtar betalningsstatus…']] as const) {
      await expect(page.getAttribute('.seqr-view', 'data-seqr-status')).resolves.toBe('LOADING');
      await expect(paymentView(page).locator('[aria-live="polite"]').textContent()).resolves.toBe(text);
    }
    for (const hold of held) hold.release();
    await Promise.all([waitForStatus(enPage, 'ISSUED', 2000), waitForStatus(svPage, 'ISSUED', 2000)]);
    await expect(paymentView(enPage).locator('[aria-live="polite"]').textContent()).resolves.toBe('Waiting for payment');
    await expect(paymentView(svPage).locator('[aria-live="polite"]').textContent()).resolves.toBe('Väntar på betalning');
  });

  it('the handler serves the script with an ETag and answers 304 on If-None-Match', async () => {
    const first = await fetch(`${api.baseUrl}/seqr/payment-view.js`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const body = await first.text();
    expect(body).toContain(JSON.stringify(api.websocketUrl));
    expect(body).not.toContain('__SEQR_WEBSOCKET_URL__');
    const second = await fetch(`${api.baseUrl}/seqr/payment-view.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(second.status).toBe(304);
  });
});
