/**
 * The bundle report: its checks on metafiles made by hand, then every function
 * bundled for real with the production options (the same run as
 * `npm run bundle-report`), each within its budget.
 */
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  PLAIN_BUDGET_BYTES,
  SOAP_BUDGET_BYTES,
  budgetOf,
  bundleProblems,
  bundleReport,
  cutPackagesIn,
  failures,
  formatReport,
  soapInputs,
  type BundleReportRow,
} from '../../infra/bundle-report.js';
import { FUNCTIONS } from '../../src/catalog.js';

function metafile(inputs: string[]): Metafile {
  return { inputs: Object.fromEntries(inputs.map((input) => [input, { bytes: 1, imports: [] }])), outputs: {} };
}

const SOAP = metafile(['node_modules/soap/lib/soap.js', 'node_modules/axios/dist/node/axios.cjs', 'src/adapters/seqr/client.ts']);
const PLAIN = metafile(['src/handlers/shop-api/get-invoice.ts', 'node_modules/zod/v4/mini/index.js']);

describe('When the bundle report reads a metafile', () => {
  it('should find inputs from the soap package, with either path separator', () => {
    expect(soapInputs(metafile(['node_modules/soap/lib/soap.js', 'src/log.ts', 'node_modules\\soap\\lib\\wsdl\\index.js']))).toHaveLength(2);
  });

  it('should not mistake a package whose name merely contains soap', () => {
    expect(soapInputs(metafile(['node_modules/soap-lite/index.js', 'src/adapters/seqr/soap-wire.ts']))).toEqual([]);
  });

  it('should find a stubbed-out package that is back, under any parent package', () => {
    expect(cutPackagesIn(metafile(['node_modules/soap/node_modules/xml-crypto/lib/index.js', 'node_modules/mime-db/db.json']))).toEqual(['xml-crypto', 'mime-db']);
    expect(cutPackagesIn(SOAP)).toEqual([]);
  });
});

describe('When the bundle report weighs a bundle against its budget', () => {
  it('should give 350 KB to a function that speaks SEQR and 40 KB to any other', () => {
    expect(SOAP_BUDGET_BYTES).toBe(350_000);
    expect(PLAIN_BUDGET_BYTES).toBe(40_000);
    expect(budgetOf({ seqr: true })).toBe(350_000);
    expect(budgetOf({ seqr: false })).toBe(40_000);
  });

  it('should pass a bundle at its budget and fail one a byte over', () => {
    expect(bundleProblems({ seqr: true }, 350_000, SOAP)).toEqual([]);
    expect(bundleProblems({ seqr: true }, 350_001, SOAP)).toEqual(['over budget: 350.0 KB > 350.0 KB']);
    expect(bundleProblems({ seqr: false }, 40_000, PLAIN)).toEqual([]);
    expect(bundleProblems({ seqr: false }, 41_250, PLAIN)).toEqual(['over budget: 41.3 KB > 40.0 KB']);
  });

  it('should fail a function without SEQR that bundles soap, even within its budget', () => {
    expect(bundleProblems({ seqr: false }, 5_734, SOAP)).toEqual(['bundles the soap package but does not speak SEQR (seqr: false)']);
  });

  it('should fail a bundle that carries a stubbed-out package again', () => {
    const problems = bundleProblems({ seqr: true }, 300_000, metafile(['node_modules/soap/lib/soap.js', 'node_modules/formidable/src/index.js']));
    expect(problems).toEqual(['bundles formidable, stubbed out in infra/bundling.ts (STUBBED_MODULES)']);
  });

  it('should print one row per function with its size, budget and problems, and fail only rows with problems', () => {
    const rows: BundleReportRow[] = [
      { name: 'getInvoice', entry: 'src/handlers/shop-api/get-invoice.ts', seqr: false, budget: 40_000, bytes: 45_678, mapBytes: 60_000, hasSoap: false, problems: ['over budget: 45.7 KB > 40.0 KB'] },
      { name: 'createInvoice', entry: 'src/handlers/shop-api/create-invoice.ts', seqr: true, budget: 350_000, bytes: 284_900, hasSoap: true, problems: [] },
      { name: 'wsConnect', entry: 'src/handlers/websocket/connect.ts', seqr: false, budget: 40_000, problems: [], missing: 'missing (handler not written yet)' },
    ];
    const text = formatReport(rows);
    expect(text).toMatch(/getInvoice\s+no\s+45\.7 KB\s+40\.0 KB\s+no\s+60\.0 KB\s+over budget: 45\.7 KB > 40\.0 KB/);
    expect(text).toMatch(/createInvoice\s+yes\s+284\.9 KB\s+350\.0 KB\s+yes\s+-/);
    expect(text).toMatch(/wsConnect\s+no\s+-\s+40\.0 KB\s+-\s+-\s+missing/);
    expect(failures(rows).map((row) => row.name)).toEqual(['getInvoice']);
  });
});

describe('When every function is bundled for real', () => {
  it('should keep every bundle within its budget, and soap only in the functions that speak SEQR', async () => {
    const rows = await bundleReport();
    expect(rows.map((row) => row.name).sort()).toEqual(Object.keys(FUNCTIONS).sort());
    for (const row of rows) {
      expect(row.missing, row.name).toBeUndefined();
      expect(row.problems, row.name).toEqual([]);
      expect(row.hasSoap, row.name).toBe(row.seqr);
      expect(row.bytes, row.name).toBeLessThanOrEqual(budgetOf(row));
      // The functions without SOAP stay well under their budget today: a cold start pays for every byte.
      if (!row.seqr) expect(row.bytes, row.name).toBeLessThan(24 * 1024);
    }
    expect(failures(rows)).toEqual([]);
  }, 180_000);
});
