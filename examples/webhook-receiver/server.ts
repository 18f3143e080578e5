/**
 * A shop's webhook endpoint in a few lines: verify, deduplicate by
 * invoiceReference + version, act, answer 2xx (anything else is retried).
 *
 *   npx tsx examples/webhook-receiver/server.ts [port] [secret]
 *   (defaults: 4000 and the local stack's `local-webhook-secret`)
 */
import http from 'node:http';
import { verifyWebhook } from './verify.js';

const port = Number(process.argv[2] ?? 4000);
const secret = process.argv[3] ?? 'local-webhook-secret';
const seen = new Set<string>(); // a shop keeps this in its database: a unique key on (invoiceReference, version)

http
  .createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (!verifyWebhook(raw, req.headers['seqr-webhook-signature'] as string | undefined, secret)) return void res.writeHead(401).end();
    const event = JSON.parse(raw);
    const key = `${event.detail.invoiceReference}/${event.detail.version}`;
    if (!seen.has(key)) {
      seen.add(key);
      console.log(`${event['detail-type']}: invoice ${event.detail.invoiceReference} (order ${event.detail.clientInvoiceId ?? '-'}) is ${event.detail.status}, version ${event.detail.version}`);
    }
    res.writeHead(204).end(); // a duplicate is acknowledged too, or it would be sent again
  })
  .listen(port, () => console.log(`webhook receiver on http://localhost:${port}/`));
