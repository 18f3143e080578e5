/**
 * GET /invoices/{invoiceReference}/status?token=… (browser → us): the payment
 * view polls it once a second without a socket, and every few seconds with one
 * (SEQR notifies payments only, so a cancel in the app is found here).
 * CORS for the shop's origins only.
 */
import { answer, corsHeaders, json, requestLogger, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { seqrFromConfig } from '../../adapters/seqr/client.js';
import { storeDeps } from '../../adapters/wiring.js';
import { statusView } from '../../core/invoices/invoice-views.js';
import { pollStatus } from '../../core/payments/status-poll.js';
import { log } from '../../log.js';

const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const invoiceReference = event.pathParameters?.invoiceReference ?? '';
  const logger = requestLogger(event, log).with({ invoiceReference });
  return answer(
    logger,
    async () => json(200, statusView(await pollStatus({ ...deps, log: logger }, invoiceReference, event.queryStringParameters?.token, logger))),
    corsHeaders(event),
  );
};
