/**
 * `npm run bundle-report`: bundles every function the way the CDK construct
 * does (the options come from infra/bundling.ts), prints each minified size
 * against its budget, and exits non-zero when
 * - a bundle is over its budget (SOAP_BUDGET_BYTES for functions that speak
 *   SEQR, PLAIN_BUDGET_BYTES for the others: a cold start pays for every byte),
 * - a function that does not speak SEQR (`seqr: false` in the catalog) pulls in
 *   the `soap` package, or
 * - a package cut by STUBBED_MODULES is back in a bundle.
 * Sizes are of `index.mjs` only, in KB of 1000 bytes. The source map beside it
 * (`index.mjs.map`, line mappings only, for the `--enable-source-maps` stack
 * traces the construct turns on) is printed but not budgeted: Node reads and
 * parses it at load, but never evaluates it, and it shrinks with the bundle.
 * Handlers not written yet are listed as missing, not failed.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../src/catalog.js';
import { BUNDLE_FILE, CUT_PACKAGES, PAYMENT_VIEW_BUILD_MODULE, PAYMENT_VIEW_FILE, PROJECT_ROOT, esbuildOptions } from './bundling.js';

/** Budget of a function that speaks SEQR (bundles `soap`): 350 KB minified. */
export const SOAP_BUDGET_BYTES = 350_000;
/** Budget of every other function: 40 KB minified. */
export const PLAIN_BUDGET_BYTES = 40_000;

export function budgetOf(spec: Pick<FunctionSpec, 'seqr'>): number {
  return spec.seqr ? SOAP_BUDGET_BYTES : PLAIN_BUDGET_BYTES;
}

export interface BundleReportRow {
  name: FunctionName;
  entry: string;
  seqr: boolean;
  /** The most index.mjs may weigh. */
  budget: number;
  /** Bytes of the minified index.mjs; undefined when the handler does not exist yet. */
  bytes?: number;
  /** Bytes of index.mjs.map (not budgeted). */
  mapBytes?: number;
  /** Whether any input comes from node_modules/soap/. */
  hasSoap?: boolean;
  /** Bytes of payment-view.js (paymentView only). */
  assetBytes?: number;
  /** What is wrong with the bundle: any entry fails the report. */
  problems: string[];
  /** Why there is no bundle (handler not written yet): not a failure. */
  missing?: string;
}

function inputsFrom(metafile: Metafile, pkg: string): string[] {
  return Object.keys(metafile.inputs).filter((input) => input.replace(/\\/g, '/').includes(`node_modules/${pkg}/`));
}

/** The metafile inputs that come from the soap package. */
export function soapInputs(metafile: Metafile): string[] {
  return inputsFrom(metafile, 'soap');
}

/** The packages of CUT_PACKAGES that are in the bundle anyway. */
export function cutPackagesIn(metafile: Metafile): string[] {
  return CUT_PACKAGES.filter((pkg) => inputsFrom(metafile, pkg).length > 0);
}

export function kb(bytes: number | undefined): string {
  return bytes === undefined ? '-' : `${(bytes / 1000).toFixed(1)} KB`;
}

/** Everything wrong with one function's bundle, from its size and metafile. */
export function bundleProblems(spec: Pick<FunctionSpec, 'seqr'>, bytes: number, metafile: Metafile): string[] {
  const problems: string[] = [];
  const budget = budgetOf(spec);
  if (bytes > budget) problems.push(`over budget: ${kb(bytes)} > ${kb(budget)}`);
  if (!spec.seqr && soapInputs(metafile).length > 0) problems.push('bundles the soap package but does not speak SEQR (seqr: false)');
  const cut = cutPackagesIn(metafile);
  if (cut.length > 0) problems.push(`bundles ${cut.join(', ')}, stubbed out in infra/bundling.ts (STUBBED_MODULES)`);
  return problems;
}

async function bundleOne(name: FunctionName, spec: FunctionSpec, outdir: string): Promise<BundleReportRow> {
  const row: BundleReportRow = { name, entry: spec.entry, seqr: spec.seqr, budget: budgetOf(spec), problems: [] };
  if (!existsSync(path.join(PROJECT_ROOT, spec.entry))) return { ...row, missing: 'missing (handler not written yet)' };
  const options = esbuildOptions(spec, path.join(outdir, name));
  const result = await build(options);
  const file = path.join(outdir, name, BUNDLE_FILE);
  row.bytes = statSync(file).size;
  if (existsSync(`${file}.map`)) row.mapBytes = statSync(`${file}.map`).size;
  row.hasSoap = soapInputs(result.metafile).length > 0;
  row.problems = bundleProblems(spec, row.bytes, result.metafile);
  if (name === 'paymentView' && existsSync(path.join(PROJECT_ROOT, PAYMENT_VIEW_BUILD_MODULE))) {
    const web = (await import(pathToFileURL(path.join(PROJECT_ROOT, PAYMENT_VIEW_BUILD_MODULE)).href)) as {
      buildPaymentView(options: { outfile: string }): Promise<{ bytes: number }>;
    };
    row.assetBytes = (await web.buildPaymentView({ outfile: path.join(outdir, name, PAYMENT_VIEW_FILE) })).bytes;
  }
  return row;
}

/** Bundles every function that exists, one at a time (the machine is small). */
export async function bundleReport(): Promise<BundleReportRow[]> {
  const outdir = mkdtempSync(path.join(tmpdir(), 'seqr-bundle-report-'));
  try {
    const names = Object.keys(FUNCTIONS) as FunctionName[];
    const rows: BundleReportRow[] = [];
    for (const name of names) rows.push(await bundleOne(name, FUNCTIONS[name], outdir));
    return rows;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function formatReport(rows: readonly BundleReportRow[]): string {
  const header = ['function', 'seqr', 'index.mjs', 'budget', 'soap', 'map', 'note'];
  const lines = rows.map((row) => [
    row.name,
    row.seqr ? 'yes' : 'no',
    kb(row.bytes),
    kb(row.budget),
    row.hasSoap === undefined ? '-' : row.hasSoap ? 'yes' : 'no',
    kb(row.mapBytes),
    [...row.problems, row.missing, row.assetBytes !== undefined ? `+ ${PAYMENT_VIEW_FILE} ${kb(row.assetBytes)}` : undefined].filter(Boolean).join('; '),
  ]);
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...lines.map((line) => line[i]!.length)));
  return [header, ...lines].map((line) => line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The rows that fail the report. */
export function failures(rows: readonly BundleReportRow[]): BundleReportRow[] {
  return rows.filter((row) => row.problems.length > 0);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const rows = await bundleReport();
  console.log(formatReport(rows));
  const failed = failures(rows);
  const missing = rows.filter((row) => row.missing);
  if (missing.length > 0) console.log(`\n${missing.length} handler(s) not written yet: ${missing.map((row) => row.name).join(', ')}`);
  if (failed.length > 0) {
    console.error(`\nFAIL: ${failed.map((row) => `${row.name}: ${row.problems.join('; ')}`).join('\n      ')}`);
    process.exitCode = 1;
  } else {
    console.log(`\nOK: every bundle within budget (SEQR ${kb(SOAP_BUDGET_BYTES)}, others ${kb(PLAIN_BUDGET_BYTES)}); no function without SEQR bundles soap.`);
  }
}
