/**
 * Abuse bounds and headers of the sample shop, on the local stack: state
 * changes only by POST from the shop's own pages (Origin, Sec-Fetch-Site, the
 * session's form token), a refused post writes nothing and sets no cookie, a
 * GET of the checkout page makes no invoice, the session id is replaced when a
 * cart is invoiced, reloading the receipt does not ask SEQR on every reload,
 * and the HTML pages carry a CSP that Chromium enforces (no framing, no
 * foreign or injected script) without breaking the payment view.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKOUT_SCRIPT } from '../../examples/sample-shop/pages.js';
import { seqrCalls, simulator, startTestStack, type LocalStack } from '../support/local-stack.js';
import { BROWSER_TESTS_RUN, launchBrowser, newShopperPage, paymentView, waitForStatus } from '../web/browser.js';
import { StoreWatch, storeChanges } from './store.js';

let stack: LocalStack;
let store: StoreWatch;
let shopOrigin: string;

beforeAll(async () => {
  stack = await startTestStack();
  store = new StoreWatch(stack);
  shopOrigin = new URL(stack.httpUrl).origin;
});
afterAll(async () => {
  store?.close();
  await stack?.stop();
});

/** One browser's cookie jar, posting as the shop's own page unless told otherwise. */
function visitor() {
  let cookie = '';
  let formToken = '';
  const go = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${stack.httpUrl}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) } });
    const set = response.headers.getSetCookie();
    if (set.length) {
      cookie = set[0]!.split(';')[0]!;
      formToken = '';
    }
    return response;
  };
  const token = async () => {
    if (!formToken) formToken = /name="formToken" value="([^"]+)"/.exec(await (await go('/shop')).text())?.[1] ?? '';
    return formToken;
  };
  const post = async (path: string, fields: Record<string, string>, headers: Record<string, string> = { origin: shopOrigin }) =>
    go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  return {
    go,
    token,
    post,
    add: async (sku: string) => post('/shop/additem', { sku, formToken: await token() }),
    checkout: async () => post('/shop/checkout', { formToken: await token() }),
    cookie: () => cookie,
    setCookie: (value: string) => (cookie = value),
  };
}

const cartCount = async (shopper: ReturnType<typeof visitor>) => Number(/id="cart-count">(\d+)</.exec(await (await shopper.go('/shop')).text())?.[1]);

async function expectRefusedJson(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.getSetCookie()).toEqual([]);
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  expect(body).toEqual({ error: { code, message: expect.any(String), ...(body.error.field !== undefined ? { field: expect.any(String) } : {}) } });
}

