/**
 * The SOAP operations, as node-soap service methods. Every call goes the same
 * way: an injected fault for this request, if any, answers first; then the
 * `context` check; then the operation. Each answer lands in the call log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IServices } from 'soap';
import { authenticate, type PrincipalType } from './auth.js';
import type { CallLog, CallRecord } from './call-log.js';
import { describeFault, type CallFaults } from './faults.js';
import { validateInvoice, validateRefund } from './invoice-validation.js';
import type { Log } from './log.js';
import type { ResolvedOptions } from './options.js';
import { executeReport } from './reports.js';
import { erswsReturn, failureReturn, paymentStatusReturn, reportFields } from './responses.js';
import { parameterMap, record, text } from './soap-values.js';
import type { SimulatorState } from './state.js';

export const SERVICE_NAME = 'ERSWSExternalClientServiceService';
export const PORT_NAME = 'ERSWSExternalClientServicePort';

export interface ServiceDeps {
  state: SimulatorState;
  options: ResolvedOptions;
  calls: CallLog;
  log: Log;
  /** Faults the HTTP front end drew for this request. */
  faultsFor(req: IncomingMessage | undefined): CallFaults | undefined;
  /** When the HTTP front end received this request (CallRecord.receivedAtMs). */
  receivedAt?(req: IncomingMessage | undefined): number | undefined;
}

type Args = Record<string, unknown>;

interface Outcome {
  body: { return: Record<string, unknown> };
  resultCode: number;
  invoiceReference?: string;
  ersReference?: string;
}

interface Caller {
  terminalId?: string;
  resellerId?: string;
}

type Handler = (args: Args, caller: Caller) => Outcome;

/** Which principal each operation takes (FACTS.md §2); null = no context at all. */
const PRINCIPALS: Record<string, PrincipalType | null> = {
  sendInvoice: 'TERMINALID',
  getPaymentStatus: 'TERMINALID',
  updateInvoice: 'TERMINALID',
  cancelInvoice: 'TERMINALID',
  commitReservation: 'TERMINALID',
  submitPaymentReceipt: 'TERMINALID',
  refundPayment: 'TERMINALID',
  markTransactionPeriod: 'RESELLERUSER',
  executeReport: 'RESELLERUSER',
  registerTerminal: 'RESELLERUSER',
  unregisterTerminal: 'TERMINALID',
  assignSeqrId: 'TERMINALID',
  requestTopup: 'TERMINALID',
  requestTransfer: 'TERMINALID',
  requestPurchase: 'TERMINALID',
  requestPrincipalInformation: 'TERMINALID',
  changePrincipalPassword: 'TERMINALID',
  confirmCustomerRegistration: 'TERMINALID',
  benchmarkingNop: null,
};

export const OPERATIONS: ReadonlySet<string> = new Set(Object.keys(PRINCIPALS));

function simple(resultCode: number, refs: { invoiceReference?: string; ersReference?: string } = {}): Outcome {
  return { body: erswsReturn(resultCode), resultCode, ...refs };
}

