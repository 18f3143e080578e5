/**
 * The payment view in Chromium, given hostile parameters in its script URL,
 * on the real local stack (the script served with its baked-in WebSocket URL)
 * and a shop page on another origin: markup and `javascript:` URLs in every
 * parameter, callbacks named after the browser's code-running functions, an
 * overlong or non-numeric invoiceReference, a websocketUrl pointing at another
 * host. Nothing may be injected or run; a bad reference shows "The payment
 * cannot be shown." and asks nobody; the subscribe token goes to no other host
 * unless the shop opts in on its script element.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice, startTestStack, type CreatedInvoice, type LocalStack } from '../support/local-stack.js';
import { BROWSER_TESTS_RUN, launchBrowser, newShopperPage, paymentView, waitForStatus } from '../web/browser.js';
import { paymentViewScriptSrc, startShopServer, type CheckoutOptions, type ShopServer } from '../web/shop-page.js';

let stack: LocalStack;
let browser: Browser;
let shop: ShopServer;
/** A WebSocket server on another host:port that records who connects (and with which query). */
let foreignSockets: WebSocketServer;
let foreignServer: Server;
let foreignUrl: string;
const foreignConnections: string[] = [];
const contexts: BrowserContext[] = [];

const PAYLOAD = 'window.__pwned=(window.__pwned||0)+1';
const MARKUP = [
  `<img src=x onerror="${PAYLOAD}">`,
  `"><script>${PAYLOAD}</script>`,
  `<svg/onload=${PAYLOAD}>`,
  `'-${PAYLOAD}-'`,
  `javascript:${PAYLOAD}`,
  `</script><iframe src="javascript:parent.__pwned=1">`,
];
/** Names a callback parameter might give that reach code-running or page-changing functions. */
const CODE_RUNNERS = ['eval', 'setTimeout', 'setInterval', 'constructor', 'constructor.constructor', 'Function', 'alert', 'document.write', 'location.assign', '__proto__.constructor', 'onPaid.constructor', `javascript:${PAYLOAD}`];

