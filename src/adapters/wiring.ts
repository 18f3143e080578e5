/**
 * The composition root: the real adapters behind the core's ports, built from
 * `config` once per process. Handlers take what they need from here at init;
 * every adapter connects lazily, on its first use, so importing a handler never
 * needs the environment. Functions that speak SOAP add `seqr` from
 * ./seqr/client.js themselves: this module never imports `soap`.
 */
import { config } from '../config.js';
import type { Logger } from '../log.js';
import { systemClock, type ConnectionPoster, type EventPublisher, type PaymentDeps } from '../core/ports.js';
import type { InvoiceSettings } from '../core/invoices/create-invoice.js';
import type { InvoiceWatch, WatchSettings } from '../core/watch/watch.js';
import { apiGatewayPoster } from './apigateway/push.js';
import { dynamoConnectionStore } from './dynamodb/connections.js';
import { dynamoInvoiceStore } from './dynamodb/invoices.js';
import { sqsWatchQueue } from './sqs/watch-queue.js';
import { eventBridgePublisher } from './eventbridge/publisher.js';

let poster: ConnectionPoster | undefined;
let publisher: EventPublisher | undefined;

/** Posts through the WebSocket stage's @connections API (WEBSOCKET_CALLBACK_URL), created on first use. */
export const connectionPoster: ConnectionPoster = {
  post: (connectionId, payload) => {
    poster ??= apiGatewayPoster({ endpoint: config.websocketCallbackUrl, timeoutMs: config.pushTimeoutMs });
    return poster.post(connectionId, payload);
  },
};

/**
 * Publishes to the stack's EventBridge bus (EVENT_BUS_NAME; EVENTBRIDGE_ENDPOINT
 * locally), created on first use: a function that never publishes never loads
 * the SDK. The catalog's `publishes` functions get the bus and PutEvents on it.
 */
export const eventPublisher: EventPublisher = {
  get leaseMs() {
    return config.eventOutboxLeaseMs;
  },
  publish: (events) => {
    publisher ??= eventBridgePublisher({
      busName: () => config.eventBusName,
      ...(config.eventBridgeEndpoint ? { endpoint: config.eventBridgeEndpoint } : {}),
      timeoutMs: config.eventPublishTimeoutMs,
      leaseMs: config.eventOutboxLeaseMs,
    });
    return publisher.publish(events);
  },
};

/** Everything of PaymentDeps but SEQR: stores, pushes, events, the clock, a logger. */
export function storeDeps(log: Logger): Omit<PaymentDeps, 'seqr'> {
  return { invoices: dynamoInvoiceStore, connections: dynamoConnectionStore, poster: connectionPoster, events: eventPublisher, clock: systemClock, log };
}

/** Where new invoices' URLs point, from the environment. */
export function invoiceSettings(): InvoiceSettings {
  return { publicBaseUrl: config.publicBaseUrl, websocketUrl: config.websocketUrl, retentionDays: config.invoiceRetentionDays };
}

/** The watch's pace and the payment timeout, from the environment. */
export function watchSettings(): WatchSettings {
  // The watch's getPaymentStatus may take one whole call and a quick retry: an answer SEQR
  // committed after 6.5 s must not be dropped (the browser's poll has 5 s, inside its function's time-out).
  return { intervalMs: config.watchIntervalMs, paymentTimeoutMs: config.paymentTimeoutMs, seqrBudgetMs: config.seqrTimeoutMs + 2_000 };
}

/** The watch new invoices are given (WATCH_QUEUE_URL); none when no queue is configured. */
export function invoiceWatch(): InvoiceWatch | undefined {
  const queueUrl = config.watchQueueUrl;
  return queueUrl ? { queue: sqsWatchQueue(queueUrl), settings: watchSettings() } : undefined;
}
