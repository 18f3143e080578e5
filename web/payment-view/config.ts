/**
 * Reading the embedding script tag: fragment parameters, API base URL,
 * platform and language. Pure functions of strings, so they run (and are
 * tested) outside a browser too.
 */
import { DEFAULT_LANGUAGE, isLanguage, type Language } from './i18n.js';

export type Layout = 'standard' | 'small';
export type Platform = 'desktop' | 'mobile' | 'unsupported';

export interface ViewConfig {
  invoiceReference: string;
  /** The invoice's subscribeToken. */
  token?: string;
  layout: Layout;
  language: Language;
  platform: Platform;
  /** HTTP API base URL, no trailing slash. */
  baseUrl: string;
  /** WebSocket base URL (no query), or undefined to poll only. */
  websocketUrl?: string;
  /** Between polls without a socket (`pollFreq`). */
  pollIntervalMs: number;
  /** Between heartbeat polls while the socket is open (`heartbeatFreq`); 0 turns the heartbeat off. */
  heartbeatIntervalMs: number;
  /** Deep-link scheme: `SEQR`, or `SEQR-DEMO` for `mode=demo`. */
  linkScheme: string;
  /** Every raw parameter, for `<status>Callback` look-ups. */
  params: Readonly<Record<string, string>>;
}

export interface Environment {
  userAgent: string;
  /** navigator.maxTouchPoints: tells an iPad (iPadOS 13+, a desktop Safari user agent) from a Mac. 0 when absent. */
  maxTouchPoints?: number;
  /** navigator.languages (or [navigator.language]). */
  languages: readonly string[];
  /** The WebSocket URL baked in by the serving Lambda (may be empty or the unreplaced placeholder). */
  defaultWebsocketUrl: string;
  /**
   * The script element's `data-allow-websocket-origins` attribute: origins
   * (space-separated) that a `websocketUrl` parameter may point at besides the
   * baked-in URL's. Set by the shop in its own markup, not in the URL.
   */
  allowedWebsocketOrigins?: string | null;
}

/** SEQR's invoice references: 13–17 digits. */
export const INVOICE_REFERENCE = /^\d{13,17}$/;

const SCRIPT_PATH = /\/seqr\/payment-view(?:\.min)?\.js$/;
const MIN_POLL_MS = 500;
const MAX_POLL_MS = 60_000;
export const DEFAULT_POLL_MS = 1000;
/** The status API asks SEQR at most once a second per invoice: a faster heartbeat would learn nothing more. */
const MIN_HEARTBEAT_MS = 1000;
const MAX_HEARTBEAT_MS = 60_000;
export const DEFAULT_HEARTBEAT_MS = 5000;

/**
 * Parameters from the script URL's fragment (`#!a=1&b=2`, the `!` optional).
 * Values are percent-decoded; `+` stays a plus (tokens may hold one).
 */
export function parseFragment(src: string): Record<string, string> {
  const params: Record<string, string> = {};
  const hash = src.indexOf('#');
  if (hash < 0) return params;
  const fragment = src.slice(hash + 1).replace(/^!/, '');
  for (const pair of fragment.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = safeDecode(pair.slice(0, eq));
    const value = safeDecode(pair.slice(eq + 1));
    if (key) params[key] = value;
  }
  return params;
}

