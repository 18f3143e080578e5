/**
 * The sample shop over HTTP, as a browser without JavaScript would use it: a
 * session cookie, a cart, a checkout that makes one payable invoice, and a
 * receipt page that asks SEQR once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulator, simulatorInvoice, startTestStack, storedInvoice, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.stop();
});

/**
 * A browser's cookie jar for one visitor, posting forms as the shop's own pages
 * do: with the page's formToken and the shop's Origin.
 */
function visitor() {
  let cookie = '';
  let formToken = '';
  const go = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${stack.httpUrl}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as object), ...(cookie ? { cookie } : {}) } });
    const set = response.headers.getSetCookie();
    if (set.length) {
      cookie = set[0]!.split(';')[0]!;
      // The form token belongs to the session id: a new id, a new token.
      formToken = '';
    }
    return response;
  };
  const post = async (path: string, fields: Record<string, string>) => {
    if (!formToken) {
      const page = await (await go('/shop')).text();
      formToken = /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';
    }
    return go(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(stack.httpUrl).origin },
      body: new URLSearchParams({ ...fields, formToken }).toString(),
    });
  };
  return {
    go,
    add: (sku: string) => post('/shop/additem', { sku }),
    /** POST /shop/checkout; its redirect followed when it goes to the checkout page. */
    checkout: async () => {
      const posted = await post('/shop/checkout', {});
      if (posted.status === 303 && posted.headers.get('location') === '/shop/checkout') return go('/shop/checkout');
      return posted;
    },
    cookie: () => cookie,
  };
}

const referenceIn = (html: string) => /invoiceReference=(\d+)/.exec(html)?.[1];

describe('When a visitor shops', () => {
  it('should set a Lax, HttpOnly session cookie and keep the cart in it', async () => {
    const shopper = visitor();
    const first = await shopper.go('/shop');
    expect(first.headers.getSetCookie()[0]).toMatch(/^seqr_shop_session=[\w-]{32,};.*HttpOnly; SameSite=Lax/);
    expect((await shopper.add('mug')).status).toBe(303);
    await shopper.add('mug');
    const page = await (await shopper.go('/shop')).text();
    expect(page).toContain('<span id="cart-count">2</span>');
    expect(page).toContain('259.00 SEK');
  });

  it('should refuse an unknown product with 400 naming the field', async () => {
    const response = await visitor().add('nope');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { field: 'sku' } });
  });

  it('should show the same invoice on a reload and on a second post, and the receipt once paid', async () => {
    const shopper = visitor();
    await shopper.add('coffee-beans');
    const ref = referenceIn(await (await shopper.checkout()).text());
    expect(ref).toMatch(/^\d{13,17}$/);
    expect(referenceIn(await (await shopper.go('/shop/checkout')).text())).toBe(ref);
    expect(referenceIn(await (await shopper.checkout()).text())).toBe(ref);

    await simulator(stack, 'POST', `/simulator/invoices/${ref}/pay`);
    const receipt = await (await shopper.go('/shop/done')).text();
    expect(receipt).toContain('<strong id="status" class="status-PAID">PAID</strong>');
    expect(receipt).toContain((await simulatorInvoice(stack, ref!)).ersReference);
  });

  it('should send a paid cart back to its receipt rather than make a second invoice', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    const ref = referenceIn(await (await shopper.checkout()).text());
    await simulator(stack, 'POST', `/simulator/invoices/${ref}/pay`);
    const again = await shopper.checkout();
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/shop/done');
    const shown = await shopper.go('/shop/checkout');
    expect(shown.status).toBe(303);
    expect(shown.headers.get('location')).toBe('/shop/done');
  });

  it('should cancel the previous invoice at SEQR when the cart changes before paying', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    const first = referenceIn(await (await shopper.checkout()).text());
    await shopper.add('cinnamon-bun');
    const second = referenceIn(await (await shopper.checkout()).text());
    expect(second).not.toBe(first);
    expect((await simulatorInvoice(stack, first!)).status).toBe('CANCELED');
    expect((await storedInvoice(stack, first!)).body.status).toBe('CANCELED');
  });

  it('should keep the session id itself out of the invoice', async () => {
    const shopper = visitor();
    await shopper.add('mug');
    const ref = referenceIn(await (await shopper.checkout()).text());
    const invoice = (await storedInvoice(stack, ref!)).body;
    const sessionId = shopper.cookie().split('=')[1]!;
    expect(JSON.stringify(invoice)).not.toContain(sessionId);
    expect(invoice.sessionId).toEqual(expect.any(String));
  });

  it('should show no receipt to a browser without the order', async () => {
    const response = await visitor().go('/shop/done');
    expect(response.status).toBe(404);
  });
});
