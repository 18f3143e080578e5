/**
 * The one test that bundles for real (local esbuild, no Docker): the
 * transaction-period function (speaks SEQR: needs the WSDL beside it) and the
 * payment-view function (needs payment-view.js beside it). The other functions
 * stay inline so the test stays quick.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionName } from '../../src/catalog.js';
import { build } from 'esbuild';
import { buildFunctionAsset } from '../../infra/build-package.js';
import { BUNDLE_FILE, CUT_PACKAGES, ESM_REQUIRE_BANNER, PROJECT_ROOT, STUBBED_MODULES, WSDL_SOURCE, esbuildOptions } from '../../infra/bundling.js';
import { FUNCTIONS } from '../../src/catalog.js';
import { SeqrWebshopPayments } from '../../infra/seqr-webshop-payments.js';
import { INLINE_CODE } from './synth.js';

const BUNDLED: FunctionName[] = ['transactionPeriod', 'paymentView'];

describe('When functions are bundled for real with local esbuild', () => {
  // Inside the project (cdk.out is git-ignored) so that the bundle resolves @aws-sdk/* from node_modules.
  mkdirSync(path.join(PROJECT_ROOT, 'cdk.out'), { recursive: true });
  const outdir = mkdtempSync(path.join(PROJECT_ROOT, 'cdk.out', 'test-bundling-'));
  const assetDirs = {} as Record<FunctionName, string>;
  let template: Template;
  let stack: Stack;
  let payments: SeqrWebshopPayments;

  beforeAll(() => {
    const app = new App({ outdir });
    stack = new Stack(app, 'Bundled');
    payments = new SeqrWebshopPayments(stack, 'Payments', {
      functionCode: (name) => (BUNDLED.includes(name) ? undefined : INLINE_CODE),
    });
    app.synth();
    template = Template.fromStack(stack);
    const resources = template.toJSON().Resources as Record<string, { Properties: { Code: { S3Key?: string } } }>;
    for (const name of BUNDLED) {
      const id = String(stack.resolve(stack.getLogicalId(payments.functions[name]!.node.defaultChild as never)));
      const key = resources[id]!.Properties.Code.S3Key!;
      assetDirs[name] = path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    }
  }, 120_000);

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('should deploy the bundles as assets with the handler index.handler', () => {
    for (const name of BUNDLED) {
      expect(existsSync(assetDirs[name]), name).toBe(true);
      expect(readdirSync(assetDirs[name])).toContain('index.mjs');
    }
  });

  it('should write minified ESM with the createRequire banner and a source map', () => {
    const bundle = readFileSync(path.join(assetDirs.transactionPeriod, 'index.mjs'), 'utf8');
    expect(bundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    expect(readdirSync(assetDirs.transactionPeriod)).toContain('index.mjs.map');
    expect(bundle).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
    expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
  });

  it('should leave the AWS SDK to the runtime', () => {
    const bundle = readFileSync(path.join(assetDirs.transactionPeriod, 'index.mjs'), 'utf8');
    expect(bundle).toMatch(/from\s*"@aws-sdk\/(lib-dynamodb|client-dynamodb)"/);
    expect(bundle).not.toContain('node_modules/@aws-sdk/');
  });

  it('should put the SEQR WSDL beside the bundle of a function that speaks SEQR', () => {
    expect(readFileSync(path.join(assetDirs.transactionPeriod, 'merchant.wsdl'), 'utf8')).toBe(
      readFileSync(path.join(PROJECT_ROOT, WSDL_SOURCE), 'utf8'),
    );
    expect(readdirSync(assetDirs.paymentView)).not.toContain('merchant.wsdl');
  });

  it('should put payment-view.js beside the payment-view bundle', () => {
    const script = readFileSync(path.join(assetDirs.paymentView, 'payment-view.js'), 'utf8');
    expect(script.length).toBeGreaterThan(1000);
  });

  it('should stub the SOAP features SEQR never uses, the very bundle the report measures', async () => {
    const deployed = readFileSync(path.join(assetDirs.transactionPeriod, BUNDLE_FILE), 'utf8');
    // The stubs reach the CDK bundle through esbuildArgs --alias (booleans: a failure must not print the bundle).
    expect(deployed.includes('is not in this Lambda bundle')).toBe(true);
    for (const feature of ['WS-Security XML signatures', 'NTLM authentication', 'MTOM multipart responses', 'multipart/form-data request bodies']) {
      expect(deployed.includes(feature), feature).toBe(true);
    }
    expect(deployed.length).toBeLessThan(350_000);
    // Byte for byte what esbuild's API builds with esbuildOptions, so that build's metafile describes the deployed bundle.
    const reportDir = mkdtempSync(path.join(outdir, 'report-'));
    const { metafile } = await build(esbuildOptions(FUNCTIONS.transactionPeriod, reportDir));
    expect(readFileSync(path.join(reportDir, BUNDLE_FILE), 'utf8') === deployed).toBe(true);
    const inputs = Object.keys(metafile.inputs).map((input) => input.replace(/\\/g, '/'));
    expect(inputs.some((input) => input.includes('node_modules/soap/'))).toBe(true);
    for (const cut of CUT_PACKAGES) expect(inputs.filter((input) => input.includes(`node_modules/${cut}/`)), cut).toEqual([]);
    expect(inputs.filter((input) => input.includes('infra/stubs/')).length).toBeGreaterThanOrEqual(Object.keys(STUBBED_MODULES).length);
  });

  it('should write, through npm run build, the same bytes as the prebuilt bundles the package ships', async () => {
    // Beside the assets (the same depth), so that even the source maps' relative paths agree.
    for (const name of BUNDLED) {
      const prebuilt = path.join(outdir, `prebuilt-${name}`);
      await buildFunctionAsset(name, FUNCTIONS[name], prebuilt);
      const files = readdirSync(assetDirs[name]).sort();
      expect(readdirSync(prebuilt).sort(), name).toEqual(files);
      expect(files).toContain('index.mjs');
      for (const file of files) {
        expect(readFileSync(path.join(prebuilt, file)).equals(readFileSync(path.join(assetDirs[name], file))), `${name}/${file}`).toBe(true);
      }
    }
  });

  it('should load in plain Node.js as an ES module exporting the handler', () => {
    // A child Node process, as Lambda loads it: CommonJS dependencies (soap) must work through the banner.
    const url = pathToFileURL(path.join(assetDirs.transactionPeriod, 'index.mjs')).href;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); console.log(typeof m.handler);`], {
      encoding: 'utf8',
    });
    expect(output.trim()).toBe('function');
  });
});
