/**
 * How a handler becomes a Lambda bundle: one set of esbuild options shared by
 * the CDK construct (NodejsFunction, local esbuild, never Docker) and by
 * `npm run bundle-report`, so the report measures exactly what is deployed.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions } from 'esbuild';
import { LogLevel, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { FunctionName, FunctionSpec } from '../src/catalog.js';

/** The repository root: entries in the catalog are relative to it. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where `npm run build` writes each function's production bundle, one folder per
 * function (`dist/assets/<name>/index.mjs`, the WSDL or payment-view.js beside it).
 */
export const PACKAGE_ASSETS_DIR = path.join(PROJECT_ROOT, 'dist', 'assets');

/**
 * The prebuilt bundles beside this module: `dist/assets/` when it runs compiled
 * from the installed package (dist/infra/bundling.js), a folder that does not
 * exist when it runs from source (infra/bundling.ts), where functions are bundled.
 */
export const PREBUILT_ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/** esbuild target matching the Lambda runtime (Node.js 22). */
export const ESBUILD_TARGET = 'node22';

/** Lets CommonJS dependencies (soap, axios) call `require` inside an ESM bundle. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** Left to the Lambda runtime, which ships AWS SDK v3. */
export const EXTERNAL_MODULES: readonly string[] = ['@aws-sdk/*'];

/**
 * Modules `soap` 1.13 (and `axios` under it) load for features SEQR's plain
 * SOAP 1.1 over HTTPS never uses, each replaced in every bundle by a stub in
 * infra/stubs/ (esbuild `alias`) that loads for free and throws a clear error
 * if called. The value names the feature, and the stub file.
 * Proven by test/seqr/bundled-client.test.ts: the client bundled with these
 * options runs every operation against the simulator over real HTTP.
 */
export const STUBBED_MODULES = {
  /** WS-Security signing (WSSecurityCert); drags in xpath and @xmldom/xmldom. */
  'xml-crypto': 'infra/stubs/xml-crypto.cjs',
  /** MTOM multipart responses (parseResponseAttachments); drags in @paralleldrive/cuid2 and @noble/hashes. */
  formidable: 'infra/stubs/formidable.cjs',
  /** Boundary of MTOM multipart responses (parseResponseAttachments). */
  'whatwg-mimetype': 'infra/stubs/whatwg-mimetype.cjs',
  /** NTLM authentication; drags in des.js and js-md4. */
  'axios-ntlm': 'infra/stubs/axios-ntlm.cjs',
  /** axios's multipart/form-data bodies; drags in mime-types, mime-db (137 KB) and get-intrinsic. */
  'form-data': 'infra/stubs/form-data.cjs',
} as const satisfies Record<string, string>;

/** The packages that must never reach a bundle once STUBBED_MODULES are in place (the bundle report checks). */
export const CUT_PACKAGES: readonly string[] = [
  ...Object.keys(STUBBED_MODULES),
  'xpath',
  '@xmldom/xmldom',
  'des.js',
  'js-md4',
  '@paralleldrive/cuid2',
  '@noble/hashes',
  'mime-types',
  'mime-db',
];

/** esbuild `alias`: each stubbed module to its stub's absolute path (independent of esbuild's working directory). */
export function moduleAliases(root: string = PROJECT_ROOT): Record<string, string> {
  return Object.fromEntries(Object.entries(STUBBED_MODULES).map(([name, stub]) => [name, path.join(root, stub)]));
}

/** Prefer ES module builds of dependencies, as NodejsFunction does for ESM output. */
export const MAIN_FIELDS: readonly string[] = ['module', 'main'];

/** The bundle's file name: the Lambda handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';

/** The SEQR client reads the WSDL from beside its module (`new URL('./merchant.wsdl', import.meta.url)`). */
export const WSDL_SOURCE = 'src/adapters/seqr/merchant.wsdl';
export const WSDL_FILE = 'merchant.wsdl';

/** The browser script of the payment view, served by the paymentView function from beside its bundle. */
export const PAYMENT_VIEW_FILE = 'payment-view.js';

/** Environment every bundled function gets: stack traces point into the TypeScript sources. */
export const NODE_OPTIONS = '--enable-source-maps';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Builds the payment view (`buildPaymentView` of `web/build.ts`). */
export const PAYMENT_VIEW_BUILD_MODULE = 'web/build.ts';

/**
 * The shell command that writes the payment view's browser script into a bundle
 * directory, through `buildPaymentView` of `web/build.ts` (the same build the
 * local stack serves). The one place to change if that build moves.
 */
export function paymentViewBuildCommand(inputDir: string, outputDir: string): string {
  const buildModule = pathToFileURL(path.join(inputDir, PAYMENT_VIEW_BUILD_MODULE)).href;
  const outfile = path.join(outputDir, PAYMENT_VIEW_FILE);
  const script = `import(${JSON.stringify(buildModule)}).then((m) => m.buildPaymentView({ outfile: ${JSON.stringify(outfile)} }))`;
  return `npx tsx --eval ${shellQuote(script)}`;
}

/** Shell commands run after esbuild, copying the files a function reads from beside its bundle. */
export function afterBundlingCommands(name: string, spec: FunctionSpec, inputDir: string, outputDir: string): string[] {
  const commands: string[] = [];
  if (spec.seqr) {
    commands.push(`cp ${shellQuote(path.join(inputDir, WSDL_SOURCE))} ${shellQuote(path.join(outputDir, WSDL_FILE))}`);
  }
  if (name === 'paymentView') commands.push(paymentViewBuildCommand(inputDir, outputDir));
  return commands;
}

/** NodejsFunction bundling: local esbuild, minified ESM with source maps. */
export function lambdaBundlingOptions(name: string, spec: FunctionSpec): BundlingOptions {
  return {
    format: OutputFormat.ESM,
    target: ESBUILD_TARGET,
    minify: true,
    sourceMap: true,
    // Line mappings are all --enable-source-maps needs: the sources stay out of the asset.
    sourcesContent: false,
    logLevel: LogLevel.WARNING,
    banner: ESM_REQUIRE_BANNER,
    mainFields: [...MAIN_FIELDS],
    externalModules: [...EXTERNAL_MODULES],
    esbuildArgs: { '--alias': Object.entries(moduleAliases()).map(([name, stub]) => `${name}=${stub}`) },
    forceDockerBundling: false,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => afterBundlingCommands(name, spec, inputDir, outputDir),
    },
  };
}

/** The same bundle through esbuild's JavaScript API (bundle report), with a metafile. */
export function esbuildOptions(spec: Pick<FunctionSpec, 'entry'>, outdir: string): BuildOptions & { metafile: true } {
  return {
    entryPoints: [path.resolve(PROJECT_ROOT, spec.entry)],
    outfile: path.join(outdir, BUNDLE_FILE),
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ESBUILD_TARGET,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    mainFields: [...MAIN_FIELDS],
    external: [...EXTERNAL_MODULES],
    alias: moduleAliases(),
    metafile: true,
    logLevel: 'silent',
  };
}
