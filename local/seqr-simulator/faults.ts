/**
 * Fault rules set through the control API. A rule matches SOAP calls (of one
 * `operation`, or any) or, for `notification` rules, payments that notify.
 * Of the calls it matches, a rule acts on every one, or on every `every`-th, or
 * on each with `probability` (drawn from a generator seeded by `seed`, so a run
 * repeats), until it has acted `count` times (default 1; `"unlimited"` never
 * runs out). With `perInvoice` the counting is per invoice reference: `count: 3`
 * then means each invoice's first three matching calls ("N consecutive faults"
 * for every payment). Per call, every acting latency rule adds its delay, and
 * the first acting rule of the other kinds decides the answer; only rules that
 * acted are used up.
 */
import { resultCodeName } from '../../src/contract/index.js';
import { seededRandom } from '../seeded-random.js';

export type FaultSpec =
  /** Delays the answer by `ms`, or by a uniformly drawn time in [ms, maxMs]. */
  | { kind: 'latency'; ms: number; maxMs?: number }
  | { kind: 'soapFault'; faultString?: string }
  | { kind: 'httpError'; status: number; body?: string }
  | { kind: 'resultCode'; code: number }
  | { kind: 'dropConnection' }
  /**
   * drop: no POST; duplicate: `copies` POSTs sent concurrently; late: one POST.
   * With `delayMs` (and `maxDelayMs`) each POST waits that long (a time drawn
   * in [delayMs, maxDelayMs] for each copy) before it is sent.
   */
  | { kind: 'notification'; mode: 'drop' | 'duplicate' | 'late'; copies: number; delayMs?: number; maxDelayMs?: number };

/** How a rule picks the calls it acts on. */
export interface FaultSelection {
  operation?: string;
  /** Acts on every n-th matching call (the n-th, 2n-th, …). */
  every?: number;
  /** Acts on a matching call with this probability (0 < p ≤ 1). */
  probability?: number;
  /** Seed of the rule's generator (probability and latency ranges); 1 when not given. */
  seed?: number;
  /** Counts (`count`, `every`) per invoice reference rather than over all calls. */
  perInvoice?: boolean;
}

/** `remaining` is null for an unlimited rule; with perInvoice it is the count each new invoice starts with. */
export type FaultRule = FaultSpec & FaultSelection & { id: number; remaining: number | null; acted: number };

export type AnswerFault = Extract<FaultSpec, { kind: 'soapFault' | 'httpError' | 'resultCode' | 'dropConnection' }>;

export interface CallFaults {
  delayMs: number;
  answer?: AnswerFault;
}

/** What a payment's notification gets: how many POSTs, each after its delay. */
export interface NotificationPlan {
  delaysMs: number[];
}

export class FaultInputError extends Error {}

function positiveInteger(value: unknown, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new FaultInputError(`${name} must be a positive integer`);
  }
  return value;
}

function nonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new FaultInputError(`${name} must be a non-negative number`);
  return value;
}

/** An upper bound of a range, at least its lower bound. */
function rangeEnd(value: unknown, from: number, name: string, fromName: string): number | undefined {
  if (value === undefined) return undefined;
  const end = nonNegative(value, name);
  if (end < from) throw new FaultInputError(`${name} must be at least ${fromName}`);
  return end;
}

/** Checks a control-API body; throws FaultInputError with a reason a tester can act on. */
export function parseFaultSpec(input: unknown): { spec: FaultSpec; selection: FaultSelection; count: number } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new FaultInputError('body must be a JSON object');
  const body = input as Record<string, unknown>;
  const operation = body.operation;
  if (operation !== undefined && (typeof operation !== 'string' || operation === '')) {
    throw new FaultInputError('operation must be a non-empty string');
  }
  const count = body.count === 'unlimited' ? Infinity : positiveInteger(body.count, 'count (a positive integer or "unlimited")', 1);
  const selection: FaultSelection = {};
  if (operation !== undefined) selection.operation = operation as string;
  if (body.every !== undefined) selection.every = positiveInteger(body.every, 'every');
  if (body.probability !== undefined) {
    const p = body.probability;
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) throw new FaultInputError('probability must be a number in (0, 1]');
    selection.probability = p;
  }
  if (body.seed !== undefined) {
    if (typeof body.seed !== 'number' || !Number.isInteger(body.seed)) throw new FaultInputError('seed must be an integer');
    selection.seed = body.seed;
  }
  if (body.perInvoice !== undefined) {
    if (typeof body.perInvoice !== 'boolean') throw new FaultInputError('perInvoice must be true or false');
    if (body.perInvoice) selection.perInvoice = true;
  }
  let spec: FaultSpec;
  switch (body.kind) {
    case 'latency': {
      const ms = nonNegative(body.ms, 'ms');
      const maxMs = rangeEnd(body.maxMs, ms, 'maxMs', 'ms');
      spec = { kind: 'latency', ms, ...(maxMs !== undefined ? { maxMs } : {}) };
      break;
    }
    case 'soapFault':
      if (body.faultString !== undefined && typeof body.faultString !== 'string') throw new FaultInputError('faultString must be a string');
      spec = { kind: 'soapFault', faultString: body.faultString as string | undefined };
      break;
    case 'httpError': {
      const status = body.status ?? 503;
      if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
        throw new FaultInputError('status must be an HTTP error status (400–599)');
      }
      if (body.body !== undefined && typeof body.body !== 'string') throw new FaultInputError('body must be a string');
      spec = { kind: 'httpError', status, body: body.body as string | undefined };
      break;
    }
    case 'resultCode': {
      if (typeof body.code !== 'number' || !Number.isInteger(body.code) || body.code === 0) {
        throw new FaultInputError('code must be a non-zero integer result code');
      }
      spec = { kind: 'resultCode', code: body.code };
      break;
    }
    case 'dropConnection':
      spec = { kind: 'dropConnection' };
      break;
    case 'notification': {
      if (body.mode !== 'drop' && body.mode !== 'duplicate' && body.mode !== 'late') throw new FaultInputError('mode must be drop, duplicate or late');
      const copies = body.mode === 'drop' ? 0 : body.mode === 'late' ? 1 : positiveInteger(body.copies, 'copies', 2);
      if (body.mode === 'late' && body.delayMs === undefined) throw new FaultInputError('a late notification needs delayMs');
      const delayMs = body.delayMs === undefined ? undefined : nonNegative(body.delayMs, 'delayMs');
      const maxDelayMs = rangeEnd(body.maxDelayMs, delayMs ?? 0, 'maxDelayMs', 'delayMs');
      spec = { kind: 'notification', mode: body.mode, copies, ...(delayMs !== undefined ? { delayMs } : {}), ...(maxDelayMs !== undefined ? { maxDelayMs } : {}) };
      break;
    }
    default:
      throw new FaultInputError('kind must be latency, soapFault, httpError, resultCode, dropConnection or notification');
  }
  return { spec, selection, count };
}


