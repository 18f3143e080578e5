/**
 * No secret in any log line. The assertion over every suite's lines is the
 * log audit at the end of the run (test/support/log-audit.ts, fed by the tap
 * of test/support/log-tap.ts); this file shows the audit finds a secret when
 * there is one, that the tap reaches its file, and that the requests which
 * used to leak a token into our logs no longer do: a token given as the
 * invoice on $connect or in a path, and a notification body naming a token.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_RESELLER, LOCAL_TERMINAL } from '../../local/stack.js';
import { createLogger } from '../../src/log.js';
import { findSecrets } from '../support/log-audit.js';
import { flush, linesFile } from '../support/log-tap.js';
import { createInvoice, openSocket, simulator, startTestStack, type LocalStack } from '../support/local-stack.js';

let stack: LocalStack & { logs: string[] };
const simulatorLines: string[] = [];

beforeAll(async () => {
  stack = await startTestStack({ simulator: { log: (line) => simulatorLines.push(line) } });
});
afterAll(async () => {
  await stack?.stop();
});

describe('When the audit scans lines', () => {
  it('should find a secret as it is, percent-encoded or in base64, and never repeat it in its report', () => {
    const secret = 'tok_abc/def+ghi==0123456789';
    const lines = [
      { file: 'a.log', text: '{"message":"fine"}' },
      { file: 'a.log', text: `{"url":"/x?token=${secret}"}` },
      { file: 'b.log', text: `{"q":"${encodeURIComponent(secret)}"}` },
      { file: 'b.log', text: `{"h":"${Buffer.from(secret).toString('base64')}"}` },
    ];
    const hits = findSecrets(lines, [secret]);
    expect(hits.map((h) => [h.file, h.line, h.kind])).toEqual([
      ['a.log', 2, 'plain'],
      ['b.log', 3, 'percent-encoded'],
      ['b.log', 4, 'base64'],
    ]);
    for (const hit of hits) expect(hit.excerpt).not.toContain(secret);
  });

  it('should receive every product log line through the tap, whatever the sink', () => {
    const marker = `tap-check-${Date.now()}`;
    createLogger({}).warn(marker);
    flush();
    expect(linesFile, 'the run gives the tap a folder').toBeDefined();
    expect(readFileSync(linesFile!, 'utf8')).toContain(marker);
  });
});

describe('When hostile requests carry a token where a reference or a body goes', () => {
  it('should log no token, key or password', async () => {
    const invoice = await createInvoice(stack);
    const token = invoice.subscribeToken;
    const notificationUrl = stack.simulator.invoice(invoice.invoiceReference)!.notificationUrl!;
    const notificationToken = notificationUrl.split('/').pop()!;
    const ws = new URL(invoice.websocketUrl);

    // The subscribe token as the invoice on $connect: refused, and its refusal logged.
    ws.searchParams.set('invoice', token);
    await expect(openSocket(ws.toString())).rejects.toThrow(/403/);
    // A token as the reference in paths.
    for (const path of [`/invoices/${token}/status?token=${token}`, `/invoices/${notificationToken}`]) {
      const response = await fetch(`${stack.httpUrl}${path}`, { headers: { authorization: `Bearer ${stack.shopApiKey}` } });
      expect(response.status).toBeLessThan(500);
      await response.arrayBuffer();
    }
    // A notification whose body names a token instead of the invoice (the token decides; the body is only logged).
    const answered = await fetch(notificationUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `invoiceReference=${token}` });
    expect(answered.status).toBe(200);
    // The simulator's own notification, logged with its URL.
    expect((await simulator(stack, 'POST', `/simulator/invoices/${invoice.invoiceReference}/pay`)).status).toBe(200);

    const lines = [...stack.logs, ...simulatorLines].map((text) => ({ file: 'this test', text }));
    expect(stack.logs.some((l) => l.includes('socket refused'))).toBe(true);
    expect(stack.logs.some((l) => l.includes('notification body names another invoice'))).toBe(true);
    expect(simulatorLines.some((l) => l.includes('notification sent'))).toBe(true);
    const hits = findSecrets(lines, [token, notificationToken, stack.shopApiKey, LOCAL_TERMINAL.password, LOCAL_RESELLER.password]);
    expect(hits).toEqual([]);
  });
});
