/**
 * Shared parts of the property-based hostile suites: the size and seed of a
 * run, a counter of the store writes every handler sends (middleware on the
 * process's one DynamoDB document client, which the handlers share with this
 * test), and checks of an answer's shape.
 */
import type { MiddlewareStack } from '@smithy/types';
import { documentClient } from '../../src/adapters/dynamodb/dynamo.js';

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

/** Cases per route (HOSTILE_RUNS, 1,000) and the seed (HOSTILE_SEED, fixed; fast-check prints it with any counterexample). */
export const HOSTILE = { runs: intEnv('HOSTILE_RUNS', 1_000), seed: intEnv('HOSTILE_SEED', 1_313) };

const WRITES = new Set(['PutCommand', 'UpdateCommand', 'DeleteCommand', 'BatchWriteCommand', 'TransactWriteCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

/** Every write command the handlers send to DynamoDB, by command name, conditional ones that fail included. */
export const writes = { count: 0, reads: 0 };

let installed = false;
export function countStoreWrites(): void {
  if (installed) return;
  installed = true;
  (documentClient().middlewareStack as MiddlewareStack<object, object>).add(
    (next, context) => async (args) => {
      const name = String((context as { commandName?: string }).commandName ?? '');
      if (WRITES.has(name)) writes.count += 1;
      else writes.reads += 1;
      return next(args);
    },
    { step: 'initialize', name: 'hostileWriteCounter' },
  );
}

/** The documented error answers: ours `{"error":{code,message,field?}}`, the gateway's own `{"message"}` (as API Gateway answers no route, a bad path, too large). */
export function errorShapeProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'not a JSON object';
  const keys = Object.keys(body);
  if (keys.length === 1 && keys[0] === 'message' && typeof (body as { message: unknown }).message === 'string') return undefined;
  if (keys.length !== 1 || keys[0] !== 'error') return `keys ${JSON.stringify(keys)}`;
  const error = (body as { error: unknown }).error as Record<string, unknown> | null;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const extra = Object.keys(error).filter((k) => !['code', 'message', 'field'].includes(k));
  if (extra.length) return `error has ${JSON.stringify(extra)}`;
  if (typeof error.code !== 'string' || typeof error.message !== 'string') return 'error.code or error.message is not a string';
  if (error.field !== undefined && typeof error.field !== 'string') return 'error.field is not a string';
  return undefined;
}
