/**
 * Browser helpers for the payment-view tests: Debian's Chromium through
 * playwright-core, shopper profiles (desktop, iPhone, BlackBerry), waiting
 * for a status, and screenshots under test-results/screenshots/. Written to
 * be reused against the real local stack.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, devices, type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(process.cwd(), 'test-results', 'screenshots');

/**
 * Browser suites run where Chromium is installed, and always in CI (CI=true),
 * where a missing browser must fail the run rather than skip it.
 */
export const BROWSER_TESTS_RUN = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';
if (!BROWSER_TESTS_RUN) {
  process.stderr.write(`Skipping browser tests: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH).\n`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const BLACKBERRY_UA =
  'Mozilla/5.0 (BlackBerry; U; BlackBerry 9900; en) AppleWebKit/534.11+ (KHTML, like Gecko) Version/7.1.0.346 Mobile Safari/534.11+';

export type Shopper = 'desktop' | 'iphone' | 'blackberry';

const PROFILES: Record<Shopper, BrowserContextOptions> = {
  desktop: { viewport: { width: 800, height: 640 } },
  iphone: (() => {
    // Chromium emulates the iPhone's UA, viewport and touch; `defaultBrowserType` is not a context option.
    const { defaultBrowserType: _ignored, ...iphone } = devices['iPhone 13'];
    return iphone;
  })(),
  blackberry: { userAgent: BLACKBERRY_UA, viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true },
};

/** A fresh context (cookies, language, user agent) for one shopper; English unless a locale is given. */
export async function newShopperPage(browser: Browser, shopper: Shopper = 'desktop', options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'en-US', ...PROFILES[shopper], ...options });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  return { context, page };
}

/** The payment view's root element. */
export function paymentView(page: Page): Locator {
  return page.locator('.seqr-view');
}

/** Wait until the view's `data-seqr-status` is `status`. */
export async function waitForStatus(page: Page, status: string, timeoutMs = 5000): Promise<void> {
  await page.waitForFunction(
    (expected) => document.querySelector('.seqr-view')?.getAttribute('data-seqr-status') === expected,
    status,
    { timeout: timeoutMs, polling: 25 },
  );
}

/** Save a screenshot as test-results/screenshots/<name>.png; returns its path. */
export async function screenshot(target: Page | Locator, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9_-]+/gi, '-')}.png`);
  await target.screenshot({ path, animations: 'disabled' });
  return path;
}
