/**
 * The shopper's side and the test hooks, as JSON over HTTP on the simulator's
 * own port (routes under /simulator/). Unknown invoices are 404, transitions
 * the invoice's state does not allow are 409, bad input is 400.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_REQUEST_BYTES, readBoundedBody } from './body.js';
import type { CallLog } from './call-log.js';
import { FaultInputError, type FaultRules } from './faults.js';
import type { Log } from './log.js';
import { invoiceView, REFUND_POLICIES, TransitionRefused, type InvoiceRecord, type RefundPolicy, type SimulatorState } from './state.js';

export interface ControlDeps {
  state: SimulatorState;
  calls: CallLog;
  faults: FaultRules;
  log: Log;
  /** The webshop terminals, for /simulator/terminals/{id}. */
  terminalIds: readonly string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const read = await readBoundedBody(req);
  if (!read.ok) throw new HttpError(413, `body larger than ${MAX_REQUEST_BYTES} bytes`);
  const raw = read.body.toString('utf8').trim();
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
}

function found(invoice: InvoiceRecord | undefined, invoiceReference: string): InvoiceRecord {
  if (!invoice) throw new HttpError(404, 'unknown invoice', { invoiceReference });
  return invoice;
}

function methodNotAllowed(allowed: string): never {
  throw new HttpError(405, `method not allowed; use ${allowed}`);
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, deps: ControlDeps): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  try {
    if (path === '/simulator/health') {
      return send(res, 200, { ok: true });
    }

    if (path === '/simulator/invoices') {
      if (method !== 'GET') methodNotAllowed('GET');
      return send(res, 200, { invoices: deps.state.all().map(invoiceView) });
    }

    const invoiceRoute = /^\/simulator\/invoices\/([^/]+)(?:\/(scan|pay|cancel|fail|expire))?$/.exec(path);
    if (invoiceRoute) {
      let invoiceReference: string;
      try {
        invoiceReference = decodeURIComponent(invoiceRoute[1]!);
      } catch {
        throw new HttpError(400, 'malformed percent-escape in the invoice reference');
      }
      const action = invoiceRoute[2];
      if (!action) {
        if (method !== 'GET') methodNotAllowed('GET');
        return send(res, 200, invoiceView(found(deps.state.find(invoiceReference), invoiceReference)));
      }
      if (method !== 'POST') methodNotAllowed('POST');
      const body = (await readJson(req)) as { payerTerminalId?: unknown } | undefined;
      try {
        switch (action) {
          case 'scan':
            return send(res, 200, invoiceView(found(deps.state.scan(invoiceReference), invoiceReference)));
          case 'cancel':
            return send(res, 200, invoiceView(found(deps.state.userCancel(invoiceReference), invoiceReference)));
          case 'fail':
            return send(res, 200, invoiceView(found(deps.state.fail(invoiceReference), invoiceReference)));
          case 'expire':
            return send(res, 200, invoiceView(found(deps.state.expire(invoiceReference), invoiceReference)));
          default: {
            const payer = typeof body?.payerTerminalId === 'string' ? body.payerTerminalId : undefined;
            const paid = deps.state.pay(invoiceReference, payer);
            const invoice = found(paid?.invoice, invoiceReference);
            // By default the answer waits for the notification POSTs, so a test can assert on them at once.
            if (url.searchParams.get('wait') !== 'false') await paid!.delivered;
            return send(res, 200, invoiceView(invoice));
          }
        }
      } catch (error) {
        if (error instanceof TransitionRefused) {
          throw new HttpError(409, error.message, { invoiceReference, status: error.invoice.status });
        }
        throw error;
      }
    }

    const terminalRoute = /^\/simulator\/terminals\/([^/]+)$/.exec(path);
    if (terminalRoute) {
      const terminalId = decodeURIComponent(terminalRoute[1]!);
      if (!deps.terminalIds.includes(terminalId)) throw new HttpError(404, 'unknown terminal', { terminalId });
      if (method === 'POST') {
        const body = (await readJson(req)) as { refunds?: unknown } | undefined;
        if (!REFUND_POLICIES.includes(body?.refunds as RefundPolicy)) throw new HttpError(400, `refunds must be one of ${REFUND_POLICIES.join(', ')}`);
        deps.state.setRefundPolicy(terminalId, body!.refunds as RefundPolicy);
        deps.log('info', 'terminal refund policy set', { terminalId, refunds: body!.refunds });
      } else if (method !== 'GET') {
        methodNotAllowed('GET or POST');
      }
      return send(res, 200, { terminalId, refunds: deps.state.refundPolicy(terminalId) });
    }

    if (path === '/simulator/calls') {
      if (method === 'GET') {
        const filter = {
          operation: url.searchParams.get('operation') ?? undefined,
          invoiceReference: url.searchParams.get('invoiceReference') ?? undefined,
        };
        return send(res, 200, { calls: deps.calls.list(filter) });
      }
      if (method === 'DELETE') return send(res, 200, { cleared: deps.calls.clear() });
      methodNotAllowed('GET or DELETE');
    }

    if (path === '/simulator/faults') {
      if (method === 'GET') return send(res, 200, { faults: deps.faults.list() });
      if (method === 'DELETE') return send(res, 200, { cleared: deps.faults.clear() });
      if (method === 'POST') {
        try {
          const fault = deps.faults.add(await readJson(req));
          deps.log('info', 'fault added', { fault });
          return send(res, 201, { fault });
        } catch (error) {
          if (error instanceof FaultInputError) throw new HttpError(400, error.message);
          throw error;
        }
      }
      methodNotAllowed('GET, POST or DELETE');
    }

    throw new HttpError(404, 'no such simulator route');
  } catch (error) {
    if (error instanceof HttpError) return send(res, error.status, { error: error.message, ...error.extra });
    deps.log('error', 'control API failure', { path, error });
    return send(res, 500, { error: 'internal simulator error' });
  }
}
