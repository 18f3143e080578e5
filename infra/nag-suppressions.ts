/**
 * The cdk-nag AwsSolutions findings this design accepts, each with its reason.
 * cdk-nag 3 reports through CDK's policy validation, so findings are
 * acknowledged with `Validations.of(construct).acknowledge()`, one finding at
 * a time, on the narrowest construct that carries it.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../src/catalog.js';
import { WEBSOCKET_STAGE_NAME, type SeqrWebshopPayments } from './seqr-webshop-payments.js';

function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/** The logical id as cdk-nag writes it inside a finding: `<LogicalId>`. */
function logicalIdOf(construct: IConstruct): string {
  const resource = construct.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  const stack = Stack.of(construct);
  return String(stack.resolve(stack.getLogicalId(resource)));
}

/** Acknowledges the AwsSolutions findings the construct's design accepts. */
export function acknowledgeAcceptedFindings(payments: SeqrWebshopPayments): void {
  const created = [payments.terminalCredentialsSecret, payments.resellerCredentialsSecret, payments.shopApiKeySecret].filter(
    (secret) => secret.node.scope === payments,
  );
  for (const secret of created) {
    acknowledge(
      secret,
      'SMG4',
      'SEQR credentials are issued by Seamless and the shop key is shared with the shop back end: neither can be changed by a rotation Lambda alone, so they are rotated by hand with put-secret-value (see Setting the secrets in the README).',
    );
  }

  acknowledge(
    payments.httpApi,
    'APIG4',
    'Authorization happens in the functions: server-to-server invoice routes check the shop key (Bearer, constant-time compare); SEQR notifications carry an unguessable per-purchase token in the path because SEQR sends no credentials; payment-view.js and the sample shop pages are public by design.',
  );
  acknowledge(
    payments.webSocketApi,
    'APIG4',
    'Browsers showing a payment view have no AWS identity; $connect requires the invoice reference with its subscribe token (issued with the invoice, stored only as a hash), so a connection only ever receives the status of its own invoice.',
  );
  acknowledge(
    payments.webSocketStage,
    'APIG1',
    'WebSocket access logs need the account-wide API Gateway CloudWatch role, which a reusable construct must not take over; every connect, subscribe and disconnect is logged by the functions as JSON.',
  );

  for (const fn of Object.values(payments.functions)) {
    acknowledge(
      fn,
      'L1',
      'Node.js 22 is the runtime the bundles target (esbuild --target=node22) and are tested on; moving to a newer runtime is a deliberate change of catalog, target and tests.',
    );
  }

  const connectionsResource = `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${logicalIdOf(payments.webSocketApi)}>/${WEBSOCKET_STAGE_NAME}/POST/@connections/*`;
  for (const [name, fn] of Object.entries(payments.functions) as [FunctionName, lambda.Function][]) {
    const spec: FunctionSpec = FUNCTIONS[name];
    if (!fn.role || !spec.push) continue;
    acknowledge(
      fn.role,
      `IAM5[Resource::${connectionsResource}]`,
      'Connection ids exist only at run time; the grant is limited to POST on this API\'s own stage (@connections of the live stage only).',
    );
  }

  acknowledge(
    payments.transactionPeriodSchedulerRole,
    `IAM5[Resource::<${logicalIdOf(payments.functions.transactionPeriod!)}.Arn>:*]`,
    "EventBridge Scheduler's Lambda target grants invoke on the transaction-period function and its versions (`<arn>:*`): one function, no other.",
  );

  // With `tracing` on, Lambda's X-Ray grant: trace segments have no resource-level permissions.
  for (const fn of Object.values(payments.functions)) {
    if (fn.role && (fn.node.defaultChild as lambda.CfnFunction | undefined)?.tracingConfig) {
      acknowledge(
        fn.role,
        'IAM5[Resource::*]',
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so Lambda grants them on * (only these two write actions).',
      );
    }
  }
}
