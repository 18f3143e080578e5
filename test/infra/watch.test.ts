/**
 * What the construct deploys for the invoice watch and the payment timeout: one
 * encrypted, TLS-only queue of delayed messages with a dead-letter queue; the
 * watch function on it as an SQS event source with partial batch responses;
 * sqs:SendMessage on that queue alone, and only for the functions that send
 * (invoice creation, the sample shop, the watch itself); the pace and the
 * timeout in the functions' environment; alarms when an invoice goes unwatched.
 */
import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, QUEUES, type FunctionName } from '../../src/catalog.js';
import { WATCH_GAVE_UP_MESSAGE, WATCH_NOT_STARTED_MESSAGE } from '../../src/core/watch/messages.js';
import { synthesizeApp, type Synthesized } from './synth.js';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };
type Resource = { Type: string; Properties: Record<string, any> };

let synth: Synthesized;
beforeAll(() => {
  synth = synthesizeApp({ includeSampleShop: 'true' });
});

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resources = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
const resourceOf = (s: Synthesized, id: string) => s.template.toJSON().Resources[id] as Resource;
const functionId = (s: Synthesized, name: FunctionName) => s.logicalId(s.stack.payments.functions[name]!);
const variables = (s: Synthesized, name: FunctionName) => resourceOf(s, functionId(s, name)).Properties.Environment.Variables as Record<string, unknown>;

function statementsOf(s: Synthesized, name: FunctionName): Statement[] {
  const roleId = s.logicalId(s.stack.payments.functions[name]!.role!);
  const policies = s.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const deployedFunctions = (s: Synthesized) => Object.keys(s.stack.payments.functions) as FunctionName[];

describe('the watch queue', () => {
  it('should be encrypted, reachable over TLS only, and hand a message failing five times to its dead-letter queue', () => {
    const queue = resourceOf(synth, synth.logicalId(synth.stack.payments.watchQueue)).Properties;
    const dlqId = synth.logicalId(synth.stack.payments.watchDeadLetterQueue);
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: QUEUES.watch.maxReceiveCount });
    // Six times the watch function's time-out (AWS's advice for an SQS event source).
    expect(queue.VisibilityTimeout).toBe(6 * FUNCTIONS.invoiceWatch.timeoutSeconds);
    expect(resourceOf(synth, dlqId).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
    const policies = Object.values(synth.template.findResources('AWS::SQS::QueuePolicy') as Record<string, Resource>);
    for (const id of [synth.logicalId(synth.stack.payments.watchQueue), dlqId]) {
      const policy = policies.find((p) => (p.Properties.Queues as { Ref: string }[]).some((q) => q.Ref === id));
      expect(policy?.Properties.PolicyDocument.Statement, id).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });
});

describe('the watch function', () => {
  it('should consume the queue in batches with partial batch responses', () => {
    synth.template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(synth, 'invoiceWatch') },
      EventSourceArn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.watchQueue), 'Arn'] },
      BatchSize: QUEUES.watch.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('should receive and delete on the watch queue and on nothing else', () => {
    const queueArn = { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.watchQueue), 'Arn'] };
    const sqs = statementsOf(synth, 'invoiceWatch').filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap(actions).sort()).toEqual(
      ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'].sort(),
    );
    for (const statement of sqs) expect(resources(statement)).toEqual([queueArn]);
  });

  it('should reach SEQR, the invoices and connections tables and the sockets, with a time-out for a whole round', () => {
    const env = variables(synth, 'invoiceWatch');
    expect(env).toHaveProperty('SEQR_CREDENTIALS_SECRET_ARN');
    expect(env).toHaveProperty('INVOICES_TABLE');
    expect(env).toHaveProperty('CONNECTIONS_TABLE');
    expect(env).toHaveProperty('WEBSOCKET_CALLBACK_URL');
    // cancelInvoice (10 s) + a paced wait + getPaymentStatus (12 s) + store and push.
    expect(resourceOf(synth, functionId(synth, 'invoiceWatch')).Properties.Timeout).toBeGreaterThanOrEqual(30);
  });
});