/** Parameters given as JSON in the script element's body, as the old plugin allowed. */
export function parseScriptBody(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (!trimmed) return {};
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const params: Record<string, string> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params[key] = String(value);
    }
    return params;
  } catch {
    return {};
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** The HTTP API base URL: the script URL without `/seqr/payment-view.js`, query and fragment. */
export function baseUrlFromSrc(src: string): string {
  const url = new URL(src);
  url.hash = '';
  url.search = '';
  let path = url.pathname;
  if (SCRIPT_PATH.test(path)) path = path.replace(SCRIPT_PATH, '');
  else path = path.replace(/\/[^/]*$/, '').replace(/\/seqr$/, '');
  return url.origin + path.replace(/\/+$/, '');
}

/**
 * As SEQR's plugin, unsupported phones first (Opera Mini on Android is
 * unsupported): BlackBerry, BB10 and Opera Mini `unsupported`; Android, iPhone,
 * iPad, iPod and IEMobile `mobile`, and so is an iPad on iPadOS 13+, whose
 * Safari sends a Mac's user agent but has a touch screen (`maxTouchPoints` > 1).
 */
export function detectPlatform(userAgent: string, maxTouchPoints = 0): Platform {
  if (/BlackBerry|BB10|Opera Mini/i.test(userAgent)) return 'unsupported';
  if (/Android|iPhone|iPad|iPod|IEMobile/i.test(userAgent)) return 'mobile';
  if (/Macintosh/i.test(userAgent) && maxTouchPoints > 1) return 'mobile';
  return 'desktop';
}

function primarySubtag(tag: string): string {
  return tag.trim().replace(/_/g, '-').toLowerCase().split('-')[0] ?? '';
}

/** The `language` parameter if given, else the browser's first language; English when unknown. */
export function resolveLanguage(param: string | undefined, browserLanguages: readonly string[]): Language {
  const wanted = param !== undefined && param.trim() !== '' ? param : browserLanguages[0];
  if (wanted === undefined) return DEFAULT_LANGUAGE;
  const subtag = primarySubtag(wanted);
  return isLanguage(subtag) ? subtag : DEFAULT_LANGUAGE;
}

/** Whether a (baked-in or given) WebSocket URL can be used; an unreplaced placeholder cannot. */
export function usableWebsocketUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^wss?:\/\/[^/]/i.test(trimmed)) return undefined;
  return trimmed.replace(/\/+$/, '');
}

/** `scheme://host[:port]` of a ws: or wss: URL, lower-cased; undefined if it is not one. */
export function websocketOrigin(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return undefined;
    return `${url.protocol}//${url.host}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * The WebSocket URL to use. A `websocketUrl` parameter is taken only when it
 * points at the baked-in URL's origin, or at one the shop allowed on the
 * script element: otherwise a parameter slipped into the fragment would send
 * the subscribe token to any host. A parameter that is empty or not a
 * WebSocket URL at all turns the socket off (the view polls), which sends the
 * token nowhere new.
 */
export function chooseWebsocketUrl(param: string | undefined, env: Pick<Environment, 'defaultWebsocketUrl' | 'allowedWebsocketOrigins'>): string | undefined {
  const baked = usableWebsocketUrl(env.defaultWebsocketUrl);
  if (param === undefined) return baked;
  const given = usableWebsocketUrl(param);
  if (given === undefined) return undefined;
  const origin = websocketOrigin(given);
  const allowed = new Set((env.allowedWebsocketOrigins ?? '').split(/\s+/).map(websocketOrigin).filter(Boolean));
  if (baked !== undefined) allowed.add(websocketOrigin(baked));
  if (origin !== undefined && allowed.has(origin)) return given;
  console.warn(`SEQR payment view: websocketUrl ${origin ?? 'given'} is not the server's nor allowed by data-allow-websocket-origins; ignored`);
  return baked;
}

const CALLBACK_SEGMENT = /^[A-Za-z_$][\w$]{0,63}$/;
const FORBIDDEN_SEGMENTS = new Set(['constructor', 'prototype', '__proto__', 'eval', 'Function', 'setTimeout', 'setInterval', 'execScript']);

/**
 * Whether a callback parameter can name a shop function: a global name or a
 * dotted path of plain identifiers (`onPaid`, `shop.onPaid`), at most four
 * deep, never through `constructor`, `prototype`, `__proto__` nor at the
 * browser's code-running functions. Markup, `javascript:` URLs and the like
 * are not names.
 */
export function isCallbackName(name: string): boolean {
  const parts = name.split('.');
  return parts.length <= 4 && parts.every((part) => CALLBACK_SEGMENT.test(part) && !FORBIDDEN_SEGMENTS.has(part));
}

