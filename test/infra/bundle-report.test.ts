/** The bundle report's soap check, on metafiles made by hand (the real bundles run in `npm run bundle-report`). */
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleReport, formatReport, soapInputs } from '../../infra/bundle-report.js';
import { FUNCTIONS } from '../../src/catalog.js';

function metafile(inputs: string[]): Metafile {
  return { inputs: Object.fromEntries(inputs.map((input) => [input, { bytes: 1, imports: [] }])), outputs: {} };
}

describe('When the bundle report reads a metafile', () => {
  it('should find inputs from the soap package, with either path separator', () => {
    expect(soapInputs(metafile(['node_modules/soap/lib/soap.js', 'src/log.ts', 'node_modules\\soap\\lib\\wsdl\\index.js']))).toHaveLength(2);
  });

  it('should not mistake a package whose name merely contains soap', () => {
    expect(soapInputs(metafile(['node_modules/soap-lite/index.js', 'src/adapters/seqr/soap-wire.ts']))).toEqual([]);
  });

  it('should print one row per function with its size and problem', () => {
    const text = formatReport([
      { name: 'getInvoice', entry: 'src/handlers/shop-api/get-invoice.ts', seqr: false, bytes: 5_734, hasSoap: true, problem: 'bundles the soap package' },
    ]);
    expect(text).toMatch(/getInvoice\s+no\s+5\.6 KiB\s+yes\s+bundles the soap package/);
  });
});

describe('When every function is bundled for real', () => {
  it('should keep soap out of every function that never speaks SEQR, and in every one that does', async () => {
    const rows = await bundleReport();
    expect(rows.map((row) => row.name).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const row of rows) {
      expect(row.problem, row.name).toBeUndefined();
      expect(row.hasSoap, row.name).toBe(row.seqr);
      // The functions without SOAP stay small: a cold start pays for every byte.
      if (!row.seqr) expect(row.bytes, row.name).toBeLessThan(16 * 1024);
    }
  }, 120_000);
});
