/**
 * Hostile or broken requests: no body may block the event loop, fill memory, or
 * get anything but a SOAP 1.1 Fault; pending reversals never keep a process alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { Seqr, pay, postRaw, sleep, startSimulator } from './helpers.js';

const NS = 'http://external.interfaces.ers.seamless.com/';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const CONTEXT =
  '<context><channel>WS</channel><clientId>robust</clientId><clientReference>r-1</clientReference><clientRequestTimeout>0</clientRequestTimeout>' +
  '<initiatorPrincipalId><id>local-webshop</id><type>TERMINALID</type></initiatorPrincipalId><password>local-password</password></context>';
const MIB = 1024 * 1024;

function statusEnvelope(inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP11}"><soap:Body><ext:getPaymentStatus xmlns:ext="${NS}">${inner}</ext:getPaymentStatus></soap:Body></soap:Envelope>`;
}

const SOAP_CLIENT_FAULT = /^<\?xml[^>]*\?><soap:Envelope xmlns:soap="http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/"><soap:Body><soap:Fault><faultcode>soap:Client<\/faultcode><faultstring>[^<]+<\/faultstring><\/soap:Fault><\/soap:Body><\/soap:Envelope>$/;

function waitForExit(child: ChildProcess, ms: number): Promise<number | null | 'timeout'> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('a request body that made the call-log regex backtrack (ReDoS)', () => {
  // In a child process: a blocked event loop there cannot stall this test runner.
  it('is answered with a SOAP Fault within a second while /simulator/health stays responsive', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/seqr-simulator/main.ts'], {
      env: { ...process.env, SEQR_SIMULATOR_PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const soapUrl = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const parsed = JSON.parse(line);
          if (parsed.message === 'SEQR simulator listening') resolve(parsed.soapUrl);
        });
        child.once('exit', () => reject(new Error('simulator exited early')));
      });
      const base = new URL(soapUrl).origin;
      // 20 KB of whitespace after an opening <invoiceReference> and no closing tag.
      const body = statusEnvelope(`${CONTEXT}<invoiceReference>`).replace(/<\/ext:getPaymentStatus>.*$/, '') + ' '.repeat(20 * 1024);
      const started = Date.now();
      const soap = fetch(soapUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""' },
        body,
        signal: AbortSignal.timeout(3_000),
      }).then(async (r) => ({ status: r.status, text: await r.text(), ms: Date.now() - started }));
      await sleep(50);
      const health = fetch(`${base}/simulator/health`, { signal: AbortSignal.timeout(3_000) }).then(async (r) => ({
        status: r.status,
        json: await r.json(),
        ms: Date.now() - started,
      }));
      const [soapAnswer, healthAnswer] = await Promise.all([soap, health]);
      expect(soapAnswer.status).toBe(500);
      expect(soapAnswer.text).toMatch(SOAP_CLIENT_FAULT);
      expect(soapAnswer.text).toContain('<faultstring>Invalid XML</faultstring>');
      expect(soapAnswer.ms).toBeLessThan(1_000);
      expect(healthAnswer).toMatchObject({ status: 200, json: { ok: true } });
      expect(healthAnswer.ms).toBeLessThan(1_000);
    } finally {
      child.kill('SIGTERM');
      if ((await waitForExit(child, 3_000)) === 'timeout') child.kill('SIGKILL');
    }
  }, 20_000);
});

describe('request size and encoding', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(sim.soapUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '""', ...headers },
      body,
      duplex: 'half',
    } as RequestInit).then(async (r) => ({ status: r.status, contentType: r.headers.get('content-type'), text: await r.text() }));

  /** A well-formed getPaymentStatus padded with whitespace to `bytes`. */
  function padded(bytes: number): string {
    const xml = statusEnvelope(`${CONTEXT}<invoiceReference>1</invoiceReference><invoiceVersion>0</invoiceVersion>`);
    return xml.replace('<soap:Body>', `<soap:Body>${' '.repeat(bytes - Buffer.byteLength(xml))}`);
  }

  it('answers a body of exactly 1 MiB normally', async () => {
    const answer = await post(padded(MIB));
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<resultCode>54</resultCode>');
  });

  it('refuses a body over 1 MiB (Content-Length) with HTTP 413 and a SOAP 1.1 Client Fault', async () => {
    const answer = await post(padded(MIB + 1));
    expect(answer.status).toBe(413);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.text).toMatch(SOAP_CLIENT_FAULT);
    expect(answer.text).toContain('larger than 1048576 bytes');
    expect(sim.calls().at(-1)).toMatchObject({ operation: '(none)', resultCode: null, fault: 'requestTooLarge' });
  });

  it('refuses a chunked body that grows over 1 MiB, and keeps serving afterwards', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode(`<soap:Envelope xmlns:soap="${SOAP11}"><soap:Body>`));
        if (sent >= 40) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const answer = await post(stream);
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(SOAP_CLIENT_FAULT);
    const seqr = await Seqr.connect(sim);
    expect((await seqr.sendInvoice()).resultCode).toBe(0);
  });

  it('refuses a gzip body that inflates past 1 MiB with 413 (a small gzip bomb)', async () => {
    const bomb = gzipSync(Buffer.from(padded(8 * MIB)));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const answer = await post(bomb, { 'Content-Encoding': 'gzip' });
    expect(answer.status).toBe(413);
    expect(answer.text).toMatch(SOAP_CLIENT_FAULT);
    expect(answer.text).toContain('once gunzipped');
  });

  it('answers a gzip body within the limit normally', async () => {
    const answer = await post(gzipSync(Buffer.from(padded(MIB))), { 'Content-Encoding': 'gzip' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('<resultCode>54</resultCode>');
  });

  it('answers a body that claims gzip but is not with a SOAP 1.1 Client Fault, not text/plain', async () => {
    const answer = await post(statusEnvelope(CONTEXT), { 'Content-Encoding': 'gzip' });
    expect(answer.status).toBe(500);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.text).toMatch(SOAP_CLIENT_FAULT);
    expect(answer.text).toContain('<faultstring>Invalid gzip body</faultstring>');
    expect(sim.calls().at(-1)).toMatchObject({ fault: 'invalidGzip', resultCode: null });
  });

  it('bounds control-API bodies too (413 JSON)', async () => {
    const response = await fetch(`${sim.baseUrl}/simulator/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'latency', ms: 1, padding: ' '.repeat(MIB) }),
    });
    expect(response.status).toBe(413);
    expect((await response.json()).error).toContain('larger than');
    expect((await fetch(`${sim.baseUrl}/simulator/faults`).then((r) => r.json())).faults).toEqual([]);
  });

  it('still answers the old call-log sniffing input quickly in-process (3 KB of whitespace)', async () => {
    const started = Date.now();
    const answer = await postRaw(sim, statusEnvelope(`${CONTEXT}<invoiceReference>`).replace(/<\/ext:getPaymentStatus>.*$/, '') + '\t'.repeat(3 * 1024));
    expect(answer.status).toBe(500);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('confirmation timers', () => {
  it('do not keep a process alive: a pending reversal lets node exit', async () => {
    const module = pathToFileURL('local/seqr-simulator/confirmation.ts').href;
    const script = `import { ConfirmationTimers } from ${JSON.stringify(module)};
      const timers = new ConfirmationTimers(60_000, () => console.log('reversed'));
      timers.start('1234567890123');
      console.log('pending');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout!.on('data', (chunk) => (output += chunk));
    const exit = await waitForExit(child, 8_000);
    if (exit === 'timeout') child.kill('SIGKILL');
    expect(exit).toBe(0);
    expect(output.trim()).toBe('pending');
  }, 15_000);

  it('are still cleared by stop(): no reversal after the simulator stopped', async () => {
    const sim = await startSimulator({ confirmationWindowMs: 100 });
    const seqr = await Seqr.connect(sim);
    const ref = await seqr.issue();
    await pay(sim, ref);
    await sim.stop();
    await sleep(300);
    expect(sim.invoice(ref)).toMatchObject({ status: 'PAID', reversed: false, version: 2 });
  });
});
