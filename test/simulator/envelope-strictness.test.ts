/**
 * SEQR's server is Apache CXF: SOAP 1.1, document/literal, only the operation
 * element qualified in SEQR's namespace and everything inside it unqualified.
 * The simulator refuses what CXF refuses and accepts the forms real clients send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator } from '../../local/seqr-simulator/index.js';
import { postRaw, Seqr, startSimulator } from './helpers.js';

const NS = 'http://external.interfaces.ers.seamless.com/';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

/** The context and invoice as children of the operation; `p` prefixes each element (qualified children). */
function context(p = ''): string {
  return (
    `<${p}context><${p}channel>WS</${p}channel><${p}clientId>strict</${p}clientId><${p}clientReference>strict-1</${p}clientReference>` +
    `<${p}clientRequestTimeout>0</${p}clientRequestTimeout><${p}initiatorPrincipalId><${p}id>local-webshop</${p}id><${p}type>TERMINALID</${p}type></${p}initiatorPrincipalId>` +
    `<${p}password>local-password</${p}password></${p}context>`
  );
}

function invoiceXml(p = ''): string {
  return (
    `<${p}invoice><${p}paymentMode>IMMEDIATE_DEBIT</${p}paymentMode><${p}acknowledgmentMode>NO_ACKNOWLEDGMENT</${p}acknowledgmentMode>` +
    `<${p}title>Strict</${p}title><${p}clientInvoiceId>s-1</${p}clientInvoiceId>` +
    `<${p}totalAmount><${p}currency>SEK</${p}currency><${p}value>1.00</${p}value></${p}totalAmount><${p}cashierId>web</${p}cashierId></${p}invoice>`
  );
}

const SEND_INVOICE = context() + invoiceXml();

