/**
 * The events and the webhook in the synthesized template (no bundling): the
 * bus (created or given), PutEvents on it for exactly the publishing functions,
 * the rule → queue → webhook function with retries for more than 24 h, the
 * dead-letter queue and its alarm, least privilege, cdk-nag clean.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName, type FunctionSpec } from '../../src/catalog.js';
import { WEBHOOK_BATCH_SIZE, WEBHOOK_MAX_RECEIVES, WEBHOOK_RETRY_INTERVAL } from '../../infra/seqr-webshop-payments.js';
import { synthesizeApp, type Synthesized } from './synth.js';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const WEBHOOK_URL = 'https://shop.example.com/seqr-events';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-north-1:123456789012:secret:shop-webhook-AbCdEf';
const BUS_ARN = 'arn:aws:events:eu-north-1:123456789012:event-bus/shop-orders';
/** Resources the shop already has, imported by ARN (as a shop's own stack would). */
const existing = new Stack(new App(), 'ShopResources');
const webhookSecret = secretsmanager.Secret.fromSecretCompleteArn(existing, 'WebhookSecret', SECRET_ARN);
const shopBus = events.EventBus.fromEventBusArn(existing, 'ShopBus', BUS_ARN);

const actionsOf = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

function statementsOf(synth: Synthesized, name: FunctionName): Statement[] {
  const fn = synth.stack.payments.functions[name]!;
  const roleId = synth.logicalId(fn.role!);
  const policies = synth.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

function variablesOf(synth: Synthesized, name: FunctionName): Record<string, unknown> {
  const id = synth.logicalId(synth.stack.payments.functions[name]!);
  return (synth.template.toJSON().Resources[id] as Resource).Properties.Environment.Variables;
}

function nagViolations(synth: Synthesized): unknown[] {
  const report = path.join(synth.outdir, 'validation-report.json');
  expect(existsSync(report)).toBe(true);
  const { pluginReports } = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { pluginName: string; violations: unknown[] }[] };
  return pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions').flatMap((plugin) => plugin.violations);
}

const deployedNames = (synth: Synthesized) => Object.keys(synth.stack.payments.functions) as FunctionName[];
const spec = (name: FunctionName): FunctionSpec => FUNCTIONS[name];

