/** The pure parts of reconciliation: reading SEQR's report XML and comparing rows with invoices, exactly. */
import { describe, expect, it } from 'vitest';
import { compare, compareRefunds, decimalsEqual, parseDecimal, saleRows } from '../../src/core/periods/reconciliation.js';
import { ReportFormatError, parseReportXml, reportText } from '../../src/core/periods/report-xml.js';
import type { PeriodInvoice, PeriodRefund } from '../../src/core/periods/ports.js';

const ERS = (n: number) => String(n).padStart(25, '7');

describe('When a report is read', () => {
  it('should give the root, the Meta fields and each Row’s fields, as the simulator writes them', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><TransactionDetails><Meta><ResellerId>r</ResellerId><TransactionPeriodId>1</TransactionPeriodId></Meta>' +
      '<Row><TerminalId>t</TerminalId><CashierId/><SalesAmount>50.00</SalesAmount><ErsReference>123</ErsReference></Row>' +
      '<Row><TerminalId>t</TerminalId><CashierId>c&amp;1</CashierId><SalesAmount>0.10</SalesAmount><ErsReference>456</ErsReference></Row></TransactionDetails>';
    expect(parseReportXml(xml)).toEqual({
      root: 'TransactionDetails',
      meta: { ResellerId: 'r', TransactionPeriodId: '1' },
      rows: [
        { TerminalId: 't', CashierId: '', SalesAmount: '50.00', ErsReference: '123' },
        { TerminalId: 't', CashierId: 'c&1', SalesAmount: '0.10', ErsReference: '456' },
      ],
    });
  });

  it('should read what other servers may send: whitespace, prefixes, attributes, comments, CDATA and character references', () => {
    const xml = `<!-- generated -->
      <ns:TransactionDetails xmlns:ns="urn:x" version="1">
        <ns:Meta><ns:ResellerId> r </ns:ResellerId></ns:Meta>
        <ns:Row kind="sale"><ns:SalesAmount>1.00</ns:SalesAmount><ns:ErsReference><![CDATA[9<9]]></ns:ErsReference><ns:CashierId>&#65;&#x42;</ns:CashierId></ns:Row>
      </ns:TransactionDetails>`;
    expect(parseReportXml(xml)).toEqual({ root: 'TransactionDetails', meta: { ResellerId: 'r' }, rows: [{ SalesAmount: '1.00', ErsReference: '9<9', CashierId: 'AB' }] });
  });

  it('should refuse what is not one document, and DTDs', () => {
    for (const bad of ['', 'plain text', '<a><b></a>', '<a></a><b></b>', '<a>', '<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<a><!-- open</a>']) {
      expect(() => parseReportXml(bad), bad).toThrow(ReportFormatError);
    }
  });

  it('should take contentString, or else the base64 content', () => {
    expect(reportText({ contentString: '<a/>', content: Buffer.from('<b/>').toString('base64') })).toBe('<a/>');
    expect(reportText({ content: Buffer.from('<b>å</b>').toString('base64') })).toBe('<b>å</b>');
    expect(reportText({})).toBeUndefined();
  });
});

describe('When amounts are compared', () => {
  it('should compare decimals exactly, whatever their scale', () => {
    expect(decimalsEqual(parseDecimal('50')!, parseDecimal('50.00')!)).toBe(true);
    expect(decimalsEqual(parseDecimal('0.10')!, parseDecimal('0.1')!)).toBe(true);
    expect(decimalsEqual(parseDecimal('0.30')!, parseDecimal('0.3000000000000001')!)).toBe(false);
    expect(decimalsEqual(parseDecimal('-1.5')!, parseDecimal('-1.50')!)).toBe(true);
    expect(parseDecimal('1e3')).toBeUndefined();
    expect(parseDecimal('12,50')).toBeUndefined();
  });
});

