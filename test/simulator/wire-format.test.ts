import { describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { invoice, pay, postRaw, Seqr, startSimulator, useSimulator } from './helpers.js';

const NS = 'http://external.interfaces.ers.seamless.com/';

/** What PHP's SoapClient sends: SOAP-ENV prefix, ns1 on the operation, unqualified children. */
function phpEnvelope(operation: string, inner: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns1="${NS}">` +
    `<SOAP-ENV:Body><ns1:${operation}>${inner}</ns1:${operation}></SOAP-ENV:Body></SOAP-ENV:Envelope>`
  );
}

/** What suds writes: its own prefix, declared on the operation element. */
function sudsEnvelope(operation: string, inner: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<soapenv:Header/><soapenv:Body><ext:${operation} xmlns:ext="${NS}">${inner}</ext:${operation}></soapenv:Body></soapenv:Envelope>`
  );
}

const CONTEXT =
  '<context><channel>WS</channel><clientId>php-shop</clientId><clientReference>php-1</clientReference>' +
  '<clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId><id>local-webshop</id><type>TERMINALID</type><userId>9900</userId></initiatorPrincipalId>' +
  '<password>local-password</password></context>';

const INVOICE =
  '<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>' +
  '<issueDate>2024-05-01T12:00:00+02:00</issueDate><title>Order 7</title><clientInvoiceId>7</clientInvoiceId>' +
  '<invoiceRows><invoiceRow><itemQuantity>1</itemQuantity><itemTotalAmount><currency>SEK</currency><value>0.10</value></itemTotalAmount></invoiceRow>' +
  '<invoiceRow><itemQuantity>1</itemQuantity><itemTotalAmount><currency>SEK</currency><value>0.20</value></itemTotalAmount></invoiceRow></invoiceRows>' +
  '<totalAmount><currency>SEK</currency><value>0.30</value></totalAmount><cashierId>web</cashierId><footer>Thanks</footer></invoice>';

