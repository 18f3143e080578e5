/**
 * cdk-nag's acknowledgements (infra/nag-suppressions.ts) hold whatever the
 * stack's environment: a stack with `env: { account, region }` resolves the
 * @connections ARN to literals, an environment-agnostic one to pseudo
 * parameters, and both must synthesize with no AwsSolutions finding left.
 * They must not hold for a wildcard grant the design does not accept.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Validations, type Environment } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { afterAll, describe, expect, it } from 'vitest';
import { nagFlatten } from '../../infra/nag-suppressions.js';
import { SeqrWebshopPaymentsStack } from '../../infra/stack.js';
import { INLINE_CODE } from './synth.js';

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes the stack with cdk-nag; returns the AwsSolutions violations left (synth throws on any, so both are read). */
function synthWithNag(env: Environment | undefined, extend?: (stack: SeqrWebshopPaymentsStack) => void): { violations: Violation[]; error: string; stack: SeqrWebshopPaymentsStack } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'seqr-nag-test-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new SeqrWebshopPaymentsStack(app, 'SeqrWebshopPayments', {
    ...(env ? { env } : {}),
    payments: { functionCode: () => INLINE_CODE },
    includeSampleShop: true,
    sampleShopCode: INLINE_CODE,
  });
  extend?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  let error = '';
  try {
    app.synth();
  } catch (e) {
    error = String(e);
  }
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: Violation[] }[];
  };
  const violations = report.pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions').flatMap((plugin) => plugin.violations);
  return { violations, error, stack };
}

function acknowledgedIds(stack: SeqrWebshopPaymentsStack): string[] {
  return stack.node
    .findAll()
    .flatMap((construct) => construct.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.keys(entry.data as Record<string, string>));
}

describe('When the stack is synthesized with cdk-nag and the accepted findings acknowledged', () => {
  it('should leave no finding for a stack with an explicit account and region', () => {
    const { violations, error, stack } = synthWithNag({ account: '111122223333', region: 'eu-north-1' });
    expect(violations).toEqual([]);
    expect(error).toBe('');
    // The @connections grants were acknowledged in their resolved form, literals included.
    const connections = acknowledgedIds(stack).filter((id) => id.includes('@connections'));
    expect(connections.length).toBeGreaterThan(0);
    for (const id of connections) expect(id).toMatch(/^AwsSolutions::AwsSolutions-IAM5\[Resource::arn:(aws|<AWS::Partition>):execute-api:eu-north-1:111122223333:<\w+>\/live\/POST\/@connections\/\*\]$/);
  });

  it('should leave no finding for an environment-agnostic stack', () => {
    const { violations, error, stack } = synthWithNag(undefined);
    expect(violations).toEqual([]);
    expect(error).toBe('');
    const connections = acknowledgedIds(stack).filter((id) => id.includes('@connections'));
    expect(connections.length).toBeGreaterThan(0);
    for (const id of connections) expect(id).toContain(':execute-api:<AWS::Region>:<AWS::AccountId>:<');
  });

  it('should leave no finding for a stack with only a region', () => {
    const { violations, error } = synthWithNag({ region: 'us-east-1' });
    expect(violations).toEqual([]);
    expect(error).toBe('');
  });

  it('should still report a wildcard grant the design does not accept, on a role that has accepted ones', () => {
    const { violations, error } = synthWithNag({ account: '111122223333', region: 'eu-north-1' }, (stack) => {
      stack.payments.functions.invoiceStatus!.role!.addToPrincipalPolicy(
        new iam.PolicyStatement({ actions: ['execute-api:ManageConnections'], resources: ['arn:aws:execute-api:eu-north-1:111122223333:other-api/live/POST/@connections/*'] }),
      );
    });
    expect(error).toContain('ValidationFailed');
    expect(violations.map((violation) => violation.ruleName)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:execute-api:eu-north-1:111122223333:other-api/live/POST/@connections/*]',
    ]);
    expect(violations[0]!.violatingConstructs.map((construct) => construct.constructPath)).toEqual(['SeqrWebshopPayments/Payments/InvoiceStatusRole/DefaultPolicy/Resource']);
  });
});

describe('When a CloudFormation value is flattened into a finding id', () => {
  it("should write it exactly as cdk-nag's own flattenCfnReference does", () => {
    const samples: unknown[] = [
      'arn:aws:s3:::bucket/*',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:eu-north-1:111122223333:', { Ref: 'Api1234' }, '/live/POST/@connections/*']] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Fn1234', 'Arn'] }, ':*']] },
      { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:*' },
      { 'Fn::ImportValue': 'Shared-Arn' },
      { 'Fn::Select': [0, ['a', 'b']] },
    ];
    for (const sample of samples) expect(nagFlatten(sample)).toBe(flattenCfnReference(sample));
  });
});
