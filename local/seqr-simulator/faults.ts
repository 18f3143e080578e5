/**
 * Fault rules set through the control API. Each rule applies to the next
 * `count` matching calls (SOAP calls, or payments for `notification` rules).
 * Per call, every matching latency rule adds its delay, and the first matching
 * rule of the other kinds decides the answer; only rules that acted are used up.
 */
import { resultCodeName } from '../../src/contract/index.js';

export type FaultSpec =
  | { kind: 'latency'; ms: number }
  | { kind: 'soapFault'; faultString?: string }
  | { kind: 'httpError'; status: number; body?: string }
  | { kind: 'resultCode'; code: number }
  | { kind: 'dropConnection' }
  | { kind: 'notification'; mode: 'drop' | 'duplicate'; copies: number };

export type FaultRule = FaultSpec & { id: number; operation?: string; remaining: number };

export type AnswerFault = Extract<FaultSpec, { kind: 'soapFault' | 'httpError' | 'resultCode' | 'dropConnection' }>;

export interface CallFaults {
  delayMs: number;
  answer?: AnswerFault;
}

export class FaultInputError extends Error {}

function positiveInteger(value: unknown, name: string, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new FaultInputError(`${name} must be a positive integer`);
  }
  return value;
}

/** Checks a control-API body; throws FaultInputError with a reason a tester can act on. */
export function parseFaultSpec(input: unknown): { spec: FaultSpec; operation?: string; count: number } {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new FaultInputError('body must be a JSON object');
  const body = input as Record<string, unknown>;
  const operation = body.operation;
  if (operation !== undefined && (typeof operation !== 'string' || operation === '')) {
    throw new FaultInputError('operation must be a non-empty string');
  }
  const count = positiveInteger(body.count, 'count', 1);
  let spec: FaultSpec;
  switch (body.kind) {
    case 'latency': {
      if (typeof body.ms !== 'number' || !Number.isFinite(body.ms) || body.ms < 0) throw new FaultInputError('ms must be a non-negative number');
      spec = { kind: 'latency', ms: body.ms };
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
      if (body.mode !== 'drop' && body.mode !== 'duplicate') throw new FaultInputError('mode must be drop or duplicate');
      spec = { kind: 'notification', mode: body.mode, copies: body.mode === 'drop' ? 0 : positiveInteger(body.copies, 'copies', 2) };
      break;
    }
    default:
      throw new FaultInputError('kind must be latency, soapFault, httpError, resultCode, dropConnection or notification');
  }
  return { spec, operation: operation as string | undefined, count };
}

export class FaultRules {
  private rules: FaultRule[] = [];
  private nextId = 1;

  add(input: unknown): FaultRule {
    const { spec, operation, count } = parseFaultSpec(input);
    const rule: FaultRule = { ...spec, id: this.nextId++, operation, remaining: count };
    this.rules.push(rule);
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((rule) => ({ ...rule }));
  }

  clear(): number {
    const count = this.rules.length;
    this.rules = [];
    return count;
  }

  /** The faults for one incoming SOAP call, using up the rules that act on it. */
  forCall(operation: string | undefined): CallFaults {
    const result: CallFaults = { delayMs: 0 };
    for (const rule of this.rules) {
      if (rule.kind === 'notification') continue;
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.kind === 'latency') {
        result.delayMs += rule.ms;
        rule.remaining -= 1;
      } else if (!result.answer) {
        result.answer = stripRule(rule);
        rule.remaining -= 1;
      }
    }
    this.prune();
    return result;
  }

  /** How many notification POSTs the next payment gets: 1 unless a rule says otherwise. */
  notificationCopies(): number {
    const rule = this.rules.find((r) => r.kind === 'notification');
    if (!rule || rule.kind !== 'notification') return 1;
    rule.remaining -= 1;
    this.prune();
    return rule.copies;
  }

  private prune(): void {
    this.rules = this.rules.filter((rule) => rule.remaining > 0);
  }
}

function stripRule(rule: FaultRule): AnswerFault {
  switch (rule.kind) {
    case 'soapFault':
      return { kind: 'soapFault', faultString: rule.faultString };
    case 'httpError':
      return { kind: 'httpError', status: rule.status, body: rule.body };
    case 'resultCode':
      return { kind: 'resultCode', code: rule.code };
    default:
      return { kind: 'dropConnection' };
  }
}

export function describeFault(fault: AnswerFault): string {
  return fault.kind === 'resultCode' ? `resultCode ${fault.code} ${resultCodeName(fault.code)}` : fault.kind;
}