describe('SOAP wire format', () => {
  let sim: RunningSimulator;
  let seqr: Seqr;
  useSimulator((running, client) => ((sim = running), (seqr = client)));

  it('serves the project WSDL at ?wsdl with soap:address pointing at the simulator itself', async () => {
    const response = await fetch(sim.wsdlUrl);
    const wsdl = await response.text();
    expect(response.status).toBe(200);
    expect(wsdl).toContain('<wsdl:definitions');
    expect(wsdl).toContain(`<soap:address location="${sim.soapUrl}"/>`);
    expect(wsdl).not.toContain('extdev.seqr.com');
    expect(sim.soapUrl).toBe(`${sim.baseUrl}/extclientproxy/service/v2`);
  });

  it('answers a PHP SoapClient envelope (ns1 prefix, SOAPAction "") in the ns2:…Response/return form', async () => {
    const answer = await postRaw(sim, phpEnvelope('sendInvoice', CONTEXT + INVOICE));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^text\/xml/);
    expect(answer.text).toMatch(
      new RegExp(
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
          `<ns2:sendInvoiceResponse xmlns:ns2="${NS.replace(/[./]/g, '\\$&')}"><return>` +
          '<resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription>' +
          '<invoiceQRCode>HTTP://SEQR.SE/R(\\d{13,17})</invoiceQRCode><invoiceReference>\\1</invoiceReference>' +
          '</return></ns2:sendInvoiceResponse></soap:Body></soap:Envelope>$',
      ),
    );
    expect(answer.text).not.toContain('tns');
  });

  it('answers a suds envelope with its own prefix declared on the operation element', async () => {
    const answer = await postRaw(sim, sudsEnvelope('sendInvoice', CONTEXT + INVOICE), { SOAPAction: '""' });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`<ns2:sendInvoiceResponse xmlns:ns2="${NS}"><return><resultCode>0</resultCode>`);
  });

  it('dispatches by the body element even when a client sends a non-empty SOAPAction', async () => {
    const answer = await postRaw(sim, phpEnvelope('sendInvoice', CONTEXT + INVOICE), { SOAPAction: '"sendInvoice"' });
    expect(answer.text).toContain('<resultCode>0</resultCode>');
  });

  it('writes an unpaid status as SEQR documents it: resultCode, resultDescription, status ISSUED, version 1', async () => {
    const ref = await seqr.issue();
    const answer = await postRaw(sim, phpEnvelope('getPaymentStatus', `${CONTEXT}<invoiceReference>${ref}</invoiceReference><invoiceVersion>0</invoiceVersion>`));
    expect(answer.text).toContain(
      '<return><resultCode>0</resultCode><resultDescription>SUCCESS</resultDescription><status>ISSUED</status><version>1</version></return>',
    );
  });

  it('writes a PAID status with children in XSD sequence order and amounts exactly as sent', async () => {
    const sent = await postRaw(sim, phpEnvelope('sendInvoice', CONTEXT + INVOICE));
    const ref = /<invoiceReference>(\d+)</.exec(sent.text)![1]!;
    await pay(sim, ref);
    const answer = await postRaw(sim, phpEnvelope('getPaymentStatus', `${CONTEXT}<invoiceReference>${ref}</invoiceReference><invoiceVersion>0</invoiceVersion>`));
    const body = /<return>(.*)<\/return>/.exec(answer.text)![1]!;
    const topLevel = [...body.replace(/<receipt>.*<\/receipt>/, '<receipt></receipt>').matchAll(/<(\w+)>/g)].map((m) => m[1]);
    expect(topLevel).toEqual(['ersReference', 'resultCode', 'resultDescription', 'status', 'receipt', 'version']);
    expect(body).toMatch(/^<ersReference>\d{25}<\/ersReference><resultCode>0<\/resultCode><resultDescription>SUCCESS<\/resultDescription><status>PAID<\/status>/);
    expect(body).toMatch(/<version>2<\/version>$/);
    const receipt = /<receipt>(.*)<\/receipt>/.exec(body)![1]!;
    const receiptFields = [...receipt.replace(/<invoice>.*<\/invoice>/, '<invoice></invoice>').matchAll(/<(\w+)>/g)].map((m) => m[1]);
    expect(receiptFields).toEqual(['terminalId', 'paymentDate', 'clientInvoiceId', 'invoiceReference', 'paymentReference', 'payerTerminalId', 'receiverName', 'invoice']);
    expect(receipt).toContain(
      '<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>' +
        '<issueDate>2024-05-01T12:00:00+02:00</issueDate><title>Order 7</title><clientInvoiceId>7</clientInvoiceId><invoiceRows>' +
        '<invoiceRow><itemQuantity>1</itemQuantity><itemTotalAmount><currency>SEK</currency><value>0.10</value></itemTotalAmount></invoiceRow>' +
        '<invoiceRow><itemQuantity>1</itemQuantity><itemTotalAmount><currency>SEK</currency><value>0.20</value></itemTotalAmount></invoiceRow>' +
        '</invoiceRows><totalAmount><currency>SEK</currency><value>0.30</value></totalAmount><cashierId>web</cashierId><footer>Thanks</footer></invoice>',
    );
  });

  it('puts the refund ersReference before resultCode, as erswsResponse orders it', async () => {
    const ref = await seqr.issue(invoice({ total: '10.00' }));
    const paid = await pay(sim, ref);
    await seqr.status(ref);
    const answer = await postRaw(
      sim,
      phpEnvelope(
        'refundPayment',
        `${CONTEXT}<ersReference>${paid.ersReference}</ersReference><invoice><title>Refund</title><cashierId>web</cashierId><totalAmount><currency>SEK</currency><value>1.00</value></totalAmount></invoice>`,
      ),
    );
    expect(answer.text).toMatch(/<return><ersReference>\d{25}<\/ersReference><resultCode>0<\/resultCode><resultDescription>SUCCESS<\/resultDescription><\/return>/);
  });

  it('keeps the mandatory version element in a failed getPaymentStatus', async () => {
    const answer = await postRaw(sim, phpEnvelope('getPaymentStatus', `${CONTEXT}<invoiceReference>999</invoiceReference><invoiceVersion>0</invoiceVersion>`));
    expect(answer.text).toContain('<return><resultCode>54</resultCode><resultDescription>INVALID_INVOICE_REFERENCE</resultDescription><version>0</version></return>');
  });

  it('answers an operation the WSDL does not have with a SOAP 1.1 Client fault', async () => {
    const answer = await postRaw(sim, phpEnvelope('payEverything', CONTEXT));
    expect(answer.status).toBe(500);
    expect(answer.text).toContain('<soap:Fault><faultcode>soap:Client</faultcode>');
  });

  it('answers malformed XML with a plain SOAP 1.1 Client fault and no header', async () => {
    const answer = await postRaw(sim, phpEnvelope('sendInvoice', '<context><unclosed></context>'));
    expect(answer.status).toBe(500);
    expect(answer.text).toContain('<soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Invalid XML</faultstring>');
    expect(answer.text).not.toContain('Header');
  });

  it('answers the operations SEQR does not offer webshops with 91 UNSUPPORTED_OPERATION', async () => {
    const answer = await seqr.call('assignSeqrId', { context: { clientRequestTimeout: 0, initiatorPrincipalId: { id: 'local-webshop', type: 'TERMINALID' }, password: 'local-password' }, seqrId: 'x' });
    expect(answer.resultCode).toBe(91);
  });

  it('is readable by the soap package client from its own WSDL', async () => {
    const answer = await seqr.sendInvoice();
    expect(answer).toMatchObject({ resultCode: 0, resultDescription: 'SUCCESS' });
    expect(seqr.lastResponse).toContain('<ns2:sendInvoiceResponse');
  });
});
