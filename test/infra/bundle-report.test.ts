/** The bundle report's soap check, on metafiles made by hand (the real bundles run in `npm run bundle-report`). */
import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { formatReport, soapInputs } from '../../infra/bundle-report.js';

function metafile(inputs: string[]): Metafile {
  return { inputs: Object.fromEntries(inputs.map((input) => [input, { bytes: 1, imports: [] }])), outputs: {} };
}

describe('When the bundle report reads a metafile', () => {
  it('should find inputs from the soap package, with either path separator', () => {
    expect(soapInputs(metafile(['node_modules/soap/lib/soap.js', 'shared/log.ts', 'node_modules\\soap\\lib\\wsdl\\index.js']))).toHaveLength(2);
  });

  it('should not mistake a package whose name merely contains soap', () => {
    expect(soapInputs(metafile(['node_modules/soap-lite/index.js', 'shared/seqr/soap-wire.ts']))).toEqual([]);
  });

  it('should print one row per function with its size and problem', () => {
    const text = formatReport([
      { name: 'getInvoice', entry: 'functions/get-invoice/handler.ts', seqr: false, bytes: 5_734, hasSoap: true, problem: 'bundles the soap package' },
    ]);
    expect(text).toMatch(/getInvoice\s+no\s+5\.6 KiB\s+yes\s+bundles the soap package/);
  });
});
