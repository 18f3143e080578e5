/**
 * SEQR payment view, embedded by a shop exactly as SEQR's seqrShop.js was:
 *
 *   <script id="seqrShop" src="<api>/seqr/payment-view.js#!invoiceReference=…&token=…&layout=small&language=sv&paidCallback=onPaid"></script>
 *
 * The view is inserted right after the script element. It follows the
 * invoice's status by WebSocket, with a slow heartbeat poll beside it
 * (falling back to polling once a second without a socket), and calls the
 * shop's `statusCallback` on every change and `<status>Callback` (e.g.
 * `paidCallback`) once when that status is reached.
 */
import { isCallbackName, resolveConfig, statusUrl, websocketConnectUrl, type ViewConfig } from './config.js';
import { TEXTS } from './i18n.js';
import { StatusTracker, type StatusData } from './status.js';
import { injectStyles } from './styles.js';
import { errorView, PaymentView } from './view.js';

/** Replaced by the serving Lambda with its WEBSOCKET_URL (JSON-escaped). */
const DEFAULT_WEBSOCKET_URL = "__SEQR_WEBSOCKET_URL__";

const MOUNTED = 'seqrMounted';

function findScript(): HTMLScriptElement | undefined {
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && !current.dataset[MOUNTED]) return current;
  const byId = document.getElementById('seqrShop');
  if (byId instanceof HTMLScriptElement && !byId.dataset[MOUNTED]) return byId;
  const candidates = document.querySelectorAll<HTMLScriptElement>('script[src*="payment-view"]');
  for (const script of candidates) if (!script.dataset[MOUNTED]) return script;
  return undefined;
}

/** Right after the script element; in <head>, at the end of <body> once there is one. Then `placed`. */
function place(script: HTMLScriptElement, element: HTMLElement, placed?: () => void): void {
  const parent = script.parentNode;
  if (parent && parent !== document.head && parent !== document.documentElement) {
    parent.insertBefore(element, script.nextSibling);
    placed?.();
    return;
  }
  const append = () => {
    document.body.appendChild(element);
    placed?.();
  };
  if (document.body) append();
  else document.addEventListener('DOMContentLoaded', append, { once: true });
}

/**
 * A function of the page's own by name (`onPaid` or a dotted path like
 * `shop.onPaid`). Names that are not plain identifiers, paths through
 * `constructor` or `prototype`, and the browser's built-in functions
 * (`eval`, `setTimeout`, `alert`, `location.assign`, anything bound or
 * native) are refused: a parameter must not make the view run code.
 */
function globalFunction(name: string | undefined): ((data: StatusData) => unknown) | undefined {
  if (!name || !isCallbackName(name)) return undefined;
  let target: unknown = window;
  for (const part of name.split('.')) {
    if (target === null || (typeof target !== 'object' && typeof target !== 'function')) return undefined;
    target = (target as Record<string, unknown>)[part];
  }
  if (typeof target !== 'function') return undefined;
  let source = '';
  try {
    source = Function.prototype.toString.call(target);
  } catch {
    return undefined;
  }
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) return undefined;
  return target as (data: StatusData) => unknown;
}

/**
 * What the shop's callbacks were called with, page-wide on `window`: the
 * script included twice (async and defer, say) makes two views of one
 * invoice, and each callback still fires once per invoice. Keys
 * `<ref> <param> <name>`: `true` for a `<status>Callback` called, the last
 * status data for a `statusCallback`.
 */
type CallRecord = Record<string, StatusData | true>;

function pageRecord(): CallRecord {
  const w = window as unknown as { __seqrPaymentViewCalls?: CallRecord };
  return (w.__seqrPaymentViewCalls ??= {});
}

/** `statusCallback`: once per status change page-wide; `<status>Callback`: once per invoice. */
function callOnce(param: string, data: StatusData, params: Readonly<Record<string, string>>): void {
  const name = params[param];
  if (!name) return;
  const record = pageRecord();
  const key = `${data.invoiceReference} ${param} ${name}`;
  const last = record[key];
  if (param === 'statusCallback') {
    if (typeof last === 'object' && (last.status === data.status || (data.version ?? Infinity) < (last.version ?? -Infinity))) return;
    record[key] = { ...data };
  } else {
    if (last) return;
    record[key] = true;
  }
  callShop(name, data);
}

function callShop(name: string, data: StatusData): void {
  const fn = globalFunction(name);
  if (!fn) {
    console.warn(`SEQR payment view: callback ${JSON.stringify(name.slice(0, 80))} is not a function of this page; not called`);
    return;
  }
  try {
    fn.call(window, { ...data });
  } catch (error) {
    console.error(`SEQR payment view: callback ${name} failed`, error);
  }
}

function mount(script: HTMLScriptElement): void {
  script.dataset[MOUNTED] = 'true';
  const result = resolveConfig(script.src, script.text, {
    userAgent: navigator.userAgent,
    maxTouchPoints: navigator.maxTouchPoints || 0,
    languages: navigator.languages?.length ? navigator.languages : [navigator.language],
    defaultWebsocketUrl: DEFAULT_WEBSOCKET_URL,
    allowedWebsocketOrigins: script.getAttribute('data-allow-websocket-origins'),
  });
  injectStyles(document);
  if (!result.ok) {
    console.error(`SEQR payment view: ${result.error}`);
    place(script, errorView(document, TEXTS[result.language], result.language));
    return;
  }
  start(script, result.config);
}

function start(script: HTMLScriptElement, config: ViewConfig): void {
  const view = new PaymentView(document, config, TEXTS[config.language]);
  const tracker = new StatusTracker({
    invoiceReference: config.invoiceReference,
    statusUrl: statusUrl(config),
    websocketUrl: websocketConnectUrl(config),
    pollIntervalMs: config.pollIntervalMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    onStatus: (data) => {
      if (!view.setStatus(data.status)) return;
      view.root.dispatchEvent(new CustomEvent('seqr:status', { bubbles: true, detail: { ...data } }));
      callOnce('statusCallback', data, config.params);
      // `paidCallback`, `canceledCallback`, …
      callOnce(`${data.status.toLowerCase()}Callback`, data, config.params);
    },
    onNotFound: () => view.setNotFound(),
    // A single-page app removed the view: stop following the payment.
    isAlive: () => view.root.isConnected,
  });
  // Once in the document, so that `isAlive` holds from the first status on.
  place(script, view.root, () => tracker.start());
}

const script = findScript();
if (script) mount(script);
else console.error('SEQR payment view: cannot find its script element (id "seqrShop")');