export type ConfigResult = { ok: true; config: ViewConfig } | { ok: false; error: string; language: Language };

/**
 * The view's configuration from the script's src (absolute), its body text and
 * the browser. Fragment parameters win over body JSON.
 */
export function resolveConfig(src: string, scriptText: string, env: Environment): ConfigResult {
  const params = { ...parseScriptBody(scriptText), ...parseFragment(src) };
  const language = resolveLanguage(params.language, env.languages);
  const invoiceReference = (params.invoiceReference ?? '').trim();
  if (!invoiceReference) return { ok: false, error: 'invoiceReference is missing from the script URL fragment', language };
  if (!INVOICE_REFERENCE.test(invoiceReference)) return { ok: false, error: 'invoiceReference is not an invoice reference (13–17 digits)', language };
  let baseUrl: string;
  try {
    baseUrl = baseUrlFromSrc(src);
  } catch {
    return { ok: false, error: `cannot derive the API base URL from ${src}`, language };
  }
  const platformParam = params.platform;
  const platform: Platform =
    platformParam === 'desktop' || platformParam === 'mobile' || platformParam === 'unsupported'
      ? platformParam
      : detectPlatform(env.userAgent, env.maxTouchPoints);
  const pollParam = Number(params.pollFreq);
  const pollIntervalMs = Number.isFinite(pollParam) && pollParam > 0
    ? Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.round(pollParam)))
    : DEFAULT_POLL_MS;
  const heartbeatIntervalMs = heartbeatInterval(params.heartbeatFreq);
  const mode = (params.mode ?? '').trim().toUpperCase();
  const token = params.token?.trim();
  return {
    ok: true,
    config: {
      invoiceReference,
      ...(token ? { token } : {}),
      layout: params.layout === 'small' ? 'small' : 'standard',
      language,
      platform,
      baseUrl,
      ...optional('websocketUrl', chooseWebsocketUrl(params.websocketUrl, env)),
      pollIntervalMs,
      heartbeatIntervalMs,
      linkScheme: /^[A-Z0-9]+$/.test(mode) ? `SEQR-${mode}` : 'SEQR',
      params,
    },
  };
}

/**
 * `heartbeatFreq` in ms: `0` turns the heartbeat off, other numbers are
 * clamped to 1–60 s, anything else (absent, empty, negative, not a number)
 * gives the default 5 s.
 */
export function heartbeatInterval(param: string | undefined): number {
  if (param === undefined || param.trim() === '') return DEFAULT_HEARTBEAT_MS;
  const value = Number(param);
  if (!Number.isFinite(value) || value < 0) return DEFAULT_HEARTBEAT_MS;
  if (value === 0) return 0;
  return Math.min(MAX_HEARTBEAT_MS, Math.max(MIN_HEARTBEAT_MS, Math.round(value)));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** What the QR code holds: `HTTP://SEQR.SE/R<ref>`. */
export function invoiceQrText(invoiceReference: string): string {
  return `HTTP://SEQR.SE/R${invoiceReference}`;
}

/** The phone deep link: `SEQR://SEQR.SE/R<ref>` (`HTTP:` replaced by the SEQR scheme). */
export function invoiceLink(invoiceReference: string, scheme = 'SEQR'): string {
  return invoiceQrText(invoiceReference).replace(/^HTTP:/, `${scheme}:`);
}

export function statusUrl(config: Pick<ViewConfig, 'baseUrl' | 'invoiceReference' | 'token'>): string {
  const query = config.token ? `?token=${encodeURIComponent(config.token)}` : '';
  return `${config.baseUrl}/invoices/${encodeURIComponent(config.invoiceReference)}/status${query}`;
}

export function websocketConnectUrl(config: Pick<ViewConfig, 'websocketUrl' | 'invoiceReference' | 'token'>): string | undefined {
  if (!config.websocketUrl) return undefined;
  const token = config.token ? `&token=${encodeURIComponent(config.token)}` : '';
  return `${config.websocketUrl}/?invoice=${encodeURIComponent(config.invoiceReference)}${token}`;
}
