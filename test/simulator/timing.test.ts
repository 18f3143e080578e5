/** The simulator's timing records: when each notification was sent and answered, when each SOAP call arrived. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { control, invoice, pay, Seqr, startSimulator } from './helpers.js';

const now = () => performance.timeOrigin + performance.now();

describe('timing records', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  let shop: http.Server;
  let shopUrl: string;
  const arrivals: number[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ notificationBody: 'form' });
    seqr = await Seqr.connect(sim);
    // A shop that confirms at once, as ours does, and fails on /broken.
    shop = http.createServer((req, res) => {
      arrivals.push(now());
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', async () => {
        if (req.url === '/broken') return void res.writeHead(500).end();
        await seqr.status(new URLSearchParams(Buffer.concat(chunks).toString()).get('invoiceReference')!);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => shop.listen(0, '127.0.0.1', () => resolve()));
    shopUrl = `http://127.0.0.1:${(shop.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await sim.stop();
    shop.closeAllConnections();
    await new Promise((resolve) => shop.close(resolve));
  });

  it('records a notification sent before the shop got it, answered after its getPaymentStatus arrived', async () => {
    const ref = await seqr.issue(invoice({ notificationUrl: `${shopUrl}/notify` }));
    arrivals.length = 0;
    const paid = await pay(sim, ref);
    expect(paid.notifications).toHaveLength(1);
    const [sent] = paid.notifications as { sentAtMs: number; answeredAtMs: number; status: number }[];
    const [call] = (await control(sim, 'GET', `/simulator/calls?operation=getPaymentStatus&invoiceReference=${ref}`)).json.calls as { receivedAtMs: number }[];
    expect(sent!.status).toBe(200);
    expect(arrivals).toHaveLength(1);
    expect(sent!.sentAtMs).toBeLessThanOrEqual(arrivals[0]!);
    expect(arrivals[0]!).toBeLessThanOrEqual(call!.receivedAtMs);
    expect(call!.receivedAtMs).toBeLessThanOrEqual(sent!.answeredAtMs);
    expect(sent!.answeredAtMs - sent!.sentAtMs).toBeLessThan(5_000);
  });

  it('records a failed notification with its HTTP status and error', async () => {
    const ref = await seqr.issue(invoice({ notificationUrl: `${shopUrl}/broken` }));
    const paid = await pay(sim, ref);
    expect(paid.notifications).toEqual([expect.objectContaining({ status: 500, error: 'HTTP 500', sentAtMs: expect.any(Number), answeredAtMs: expect.any(Number) })]);
    expect(paid.notificationFailures).toBe(1);
  });

  it('stamps every SOAP call with the time it reached the simulator, before the answer was decided', async () => {
    const before = now();
    const ref = await seqr.issue(invoice());
    const [call] = (await control(sim, 'GET', `/simulator/calls?operation=sendInvoice&invoiceReference=${ref}`)).json.calls as { receivedAtMs: number; at: string }[];
    expect(call!.receivedAtMs).toBeGreaterThanOrEqual(before);
    expect(call!.receivedAtMs).toBeLessThanOrEqual(Date.parse(call!.at) + 1);
  });
});
