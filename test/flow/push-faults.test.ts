/**
 * A push that fails is never a lost payment: with an @connections endpoint
 * that accepts and never answers, the notification still confirms with SEQR,
 * stores PAID and answers SEQR 200; the browser finds PAID by polling.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoice, eventually, openSocket, simulator, simulatorInvoice, startTestStack, storedInvoice, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack & { logs: string[] };
const hanging = http.createServer(() => {
  // Accepts the post and never answers: a stage in trouble.
});

beforeAll(async () => {
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  const port = (hanging.address() as { port: number }).port;
  stack = await startTestStack({ env: { WEBSOCKET_CALLBACK_URL: `http://127.0.0.1:${port}/local`, PUSH_TIMEOUT_MS: '300' } });
});
afterAll(async () => {
  await stack?.stop();
  hanging.closeAllConnections();
  hanging.close();
});

describe('When @connections does not answer', () => {
  it('should still confirm, store PAID and answer SEQR 200 within the window', async () => {
    const invoice = await createInvoice(stack);
    const socket = await openSocket(invoice.websocketUrl);
    socket.send(JSON.stringify({ action: 'subscribe' }));

    const started = Date.now();
    expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);
    const atSeqr = await simulatorInvoice(stack, invoice.invoiceReference);
    expect(atSeqr).toMatchObject({ status: 'PAID', confirmed: true, notificationsSent: 1 });
    expect((atSeqr as unknown as { notificationFailures: number }).notificationFailures).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await storedInvoice(stack, invoice.invoiceReference)).body.status).toBe('PAID');
    expect(stack.logs.some((line) => line.includes('"push failed"'))).toBe(true);

    const polled = await eventually(async () => {
      const body = (await (await fetch(invoice.statusUrl)).json()) as { status: string };
      return body.status === 'PAID' ? body : undefined;
    });
    expect(polled?.status).toBe('PAID');
    socket.close();
  });
});
