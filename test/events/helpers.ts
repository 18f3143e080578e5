/** A shop's webhook endpoint for the tests: a real HTTP server that records every POST and can fail on request. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PaymentEventEnvelope } from '../../src/contract/index.js';

export interface ReceivedWebhook {
  raw: string;
  signature: string | undefined;
  contentType: string | undefined;
  event: PaymentEventEnvelope;
  /** What the receiver answered. */
  answered: number;
}

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Answers 503 to every POST for `ms` from now. */
  failFor(ms: number): void;
  /** The POSTs it answered 2xx, as `detail-type status@version` per invoice. */
  deliveredFor(invoiceReference: string): string[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failingUntil = 0;
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const answered = Date.now() < failingUntil ? 503 : 204;
    received.push({
      raw,
      signature: req.headers['seqr-webhook-signature'] as string | undefined,
      contentType: req.headers['content-type'],
      event: JSON.parse(raw) as PaymentEventEnvelope,
      answered,
    });
    res.writeHead(answered).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/seqr-events`,
    received,
    failFor: (ms) => void (failingUntil = Date.now() + ms),
    deliveredFor: (invoiceReference) =>
      received
        .filter((r) => r.answered < 300 && r.event.detail.invoiceReference === invoiceReference)
        .map((r) => `${r.event['detail-type']} ${r.event.detail.status}@${r.event.detail.version}`),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The events the bus took for one invoice, as `detail-type status@version`. */
export function busEventsFor(events: readonly PaymentEventEnvelope[], invoiceReference: string): string[] {
  return events.filter((e) => e.detail.invoiceReference === invoiceReference).map((e) => `${e['detail-type']} ${e.detail.status}@${e.detail.version}`);
}
