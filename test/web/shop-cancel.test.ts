/**
 * The payment view in Chromium on the real local stack when the shop cancels
 * the invoice (POST /invoices/{ref}/cancel): the CANCELED status is pushed over
 * the view's socket, so it shows within a second of the route's answer. The
 * view's heartbeat poll is set to a minute here, so nothing but the push can
 * bring it in time.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice, startTestStack, subscribe, type LocalStack } from '../support/local-stack.js';
import { BROWSER_TESTS_RUN, launchBrowser, newShopperPage, paymentView, screenshot, waitForStatus } from './browser.js';
import { paymentViewScriptSrc, seqrCalls, startShopServer, type ShopServer } from './shop-page.js';

let stack: LocalStack;
let browser: Browser;
let host: ShopServer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!BROWSER_TESTS_RUN) return;
  [stack, browser, host] = await Promise.all([startTestStack(), launchBrowser(), startShopServer()]);
  // Warm the handlers once (a deployed Lambda is warm after its first call): the 1 s is the push path's.
  const warmUp = await createInvoice(stack);
  const subscriber = await subscribe(warmUp);
  await subscriber.next((m) => m.status === 'ISSUED');
  await fetch(`${stack.httpUrl}/invoices/${warmUp.invoiceReference}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.shopApiKey}` } });
  await subscriber.next((m) => m.status === 'CANCELED');
  await subscriber.close();
});

afterAll(async () => {
  await Promise.all(contexts.splice(0).map((context) => context.close()));
  await browser?.close();
  await host?.close();
  await stack?.stop();
});

describe.runIf(BROWSER_TESTS_RUN)('the payment view when the shop cancels', () => {
  it('shows CANCELED within 1 s of the cancel route answering, pushed over the socket (no status poll)', async () => {
    const { context, page } = await newShopperPage(browser, 'desktop');
    contexts.push(context);
    await context.addInitScript(() => {
      const log: Array<{ status: string | null; at: number }> = [];
      (window as unknown as { seqrStatusLog: typeof log }).seqrStatusLog = log;
      new MutationObserver((records) => {
        for (const record of records) log.push({ status: (record.target as Element).getAttribute('data-seqr-status'), at: Date.now() });
      }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-seqr-status'] });
    });
    const statusGets: number[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/status?token=')) statusGets.push(Date.now());
    });
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    const invoice = await createInvoice(stack);
    const src = paymentViewScriptSrc(stack.httpUrl, {
      invoiceReference: invoice.invoiceReference,
      token: invoice.subscribeToken,
      canceledCallback: 'onCanceled',
      paidCallback: 'onPaid',
      heartbeatFreq: '60000',
    });
    await page.goto(host.checkoutUrl(src));
    await paymentView(page).waitFor();
    await waitForStatus(page, 'ISSUED');
    expect(sockets).toHaveLength(1);
    // Let the socket's subscribe land before the cancel (the view shows ISSUED from its first status answer).
    await page.waitForTimeout(300);

    const response = await fetch(`${stack.httpUrl}/invoices/${invoice.invoiceReference}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${stack.shopApiKey}` } });
    const answeredAt = Date.now();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'CANCELED' });

    await waitForStatus(page, 'CANCELED', 1000);
    const log = await page.evaluate(() => (window as unknown as { seqrStatusLog: Array<{ status: string | null; at: number }> }).seqrStatusLog);
    const shownAt = log.find((entry) => entry.status === 'CANCELED')!.at;
    console.info(`cancel answered → CANCELED shown: ${shownAt - answeredAt} ms`);
    expect(shownAt - answeredAt).toBeLessThan(1000);
    // No status poll brought it: the view asked the status URL no more after the cancel.
    expect(statusGets.filter((at) => at > answeredAt && at <= shownAt)).toHaveLength(0);

    const view = paymentView(page);
    expect(((await view.getAttribute('class')) ?? '').split(' ')).toEqual(expect.arrayContaining(['seqr-status-canceled', 'seqr-final']));
    await expect(view.locator('[aria-live="polite"]').textContent()).resolves.toBe('The payment was canceled');
    const calls = await seqrCalls(page);
    expect(calls.canceled).toHaveLength(1);
    expect(calls.paid).toHaveLength(0);
    await screenshot(page, 'shop-canceled-by-shop');
  });
});
