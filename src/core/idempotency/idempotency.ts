/**
 * Idempotent requests (the `Idempotency-Key` header): the same key with the same
 * body gets the first answer again, without doing the work twice; the same key
 * with another body is refused; a second request while the first still runs
 * waits for its answer, then gives up with `request_in_progress`.
 *
 * A record is claimed (IN_PROGRESS, with a lease) before the work starts and
 * holds the answer once it is done (COMPLETED), for 24 hours. A refused
 * request (the work threw) releases its record: it changed nothing, so the same
 * key may be tried again. A run that stopped without an answer (its lease ran
 * out: the process died) is not simply run again: the work's `recover` looks
 * at what the run left behind and says whether running again is safe. For a
 * refund it never is once SEQR may have been asked (src/core/refunds/refunds.ts).
 *
 * Only a hash of the key is stored; the answer is stored sealed (AES-256-GCM)
 * under a key derived from the Idempotency-Key itself, so the table alone does
 * not reveal what the answer held (a new invoice's subscribeToken).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { IdempotencyError, InvalidRequestError } from '../errors.js';
import type { Clock } from '../ports.js';
import type { Logger } from '../../log.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/** Visible ASCII, 1 to 255 characters (a UUID is the usual choice). */
const KEY_SHAPE = /^[\x21-\x7E]{1,255}$/;

export interface IdempotencyRecord {
  /** SHA-256 of the scope and the key: the key itself is never stored. */
  recordId: string;
  /** SHA-256 of the request body in canonical form. */
  fingerprint: string;
  state: 'IN_PROGRESS' | 'COMPLETED';
  /** Epoch ms until which the run that claimed the record is presumed alive. */
  leaseUntil: number;
  /** The run asked someone (SEQR) and got no answer: what happened is unknown. */
  outcomeUnknown?: boolean;
  /** What the run noted before it started (a refund's id), so a later request can find its trail. */
  note?: Record<string, string>;
  /** The answer, sealed; present once COMPLETED. */
  result?: string;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch seconds (DynamoDB TTL); past it the record counts as gone. */
  expiresAt: number;
}

/** Where idempotency records live (DynamoDB: src/adapters/dynamodb/idempotency.ts). Every write is conditional. */
export interface IdempotencyStore {
  /** The record as last written; an expired one is absent. */
  get(recordId: string, now: number): Promise<IdempotencyRecord | undefined>;
  /** Creates the record unless a live one exists; true when this call created it. */
  claim(record: IdempotencyRecord, now: number): Promise<boolean>;
  /** Gives an IN_PROGRESS record whose lease was `seenLeaseUntil` to a new run; true for exactly one caller. */
  takeOver(recordId: string, seenLeaseUntil: number, leaseUntil: number, note: Record<string, string> | undefined): Promise<boolean>;
  /** Stores the answer: the record is COMPLETED. */
  complete(recordId: string, result: string): Promise<void>;
  /** Marks the record: its run's outcome is unknown (kept, so nothing is done again blindly). */
  markUnknown(recordId: string): Promise<void>;
  /** Deletes an IN_PROGRESS record: its run was refused and changed nothing. */
  release(recordId: string): Promise<void>;
}

export interface IdempotencySettings {
  /** How long a run holds its claim: longer than the function may run. */
  leaseMs: number;
  /** How long a second request waits for the first one's answer. */
  waitMs: number;
  /** How often it looks while it waits. */
  pollMs: number;
}

export const DEFAULT_IDEMPOTENCY_SETTINGS: IdempotencySettings = { leaseMs: 30_000, waitMs: 5_000, pollMs: 100 };

export interface IdempotencyDeps {
  idempotency: IdempotencyStore;
  clock: Clock;
  log: Logger;
  idempotencySettings?: Partial<IdempotencySettings>;
}

export interface IdempotentRequest {
  /** What the key is for, e.g. `POST /invoices` or `POST /invoices/123/refunds`: keys of other scopes never meet. */
  scope: string;
  key: string;
  /** The request body as parsed: the same body in another key order or spacing is the same request. */
  body: unknown;
}

/** What to make of a record whose run ended without an answer. */
export type Recovery<T> = { runAgain: true; note?: Record<string, string> } | { result: T };

export interface IdempotentWork<T> {
  /** Checks made before a new key is claimed, so that a refused request writes nothing. Not made for a replay. */
  before?: () => Promise<void>;
  /** Noted on the record before `run` starts (new ids), and handed to `run`. */
  note?: () => Record<string, string>;
  run(note: Record<string, string> | undefined): Promise<T>;
  /**
   * A record whose run stopped without an answer (lease over, or the outcome
   * unknown): return the answer found elsewhere, say it is safe to run again,
   * or throw. Without it, the work is run again.
   */
  recover?(record: IdempotencyRecord): Promise<Recovery<T>>;
  /** Errors after which the record is kept (outcome unknown) rather than released. */
  keepRecordOn?(error: unknown): boolean;
}

export interface IdempotentOutcome<T> {
  result: T;
  /** The answer is the first request's, given again. */
  replayed: boolean;
}

