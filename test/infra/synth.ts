/**
 * Synthesizes the app for the infrastructure tests without bundling: every
 * function's code is swapped for `Code.fromInline` through the construct's
 * `functionCode` prop, so no esbuild runs and no handler needs to exist.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { createApp, type SeqrWebshopPaymentsStack } from '../../infra/stack.js';
import type { SeqrWebshopPaymentsProps } from '../../infra/seqr-webshop-payments.js';

export const INLINE_CODE = lambda.Code.fromInline('export const handler = async () => ({ statusCode: 200 });');

export interface Synthesized {
  app: App;
  stack: SeqrWebshopPaymentsStack;
  template: Template;
  outdir: string;
  /** The logical id of a construct's CloudFormation resource. */
  logicalId(construct: IConstruct): string;
}

/** The app as `cdk synth` builds it (cdk-nag included), from the given context, without bundling. */
export function synthesizeApp(context: Record<string, unknown> = {}, overrides: Partial<SeqrWebshopPaymentsProps> = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), 'seqr-infra-test-'));
  const app = new App({ outdir, context });
  const { stack } = createApp(app, { functionCode: () => INLINE_CODE, ...overrides }, { sampleShopCode: INLINE_CODE });
  app.synth();
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    template,
    outdir,
    logicalId: (construct) => {
      const resource = construct.node.defaultChild ?? construct;
      return String(Stack.of(construct).resolve(Stack.of(construct).getLogicalId(resource as never)));
    },
  };
}