describe.runIf(BROWSER_TESTS_RUN)('the payment view given hostile parameters', () => {
  beforeAll(async () => {
    foreignServer = createServer();
    foreignSockets = new WebSocketServer({ server: foreignServer });
    foreignSockets.on('connection', (_socket, req) => foreignConnections.push(req.url ?? ''));
    await new Promise<void>((resolve) => foreignServer.listen(0, '127.0.0.1', resolve));
    foreignUrl = `ws://127.0.0.1:${(foreignServer.address() as AddressInfo).port}`;
    [stack, browser, shop] = await Promise.all([startTestStack(), launchBrowser(), startShopServer()]);
  });

  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });

  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await stack?.stop();
    foreignSockets?.clients.forEach((client) => client.terminate());
    foreignSockets?.close();
    foreignServer?.closeAllConnections();
    await new Promise<void>((resolve) => (foreignServer ? foreignServer.close(() => resolve()) : resolve()));
  });

  interface Watched {
    page: Page;
    console: string[];
    dialogs: string[];
    statusRequests: string[];
    sockets: string[];
  }

  /**
   * A shopper's page with tripwires set before any script runs: eval,
   * setTimeout/setInterval given a string (or anything not a function) and
   * Function count their calls from the view's script, and dialogs, console
   * lines, status requests and sockets are recorded.
   */
  async function open(params: Record<string, string | undefined>, options: CheckoutOptions = {}): Promise<Watched> {
    const page = await (await shopperContext()).newPage();
    const watched: Watched = { page, console: [], dialogs: [], statusRequests: [], sockets: [] };
    page.on('console', (message) => watched.console.push(`${message.type()}: ${message.text()}`));
    page.on('dialog', (dialog) => {
      watched.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      if (request.url().includes('/status')) watched.statusRequests.push(request.url());
    });
    page.on('websocket', (socket) => watched.sockets.push(socket.url()));
    await page.goto(shop.checkoutUrl(paymentViewScriptSrc(stack.httpUrl, params), options));
    await paymentView(page).first().waitFor();
    return watched;
  }

  /** Runs `check` over `cases`, four pages at a time. */
  async function eachCase<T>(cases: readonly T[], check: (item: T) => Promise<void>): Promise<void> {
    for (let i = 0; i < cases.length; i += 4) await Promise.all(cases.slice(i, i + 4).map(check));
  }

  let current: BrowserContext | undefined;
  /** One context per test, its pages sharing the tripwires. */
  async function shopperContext(): Promise<BrowserContext> {
    if (current && contexts.includes(current)) return current;
    const { context, page } = await newShopperPage(browser);
    await page.close();
    contexts.push(context);
    current = context;
    await context.addInitScript(() => {
      const w = window as unknown as Record<string, unknown> & { __trips: string[] };
      w.__trips = [];
      // Only calls made from the payment view's script count (Playwright's own evaluate uses eval too).
      const trip = (what: string) => {
        if (/payment-view\.js/.test(new Error().stack ?? '')) w.__trips.push(what);
      };
      const realEval = window.eval;
      window.eval = new Proxy(realEval, { apply: (target, self, args) => (trip('eval'), Reflect.apply(target, self, args)) });
      for (const name of ['setTimeout', 'setInterval'] as const) {
        const real = window[name];
        (window as unknown as Record<string, unknown>)[name] = new Proxy(real, {
          apply: (target, self, args: unknown[]) => {
            if (typeof args[0] !== 'function') trip(`${name}(${typeof args[0]})`);
            return Reflect.apply(target, self, args);
          },
        });
      }
      const RealFunction = window.Function;
      window.Function = new Proxy(RealFunction, {
        apply: (target, self, args) => (trip('Function'), Reflect.apply(target, self, args)),
        construct: (target, args) => (trip('new Function'), Reflect.construct(target, args)),
      });
    });
    return context;
  }

  /** Nothing ran and nothing was added to the page but the view's own elements. */
  async function expectNothingRan(watched: Watched): Promise<void> {
    const { page } = watched;
    const found = await page.evaluate(() => {
      const w = window as unknown as { __pwned?: number; __trips: string[] };
      const all = [...document.querySelectorAll('*')];
      return {
        pwned: w.__pwned ?? 0,
        trips: w.__trips,
        handlers: all.flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`)),
        elements: all.filter((el) => /^(IMG|IFRAME|OBJECT|EMBED|SVG|FORM|BASE|META|LINK)$/i.test(el.tagName) && !el.closest('.seqr-qr, .seqr-result')).map((el) => el.tagName),
        scripts: document.scripts.length,
        url: location.pathname,
        title: document.title,
      };
    });
    expect(watched.dialogs).toEqual([]);
    expect(found).toMatchObject({ pwned: 0, trips: [], handlers: [], url: '/checkout', title: 'Test shop: checkout' });
    // The page's own <meta> elements and its two scripts (tripwires aside) are all there is.
    expect(found.elements.filter((tag) => tag !== 'META')).toEqual([]);
    expect(found.scripts).toBe(2);
  }

  it('with markup and javascript: URLs in every parameter, injects and runs nothing', async () => {
    const invoice = await createInvoice(stack);
    await eachCase(MARKUP, async (markup) => {
      const watched = await open({
        invoiceReference: invoice.invoiceReference,
        token: markup,
        layout: markup,
        language: markup,
        platform: markup,
        mode: markup,
        pollFreq: markup,
        heartbeatFreq: markup,
        paidCallback: markup,
        statusCallback: markup,
        issuedCallback: markup,
        [markup]: markup,
      });
      // The wrong token: the socket is refused and the status URL answers 404.
      await watched.page.locator('.seqr-view.seqr-not-found').waitFor({ timeout: 8_000 });
      const view = paymentView(watched.page);
      await expect(view.getAttribute('data-seqr-layout')).resolves.toBe('standard');
      await expect(view.getAttribute('lang')).resolves.toBe('en');
      expect(await view.innerHTML()).not.toMatch(/<(img|script|iframe)|onerror|onload|javascript:/i);
      await expectNothingRan(watched);
    });
  });

  it('with a callback named eval, setTimeout, constructor or the like, calls none of them', async () => {
    const invoice = await createInvoice(stack);
    await eachCase(CODE_RUNNERS, async (name) => {
      const watched = await open({ invoiceReference: invoice.invoiceReference, token: invoice.subscribeToken, statusCallback: name, issuedCallback: name });
      await waitForStatus(watched.page, 'ISSUED');
      await watched.page.waitForTimeout(200);
      await expectNothingRan(watched);
      expect(watched.console.filter((line) => line.includes('not a function of this page')), name).toHaveLength(2);
      expect(watched.console.filter((line) => /failed/.test(line)), name).toEqual([]);
      await expect(paymentView(watched.page).getAttribute('data-seqr-status')).resolves.toBe('ISSUED');
    });
    // The page's own function is still called: the refusal is of names, not of callbacks.
    const own = await open({ invoiceReference: invoice.invoiceReference, token: invoice.subscribeToken, statusCallback: 'onStatus' });
    await waitForStatus(own.page, 'ISSUED');
    await expect.poll(() => own.page.evaluate(() => (window as unknown as { seqrCalls: { status: unknown[] } }).seqrCalls.status.length)).toBe(1);
  });

  it('with an overlong, short, long or non-numeric invoiceReference, shows "The payment cannot be shown." and asks nobody', async () => {
    const invoice = await createInvoice(stack);
    const refs = ['9'.repeat(8000), '123456789012', '123456789012345678', `${invoice.invoiceReference}x`, 'abcdefghijklm', '-1397222701693', '1397222701693.5', '１３９７２２２７０１６９３', ...MARKUP];
    await eachCase(refs, async (ref) => {
      const watched = await open({ invoiceReference: ref, token: invoice.subscribeToken, paidCallback: 'onPaid' });
      const view = paymentView(watched.page);
      await expect(view.getAttribute('data-seqr-status')).resolves.toBe('ERROR');
      await expect(view.getByRole('alert').textContent()).resolves.toBe('The payment cannot be shown.');
      await watched.page.waitForTimeout(150);
      expect(watched.statusRequests).toEqual([]);
      expect(watched.sockets).toEqual([]);
      expect(watched.console.filter((line) => line.startsWith('error:') && !line.includes('SEQR payment view: invoiceReference'))).toEqual([]);
      await expectNothingRan(watched);
    });
  });

  it('ignores a websocketUrl on another origin (the token never reaches it) unless the script element allows that origin', async () => {
    const invoice: CreatedInvoice = await createInvoice(stack);
    for (const websocketUrl of [foreignUrl, `${foreignUrl}/live`, `${foreignUrl.replace('127.0.0.1', 'localhost')}`, `wss://${new URL(stack.websocketUrl).host}`]) {
      foreignConnections.length = 0;
      const watched = await open({ invoiceReference: invoice.invoiceReference, token: invoice.subscribeToken, websocketUrl });
      await waitForStatus(watched.page, 'ISSUED');
      await watched.page.waitForTimeout(300);
      expect(foreignConnections).toEqual([]);
      expect(watched.sockets).toEqual([expect.stringMatching(new RegExp(`^${stack.websocketUrl}/\\?invoice=${invoice.invoiceReference}&token=`))]);
      expect(watched.console.some((line) => line.includes('websocketUrl') && line.includes('ignored'))).toBe(true);
    }
    // The shop opts in on its own markup: then the given URL is used.
    foreignConnections.length = 0;
    const optedIn = await open({ invoiceReference: invoice.invoiceReference, token: invoice.subscribeToken, websocketUrl: foreignUrl }, { attributes: { 'data-allow-websocket-origins': `wss://other.example ${foreignUrl}` } });
    await expect.poll(() => foreignConnections.length, { timeout: 3_000 }).toBe(1);
    expect(foreignConnections[0]).toBe(`/?invoice=${invoice.invoiceReference}&token=${encodeURIComponent(invoice.subscribeToken)}`);
    expect(optedIn.sockets).toEqual([expect.stringContaining(foreignUrl)]);
    // The same origin as the baked-in URL (another path) needs no opt-in.
    const samePlace = await open({ invoiceReference: invoice.invoiceReference, token: invoice.subscribeToken, websocketUrl: `${stack.websocketUrl}/` });
    await waitForStatus(samePlace.page, 'ISSUED');
    expect(samePlace.sockets).toEqual([expect.stringContaining(stack.websocketUrl)]);
  });
});
