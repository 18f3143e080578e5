/**
 * The composition root: the real adapters behind the core's ports, built from
 * `config` once per process. Handlers take what they need from here at init;
 * every adapter connects lazily, on its first use, so importing a handler never
 * needs the environment. Functions that speak SOAP add `seqr` from
 * ./seqr/client.js themselves: this module never imports `soap`.
 */
import { config } from '../config.js';
import type { Logger } from '../log.js';
import { systemClock, type ConnectionPoster, type PaymentDeps } from '../core/ports.js';
import type { InvoiceSettings } from '../core/invoices/create-invoice.js';
import { apiGatewayPoster } from './apigateway/push.js';
import { dynamoConnectionStore } from './dynamodb/connections.js';
import { dynamoInvoiceStore } from './dynamodb/invoices.js';

let poster: ConnectionPoster | undefined;

/** Posts through the WebSocket stage's @connections API (WEBSOCKET_CALLBACK_URL), created on first use. */
export const connectionPoster: ConnectionPoster = {
  post: (connectionId, payload) => {
    poster ??= apiGatewayPoster({ endpoint: config.websocketCallbackUrl, timeoutMs: config.pushTimeoutMs });
    return poster.post(connectionId, payload);
  },
};

/** Everything of PaymentDeps but SEQR: stores, pushes, the clock, a logger. */
export function storeDeps(log: Logger): Omit<PaymentDeps, 'seqr'> {
  return { invoices: dynamoInvoiceStore, connections: dynamoConnectionStore, poster: connectionPoster, clock: systemClock, log };
}

/** Where new invoices' URLs point, from the environment. */
export function invoiceSettings(): InvoiceSettings {
  return { publicBaseUrl: config.publicBaseUrl, websocketUrl: config.websocketUrl, retentionDays: config.invoiceRetentionDays };
}
