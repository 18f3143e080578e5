/**
 * The cdk-nag AwsSolutions findings this design accepts, each with its reason.
 * cdk-nag 3 reports through CDK's policy validation, so findings are
 * acknowledged with `Validations.of(construct).acknowledge()`, one finding at
 * a time, on the narrowest construct that carries it.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
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

/**
 * A CloudFormation value as cdk-nag writes it inside a finding id (its
 * `flattenCfnReference`): `Ref` → `<Id>`, `Fn::GetAtt` → `<Id.Attr>`,
 * `Fn::Join` joined, `${…}` of `Fn::Sub` → `<…>`. A literal stays literal, so
 * a stack with an explicit account and region yields
 * `arn:<AWS::Partition>:execute-api:eu-north-1:111122223333:<Api>/…` and an
 * environment-agnostic one `…:<AWS::Region>:<AWS::AccountId>:<Api>/…`.
 */
export function nagFlatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const value = node as Record<string, unknown>;
    if (value['Fn::Join']) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(nagFlatten).join(delimiter);
    }
    if (value['Fn::Sub']) return nagFlatten(value['Fn::Sub']);
    if (value['Fn::GetAtt']) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${nagFlatten(resource)}.${nagFlatten(attribute)}>`;
    }
    if (value['Fn::ImportValue']) return nagFlatten(value['Fn::ImportValue']);
    if (value.Ref) return `<${nagFlatten(value.Ref)}>`;
  }
  return JSON.stringify(node);
}

interface PolicyStatementJson {
  Effect?: string;
  Resource?: unknown;
}

/**
 * The wildcard resources a role is allowed, as they appear in its IAM5
 * findings (`Resource::<flattened>`): read from the role's policies as the
 * stack resolves them, so whatever the stack's account, region and partition
 * resolve to is what gets acknowledged.
 */
function wildcardResourcesOf(role: iam.IRole): string[] {
  const stack = Stack.of(role);
  const documents: unknown[] = [];
  for (const construct of role.node.findAll()) {
    if (construct instanceof iam.CfnPolicy) documents.push(stack.resolve(construct.policyDocument));
    if (construct instanceof iam.CfnRole) {
      const inline = (stack.resolve(construct.policies) ?? []) as { PolicyDocument?: unknown; policyDocument?: unknown }[];
      for (const policy of inline) documents.push(stack.resolve(policy.PolicyDocument ?? policy.policyDocument));
    }
  }
  const resources = new Set<string>();
  for (const document of documents) {
    for (const statement of ((document as { Statement?: PolicyStatementJson[] } | undefined)?.Statement ?? [])) {
      if (statement.Effect !== 'Allow') continue;
      const listed = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const resource of listed.map(nagFlatten)) if (resource.includes('*')) resources.add(resource);
    }
  }
  return [...resources];
}

/**
 * Acknowledges, on a role, the IAM5 finding of each of its wildcard resources
 * that `accept` picks, and fails if it picks none (the grant has changed: the
 * acknowledgement must be looked at again, not silently dropped).
 */
function acknowledgeWildcardResources(role: iam.IRole, accept: (resource: string) => boolean, reason: string): void {
  const accepted = wildcardResourcesOf(role).filter(accept);
  if (accepted.length === 0) throw new Error(`${role.node.path}: no wildcard resource to acknowledge; has the grant changed?`);
  for (const resource of accepted) acknowledge(role, `IAM5[Resource::${resource}]`, reason);
}

/**
 * Acknowledges the IAM5 finding of a role allowed to post to the payments'
 * WebSocket connections (`grantPostToConnections`, or a function of the
 * construct's own that pushes).
 */
export function acknowledgePostToConnections(role: iam.IRole, payments: SeqrWebshopPayments): void {
  // POST on this API's live stage, @connections/* of any connection: matched by what the resource is, in
  // whatever form the stack resolves it (literal account and region with an env, pseudo parameters without).
  const webSocketApi = `<${logicalIdOf(payments.webSocketApi)}>`;
  const isConnectionsOfThisApi = (resource: string) =>
    resource.startsWith('arn:') && resource.includes(`:execute-api:`) && resource.endsWith(`:${webSocketApi}/${WEBSOCKET_STAGE_NAME}/POST/@connections/*`);
  acknowledgeWildcardResources(
    role,
    isConnectionsOfThisApi,
    "Connection ids exist only at run time; the grant is limited to POST on this API's own stage (@connections of the live stage only).",
  );
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

  for (const [name, fn] of Object.entries(payments.functions) as [FunctionName, lambda.Function][]) {
    const spec: FunctionSpec = FUNCTIONS[name];
    if (!fn.role || !spec.push) continue;
    acknowledgePostToConnections(fn.role, payments);
  }

  const transactionPeriodVersions = `<${logicalIdOf(payments.functions.transactionPeriod!)}.Arn>:*`;
  acknowledgeWildcardResources(
    payments.transactionPeriodSchedulerRole,
    (resource) => resource === transactionPeriodVersions,
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
