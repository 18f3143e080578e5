/**
 * `npm run build` (and `npm pack`, through `prepack`): the package a shop installs.
 *
 * - `dist/infra/`, `dist/src/`: the construct and what it imports, compiled by
 *   `tsc -p tsconfig.build.json` to ES modules with `.d.ts` (`@internal` stripped).
 * - `dist/assets/<function>/`: every catalog function's production bundle, built
 *   with the esbuild options of infra/bundling.ts (the ones NodejsFunction gets),
 *   with `merchant.wsdl` beside the functions that speak SEQR and
 *   `payment-view.js` beside the payment-view function. The compiled construct
 *   deploys these with `Code.fromAsset`, so the shop's app bundles nothing.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../src/catalog.js';
import { PACKAGE_ASSETS_DIR, PAYMENT_VIEW_BUILD_MODULE, PAYMENT_VIEW_FILE, PROJECT_ROOT, WSDL_FILE, WSDL_SOURCE, esbuildOptions } from './bundling.js';

export const DIST_DIR = path.join(PROJECT_ROOT, 'dist');

/** Writes one function's bundle, and the files it reads from beside it, into `outdir`. */
export async function buildFunctionAsset(name: FunctionName, spec: FunctionSpec, outdir: string): Promise<void> {
  await build({ ...esbuildOptions(spec, outdir), logLevel: 'warning' });
  if (spec.seqr) copyFileSync(path.join(PROJECT_ROOT, WSDL_SOURCE), path.join(outdir, WSDL_FILE));
  if (name === 'paymentView') {
    const web = (await import(pathToFileURL(path.join(PROJECT_ROOT, PAYMENT_VIEW_BUILD_MODULE)).href)) as {
      buildPaymentView(options: { outfile: string }): Promise<{ bytes: number }>;
    };
    await web.buildPaymentView({ outfile: path.join(outdir, PAYMENT_VIEW_FILE) });
  }
}

/** Every function of the catalog, a few at a time. */
export async function buildFunctionAssets(assetsDir = PACKAGE_ASSETS_DIR): Promise<FunctionName[]> {
  const names = Object.keys(FUNCTIONS) as FunctionName[];
  const missing = names.filter((name) => !existsSync(path.join(PROJECT_ROOT, FUNCTIONS[name].entry)));
  if (missing.length > 0) throw new Error(`no handler for ${missing.join(', ')}: every catalog function ships in the package`);
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) await buildFunctionAsset(name, FUNCTIONS[name], path.join(assetsDir, name));
  };
  await Promise.all([worker(), worker(), worker()]);
  return names;
}

/** Compiles the construct with the project's own TypeScript. */
export function compileConstruct(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(PROJECT_ROOT, 'tsconfig.build.json')], { cwd: PROJECT_ROOT, stdio: 'inherit' });
}

export async function buildPackage(): Promise<void> {
  rmSync(DIST_DIR, { recursive: true, force: true });
  compileConstruct();
  await buildFunctionAssets();
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const started = Date.now();
  await buildPackage();
  console.log(`dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s: the construct (dist/infra, dist/src) and ${Object.keys(FUNCTIONS).length} function bundles (dist/assets)`);
}
