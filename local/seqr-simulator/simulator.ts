/**
 * Wiring: one plain Node HTTP server carrying the SOAP endpoint (node-soap's
 * soap.listen) and the JSON control API. node-soap installs its own 'request'
 * listener; we take it over and call it from a front handler, because injected
 * faults (latency, HTTP errors, dropped connections) must act before node-soap
 * reads the request, and knowing the operation requires reading the body first.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import * as soap from 'soap';
import { gunzipBounded, MAX_REQUEST_BYTES, readBoundedBody } from './body.js';
import { CallLog, preciseNow, type CallRecord } from './call-log.js';
import { ConfirmationTimers } from './confirmation.js';
import { handleControl } from './control-api.js';
import { checkEnvelope } from './envelope.js';
import { describeFault, FaultRules, type CallFaults, type FaultRule } from './faults.js';
import { jsonLog } from './log.js';
import { Notifier } from './notifier.js';
import { resolveOptions, type SimulatorOptions } from './options.js';
import { ReferenceFactory } from './references.js';
import { createSoapServices, OPERATIONS } from './soap-service.js';
import { sniffElement, soapFaultEnvelope, toSeqrWireForm } from './soap-wire.js';
import { invoiceView, SimulatorState, type InvoiceView } from './state.js';

export const SOAP_PATH = '/extclientproxy/service/v2';
const WSDL_FILE = new URL('../../src/adapters/seqr/merchant.wsdl', import.meta.url);

export interface RunningSimulator {
  port: number;
  /** http://127.0.0.1:port (the host the simulator listens on). */
  baseUrl: string;
  /** baseUrl + '/extclientproxy/service/v2' */
  soapUrl: string;
  /** soapUrl + '?wsdl' */
  wsdlUrl: string;
  /** Clears every timer, aborts notifications and closes every socket. */
  stop(): Promise<void>;
  /** In-process views of what the control API serves. */
  invoice(invoiceReference: string): InvoiceView | undefined;
  invoices(): InvoiceView[];
  calls(filter?: { operation?: string; invoiceReference?: string }): CallRecord[];
  addFault(rule: Record<string, unknown>): FaultRule;
  clearFaults(): void;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function sendSoapFault(res: ServerResponse, status: number, faultcode: string, faultstring: string): void {
  const xml = soapFaultEnvelope(faultcode, faultstring);
  res.writeHead(status, { 'Content-Type': 'text/xml;charset=UTF-8', 'Content-Length': Buffer.byteLength(xml) });
  res.end(xml);
}