/** The header's value, checked; undefined when absent and not required. */
export function idempotencyKeyOf(value: string | undefined, required: boolean): string | undefined {
  if (value === undefined || value === '') {
    if (required) throw new InvalidRequestError('missing_field', `The ${IDEMPOTENCY_HEADER} header is required: send a unique value (a UUID) per refund, and the same value when you retry it.`, IDEMPOTENCY_HEADER);
    return undefined;
  }
  if (!KEY_SHAPE.test(value)) {
    throw new InvalidRequestError('invalid_field', `${IDEMPOTENCY_HEADER} must be 1 to 255 visible ASCII characters.`, IDEMPOTENCY_HEADER);
  }
  return value;
}

/** JSON with object keys sorted at every depth: one text per request, however it was spelled. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function recordIdOf(scope: string, key: string): string {
  return sha256(`${scope}\n${key}`);
}

export function fingerprintOf(body: unknown): string {
  return sha256(canonicalJson(body));
}

function sealingKey(request: Pick<IdempotentRequest, 'scope' | 'key'>): Buffer {
  return Buffer.from(hkdfSync('sha256', request.key, request.scope, 'seqr-webshop idempotent answer', 32));
}

/** The answer, encrypted and authenticated under a key only the Idempotency-Key's holder can derive. */
export function sealResult(request: Pick<IdempotentRequest, 'scope' | 'key'>, result: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(request), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(result), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

export function unsealResult<T>(request: Pick<IdempotentRequest, 'scope' | 'key'>, sealed: string): T {
  const raw = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(request), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as T;
}

/** Runs `work` once per key and body; see the module comment for the rules. */
export async function idempotent<T>(deps: IdempotencyDeps, request: IdempotentRequest, work: IdempotentWork<T>): Promise<IdempotentOutcome<T>> {
  const settings = { ...DEFAULT_IDEMPOTENCY_SETTINGS, ...deps.idempotencySettings };
  const store = deps.idempotency;
  const recordId = recordIdOf(request.scope, request.key);
  const fingerprint = fingerprintOf(request.body);
  const log = deps.log.with({ idempotencyRecord: recordId.slice(0, 12) });

  const execute = async (note: Record<string, string> | undefined): Promise<IdempotentOutcome<T>> => {
    let result: T;
    try {
      result = await work.run(note);
    } catch (error) {
      if (work.keepRecordOn?.(error)) {
        await store.markUnknown(recordId).catch((e: unknown) => log.error('could not mark the idempotency record unknown', { error: e }));
      } else {
        await store.release(recordId).catch((e: unknown) => log.warn('could not release the idempotency record', { error: e }));
      }
      throw error;
    }
    await completeRecord(result);
    return { result, replayed: false };
  };

  const completeRecord = async (result: T) => {
    const sealed = sealResult(request, result);
    for (let attempt = 1; ; attempt++) {
      try {
        await store.complete(recordId, sealed);
        return;
      } catch (error) {
        // The work is done; a lost answer only means a retry recovers it the slow way.
        if (attempt >= 3) return log.error('could not store the idempotent answer', { error });
        await deps.clock.sleep(100 * attempt);
      }
    }
  };

  const waitUntil = deps.clock.now() + settings.waitMs;
  for (let round = 0; round < 50; round++) {
    const now = deps.clock.now();
    const existing = await store.get(recordId, now);
    if (!existing) {
      await work.before?.();
      const note = work.note?.();
      const claimed = await store.claim(
        {
          recordId,
          fingerprint,
          state: 'IN_PROGRESS',
          leaseUntil: now + settings.leaseMs,
          ...(note ? { note } : {}),
          createdAt: now,
          expiresAt: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
        },
        now,
      );
      if (claimed) return execute(note);
      continue; // Another request claimed it a moment ago: read what it holds.
    }
    if (existing.fingerprint !== fingerprint) {
      throw new IdempotencyError('idempotency_key_reused', `This ${IDEMPOTENCY_HEADER} was used for another request; use a new key for a new request.`);
    }
    if (existing.state === 'COMPLETED' && existing.result !== undefined) {
      log.info('idempotent request replayed');
      return { result: unsealResult<T>(request, existing.result), replayed: true };
    }
    if (!existing.outcomeUnknown && existing.leaseUntil > now) {
      if (now >= waitUntil) {
        throw new IdempotencyError('request_in_progress', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly for its answer.`);
      }
      await deps.clock.sleep(settings.pollMs);
      continue;
    }
    // Its run stopped without an answer (or SEQR never answered it).
    const recovery: Recovery<T> = work.recover ? await work.recover(existing) : { runAgain: true };
    if ('result' in recovery) {
      log.warn('idempotent answer recovered from what the run left behind');
      await completeRecord(recovery.result);
      return { result: recovery.result, replayed: true };
    }
    const note = recovery.note ?? existing.note;
    if (await store.takeOver(recordId, existing.leaseUntil, now + settings.leaseMs, note)) {
      log.warn('taking over an idempotent request whose run stopped', { leaseUntil: existing.leaseUntil });
      return execute(note);
    }
  }
  throw new IdempotencyError('request_in_progress', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly for its answer.`);
}
