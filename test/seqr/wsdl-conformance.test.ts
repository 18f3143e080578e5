/**
 * Our WSDL must speak exactly SEQR's interface: the reference WSDL (SEQR's
 * published interface, kept in test/fixtures/seqr so a clone stands alone) declares the operations and element order we check
 * against, and a client built from the reference itself must work with our simulator.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeqrSimulator, type RunningSimulator } from '../../local/seqr-simulator/index.js';
import { SeqrClient } from '../../src/adapters/seqr/client.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const REFERENCE = path.join(ROOT, 'test', 'fixtures', 'seqr', 'ERSWSExternalClientService.wsdl');
const OURS = path.join(ROOT, 'src', 'adapters', 'seqr', 'merchant.wsdl');
const WEBSHOP_OPERATIONS = [
  'sendInvoice',
  'getPaymentStatus',
  'markTransactionPeriod',
  'updateInvoice',
  'cancelInvoice',
  'submitPaymentReceipt',
  'executeReport',
  'refundPayment',
  'commitReservation',
];

interface Wsdl {
  namespace: string;
  operations: string[];
  /** Each named complexType's element names, in document order (extensions included). */
  types: Map<string, string[]>;
  /** Each top-level element's type. */
  elements: Map<string, string>;
}

/** A small reader of the one WSDL dialect both files use: enough to compare them, nothing more. */
function readWsdl(file: string): Wsdl {
  const xml = readFileSync(file, 'utf8');
  const namespace = /targetNamespace="([^"]+)"/.exec(xml)![1]!;
  const portType = /<wsdl:portType[\s\S]*?<\/wsdl:portType>/.exec(xml)![0];
  const operations = [...portType.matchAll(/<wsdl:operation name="(\w+)"/g)].map((m) => m[1]!);
  const types = new Map<string, string[]>();
  const elements = new Map<string, string>();
  let current: string | undefined;
  let depth = 0;
  for (const tag of xml.matchAll(/<(\/?)xs:(\w+)([^>]*?)(\/?)>/g)) {
    const [, closing, kind, attributes = '', selfClosing] = tag;
    const name = /\bname="([^"]+)"/.exec(attributes)?.[1];
    if (kind === 'complexType') {
      if (!closing && name && depth === 0) {
        current = name;
        types.set(name, []);
      }
      if (!closing && !selfClosing) depth++;
      if (closing && --depth === 0) current = undefined;
    } else if (kind === 'element' && name) {
      if (current) types.get(current)!.push(name);
      else elements.set(name, /\btype="[^":]*:?([^"]+)"/.exec(attributes)?.[1] ?? '');
    }
  }
  return { namespace, operations, types, elements };
}

const reference = readWsdl(REFERENCE);
const ours = readWsdl(OURS);

describe('When our WSDL is compared with SEQR’s published one', () => {
  it('should use the same target namespace', () => {
    expect(ours.namespace).toBe('http://external.interfaces.ers.seamless.com/');
    expect(ours.namespace).toBe(reference.namespace);
  });

  it('should declare the same operations', () => {
    expect(reference.operations).toHaveLength(19);
    expect([...ours.operations].sort()).toEqual([...reference.operations].sort());
  });

  for (const operation of WEBSHOP_OPERATIONS) {
    it(`should declare ${operation}'s request and response elements with the same names in the same order`, () => {
      for (const element of [operation, `${operation}Response`]) {
        const type = reference.elements.get(element)!;
        expect(ours.elements.get(element)).toBe(type);
        expect(ours.types.get(type)).toEqual(reference.types.get(type));
      }
    });
  }

  it('should declare the shared types (context, invoice, rows, amount, receipt, status response) identically', () => {
    for (const type of ['clientContext', 'principalId', 'invoice', 'paymentInvoiceRow', 'amount', 'receipt', 'erswsResponse', 'erswsPaymentStatusResponse', 'erswsSendInvoiceResponse', 'report', 'receiptDocument', 'parameterMap', 'mapArray', 'parameter']) {
      expect(reference.types.get(type), type).toBeDefined();
      expect(ours.types.get(type), type).toEqual(reference.types.get(type));
    }
  });
});

describe('When a client is built from SEQR’s own WSDL', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSeqrSimulator({ port: 0, log: () => undefined });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('should send an invoice and read its status from the simulator', async () => {
    const client = new SeqrClient({
      endpointUrl: sim.soapUrl,
      wsdlPath: REFERENCE,
      terminalCredentials: async () => ({ terminalId: 'local-webshop', password: 'local-password' }),
      clientId: 'conformance',
      clientReference: 'conformance 1',
      timeoutMs: 2_000,
    });
    const sent = await client.sendInvoice({
      title: 'Conformance',
      invoiceRows: [{ itemDescription: 'Tea', itemQuantity: '3', itemUnitPrice: { currency: 'EUR', value: '1.10' }, itemTotalAmount: { currency: 'EUR', value: '3.30' } }],
      totalAmount: { currency: 'EUR', value: '3.30' },
    });
    expect(sent.invoiceReference).toMatch(/^\d{13,17}$/);
    const status = await client.getPaymentStatus(sent.invoiceReference);
    expect(status.status).toBe('ISSUED');
  });
});