describe('When report rows are compared with our invoices', () => {
  const invoice = (n: number, total: string, extra: Partial<PeriodInvoice> = {}): PeriodInvoice => ({
    invoiceReference: String(1000 + n),
    status: 'PAID',
    total,
    currency: 'SEK',
    ersReference: ERS(n),
    paidAt: '2030-01-01T10:00:00.000Z',
    ...extra,
  });
  const row = (n: number, amount: string, terminal = 'shop') => ({ TerminalId: terminal, CashierId: '', SalesAmount: amount, ErsReference: ERS(n) });

  it('should match equal amounts and name every kind of difference', () => {
    const rows = saleRows([row(1, '10.00'), row(2, '20.5'), row(4, '4.00')], 'shop');
    const { differences, matched } = compare([invoice(1, '10.00'), invoice(2, '20.00'), invoice(3, '3.00')], rows);
    expect(matched).toBe(1);
    expect(differences).toEqual([
      expect.objectContaining({ kind: 'amount_mismatch', invoiceReference: '1002', storedAmount: '20.00', seqrAmount: '20.5' }),
      expect.objectContaining({ kind: 'missing_on_seqr_side', invoiceReference: '1003', ersReference: ERS(3), storedStatus: 'PAID' }),
      { kind: 'missing_on_our_side', ersReference: ERS(4), seqrAmount: '4.00', terminalId: 'shop' },
    ]);
  });

  it('should leave other terminals’ rows and refund rows out of the payments’ comparison, and count them', () => {
    const rows = saleRows([row(1, '10.00'), row(5, '5.00', 'the-cafe-till'), row(6, '-2.00')], 'shop');
    expect(rows.otherTerminalRows).toBe(1);
    expect(rows.refundRows).toBe(1);
    expect(compare([invoice(1, '10.00')], rows)).toEqual({ differences: [], matched: 1 });
  });

  it('should see a payment SEQR lists twice as an amount that differs', () => {
    const { differences } = compare([invoice(1, '10.00')], saleRows([row(1, '10.00'), row(1, '10.00')], 'shop'));
    expect(differences).toEqual([expect.objectContaining({ kind: 'amount_mismatch', seqrAmount: '20.00', note: 'SEQR lists this payment 2 times' })]);
  });

  it('should report a row without an ErsReference and an unreadable amount', () => {
    const { differences } = compare([invoice(1, '10.00')], saleRows([{ TerminalId: 'shop', SalesAmount: '1.00' }, row(1, 'ten')], 'shop'));
    expect(differences.map((d) => d.kind).sort()).toEqual(['amount_mismatch', 'missing_on_our_side']);
  });
});

describe('When report refund rows are compared with our refunds', () => {
  const refund = (n: number, amount: string): PeriodRefund => ({
    invoiceReference: String(2000 + n),
    refundId: `r${n}`,
    ersReference: ERS(100 + n),
    amount,
    currency: 'SEK',
    completedAt: '2030-01-01T11:00:00.000Z',
  });
  const row = (n: number, amount: string, terminal = 'shop') => ({ TerminalId: terminal, CashierId: '', SalesAmount: amount, ErsReference: ERS(100 + n) });

  it('should match |SalesAmount| with our amount exactly and name each difference as a refund', () => {
    const rows = saleRows([row(1, '-10.00'), row(2, '-2.5'), row(4, '-4.00'), row(5, '-1.00', 'the-cafe-till')], 'shop');
    expect(rows.refundRows).toBe(3);
    expect(rows.sales.size).toBe(0);
    const { differences, matched } = compareRefunds([refund(1, '10'), refund(2, '2.00'), refund(3, '3.00')], rows);
    expect(matched).toBe(1);
    expect(differences).toEqual([
      expect.objectContaining({ kind: 'amount_mismatch', subject: 'refund', refundId: 'r2', invoiceReference: '2002', storedAmount: '2.00', seqrAmount: '-2.5' }),
      expect.objectContaining({ kind: 'missing_on_seqr_side', subject: 'refund', refundId: 'r3', ersReference: ERS(103), storedAmount: '3.00' }),
      { kind: 'missing_on_our_side', subject: 'refund', ersReference: ERS(104), seqrAmount: '-4.00', terminalId: 'shop' },
    ]);
  });

  it('should see a refund listed twice as an amount that differs, and a positive row as no refund', () => {
    expect(compareRefunds([refund(1, '10.00')], saleRows([row(1, '-10.00'), row(1, '-10.00')], 'shop')).differences).toEqual([
      expect.objectContaining({ kind: 'amount_mismatch', seqrAmount: '-20.00', note: 'SEQR lists this refund 2 times' }),
    ]);
    const positive = saleRows([row(1, '10.00')], 'shop');
    expect(compareRefunds([refund(1, '10.00')], positive).differences).toEqual([expect.objectContaining({ kind: 'missing_on_seqr_side', subject: 'refund' })]);
  });
});
