/**
 * Loads the very handler modules that are deployed, by the catalog's entry paths.
 * Nothing here changes what a handler does: only where its events come from.
 * `observeInvocations` lets a harness (npm run bench) see each invocation's
 * duration and result, and optionally run it inside an AsyncLocalStorage
 * context so its outgoing requests can be told apart; with no observer a
 * handler is called directly.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FUNCTIONS, HTTP_ROUTES, type FunctionName, type FunctionSpec, type HttpRoute } from '../src/catalog.js';
import { SAMPLE_SHOP_FUNCTION, SAMPLE_SHOP_ROUTES } from '../examples/sample-shop/catalog.js';

/** What the local stack runs: the product's functions and the sample shop's (its own catalog). */
export type LocalFunctionName = FunctionName | 'shop';

export const LOCAL_FUNCTIONS: Record<LocalFunctionName, FunctionSpec> = { ...FUNCTIONS, shop: SAMPLE_SHOP_FUNCTION };

export interface LocalHttpRoute extends Omit<HttpRoute, 'fn'> {
  fn: LocalFunctionName;
}

/** The product's routes and the sample shop's, as `npm start` serves them. */
export const LOCAL_HTTP_ROUTES: readonly LocalHttpRoute[] = [...HTTP_ROUTES, ...SAMPLE_SHOP_ROUTES.map((route) => ({ ...route, fn: 'shop' as const }))];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = (event: any, context?: any) => Promise<any>;

/** One handler invocation as an observer sees it; times are performance.now() milliseconds. */
export interface Invocation {
  fn: LocalFunctionName;
  requestId: string;
  /** The route or WebSocket route key the event carries (`POST /invoices`, `$connect`, …). */
  routeKey?: string;
  startedAt: number;
  endedAt?: number;
  /** The result's statusCode (HTTP and WebSocket results), or 500 when the handler threw. */
  statusCode?: number;
}

export interface InvocationObserver {
  /** Run each invocation inside `invocationContext` (costs a little on every promise while on). */
  context?: boolean;
  onEnd(invocation: Invocation): void;
}

const ROOT = path.resolve(import.meta.dirname, '..');
const loaded = new Map<LocalFunctionName, Promise<AnyHandler>>();
const observers = new Set<InvocationObserver>();
let storage: AsyncLocalStorage<Invocation> | undefined;

/** The invocation the current code runs for, while an observer with `context` is on. */
export function currentInvocation(): Invocation | undefined {
  return storage?.getStore();
}

/** Starts observing; returns the function that stops. */
export function observeInvocations(observer: InvocationObserver): () => void {
  observers.add(observer);
  if (observer.context) storage ??= new AsyncLocalStorage<Invocation>();
  return () => {
    observers.delete(observer);
    if (storage && ![...observers].some((o) => o.context)) {
      storage.disable();
      storage = undefined;
    }
  };
}

function observed(name: LocalFunctionName, handler: AnyHandler): AnyHandler {
  return async (event, context) => {
    if (observers.size === 0) return handler(event, context);
    const invocation: Invocation = {
      fn: name,
      requestId: String(context?.awsRequestId ?? ''),
      routeKey: event?.routeKey ?? event?.requestContext?.routeKey,
      startedAt: performance.now(),
    };
    const finish = (statusCode: number | undefined) => {
      invocation.endedAt = performance.now();
      invocation.statusCode = statusCode;
      for (const observer of observers) observer.onEnd(invocation);
    };
    try {
      const result = storage ? await storage.run(invocation, () => handler(event, context)) : await handler(event, context);
      finish(typeof result === 'object' && result !== null && typeof result.statusCode === 'number' ? result.statusCode : 200);
      return result;
    } catch (error) {
      finish(500);
      throw error;
    }
  };
}

export function loadHandler(name: LocalFunctionName): Promise<AnyHandler> {
  let handler = loaded.get(name);
  if (!handler) {
    const file = pathToFileURL(path.join(ROOT, LOCAL_FUNCTIONS[name].entry)).href;
    handler = import(file).then((module: { handler?: AnyHandler }) => {
      if (typeof module.handler !== 'function') throw new Error(`${LOCAL_FUNCTIONS[name].entry} exports no handler`);
      return observed(name, module.handler);
    });
    loaded.set(name, handler);
  }
  return handler;
}

/** A Lambda context with what handlers may read. */
export function lambdaContext(name: LocalFunctionName, requestId: string) {
  return {
    functionName: name,
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => LOCAL_FUNCTIONS[name].timeoutSeconds * 1000,
  };
}
