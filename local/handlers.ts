/**
 * Loads the very handler modules that are deployed, by the catalog's entry paths.
 * Nothing here changes what a handler does: only where its events come from.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FUNCTIONS, type FunctionName } from '../src/catalog.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyHandler = (event: any, context?: any) => Promise<any>;

const ROOT = path.resolve(import.meta.dirname, '..');
const loaded = new Map<FunctionName, Promise<AnyHandler>>();

export function loadHandler(name: FunctionName): Promise<AnyHandler> {
  let handler = loaded.get(name);
  if (!handler) {
    const file = pathToFileURL(path.join(ROOT, FUNCTIONS[name].entry)).href;
    handler = import(file).then((module: { handler?: AnyHandler }) => {
      if (typeof module.handler !== 'function') throw new Error(`${FUNCTIONS[name].entry} exports no handler`);
      return module.handler;
    });
    loaded.set(name, handler);
  }
  return handler;
}

/** A Lambda context with what handlers may read. */
export function lambdaContext(name: FunctionName, requestId: string) {
  return {
    functionName: name,
    awsRequestId: requestId,
    getRemainingTimeInMillis: () => FUNCTIONS[name].timeoutSeconds * 1000,
  };
}