describe('When a page elsewhere posts to the shop', () => {
  it('should refuse a post from another origin (another port of the same host too), with the right token and cookie, writing nothing', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    const token = await shopper.token();
    const before = await store.snapshot();
    for (const origin of ['http://localhost:1', `http://127.0.0.1:${new URL(stack.httpUrl).port}`, 'null', 'https://shop.example']) {
      await expectRefusedJson(await shopper.post('/shop/additem', { sku: 'mug', formToken: token }, { origin }), 403, 'cross_site_request');
      await expectRefusedJson(await shopper.post('/shop/checkout', { formToken: token }, { origin }), 403, 'cross_site_request');
    }
    for (const site of ['same-site', 'cross-site', 'none']) {
      await expectRefusedJson(await shopper.post('/shop/additem', { sku: 'mug', formToken: token }, { origin: shopOrigin, 'sec-fetch-site': site }), 403, 'cross_site_request');
    }
    expect(storeChanges(before, await store.snapshot())).toEqual({});
    expect(await cartCount(shopper)).toBe(1);
  });

  it('should refuse a post without the form token, or with another session’s, writing nothing', async () => {
    const shopper = visitor();
    const other = visitor();
    await shopper.add('mug');
    const before = await store.snapshot();
    await expectRefusedJson(await shopper.post('/shop/additem', { sku: 'mug' }), 403, 'invalid_form_token');
    await expectRefusedJson(await shopper.post('/shop/additem', { sku: 'mug', formToken: await other.token() }), 403, 'invalid_form_token');
    await expectRefusedJson(await shopper.post('/shop/checkout', { formToken: 'x'.repeat(43) }), 403, 'invalid_form_token');
    expect(storeChanges(before, await store.snapshot())).toEqual({});
    expect(await cartCount(shopper)).toBe(1);
  });

  it('should not let a post without the session cookie (a cross-site post under SameSite=Lax) set a cookie or make a session', async () => {
    const before = await store.snapshot();
    const stranger = visitor();
    const response = await stranger.post('/shop/additem', { sku: 'mug', formToken: 'anything' });
    await expectRefusedJson(response, 403, 'no_session');
    await expectRefusedJson(await stranger.post('/shop/checkout', { formToken: 'anything' }), 403, 'no_session');
    expect(storeChanges(before, await store.snapshot())).toEqual({});
  });

  it('should take state changes by POST only: GET /shop/additem matches no route, GET /shop/checkout creates no invoice', async () => {
    const shopper = visitor();
    await shopper.add('coffee-beans');
    const noRoute = await shopper.go('/shop/additem?sku=mug');
    expect(noRoute.status).toBe(404);
    await store.clearCalls();
    const before = await store.snapshot();
    const navigation = await shopper.go('/shop/checkout', { headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' } });
    expect(navigation.status).toBe(303);
    expect(navigation.headers.get('location')).toBe('/shop');
    expect(storeChanges(before, await store.snapshot())).toEqual({});
    expect(await store.calls()).toEqual([]);
  });
});

describe('When a cart is invoiced', () => {
  it('should replace the session id, and the old id should open neither the checkout nor the receipt', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    const oldCookie = shopper.cookie();
    const posted = await shopper.checkout();
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/shop/checkout');
    const newCookie = shopper.cookie();
    expect(newCookie).not.toBe(oldCookie);
    expect(posted.headers.getSetCookie()[0]).toMatch(/^seqr_shop_session=[\w-]{32,}; Path=\/shop; HttpOnly; SameSite=Lax/);
    const page = await (await shopper.go('/shop/checkout')).text();
    const ref = /invoiceReference=(\d+)/.exec(page)?.[1];
    expect(ref).toMatch(/^\d{13,17}$/);

    const oldId = oldCookie.split('=')[1]!;
    expect((await store.snapshot()).tables['seqr-sessions']!.some((item) => item.includes(oldId))).toBe(false);
    const thief = visitor();
    thief.setCookie(oldCookie);
    const stolenCheckout = await thief.go('/shop/checkout');
    expect(stolenCheckout.status).toBe(303);
    expect(stolenCheckout.headers.get('location')).toBe('/shop');
    thief.setCookie(oldCookie);
    expect((await thief.go('/shop/done')).status).toBe(404);
    expect((await shopper.go('/shop/done')).status).toBe(200);
  });
});

describe('When the receipt page is reloaded', () => {
  it('should ask SEQR at most once a second for the invoice, however often /shop/done is reloaded', async () => {
    const shopper = visitor();
    await shopper.add('cinnamon-bun');
    await shopper.checkout();
    const ref = /invoiceReference=(\d+)/.exec(await (await shopper.go('/shop/checkout')).text())![1]!;
    await new Promise((r) => setTimeout(r, 1_100));
    await store.clearCalls();
    const started = Date.now();
    const reloads = 12;
    for (let i = 0; i < reloads; i++) {
      const receipt = await shopper.go('/shop/done');
      expect(receipt.status).toBe(200);
      expect(await receipt.text()).toContain('class="status-ISSUED"');
    }
    const seconds = (Date.now() - started) / 1000;
    const asked = (await seqrCalls(stack, 'getPaymentStatus')).filter((call) => call.invoiceReference === ref).length;
    console.info(`/shop/done reloaded ${reloads} times in ${seconds.toFixed(2)} s: ${asked} getPaymentStatus`);
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked).toBeLessThanOrEqual(Math.ceil(seconds) + 1);

    // And a paid invoice shows as paid on the next reload a second later.
    await simulator(stack, 'POST', `/simulator/invoices/${ref}/pay`);
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await (await shopper.go('/shop/done')).text()).toContain('class="status-PAID"');
    expect(await cartCount(shopper)).toBe(0);
  });
});

describe('When the shop answers', () => {
  it('should give every HTML page a CSP with scripts from its own and the payment view’s origin only, and frame-ancestors none', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    await shopper.checkout();
    const hash = `'sha256-${createHash('sha256').update(CHECKOUT_SCRIPT).digest('base64')}'`;
    const api = new URL(stack.httpUrl).origin;
    const socket = new URL(stack.websocketUrl).origin;
    for (const path of ['/shop', '/shop/checkout', '/shop/done']) {
      const response = await shopper.go(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const csp = Object.fromEntries(
        response.headers
          .get('content-security-policy')!
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values]),
      );
      expect(csp['default-src']).toEqual(["'none'"]);
      expect(csp['script-src']).toEqual(["'self'", api, hash]);
      expect(csp['frame-ancestors']).toEqual(["'none'"]);
      expect(csp['connect-src']).toEqual(expect.arrayContaining([api, socket]));
      expect(csp['form-action']).toEqual(["'self'"]);
      expect(csp['base-uri']).toEqual(["'none'"]);
    }
    const noOrder = await visitor().go('/shop/done');
    expect(noOrder.status).toBe(404);
    expect(noOrder.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('should keep no-store on every JSON answer and every redirect', async () => {
    const shopper = visitor();
    const answers = [
      await shopper.post('/shop/additem', { sku: 'nope', formToken: await shopper.token() }),
      await shopper.post('/shop/additem', { sku: 'mug' }, {}),
      await shopper.go('/shop/additem', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'sku=mug' }),
      await shopper.add('mug'),
      await shopper.checkout(),
    ];
    for (const response of answers) expect(response.headers.get('cache-control'), `${response.status}`).toBe('no-store');
  });
});