describe('When the stack is synthesized with a webhook', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeApp(
      { includeSampleShop: 'true' },
      {
        webhook: { url: WEBHOOK_URL, secret: webhookSecret },
      },
    );
  }, 60_000);

  it('should create a bus and expose it as payments.eventBus', () => {
    synth.template.resourceCountIs('AWS::Events::EventBus', 1);
    expect(synth.stack.payments.eventBus).toBeInstanceOf(events.EventBus);
    synth.template.hasOutput('*', { Value: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.eventBus), 'Arn'] } });
  });

  it('should give exactly the publishing functions the bus and PutEvents on it, nothing else', () => {
    const busArn = { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.eventBus), 'Arn'] };
    const names = deployedNames(synth);
    expect(names.filter((name) => spec(name).publishes).length).toBeGreaterThanOrEqual(8);
    for (const name of names) {
      const puts = statementsOf(synth, name).filter((s) => actionsOf(s).some((a) => a.startsWith('events:')));
      if (spec(name).publishes) {
        expect(puts, name).toEqual([expect.objectContaining({ Action: 'events:PutEvents', Effect: 'Allow', Resource: busArn })]);
        expect(variablesOf(synth, name).EVENT_BUS_NAME, name).toEqual(busArn);
      } else {
        expect(puts, name).toEqual([]);
        expect(variablesOf(synth, name), name).not.toHaveProperty('EVENT_BUS_NAME');
      }
    }
    expect(spec('getInvoice').publishes).toBeUndefined();
    expect(spec('seqrNotification').publishes).toBe(true);
  });

  it('should route every event of source seqr.webshop on the bus to the webhook queue, retried 24 h with a dead-letter queue', () => {
    const payments = synth.stack.payments;
    synth.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: synth.logicalId(payments.eventBus) },
      EventPattern: { source: ['seqr.webshop'] },
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [synth.logicalId(payments.webhookQueue!), 'Arn'] },
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [synth.logicalId(payments.webhookDeadLetterQueue!), 'Arn'] } },
        },
      ],
    });
  });

  it('should retry a delivery for more than 24 h before the dead-letter queue takes it, and keep the message that long', () => {
    const payments = synth.stack.payments;
    const queue = synth.template.toJSON().Resources[synth.logicalId(payments.webhookQueue!)] as Resource;
    const retrySeconds = queue.Properties.VisibilityTimeout * queue.Properties.RedrivePolicy.maxReceiveCount;
    expect(queue.Properties).toMatchObject({
      VisibilityTimeout: WEBHOOK_RETRY_INTERVAL.toSeconds(),
      RedrivePolicy: { maxReceiveCount: WEBHOOK_MAX_RECEIVES, deadLetterTargetArn: { 'Fn::GetAtt': [synth.logicalId(payments.webhookDeadLetterQueue!), 'Arn'] } },
      SqsManagedSseEnabled: true,
    });
    expect(retrySeconds).toBeGreaterThanOrEqual(24 * 3600);
    expect(queue.Properties.MessageRetentionPeriod).toBeGreaterThan(retrySeconds);
    const dlq = synth.template.toJSON().Resources[synth.logicalId(payments.webhookDeadLetterQueue!)] as Resource;
    expect(dlq.Properties).toMatchObject({ MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
    // A message must not come back while the function may still be working on it.
    expect(WEBHOOK_RETRY_INTERVAL.toSeconds()).toBeGreaterThanOrEqual(6 * FUNCTIONS.webhook.timeoutSeconds);
    expect(WEBHOOK_BATCH_SIZE * 5).toBeLessThan(FUNCTIONS.webhook.timeoutSeconds);
  });

  it('should let only EventBridge, for this rule, send to the webhook queue, over TLS', () => {
    const payments = synth.stack.payments;
    const policies = synth.template.findResources('AWS::SQS::QueuePolicy') as Record<string, Resource>;
    const forQueue = Object.values(policies).filter((p) => JSON.stringify(p.Properties.Queues).includes(synth.logicalId(payments.webhookQueue!)));
    const statements = forQueue.flatMap((p) => p.Properties.PolicyDocument.Statement as (Statement & { Principal?: unknown; Condition?: unknown })[]);
    const sends = statements.filter((s) => s.Effect === 'Allow');
    expect(sends).toEqual([
      expect.objectContaining({
        Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [synth.logicalId(payments.webhookRule!), 'Arn'] } } },
      }),
    ]);
    expect(statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('aws:SecureTransport'))).toBe(true);
  });

  it('should feed the webhook function from the queue, reporting each failed message alone', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.webhookQueue!), 'Arn'] },
      FunctionName: { Ref: synth.logicalId(synth.stack.payments.functions.webhook!) },
      BatchSize: WEBHOOK_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('should give the webhook function its URL, its secret by ARN, and only that secret, its queue and its logs', () => {
    const variables = variablesOf(synth, 'webhook');
    expect(variables.SHOP_WEBHOOK_URL).toBe(WEBHOOK_URL);
    expect(variables.SHOP_WEBHOOK_SECRET_ARN).toBe(SECRET_ARN);
    for (const key of ['EVENT_BUS_NAME', 'SEQR_CREDENTIALS_SECRET_ARN', 'SHOP_API_KEY_SECRET_ARN', 'SHOP_WEBHOOK_SECRET']) expect(variables).not.toHaveProperty(key);
    const actions = statementsOf(synth, 'webhook').flatMap(actionsOf).sort();
    expect(actions).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
        'sqs:ChangeMessageVisibility',
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:ReceiveMessage',
      ].sort(),
    );
    const secretReads = statementsOf(synth, 'webhook').filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(secretReads.map((s) => s.Resource)).toEqual([SECRET_ARN]);
    // No other function reads the webhook secret.
    for (const name of deployedNames(synth).filter((n) => n !== 'webhook')) {
      expect(JSON.stringify(statementsOf(synth, name)), name).not.toContain('shop-webhook');
    }
  });

  it('should alarm when the dead-letter queue holds an event, when deliveries are late, and when the bus refuses events', () => {
    const payments = synth.stack.payments;
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [synth.logicalId(payments.webhookDeadLetterQueue!), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [synth.logicalId(payments.webhookQueue!), 'QueueName'] } }],
      Threshold: 900,
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EventsNotPublished', Threshold: 1 });
    const filters = synth.template.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>;
    const notPublished = Object.values(filters).filter((f) => f.Properties.MetricTransformations[0].MetricName === 'EventsNotPublished');
    expect(notPublished).toHaveLength(deployedNames(synth).filter((name) => spec(name).publishes).length);
  });

  it('should leave cdk-nag nothing unacknowledged', () => {
    expect(nagViolations(synth)).toEqual([]);
  });
});

describe('When the stack is given the shop’s own bus and no webhook', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeApp({}, { eventBus: shopBus });
  }, 60_000);

  it('should publish to that bus, create none, and deploy no rule, queue or webhook function', () => {
    synth.template.resourceCountIs('AWS::Events::EventBus', 0);
    synth.template.resourceCountIs('AWS::Events::Rule', 0);
    expect(synth.stack.payments.eventBus).toBe(shopBus);
    expect(synth.stack.payments.functions.webhook).toBeUndefined();
    expect(synth.stack.payments.webhookQueue).toBeUndefined();
    const puts = statementsOf(synth, 'seqrNotification').filter((s) => actionsOf(s).includes('events:PutEvents'));
    expect(puts.map((s) => s.Resource)).toEqual([BUS_ARN]);
    expect(variablesOf(synth, 'seqrNotification').EVENT_BUS_NAME).toBe(BUS_ARN);
    expect(nagViolations(synth)).toEqual([]);
  });

  it('should refuse a webhook URL that is not HTTPS', () => {
    expect(() => synthesizeApp({}, { webhook: { url: 'http://shop.example.com/hook', secret: webhookSecret } })).toThrow(/must be an https:\/\/ URL/);
  });
});