interface LiveRule {
  spec: FaultSpec;
  selection: FaultSelection;
  id: number;
  count: number;
  random: () => number;
  /** Matching calls seen and acts left: overall, or per invoice reference (key ''). */
  seen: Map<string, number>;
  left: Map<string, number>;
  acted: number;
}

export class FaultRules {
  private rules: LiveRule[] = [];
  private nextId = 1;

  add(input: unknown): FaultRule {
    const { spec, selection, count } = parseFaultSpec(input);
    const rule: LiveRule = { spec, selection, id: this.nextId++, count, random: seededRandom(selection.seed ?? 1), seen: new Map(), left: new Map(), acted: 0 };
    this.rules.push(rule);
    return view(rule);
  }

  list(): FaultRule[] {
    return this.rules.map(view);
  }

  clear(): number {
    const count = this.rules.length;
    this.rules = [];
    return count;
  }

  /** The faults for one incoming SOAP call, using up the rules that act on it. */
  forCall(operation: string | undefined, invoiceReference?: string): CallFaults {
    const result: CallFaults = { delayMs: 0 };
    for (const rule of this.rules) {
      const spec = rule.spec;
      if (spec.kind === 'notification') continue;
      if (rule.selection.operation !== undefined && rule.selection.operation !== operation) continue;
      // A latency rule always acts when it is drawn; an answer rule only when no earlier one decided the answer.
      if (spec.kind !== 'latency' && result.answer) continue;
      if (!this.draw(rule, invoiceReference)) continue;
      if (spec.kind === 'latency') result.delayMs += spec.maxMs === undefined ? spec.ms : spec.ms + rule.random() * (spec.maxMs - spec.ms);
      else result.answer = stripRule(spec);
    }
    this.prune();
    return result;
  }

  /** What the next payment's notification gets: one POST at once unless a rule says otherwise. */
  notificationPlan(invoiceReference?: string): NotificationPlan {
    for (const rule of this.rules) {
      const spec = rule.spec;
      if (spec.kind !== 'notification') continue;
      if (!this.draw(rule, invoiceReference)) continue;
      this.prune();
      const from = spec.delayMs ?? 0;
      const to = spec.maxDelayMs ?? from;
      return { delaysMs: Array.from({ length: spec.copies }, () => from + rule.random() * (to - from)) };
    }
    return { delaysMs: [0] };
  }

  /** How many notification POSTs the next payment gets (the plan without its delays). */
  notificationCopies(invoiceReference?: string): number {
    return this.notificationPlan(invoiceReference).delaysMs.length;
  }

  /** Whether the rule acts on this matching call; counts it, and uses the rule up when it acts. */
  private draw(rule: LiveRule, invoiceReference: string | undefined): boolean {
    const key = rule.selection.perInvoice ? (invoiceReference ?? '') : '';
    const left = rule.left.get(key) ?? rule.count;
    if (left <= 0) return false;
    const seen = (rule.seen.get(key) ?? 0) + 1;
    rule.seen.set(key, seen);
    if (rule.selection.every !== undefined && seen % rule.selection.every !== 0) return false;
    if (rule.selection.probability !== undefined && rule.random() >= rule.selection.probability) return false;
    rule.left.set(key, left - 1);
    rule.acted += 1;
    return true;
  }

  /** A rule counted over all calls goes once it has acted `count` times; a per-invoice one stays until cleared. */
  private prune(): void {
    this.rules = this.rules.filter((rule) => rule.selection.perInvoice || (rule.left.get('') ?? rule.count) > 0);
  }
}

function view(rule: LiveRule): FaultRule {
  const left = rule.selection.perInvoice ? rule.count : (rule.left.get('') ?? rule.count);
  return { ...rule.spec, ...rule.selection, id: rule.id, remaining: Number.isFinite(left) ? left : null, acted: rule.acted };
}

function stripRule(spec: FaultSpec): AnswerFault {
  switch (spec.kind) {
    case 'soapFault':
      return { kind: 'soapFault', faultString: spec.faultString };
    case 'httpError':
      return { kind: 'httpError', status: spec.status, body: spec.body };
    case 'resultCode':
      return { kind: 'resultCode', code: spec.code };
    default:
      return { kind: 'dropConnection' };
  }
}

export function describeFault(fault: AnswerFault): string {
  return fault.kind === 'resultCode' ? `resultCode ${fault.code} ${resultCodeName(fault.code)}` : fault.kind;
}