describe('sending watch messages', () => {
  it('should let exactly the functions that start or continue a watch send, SendMessage only, on the watch queue only', () => {
    const queueArn = { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.watchQueue), 'Arn'] };
    const senders = deployedFunctions(synth).filter((name) =>
      statementsOf(synth, name).some((s) => actions(s).includes('sqs:SendMessage') && JSON.stringify(resources(s)) === JSON.stringify([queueArn])),
    );
    expect(senders.sort()).toEqual(['createInvoice', 'invoiceWatch']);
    for (const name of ['createInvoice'] as const) {
      const sqs = statementsOf(synth, name).filter((s) => actions(s).some((a) => a.startsWith('sqs:')));
      expect(sqs, name).toHaveLength(1);
      expect(actions(sqs[0]!), name).toEqual(['sqs:SendMessage']);
      expect(resources(sqs[0]!), name).toEqual([queueArn]);
    }
  });

  it('should give the senders the queue URL, the pace and the timeout, and no other function any of them', () => {
    const queueRef = { Ref: synth.logicalId(synth.stack.payments.watchQueue) };
    for (const name of deployedFunctions(synth)) {
      const env = variables(synth, name);
      const sends = ['createInvoice', 'invoiceWatch'].includes(name);
      if (sends) {
        expect(env[QUEUES.watch.env], name).toEqual(queueRef);
        expect(env, name).toMatchObject({ PAYMENT_TIMEOUT_MS: '600000', WATCH_INTERVAL_MS: '5000' });
      } else {
        expect(env, name).not.toHaveProperty(QUEUES.watch.env);
        expect(env, name).not.toHaveProperty('PAYMENT_TIMEOUT_MS');
      }
    }
  });

  it('should give the sample shop’s own function (its construct, through watchInvoicesOf) the same watch: the queue, the pace, SendMessage', () => {
    const shop = synth.stack.sampleShop!;
    const resource = synth.template.toJSON().Resources[synth.logicalId(shop.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(resource.Properties.Environment.Variables).toMatchObject({
      [QUEUES.watch.env]: { Ref: synth.logicalId(synth.stack.payments.watchQueue) },
      PAYMENT_TIMEOUT_MS: '600000',
      WATCH_INTERVAL_MS: '5000',
    });
    const policies = synth.template.findResources('AWS::IAM::Policy') as Record<string, { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } }>;
    const roleId = synth.logicalId(shop.function.role!);
    const statements = Object.values(policies).filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const sqs = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('sqs:')));
    expect(sqs).toHaveLength(1);
    expect(JSON.stringify(sqs[0]!.Resource)).toContain(synth.logicalId(synth.stack.payments.watchQueue));
  });

  it('should take the payment timeout and the interval from the props', () => {
    const tuned = synthesizeApp({}, { paymentTimeout: Duration.minutes(2), watchInterval: Duration.seconds(0) });
    for (const name of ['createInvoice', 'invoiceWatch'] as const) {
      expect(variables(tuned, name), name).toMatchObject({ PAYMENT_TIMEOUT_MS: '120000', WATCH_INTERVAL_MS: '0' });
    }
    // Without the sample shop, the shop neither exists nor sends.
    expect(tuned.stack.sampleShop).toBeUndefined();
  });

  it('should refuse a watch interval too long for SEQR’s 20 s window and a timeout out of range', () => {
    expect(() => synthesizeApp({}, { watchInterval: Duration.seconds(20) })).toThrow(/watchInterval/);
    expect(() => synthesizeApp({}, { watchInterval: Duration.millis(2500) })).toThrow(/watchInterval/);
    expect(() => synthesizeApp({}, { paymentTimeout: Duration.seconds(10) })).toThrow(/paymentTimeout/);
    expect(() => synthesizeApp({}, { paymentTimeout: Duration.days(2) })).toThrow(/paymentTimeout/);
  });
});

describe('the watch’s alarms', () => {
  it('should alarm when the watch dead-letter queue holds a message', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.watchDeadLetterQueue), 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('should count unwatched invoices from the senders’ and the watch’s logs into one alarm', () => {
    const filters = Object.values(synth.template.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>).filter(
      (f) => f.Properties.MetricTransformations[0].MetricName === 'InvoiceWatchFailures',
    );
    const groups = filters.map((f) => f.Properties.LogGroupName.Ref as string).sort();
    expect(groups).toEqual(['createInvoice', 'invoiceWatch'].map((name) => synth.logicalId(synth.stack.payments.logGroups[name as FunctionName]!)).sort());
    for (const f of filters) {
      expect(f.Properties.FilterPattern).toContain(`$.message = "${WATCH_GAVE_UP_MESSAGE}"`);
      expect(f.Properties.FilterPattern).toContain(`$.message = "${WATCH_NOT_STARTED_MESSAGE}"`);
    }
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'SeqrWebshopPayments', MetricName: 'InvoiceWatchFailures', Threshold: 1 });
  });

  it('should count the watch’s unstored confirmations with the notification path’s', () => {
    synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "notification not confirmed" }',
      LogGroupName: { Ref: synth.logicalId(synth.stack.payments.logGroups.invoiceWatch!) },
      MetricTransformations: [{ MetricNamespace: 'SeqrWebshopPayments', MetricName: 'NotificationsNotConfirmed', MetricValue: '1' }],
    });
  });
});
