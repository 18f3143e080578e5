import { afterEach, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { control, invoice, pay, postRaw, Seqr, startReceiver, startSimulator, terminalContext, useSimulator } from './helpers.js';

const STATUS_ENVELOPE = (ref: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="http://external.interfaces.ers.seamless.com/">' +
  '<SOAP-ENV:Body><ns1:getPaymentStatus><context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>local-webshop</id><type>TERMINALID</type></initiatorPrincipalId>' +
  `<password>local-password</password></context><invoiceReference>${ref}</invoiceReference><invoiceVersion>0</invoiceVersion></ns1:getPaymentStatus></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe('fault injection and the call log', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  useSimulator((running, client) => ((sim = running), (seqr = client)));
  afterEach(async () => {
    await control(sim, 'DELETE', '/simulator/faults');
  });

  const addFault = async (rule: Record<string, unknown>) => {
    const answer = await control(sim, 'POST', '/simulator/faults', rule);
    expect(answer.status).toBe(201);
    return answer.json.fault;
  };

  it('adds, lists and clears fault rules', async () => {
    const added = await addFault({ kind: 'resultCode', code: 94, operation: 'sendInvoice', count: 3 });
    expect(added).toMatchObject({ id: expect.any(Number), kind: 'resultCode', code: 94, operation: 'sendInvoice', remaining: 3 });
    expect((await control(sim, 'GET', '/simulator/faults')).json.faults).toEqual([added]);
    expect((await control(sim, 'DELETE', '/simulator/faults')).json).toEqual({ cleared: 1 });
    expect((await control(sim, 'GET', '/simulator/faults')).json.faults).toEqual([]);
  });

  it('rejects a malformed fault rule with 400', async () => {
    const answer = await control(sim, 'POST', '/simulator/faults', { kind: 'explode' });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toContain('kind');
  });

  it('answers the injected resultCode for the next N matching calls only', async () => {
    await addFault({ kind: 'resultCode', code: 94, operation: 'sendInvoice', count: 2 });
    const ref = await control(sim, 'GET', '/simulator/faults'); // unrelated traffic does not use the rule up
    expect(ref.status).toBe(200);
    expect(await seqr.sendInvoice()).toMatchObject({ resultCode: 94, resultDescription: 'SERVICE_UNAVAILABLE' });
    expect((await seqr.sendInvoice()).resultCode).toBe(94);
    expect((await seqr.sendInvoice()).resultCode).toBe(0);
  });

  it('leaves other operations alone when the rule names one', async () => {
    const issued = await seqr.issue();
    await addFault({ kind: 'resultCode', code: 90, operation: 'cancelInvoice' });
    expect((await seqr.status(issued)).resultCode).toBe(0);
    expect((await seqr.call('cancelInvoice', { context: terminalContext(), invoiceReference: issued })).resultCode).toBe(90);
  });

  it('keeps the mandatory version in an injected getPaymentStatus failure', async () => {
    const ref = await seqr.issue();
    await addFault({ kind: 'resultCode', code: 93, operation: 'getPaymentStatus' });
    const answer = await postRaw(sim, STATUS_ENVELOPE(ref));
    expect(answer.text).toContain('<return><resultCode>93</resultCode><resultDescription>SYSTEM_BUSY</resultDescription><version>0</version></return>');
  });

  it('delays the answer by the injected latency', async () => {
    const ref = await seqr.issue();
    await addFault({ kind: 'latency', ms: 250, operation: 'getPaymentStatus' });
    const started = Date.now();
    expect((await seqr.status(ref)).resultCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    const again = Date.now();
    await seqr.status(ref);
    expect(Date.now() - again).toBeLessThan(200);
  });

  it('lets a getPaymentStatus delayed past the confirmation window find the payment already reversed', async () => {
    const quick = await startSimulator({ confirmationWindowMs: 150 });
    try {
      const client = await Seqr.connect(quick);
      const ref = await client.issue();
      await pay(quick, ref);
      quick.addFault({ kind: 'latency', ms: 300, operation: 'getPaymentStatus' });
      expect(await client.status(ref)).toMatchObject({ status: 'CANCELED', version: 3 });
      expect(quick.invoice(ref)).toMatchObject({ reversed: true, confirmed: false });
    } finally {
      await quick.stop();
    }
  });

  it('answers HTTP 500 with a SOAP 1.1 Fault for a soapFault rule', async () => {
    const ref = await seqr.issue();
    await addFault({ kind: 'soapFault', operation: 'getPaymentStatus' });
    const answer = await postRaw(sim, STATUS_ENVELOPE(ref));
    expect(answer.status).toBe(500);
    expect(answer.text).toMatch(
      /^<\?xml[^>]*\?><soap:Envelope xmlns:soap="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/"><soap:Body><soap:Fault><faultcode>soap:Server<\/faultcode><faultstring>[^<]+<\/faultstring><\/soap:Fault><\/soap:Body><\/soap:Envelope>$/,
    );
    await expect(seqr.status(ref)).resolves.toMatchObject({ resultCode: 0 });
  });

  it('makes the soap client see a Fault error for a soapFault rule', async () => {
    await addFault({ kind: 'soapFault', faultString: 'Backend exploded' });
    await expect(seqr.sendInvoice()).rejects.toThrow(/Backend exploded/);
  });

  it('answers a non-SOAP HTTP error for an httpError rule', async () => {
    await addFault({ kind: 'httpError', status: 503 });
    const answer = await postRaw(sim, STATUS_ENVELOPE('1'));
    expect(answer.status).toBe(503);
    expect(answer.contentType).toMatch(/^text\/html/);
    expect(answer.text).not.toContain('Envelope');
  });

  it('destroys the socket without answering for a dropConnection rule', async () => {
    await addFault({ kind: 'dropConnection', operation: 'getPaymentStatus' });
    await expect(postRaw(sim, STATUS_ENVELOPE('1'))).rejects.toThrow();
    expect((await postRaw(sim, STATUS_ENVELOPE('1'))).status).toBe(200);
  });

  it('sends no notification for the next payment under a notification drop rule', async () => {
    const receiver = await startReceiver();
    try {
      await addFault({ kind: 'notification', mode: 'drop' });
      const dropped = await seqr.issue(invoice({ notificationUrl: receiver.url('/dropped') }));
      expect((await pay(sim, dropped)).notificationsSent).toBe(0);
      const delivered = await seqr.issue(invoice({ notificationUrl: receiver.url('/delivered') }));
      await pay(sim, delivered);
      expect(receiver.received.map((r) => r.url)).toEqual(['/delivered']);
    } finally {
      await receiver.close();
    }
  });

  it('sends the notification `copies` times under a notification duplicate rule', async () => {
    const receiver = await startReceiver();
    try {
      await addFault({ kind: 'notification', mode: 'duplicate', copies: 5 });
      const ref = await seqr.issue(invoice({ notificationUrl: receiver.url('/dup') }));
      expect((await pay(sim, ref)).notificationsSent).toBe(5);
      expect(receiver.received).toHaveLength(5);
    } finally {
      await receiver.close();
    }
  });

  it('logs every call with its operation, invoiceReference and resultCode, filterable and clearable', async () => {
    await control(sim, 'DELETE', '/simulator/calls');
    const ref = await seqr.issue();
    await seqr.status(ref);
    await seqr.status('404404404404404');
    await addFault({ kind: 'httpError', status: 502, operation: 'getPaymentStatus' });
    await postRaw(sim, STATUS_ENVELOPE(ref));

    const all = (await control(sim, 'GET', '/simulator/calls')).json.calls;
    expect(all.map((c: { operation: string }) => c.operation)).toEqual(['sendInvoice', 'getPaymentStatus', 'getPaymentStatus', 'getPaymentStatus']);
    expect(all[0]).toMatchObject({ operation: 'sendInvoice', invoiceReference: ref, resultCode: 0, at: expect.stringMatching(/^\d{4}-/) });

    const forRef = (await control(sim, 'GET', `/simulator/calls?operation=getPaymentStatus&invoiceReference=${ref}`)).json.calls;
    expect(forRef).toEqual([
      expect.objectContaining({ operation: 'getPaymentStatus', invoiceReference: ref, resultCode: 0 }),
      expect.objectContaining({ operation: 'getPaymentStatus', invoiceReference: ref, resultCode: null, fault: 'httpError' }),
    ]);
    expect((await control(sim, 'GET', '/simulator/calls?invoiceReference=404404404404404')).json.calls[0].resultCode).toBe(54);

    expect((await control(sim, 'DELETE', '/simulator/calls')).json.cleared).toBe(4);
    expect((await control(sim, 'GET', '/simulator/calls')).json.calls).toEqual([]);
  });
});