function handlers(deps: ServiceDeps): Record<string, Handler> {
  const { state, options } = deps;
  const terminalName = (terminalId: string | undefined) => options.terminals.find((t) => t.terminalId === terminalId)?.name ?? '';
  const unsupported: Handler = () => simple(91);

  return {
    sendInvoice(args, caller) {
      const validation = validateInvoice(args.invoice);
      if (!validation.ok) {
        deps.log('info', 'invoice rejected', { terminalId: caller.terminalId, resultCode: validation.code, reason: validation.reason });
        return simple(validation.code);
      }
      const invoice = state.create(caller.terminalId!, validation.value);
      return {
        body: erswsReturn(0, { invoiceQRCode: `HTTP://SEQR.SE/R${invoice.invoiceReference}`, invoiceReference: invoice.invoiceReference }),
        resultCode: 0,
        invoiceReference: invoice.invoiceReference,
      };
    },

    getPaymentStatus(args, caller) {
      const invoiceReference = text(args.invoiceReference);
      const { code, invoice } = state.statusFor(invoiceReference, caller.terminalId!);
      return {
        body: paymentStatusReturn(code, invoice, terminalName(caller.terminalId)),
        resultCode: code,
        invoiceReference,
        ersReference: invoice?.status === 'PAID' ? invoice.payment?.ersReference : undefined,
      };
    },

    updateInvoice(args, caller) {
      const invoiceReference = text(args.invoiceReference);
      const code = state.update(invoiceReference, caller.terminalId!, () => {
        const validation = validateInvoice(args.invoice);
        return validation.ok ? { code: 0, valid: validation.value } : { code: validation.code };
      });
      return simple(code, { invoiceReference });
    },

    cancelInvoice(args, caller) {
      const invoiceReference = text(args.invoiceReference);
      return simple(state.cancelByMerchant(invoiceReference, caller.terminalId!), { invoiceReference });
    },

    commitReservation(args, caller) {
      const invoiceReference = text(args.invoiceReference);
      return simple(state.commitReservation(invoiceReference, caller.terminalId!), { invoiceReference });
    },

    refundPayment(args, caller) {
      const ersReference = text(args.ersReference);
      const result = state.refund(ersReference, caller.terminalId!, (currency) => {
        const validation = validateRefund(args.invoice, currency);
        return validation.ok ? { code: 0, valid: validation.value } : { code: validation.code };
      });
      return {
        body: erswsReturn(result.code, {}, result.ersReference),
        resultCode: result.code,
        ersReference,
        invoiceReference: state.findByErsReference(ersReference)?.invoiceReference,
      };
    },

    submitPaymentReceipt(args, caller) {
      const ersReference = text(args.ersReference);
      const { code, invoice } = state.submitReceipt(ersReference, caller.terminalId!);
      return simple(code, { ersReference, invoiceReference: invoice?.invoiceReference });
    },

    markTransactionPeriod(args) {
      const terminalId = parameterMap(args.parameters).get('TERMINALID') || undefined;
      if (terminalId !== undefined && !options.terminals.some((t) => t.terminalId === terminalId)) return simple(10);
      const period = state.markPeriod(terminalId);
      deps.log('info', 'transaction period marked', {
        transactionPeriodId: period.transactionPeriodId,
        terminalId,
        sales: period.invoiceReferences.length,
      });
      return { body: erswsReturn(0, { transactionPeriodId: period.transactionPeriodId }), resultCode: 0 };
    },

    executeReport(args) {
      const { code, report } = executeReport(
        state,
        { resellerId: options.reseller.resellerId, reportNotReadyMs: options.reportNotReadyMs },
        text(args.reportId),
        parameterMap(args.parameters),
      );
      return { body: erswsReturn(code, { report: report && reportFields(report) }), resultCode: code };
    },

    benchmarkingNop: () => simple(0),
    registerTerminal: unsupported,
    unregisterTerminal: unsupported,
    assignSeqrId: unsupported,
    requestTopup: unsupported,
    requestTransfer: unsupported,
    requestPurchase: unsupported,
    requestPrincipalInformation: unsupported,
    changePrincipalPassword: unsupported,
    confirmCustomerRegistration: unsupported,
  };
}

/** The node-soap `services` object for soap.listen. */
export function createSoapServices(deps: ServiceDeps): IServices {
  const byName = handlers(deps);
  const methods: Record<string, (args: Args, callback: unknown, headers: unknown, req?: IncomingMessage, res?: ServerResponse) => Promise<unknown>> = {};

  for (const [operation, handler] of Object.entries(byName)) {
    methods[operation] = async (rawArgs, _callback, _headers, req, res) => {
      const args = record(rawArgs) ?? {};
      // CXF answers text/xml whatever the request said; node-soap would echo the request's type.
      res?.setHeader('Content-Type', 'text/xml;charset=UTF-8');
      const started = Date.now();
      const entry = (fields: Partial<CallRecord> & { resultCode: number | null }): void => {
        const receivedAtMs = deps.receivedAt?.(req);
        const call = { operation, ...fields, ...(receivedAtMs === undefined ? {} : { receivedAtMs }) };
        deps.calls.add(call);
        deps.log('info', 'soap call', { ...call, ms: Date.now() - started });
      };
      const invoiceReference = text(args.invoiceReference);

      const answer = deps.faultsFor(req)?.answer;
      if (answer?.kind === 'soapFault') {
        entry({ invoiceReference, resultCode: null, fault: describeFault(answer) });
        throw { Fault: { faultcode: 'soap:Server', faultstring: answer.faultString ?? 'Simulated SEQR server fault', statusCode: 500 } };
      }
      if (answer?.kind === 'resultCode') {
        entry({ invoiceReference, resultCode: answer.code, fault: describeFault(answer) });
        return failureReturn(operation, answer.code);
      }

      const principal = PRINCIPALS[operation] ?? null;
      let caller: Caller = {};
      if (principal) {
        const auth = authenticate(args.context, principal, deps.options);
        if (auth.code !== 0) {
          entry({ invoiceReference, resultCode: auth.code });
          return failureReturn(operation, auth.code);
        }
        caller = auth;
      }
      const outcome = handler(args, caller);
      entry({
        invoiceReference: outcome.invoiceReference ?? invoiceReference,
        ersReference: outcome.ersReference,
        terminalId: caller.terminalId,
        resultCode: outcome.resultCode,
      });
      return outcome.body;
    };
  }
  return { [SERVICE_NAME]: { [PORT_NAME]: methods } } as unknown as IServices;
}