export async function startSeqrSimulator(input: SimulatorOptions = {}): Promise<RunningSimulator> {
  const options = resolveOptions(input);
  const log = jsonLog(options.log);
  const stopping = new AbortController();
  const calls = new CallLog();
  const faults = new FaultRules();
  const notifier = new Notifier({ body: options.notificationBody, timeoutMs: options.notificationTimeoutMs, log });
  const timers = new ConfirmationTimers(options.confirmationWindowMs, (invoiceReference) => {
    const reversed = state.reverse(invoiceReference, options.reversalStatus);
    if (reversed) {
      log('warn', 'payment reversed: no PAID getPaymentStatus within the confirmation window', {
        invoiceReference,
        status: reversed.status,
        windowMs: options.confirmationWindowMs,
      });
    }
  });
  const state: SimulatorState = new SimulatorState(new ReferenceFactory(), {
    onPaid(invoice) {
      timers.start(invoice.invoiceReference);
      log('info', 'invoice paid', { invoiceReference: invoice.invoiceReference, ersReference: invoice.payment?.ersReference });
      if (!invoice.invoice.notificationUrl) return Promise.resolve();
      return notifier.notify(invoice, faults.notificationPlan(invoice.invoiceReference).delaysMs);
    },
    onConfirmed(invoice) {
      timers.clear(invoice.invoiceReference);
      log('info', 'payment confirmed by getPaymentStatus', { invoiceReference: invoice.invoiceReference });
    },
    onChange(invoice, from) {
      log('info', 'invoice status changed', { invoiceReference: invoice.invoiceReference, from, to: invoice.status, version: invoice.version });
    },
  });

  for (const terminal of options.terminals) state.setRefundPolicy(terminal.terminalId, terminal.refunds);

  const faultsByRequest = new WeakMap<IncomingMessage, CallFaults>();
  const receivedByRequest = new WeakMap<IncomingMessage, number>();
  const sockets = new Set<Socket>();
  const server = http.createServer();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const baseUrl = `http://${urlHost(options.host)}:${port}`;
  const soapUrl = baseUrl + SOAP_PATH;

  const wsdl = readFileSync(WSDL_FILE, 'utf8').replace(/(<soap:address\s+location=")[^"]*(")/, `$1${soapUrl}$2`);
  const services = createSoapServices({ state, options, calls, log, faultsFor: (req) => (req ? faultsByRequest.get(req) : undefined),
    receivedAt: (req) => (req ? receivedByRequest.get(req) : undefined),
  });
  const soapServer = await new Promise<soap.Server>((resolve, reject) => {
    const created: soap.Server = soap.listen(server, {
      path: SOAP_PATH,
      services,
      xml: wsdl,
      suppressStack: true,
      // Amounts, longs and dates stay text: parsing "0.10" as a float loses exactness.
      customDeserializer: { decimal: (s: string) => s, long: (s: string) => s, dateTime: (s: string) => s },
      callback: (err: unknown) => (err ? reject(err) : resolve(created)),
    } as soap.IServerOptions);
  });
  soapServer.on('response', (response: { result: string }) => {
    if (typeof response.result === 'string') response.result = toSeqrWireForm(response.result);
  });

  // node-soap answers XML it cannot parse with a WS-Security timestamp header and
  // faultcode "500", bypassing the 'response' hook; its own parser lets us answer first.
  // checkEnvelope (sax, namespace-aware) catches nearly everything before this; this
  // stays as the last guard for whatever node-soap's object mapping itself refuses.
  const checker = new soap.WSDL(wsdl, '', {});
  await new Promise<void>((resolve, reject) => checker.onReady((err) => (err ? reject(err) : resolve())));
  const isWellFormed = (xml: string): boolean => {
    try {
      checker.xmlToObject(xml);
      return true;
    } catch {
      return false;
    }
  };

  const soapListener = server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  server.removeAllListeners('request');

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || stopping.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  async function handleSoap(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return soapListener(req, res);
    const receivedAtMs = preciseNow();
    receivedByRequest.set(req, receivedAtMs);
    const tooLarge = `Request body larger than ${MAX_REQUEST_BYTES} bytes`;
    const read = await readBoundedBody(req);
    if (!read.ok) {
      calls.add({ operation: '(none)', resultCode: null, fault: 'requestTooLarge', receivedAtMs });
      return sendSoapFault(res, 413, 'soap:Client', tooLarge);
    }
    let body = read.body;
    if (req.headers['content-encoding'] === 'gzip') {
      const gunzipped = gunzipBounded(body);
      if (!gunzipped.ok) {
        const large = gunzipped.reason === 'tooLarge';
        calls.add({ operation: '(none)', resultCode: null, fault: large ? 'requestTooLarge' : 'invalidGzip', receivedAtMs });
        return sendSoapFault(res, large ? 413 : 500, 'soap:Client', large ? `${tooLarge} once gunzipped` : 'Invalid gzip body');
      }
      body = gunzipped.body;
      delete req.headers['content-encoding'];
    }
    const xml = body.toString('utf8');
    const checked = checkEnvelope(xml);
    const operation = checked.operation;
    const invoiceReference = sniffElement(xml, 'invoiceReference');
    const problem = checked.problem;
    if (problem?.kind === 'invalidXml') {
      calls.add({ operation: operation ?? '(none)', invoiceReference, resultCode: null, fault: 'invalidXml', receivedAtMs });
      return sendSoapFault(res, 500, 'soap:Client', 'Invalid XML');
    }
    if (problem?.kind === 'invalidEnvelope') {
      calls.add({ operation: operation ?? '(none)', invoiceReference, resultCode: null, fault: 'invalidEnvelope', receivedAtMs });
      return sendSoapFault(res, 500, 'soap:Client', problem.message);
    }
    if (!operation || !OPERATIONS.has(operation)) {
      calls.add({ operation: operation ?? '(none)', resultCode: null, fault: 'unknownOperation', receivedAtMs });
      return sendSoapFault(res, 500, 'soap:Client', operation ? `Unknown operation ${operation}` : 'No operation element in soap:Body');
    }
    if (!isWellFormed(xml)) {
      calls.add({ operation, invoiceReference, resultCode: null, fault: 'invalidXml', receivedAtMs });
      return sendSoapFault(res, 500, 'soap:Client', 'Invalid XML');
    }
    const drawn = faults.forCall(operation, invoiceReference);
    await sleep(drawn.delayMs);
    if (stopping.signal.aborted) return void req.socket.destroy();
    const answer = drawn.answer;
    if (answer?.kind === 'dropConnection') {
      calls.add({ operation, invoiceReference, resultCode: null, fault: describeFault(answer), receivedAtMs });
      req.socket.destroy();
      return;
    }
    if (answer?.kind === 'httpError') {
      calls.add({ operation, invoiceReference, resultCode: null, fault: describeFault(answer), receivedAtMs });
      const text = answer.body ?? `<html><body><h1>${answer.status} ${http.STATUS_CODES[answer.status] ?? 'Error'}</h1></body></html>`;
      res.writeHead(answer.status, { 'Content-Type': 'text/html;charset=UTF-8', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    faultsByRequest.set(req, drawn);
    // node-soap takes a pre-read body from req.body. SOAPAction is "" for every
    // operation in this WSDL, so dispatch goes by the body element; a client's
    // non-empty SOAPAction would otherwise make node-soap miss the method.
    (req as IncomingMessage & { body?: Buffer }).body = body;
    delete req.headers.soapaction;
    soapListener(req, res);
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    // A client that resets mid-request must not take the simulator (and npm start) down.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    let url: URL;
    try {
      // `//x` would read as a host: the path is taken as the path.
      url = new URL((req.url ?? '/').replace(/^\/+/, '/'), baseUrl);
    } catch {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: 'bad request target' }));
      return;
    }
    const path = url.pathname.replace(/\/+$/, '');
    const route = path === SOAP_PATH ? handleSoap(req, res) : path.startsWith('/simulator/') ? handleControl(req, res, url, { state, calls, faults, log, terminalIds: options.terminals.map((t) => t.terminalId) }) : notFound(res);
    route.catch((error: unknown) => {
      log('error', 'request failed', { path, error });
      if (!res.headersSent) {
        if (path === SOAP_PATH) return sendSoapFault(res, 500, 'soap:Server', 'Internal simulator error');
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end('internal simulator error');
      } else {
        res.destroy();
      }
    });
  });

  log('info', 'SEQR simulator listening', {
    soapUrl,
    wsdlUrl: soapUrl + '?wsdl',
    terminals: options.terminals.map((t) => t.terminalId),
    resellerId: options.reseller.resellerId,
    confirmationWindowMs: options.confirmationWindowMs,
    reversalStatus: options.reversalStatus,
    notificationBody: options.notificationBody,
    reportNotReadyMs: options.reportNotReadyMs,
  });

  let stopped: Promise<void> | undefined;
  return {
    port,
    baseUrl,
    soapUrl,
    wsdlUrl: soapUrl + '?wsdl',
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        stopping.abort();
        timers.clearAll();
        notifier.stop();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        log('info', 'SEQR simulator stopped');
      });
      return stopped;
    },
    invoice: (invoiceReference) => {
      const found = state.find(invoiceReference);
      return found && invoiceView(found);
    },
    invoices: () => state.all().map(invoiceView),
    calls: (filter) => calls.list(filter),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => void faults.clear(),
  };
}

async function notFound(res: ServerResponse): Promise<void> {
  res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: 'not found' }));
}