function soap11(body: string, envelopeAttributes = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="${SOAP11}"${envelopeAttributes}><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

describe('SOAP envelope strictness (as SEQR’s CXF server)', () => {
  let sim: RunningSimulator;

  beforeAll(async () => {
    sim = await startSimulator();
  });
  afterAll(() => sim.stop());

  describe('refuses with HTTP 500 and a SOAP 1.1 soap:Client Fault, without running the operation', () => {
    const refused: [string, string, Record<string, string>?][] = [
      ['qualified children (<ext:context>)', soap11(`<ext:sendInvoice xmlns:ext="${NS}">${context('ext:')}${invoiceXml('ext:')}</ext:sendInvoice>`)],
      [
        'one qualified descendant deep inside an unqualified child',
        soap11(
          `<ext:sendInvoice xmlns:ext="${NS}">${context().replace('<id>local-webshop</id>', '<ext:id>local-webshop</ext:id>')}${invoiceXml()}</ext:sendInvoice>`,
        ),
      ],
      ['a default namespace on the operation element, inherited by its children', soap11(`<sendInvoice xmlns="${NS}">${SEND_INVOICE}</sendInvoice>`)],
      ['the operation element in another namespace', soap11(`<x:sendInvoice xmlns:x="http://example.com/other/">${SEND_INVOICE}</x:sendInvoice>`)],
      ['the operation element in no namespace', soap11(`<sendInvoice>${SEND_INVOICE}</sendInvoice>`)],
      [
        'a SOAP 1.2 envelope',
        `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${SOAP12}"><env:Body><ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice></env:Body></env:Envelope>`,
        { 'Content-Type': 'application/soap+xml; charset=utf-8' },
      ],
      [
        'a SOAP 1.1 envelope whose Body is in the SOAP 1.2 namespace',
        `<soap:Envelope xmlns:soap="${SOAP11}" xmlns:env="${SOAP12}"><env:Body><ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice></env:Body></soap:Envelope>`,
      ],
      ['a root element that is no Envelope', `<ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice>`],
      [
        'a document type declaration',
        `<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY x "y">]>` + soap11(`<ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice>`),
      ],
    ];

    for (const [name, xml, headers] of refused) {
      it(name, async () => {
        const before = sim.invoices().length;
        const answer = await postRaw(sim, xml, headers);
        expect(answer.status).toBe(500);
        expect(answer.contentType).toMatch(/^text\/xml/);
        expect(answer.text).toMatch(
          new RegExp(`^<\\?xml[^>]*\\?><soap:Envelope xmlns:soap="${SOAP11.replace(/[./]/g, '\\$&')}"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>[^<]+</faultstring></soap:Fault></soap:Body></soap:Envelope>$`),
        );
        expect(sim.invoices().length).toBe(before);
        const last = sim.calls().at(-1)!;
        expect(last).toMatchObject({ resultCode: null, fault: 'invalidEnvelope' });
      });
    }

    it('says what is wrong in the faultstring', async () => {
      const qualified = await postRaw(sim, soap11(`<ext:sendInvoice xmlns:ext="${NS}">${context('ext:')}${invoiceXml()}</ext:sendInvoice>`));
      expect(qualified.text).toContain('Element context in sendInvoice must be unqualified');
      const wrong = await postRaw(sim, soap11(`<sendInvoice>${SEND_INVOICE}</sendInvoice>`));
      expect(wrong.text).toContain(`Operation element sendInvoice must be in namespace ${NS} (found no namespace)`);
      const v12 = await postRaw(sim, `<env:Envelope xmlns:env="${SOAP12}"><env:Body/></env:Envelope>`);
      expect(v12.text).toContain('SOAP 1.2 envelope; this endpoint speaks SOAP 1.1 only');
    });

    it('logs the call with the operation it named', async () => {
      await postRaw(sim, soap11(`<sendInvoice>${SEND_INVOICE}</sendInvoice>`));
      expect(sim.calls().at(-1)).toMatchObject({ operation: 'sendInvoice', resultCode: null, fault: 'invalidEnvelope' });
    });
  });

  describe('accepts', () => {
    const accepted: [string, string, Record<string, string>?][] = [
      [
        'PHP SoapClient (SOAP-ENV prefix, ns1: on the operation, declared on the Envelope)',
        `<?xml version="1.0" encoding="UTF-8"?>\n<SOAP-ENV:Envelope xmlns:SOAP-ENV="${SOAP11}" xmlns:ns1="${NS}"><SOAP-ENV:Body><ns1:sendInvoice>${SEND_INVOICE}</ns1:sendInvoice></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
      ],
      [
        'suds (an empty SOAP-ENV:Header, the Body under a second prefix for the same namespace)',
        `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:ns0="${NS}" xmlns:ns1="${SOAP11}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:SOAP-ENV="${SOAP11}">` +
          `<SOAP-ENV:Header/><ns1:Body><ns0:sendInvoice>${SEND_INVOICE}</ns0:sendInvoice></ns1:Body></SOAP-ENV:Envelope>`,
      ],
      [
        '.NET style: a default namespace on the operation, reset by xmlns="" on each child',
        `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="${SOAP11}"><s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
          `<sendInvoice xmlns="${NS}">${context().replace('<context>', '<context xmlns="">')}${invoiceXml().replace('<invoice>', '<invoice xmlns="">')}</sendInvoice></s:Body></s:Envelope>`,
      ],
      ['a non-empty SOAPAction', soap11(`<ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice>`), { SOAPAction: '"urn:sendInvoice"' }],
      ['a header entry in another namespace', soap11(`<ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice>`).replace('<soap:Body>', '<soap:Header><t:Trace xmlns:t="urn:trace">1</t:Trace></soap:Header><soap:Body>')],
      ['xsi:type attributes and comments', soap11(`<!-- shop --><ext:sendInvoice xmlns:ext="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">${context()}<!-- c -->${invoiceXml().replace('<title>', '<title xsi:type="xsd:string">')}</ext:sendInvoice>`)],
    ];

    for (const [name, xml, headers] of accepted) {
      it(name, async () => {
        const answer = await postRaw(sim, xml, headers);
        expect(answer.status).toBe(200);
        expect(answer.text).toContain(`<ns2:sendInvoiceResponse xmlns:ns2="${NS}"><return><resultCode>0</resultCode>`);
      });
    }

    it('no SOAPAction header at all', async () => {
      const response = await fetch(sim.soapUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        body: soap11(`<ext:sendInvoice xmlns:ext="${NS}">${SEND_INVOICE}</ext:sendInvoice>`),
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<resultCode>0</resultCode>');
    });

    it('the node-soap client built from the project WSDL', async () => {
      const seqr = await Seqr.connect(sim);
      const ref = await seqr.issue();
      expect(await seqr.status(ref)).toMatchObject({ resultCode: 0, status: 'ISSUED' });
    });
  });
});