describe.runIf(BROWSER_TESTS_RUN)('When Chromium visits the shop and a page on another port', () => {
  let browser: Browser;
  let attacker: Server;
  let attackerOrigin: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    attacker = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://attacker');
      const pages: Record<string, string> = {
        // A form post to the shop with the shopper's (SameSite=Lax, same-site) cookie; the token is a guess.
        '/post': `<form id="f" method="post" action="${stack.httpUrl}/shop/additem"><input name="sku" value="mug"><input name="formToken" value="guess"></form><script>document.getElementById('f').submit()</script>`,
        '/frame': `<iframe id="shop" src="${stack.httpUrl}/shop" width="600" height="400"></iframe>`,
        '/evil.js': 'window.evilRan = true;',
      };
      const page = pages[url.pathname];
      res.writeHead(page ? 200 : 404, { 'content-type': url.pathname.endsWith('.js') ? 'text/javascript' : 'text/html' }).end(page ?? '');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    // The same host name as the shop, another port: same-site, cross-origin.
    attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await browser?.close();
    attacker?.closeAllConnections();
    await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  });

  it('should keep the cart and the session cookie when a page on another port posts the add-item form', async () => {
    const { context, page } = await newShopperPage(browser);
    try {
      await page.goto(`${stack.httpUrl}/shop`);
      await page.locator('button[data-sku]').first().click();
      await page.locator('#cart-count').filter({ hasText: /^1$/ }).waitFor();
      const cookieBefore = (await context.cookies()).find((c) => c.name === 'seqr_shop_session')?.value;
      const refused = page.waitForResponse((response) => response.url().endsWith('/shop/additem'));
      await page.goto(`${attackerOrigin}/post`);
      expect((await refused).status()).toBe(403);
      await page.goto(`${stack.httpUrl}/shop`);
      await expect(page.locator('#cart-count').textContent()).resolves.toBe('1');
      expect((await context.cookies()).find((c) => c.name === 'seqr_shop_session')?.value).toBe(cookieBefore);
    } finally {
      await context.close();
    }
  });

  it('should not be framed by a page on another origin', async () => {
    const { context, page } = await newShopperPage(browser);
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));
    try {
      await page.goto(`${attackerOrigin}/frame`);
      await page.waitForTimeout(500);
      const frame = page.frames().find((f) => f !== page.mainFrame());
      const shown = frame ? await frame.locator('#cart-count').count().catch(() => 0) : 0;
      expect(shown).toBe(0);
      expect(messages.some((m) => /frame-ancestors/.test(m))).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('should run the checkout page and its payment view with no CSP violation, and refuse injected and foreign scripts', async () => {
    const { context, page } = await newShopperPage(browser);
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (event) => seen.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    try {
      await page.goto(`${stack.httpUrl}/shop`);
      await page.locator('button[data-sku]').first().click();
      await page.locator('#cart-count').filter({ hasText: /^1$/ }).waitFor();
      await page.locator('#checkout').click();
      await page.waitForURL(/\/shop\/checkout$/);
      await waitForStatus(page, 'ISSUED');
      await expect(paymentView(page).locator('svg.seqr-qr-code').count()).resolves.toBe(1);
      await expect(page.evaluate(() => (window as unknown as { seqrPaidCalls: number }).seqrPaidCalls)).resolves.toBe(0);
      expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);

      await page.evaluate((src) => {
        const inline = document.createElement('script');
        inline.textContent = 'window.injectedRan = true;';
        document.body.appendChild(inline);
        const foreign = document.createElement('script');
        foreign.src = src;
        document.body.appendChild(foreign);
      }, `${attackerOrigin}/evil.js`);
      await page.waitForTimeout(300);
      const ran = await page.evaluate(() => ({ injected: 'injectedRan' in window, foreign: 'evilRan' in window }));
      expect(ran).toEqual({ injected: false, foreign: false });
      const violations = await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
      expect(violations).toEqual(expect.arrayContaining([expect.stringMatching(/^script-src/), expect.stringContaining(`${attackerOrigin}/evil.js`)]));
    } finally {
      await context.close();
    }
  });
});
