/** The payment view's pure parts, its build and the Lambda serving it: no browser. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPaymentView, trimQrcodePlugin, PAYMENT_VIEW_ENTRY } from '../../web/build.js';
import {
  baseUrlFromSrc,
  DEFAULT_HEARTBEAT_MS,
  detectPlatform,
  heartbeatInterval,
  invoiceLink,
  invoiceQrText,
  isCallbackName,
  parseFragment,
  resolveConfig,
  resolveLanguage,
  statusUrl,
  usableWebsocketUrl,
  websocketConnectUrl,
} from '../../web/payment-view/config.js';
import { TEXTS } from '../../web/payment-view/i18n.js';
import { qrPath } from '../../web/payment-view/qr.js';
import { parseSocketMessage, parseStatusResponse } from '../../web/payment-view/status.js';

const SRC = 'https://abc.execute-api.eu-north-1.amazonaws.com/seqr/payment-view.js#!invoiceReference=1397222701693&token=a%2Bb%2Fc&layout=small&language=sv&paidCallback=onPaid';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1';
const DESKTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const env = { userAgent: DESKTOP, languages: ['en-US'], defaultWebsocketUrl: '__SEQR_WEBSOCKET_URL__' };

describe('script parameters', () => {
  it('parses the fragment (with or without "!"), keeping "+" as a plus', () => {
    expect(parseFragment(SRC)).toEqual({ invoiceReference: '1397222701693', token: 'a+b/c', layout: 'small', language: 'sv', paidCallback: 'onPaid' });
    expect(parseFragment('https://x/seqr/payment-view.js#invoiceReference=1&token=a+b')).toEqual({ invoiceReference: '1', token: 'a+b' });
    expect(parseFragment('https://x/seqr/payment-view.js')).toEqual({});
    expect(parseFragment('https://x/a.js#!bad=%E0%A4%A&=x&noeq')).toEqual({ bad: '%E0%A4%A' });
  });

  it('derives the API base URL from the script URL', () => {
    expect(baseUrlFromSrc(SRC)).toBe('https://abc.execute-api.eu-north-1.amazonaws.com');
    expect(baseUrlFromSrc('https://api.example.com/prod/seqr/payment-view.js?v=2#!x=1')).toBe('https://api.example.com/prod');
    expect(baseUrlFromSrc('http://127.0.0.1:3000/seqr/payment-view.js')).toBe('http://127.0.0.1:3000');
  });

  it('detects the platform as seqrShop.js did', () => {
    expect(detectPlatform(DESKTOP)).toBe('desktop');
    expect(detectPlatform(IPHONE)).toBe('mobile');
    expect(detectPlatform('Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)')).toBe('mobile');
    expect(detectPlatform('Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36')).toBe('mobile');
    expect(detectPlatform('Mozilla/5.0 (compatible; MSIE 10.0; Windows Phone 8.0; IEMobile/10.0)')).toBe('mobile');
    expect(detectPlatform('Mozilla/5.0 (BlackBerry; U; BlackBerry 9900; en)')).toBe('unsupported');
    expect(detectPlatform('Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en)')).toBe('unsupported');
  });

  it('tests BlackBerry, BB10 and Opera Mini first: Opera Mini on Android is unsupported', () => {
    expect(detectPlatform('Opera/9.80 (Android; Opera Mini/36.2.2254/119.132; U; id) Presto/2.12.423 Version/12.16')).toBe('unsupported');
    expect(detectPlatform('Opera/9.80 (Android; Opera Mini/7.5.33361/31.1448; U; en) Presto/2.8.119 Version/11.1010', 5)).toBe('unsupported');
    expect(detectPlatform('Opera/9.80 (iPhone; Opera Mini/7.0.4/28.2555; U; fr) Presto/2.8.119 Version/11.10')).toBe('unsupported');
    expect(detectPlatform('Mozilla/5.0 (BB10; Touch) AppleWebKit/537.10+ (KHTML, like Gecko) Version/10.0.9.2372 Mobile Safari/537.10+')).toBe('unsupported');
    expect(detectPlatform('Mozilla/5.0 (Linux; Android 4.4; BlackBerry Passport) Mobile Safari/537.36')).toBe('unsupported');
    // Chrome-based Opera for Android is not Opera Mini.
    expect(detectPlatform('Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 OPR/83.0')).toBe('mobile');
  });

  it('an iPad on iPadOS 13+ (a Mac user agent with a touch screen) is mobile; a Mac is desktop', () => {
    const IPADOS = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
    expect(detectPlatform(IPADOS, 5)).toBe('mobile');
    expect(detectPlatform(IPADOS, 2)).toBe('mobile');
    expect(detectPlatform(IPADOS, 1)).toBe('desktop');
    expect(detectPlatform(IPADOS, 0)).toBe('desktop');
    expect(detectPlatform(IPADOS)).toBe('desktop');
    // A touch-screen Windows laptop stays desktop.
    expect(detectPlatform(DESKTOP.replace('X11; Linux x86_64', 'Windows NT 10.0; Win64; x64'), 10)).toBe('desktop');
    // resolveConfig reads maxTouchPoints from the environment.
    const ipad = resolveConfig(SRC, '', { ...env, userAgent: IPADOS, maxTouchPoints: 5 });
    expect(ipad.ok && ipad.config.platform).toBe('mobile');
    const mac = resolveConfig(SRC, '', { ...env, userAgent: IPADOS, maxTouchPoints: 0 });
    expect(mac.ok && mac.config.platform).toBe('desktop');
  });

  it('resolves the language: parameter, else browser, else English', () => {
    expect(resolveLanguage('sv', ['en-US'])).toBe('sv');
    expect(resolveLanguage('SV_se', [])).toBe('sv');
    expect(resolveLanguage('xx', ['sv-SE'])).toBe('en');
    expect(resolveLanguage(undefined, ['sv-SE', 'en'])).toBe('sv');
    expect(resolveLanguage('', ['de-DE'])).toBe('en');
    expect(resolveLanguage(undefined, [])).toBe('en');
  });

  it('uses the baked-in WebSocket URL only when it was replaced', () => {
    expect(usableWebsocketUrl('__SEQR_WEBSOCKET_URL__')).toBeUndefined();
    expect(usableWebsocketUrl('')).toBeUndefined();
    expect(usableWebsocketUrl('wss://ws.example.com/prod/')).toBe('wss://ws.example.com/prod');
  });

  it('resolves a whole configuration', () => {
    const result = resolveConfig(SRC, '', env);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config).toMatchObject({ invoiceReference: '1397222701693', token: 'a+b/c', layout: 'small', language: 'sv', platform: 'desktop', pollIntervalMs: 1000, heartbeatIntervalMs: 5000, linkScheme: 'SEQR' });
    expect(config.websocketUrl).toBeUndefined();
    expect(statusUrl(config)).toBe('https://abc.execute-api.eu-north-1.amazonaws.com/invoices/1397222701693/status?token=a%2Bb%2Fc');

    const withSocket = resolveConfig(SRC, '', { ...env, userAgent: IPHONE, defaultWebsocketUrl: 'wss://ws.example.com/prod' });
    expect(withSocket.ok && withSocket.config.platform).toBe('mobile');
    expect(withSocket.ok && websocketConnectUrl(withSocket.config)).toBe('wss://ws.example.com/prod/?invoice=1397222701693&token=a%2Bb%2Fc');
    // A websocketUrl parameter on the server's own origin is taken; another origin only if the script element allows it.
    const baked = { ...env, defaultWebsocketUrl: 'wss://ws.example.com/prod' };
    const sameOrigin = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('wss://WS.example.com/other/')}`, '', baked);
    expect(sameOrigin.ok && sameOrigin.config.websocketUrl).toBe('wss://WS.example.com/other');
    const foreign = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('wss://evil.example/')}`, '', baked);
    expect(foreign.ok && foreign.config.websocketUrl).toBe('wss://ws.example.com/prod');
    const insecure = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('ws://ws.example.com/prod')}`, '', baked);
    expect(insecure.ok && insecure.config.websocketUrl).toBe('wss://ws.example.com/prod');
    const optedIn = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('ws://127.0.0.1:9/')}`, '', { ...env, allowedWebsocketOrigins: ' wss://a.example  ws://127.0.0.1:9 ' });
    expect(optedIn.ok && optedIn.config.websocketUrl).toBe('ws://127.0.0.1:9');
    const notBaked = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('ws://127.0.0.1:9/')}`, '', env);
    expect(notBaked.ok && notBaked.config.websocketUrl).toBeUndefined();
    const off = resolveConfig(`${SRC}&websocketUrl=`, '', baked);
    expect(off.ok && off.config.websocketUrl).toBeUndefined();
    const script = resolveConfig(`${SRC}&websocketUrl=${encodeURIComponent('javascript:alert(1)')}`, '', baked);
    expect(script.ok && script.config.websocketUrl).toBeUndefined();
    // Unknown layout → standard; JSON in the script body as in seqrShop.js; fragment wins.
    const body = resolveConfig('https://x/seqr/payment-view.js#!layout=huge', '{"invoiceReference":"1397222701694","layout":"small","mode":"demo"}', env);
    expect(body.ok && body.config).toMatchObject({ invoiceReference: '1397222701694', layout: 'standard', linkScheme: 'SEQR-DEMO' });
    expect(resolveConfig('https://x/seqr/payment-view.js#!token=t', '', env)).toMatchObject({ ok: false, language: 'en' });
  });

  it('takes only SEQR invoice references: 13–17 digits', () => {
    for (const ref of ['1397222701693', '12345678901234567']) expect(resolveConfig(`https://x/seqr/payment-view.js#!invoiceReference=${ref}`, '', env).ok).toBe(true);
    for (const ref of ['123456789012', '123456789012345678', '9'.repeat(8000), '13972227016a3', ' 1397222701693x', '<img src=x onerror=alert(1)>', '１３９７２２２７０１６９３']) {
      expect(resolveConfig(`https://x/seqr/payment-view.js#!invoiceReference=${encodeURIComponent(ref)}`, '', env)).toMatchObject({ ok: false });
    }
  });

  it('takes callback names that are plain global names or dotted paths, and nothing that runs code', () => {
    for (const name of ['onPaid', 'shop.onPaid', '$cb', '_a.b_c.d']) expect(isCallbackName(name)).toBe(true);
    for (const name of ['eval', 'setTimeout', 'setInterval', 'Function', 'constructor', 'onPaid.constructor', 'x.__proto__.y', 'a.prototype', 'javascript:alert(1)', 'alert(1)', '<script>', 'a..b', '', 'a.b.c.d.e', 'a'.repeat(65)]) {
      expect(isCallbackName(name), name).toBe(false);
    }
  });

  it('reads heartbeatFreq: 5 s by default, 0 turns it off, clamped to 1–60 s', () => {
    expect(DEFAULT_HEARTBEAT_MS).toBe(5000);
    expect(heartbeatInterval(undefined)).toBe(5000);
    expect(heartbeatInterval('')).toBe(5000);
    expect(heartbeatInterval('abc')).toBe(5000);
    expect(heartbeatInterval('-1')).toBe(5000);
    expect(heartbeatInterval('0')).toBe(0);
    expect(heartbeatInterval('2500')).toBe(2500);
    expect(heartbeatInterval('1500.4')).toBe(1500);
    expect(heartbeatInterval('10')).toBe(1000);
    expect(heartbeatInterval('999999')).toBe(60_000);
    const off = resolveConfig(`${SRC}&heartbeatFreq=0`, '', env);
    expect(off.ok && off.config.heartbeatIntervalMs).toBe(0);
    const fromBody = resolveConfig('https://x/seqr/payment-view.js', '{"invoiceReference":"1397222701694","heartbeatFreq":2000}', env);
    expect(fromBody.ok && fromBody.config.heartbeatIntervalMs).toBe(2000);
  });

  it('builds the QR text and the deep link', () => {
    expect(invoiceQrText('12345')).toBe('HTTP://SEQR.SE/R12345');
    expect(invoiceLink('12345')).toBe('SEQR://SEQR.SE/R12345');
    expect(invoiceLink('12345', 'SEQR-DEMO')).toBe('SEQR-DEMO://SEQR.SE/R12345');
  });

  it('has every status text in every language, LOADING included', () => {
    expect(TEXTS.en.status.LOADING).toBe('Loading payment status…');
    expect(TEXTS.sv.status.LOADING).toBe('Hämtar betalningsstatus…');
    const keys = Object.keys(TEXTS.en.status).sort();
    for (const texts of Object.values(TEXTS)) expect(Object.keys(texts.status).sort()).toEqual(keys);
  });
});

describe('status messages', () => {
  it('reads poll answers and socket pushes for this invoice only', () => {
    expect(parseStatusResponse({ invoiceReference: '1', status: 'PAID', ersReference: 'E', version: 2 }, '1')).toEqual({ invoiceReference: '1', status: 'PAID', ersReference: 'E', version: 2 });
    expect(parseStatusResponse({ invoiceReference: '2', status: 'PAID' }, '1')).toBeUndefined();
    expect(parseStatusResponse({ status: '' }, '1')).toBeUndefined();
    expect(parseSocketMessage('{"type":"invoice.status","invoiceReference":"1","status":"CANCELED"}', '1')).toEqual({ invoiceReference: '1', status: 'CANCELED' });
    expect(parseSocketMessage('{"type":"invoice.status","invoiceReference":"1","status":"RESERVED","version":2}', '1')).toEqual({ invoiceReference: '1', status: 'RESERVED', version: 2 });
    expect(parseSocketMessage('{"type":"other","status":"PAID"}', '1')).toBeUndefined();
    expect(parseSocketMessage('not json', '1')).toBeUndefined();
  });
});

describe('build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seqr-build-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('bundles one small IIFE holding the WebSocket placeholder once', async () => {
    const outfile = join(dir, 'payment-view.js');
    const { bytes } = await buildPaymentView({ outfile });
    expect(bytes).toBeLessThan(36_000);
    const { readFile } = await import('node:fs/promises');
    const code = await readFile(outfile, 'utf8');
    expect(code.split('"__SEQR_WEBSOCKET_URL__"')).toHaveLength(2);
    expect(code).not.toMatch(/^\s*(import|export)\b/m);
    expect(code).not.toContain('image/gif');
  });

  it('the trimmed qrcode-generator draws exactly what the full library draws', async () => {
    const outfile = join(dir, 'qr.mjs');
    await build({ entryPoints: [PAYMENT_VIEW_ENTRY.replace(/main\.ts$/, 'qr.ts')], outfile, bundle: true, format: 'esm', plugins: [trimQrcodePlugin], logLevel: 'silent' });
    const trimmed = (await import(pathToFileURL(outfile).href)) as { qrPath: typeof qrPath };
    for (const text of ['HTTP://SEQR.SE/R1', 'HTTP://SEQR.SE/R202406101234567890', 'HTTP://SEQR.SE/Rabc-lower', 'HTTP://SEQR.SE/R' + '9'.repeat(120)]) {
      expect(trimmed.qrPath(text)).toEqual(qrPath(text));
    }
    // Alphanumeric mode keeps a typical invoice code at version 2 (25 modules + quiet zone).
    expect(qrPath('HTTP://SEQR.SE/R1718000000123').size).toBe(25 + 8);
  });
});

describe('payment view handler', () => {
  let dir: string;
  let asset: string;
  const saved = { asset: process.env.PAYMENT_VIEW_ASSET, ws: process.env.WEBSOCKET_URL };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'seqr-handler-'));
    asset = join(dir, 'payment-view.js');
    await writeFile(asset, 'var a="__SEQR_WEBSOCKET_URL__";console.log(a);');
  });
  afterEach(() => {
    process.env.PAYMENT_VIEW_ASSET = saved.asset;
    process.env.WEBSOCKET_URL = saved.ws;
    if (saved.asset === undefined) delete process.env.PAYMENT_VIEW_ASSET;
    if (saved.ws === undefined) delete process.env.WEBSOCKET_URL;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function freshHandler(assetPath: string, websocketUrl: string | undefined) {
    process.env.PAYMENT_VIEW_ASSET = assetPath;
    if (websocketUrl === undefined) delete process.env.WEBSOCKET_URL;
    else process.env.WEBSOCKET_URL = websocketUrl;
    vi.resetModules();
    const { handler } = await import('../../src/handlers/browser/payment-view.js');
    return (headers: Record<string, string> = {}) =>
      handler({ headers, rawPath: '/seqr/payment-view.js', requestContext: { http: { method: 'GET' } } } as unknown as APIGatewayProxyEventV2) as Promise<APIGatewayProxyStructuredResultV2>;
  }

  it('serves the script with the WebSocket URL baked in, cached, with an ETag', async () => {
    const get = await freshHandler(asset, 'wss://ws.example.com/prod/');
    const ok = await get();
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('var a="wss://ws.example.com/prod";console.log(a);');
    expect(ok.headers).toMatchObject({ 'content-type': 'application/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' });
    expect(ok.headers?.['access-control-allow-origin']).toBeUndefined();
    const etag = String(ok.headers?.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);

    // Read once per process: a changed file is not seen.
    await writeFile(asset, 'changed');
    expect((await get()).body).toBe(ok.body);
    await writeFile(asset, 'var a="__SEQR_WEBSOCKET_URL__";console.log(a);');

    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const notModified = await get({ 'if-none-match': header });
      expect(notModified.statusCode).toBe(304);
      expect(notModified.body).toBeUndefined();
      expect(notModified.headers?.etag).toBe(etag);
    }
    expect((await get({ 'if-none-match': '"other"' })).statusCode).toBe(200);
  });

  it('JSON-escapes the URL and bakes in "" when WEBSOCKET_URL is unset', async () => {
    const tricky = await freshHandler(asset, 'wss://x.example.com/a"b\\c');
    expect((await tricky()).body).toBe('var a="wss://x.example.com/a\\"b\\\\c";console.log(a);');
    const unset = await freshHandler(asset, undefined);
    expect((await unset()).body).toBe('var a="";console.log(a);');
  });

  it('answers 500 when the script is missing', async () => {
    const get = await freshHandler(join(dir, 'missing.js'), 'wss://x');
    const { setLogSink } = await import('../../src/log.js');
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      expect((await get()).statusCode).toBe(500);
    } finally {
      setLogSink(previous);
    }
    expect(lines.join('\n')).toContain('payment view script unreadable');
  });
});
