/**
 * Specification of the deployed stack, read from the synthesized template
 * (no bundling: function code is inline, see ./synth.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, HTTP_ROUTES, TABLE_ENV, WEBSOCKET_ROUTES, type FunctionName, type TableName } from '../../src/catalog.js';
import { NOTIFICATION_NOT_CONFIRMED_MESSAGE, SeqrWebshopPayments, type SeqrWebshopPaymentsProps } from '../../infra/seqr-webshop-payments.js';
import { createLogger, setLogSink } from '../../src/log.js';
import { TABLE_SCHEMAS } from '../../src/adapters/dynamodb/schema.js';
import { INLINE_CODE, synthesizeApp, type Synthesized } from './synth.js';
import { SAMPLE_SHOP_ROUTES } from '../../examples/sample-shop/catalog.js';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

// The webhook function is deployed only with the `webhook` prop (test/infra/events.test.ts).
const ALL_FUNCTIONS = (Object.keys(FUNCTIONS) as FunctionName[]).filter((name) => !(FUNCTIONS[name] as { webhook?: boolean }).webhook);
const ORIGINS = ['https://shop.example.com', 'https://www.example.org'];

function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The IAM statements that apply to a function: those of policies attached to its role. */
function statementsOf(synth: Synthesized, name: FunctionName): Statement[] {
  const fn = synth.stack.payments.functions[name]!;
  const roleId = synth.logicalId(fn.role!);
  const policies = synth.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
  return Object.values(policies)
    .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

/** Logical ids referenced anywhere inside a value (`Ref` and `Fn::GetAtt`). */
function referencedIds(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(referencedIds);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') return [object.Ref];
  if (Array.isArray(object['Fn::GetAtt'])) return [String(object['Fn::GetAtt'][0])];
  return Object.values(object).flatMap(referencedIds);
}

function functionResource(synth: Synthesized, name: FunctionName): Resource {
  const id = synth.logicalId(synth.stack.payments.functions[name]!);
  return synth.template.toJSON().Resources[id] as Resource;
}

describe('When the app is synthesized (the product construct alone)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeApp({ allowedOrigins: ORIGINS.join(',') });
  });

  describe('the tables', () => {
    it('should create one table per schema of the product', () => {
      synth.template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLE_SCHEMAS).length);
    });

    it('should make every table on-demand, point-in-time recoverable, encrypted and expiring on expiresAt', () => {
      const tables = synth.template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;
      for (const table of Object.values(tables)) {
        expect(table.Properties).toMatchObject({
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          SSESpecification: { SSEEnabled: true },
        });
      }
    });

    it('should retain every table when the stack is deleted or the table replaced', () => {
      const tables = synth.template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;
      for (const table of Object.values(tables)) {
        expect(table.DeletionPolicy).toBe('Retain');
        expect(table.UpdateReplacePolicy).toBe('Retain');
        expect(table.Properties.DeletionProtectionEnabled).toBe(true);
      }
    });

    it('should key each table and index as the shared schema says', () => {
      for (const [name, schema] of Object.entries(TABLE_SCHEMAS)) {
        const id = synth.logicalId(synth.stack.payments.tables[name as TableName]!);
        const table = synth.template.toJSON().Resources[id] as Resource;
        expect(table.Properties.KeySchema).toEqual([
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }] : []),
        ]);
        expect((table.Properties.GlobalSecondaryIndexes ?? []).map((index: { IndexName: string }) => index.IndexName)).toEqual(
          schema.indexes.map((index) => index.name),
        );
      }
    });
  });

  describe('the functions', () => {
    it('should create one function per catalog entry', () => {
      synth.template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length);
    });

    it('should run every function on Node.js 22 on arm64 with source maps enabled', () => {
      for (const name of ALL_FUNCTIONS) {
        const { Properties } = functionResource(synth, name);
        expect(Properties.Runtime, name).toBe('nodejs22.x');
        expect(Properties.Architectures, name).toEqual(['arm64']);
        expect(Properties.Handler, name).toBe('index.handler');
        expect(Properties.Environment.Variables.NODE_OPTIONS, name).toBe('--enable-source-maps');
      }
    });

    it('should take each time-out from the catalog, the notification one inside SEQR’s 20 s', () => {
      for (const name of ALL_FUNCTIONS) {
        expect(functionResource(synth, name).Properties.Timeout, name).toBe(FUNCTIONS[name].timeoutSeconds);
      }
      expect(functionResource(synth, 'seqrNotification').Properties.Timeout).toBeLessThan(20);
    });

    it('should name only the tables a function uses in its environment', () => {
      for (const name of ALL_FUNCTIONS) {
        const variables = functionResource(synth, name).Properties.Environment.Variables as Record<string, unknown>;
        for (const [table, envName] of Object.entries(TABLE_ENV) as [TableName, string][]) {
          const uses = (FUNCTIONS[name].tables as readonly TableName[]).includes(table);
          expect(envName in variables, `${name} ${envName}`).toBe(uses);
        }
      }
    });

    it('should give secret ARNs, never secret values, and only to the functions that need them', () => {
      for (const name of ALL_FUNCTIONS) {
        const spec = FUNCTIONS[name] as (typeof FUNCTIONS)[FunctionName] & { reseller?: boolean; shopKey?: boolean };
        const variables = functionResource(synth, name).Properties.Environment.Variables as Record<string, unknown>;
        expect('SEQR_CREDENTIALS_SECRET_ARN' in variables, name).toBe(spec.seqr);
        expect('SEQR_ENDPOINT_URL' in variables, name).toBe(spec.seqr);
        expect('SEQR_RESELLER_SECRET_ARN' in variables, name).toBe(spec.reseller === true);
        expect('SHOP_API_KEY_SECRET_ARN' in variables, name).toBe(spec.shopKey === true);
        for (const key of ['SEQR_TERMINAL_PASSWORD', 'SEQR_RESELLER_PASSWORD', 'SHOP_API_KEY']) expect(variables, name).not.toHaveProperty(key);
      }
    });

    it('should point the functions at the HTTP API, the WebSocket stage and its @connections endpoint', () => {
      const httpApiId = synth.logicalId(synth.stack.payments.httpApi);
      const wsApiId = synth.logicalId(synth.stack.payments.webSocketApi);
      const variables = functionResource(synth, 'seqrNotification').Properties.Environment.Variables;
      expect(variables.SEQR_ENDPOINT_URL).toBe('https://extdev.seqr.com/extclientproxy/service/v2');
      expect(variables.PUBLIC_BASE_URL).toEqual({
        'Fn::Join': ['', ['https://', { Ref: httpApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
      });
      expect(variables.WEBSOCKET_URL).toEqual({
        'Fn::Join': ['', ['wss://', { Ref: wsApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/live']],
      });
      expect(variables.WEBSOCKET_CALLBACK_URL).toEqual({
        'Fn::Join': ['', ['https://', { Ref: wsApiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/live']],
      });
      expect(variables.ALLOWED_ORIGINS).toBe(ORIGINS.join(','));
    });

    it('should retry a failed transaction-period run and keep the last failure in the dead-letter queue', () => {
      const queueId = synth.logicalId(synth.stack.payments.deadLetterQueue);
      expect(functionResource(synth, 'transactionPeriod').Properties.DeadLetterConfig).toEqual({
        TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      });
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2 });
    });
  });

  describe('the HTTP API', () => {
    it('should have exactly the catalog’s routes, sample shop included', () => {
      const api = synth.logicalId(synth.stack.payments.httpApi);
      const routes = synth.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: { Ref: api } } }) as Record<string, Resource>;
      expect(Object.values(routes).map((route) => route.Properties.RouteKey).sort()).toEqual(
        HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
      );
    });

    it('should send each route to its function with payload format 2.0', () => {
      synth.template.allResourcesProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY' });
      const api = synth.logicalId(synth.stack.payments.httpApi);
      const integrations = synth.template.findResources('AWS::ApiGatewayV2::Integration', { Properties: { ApiId: { Ref: api } } }) as Record<string, Resource>;
      for (const integration of Object.values(integrations)) expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    });

    it('should allow cross-origin requests from the configured shop origins only', () => {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.objectLike({ AllowOrigins: ORIGINS, AllowMethods: Match.arrayWith(['GET', 'POST']) }),
      });
    });

    it('should deploy a throttled default stage with JSON access logs that leave out the path', () => {
      const format = new Capture();
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingBurstLimit: 1000, ThrottlingRateLimit: 500 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: format },
      });
      const fields = JSON.parse(format.asString()) as Record<string, string>;
      expect(fields.routeKey).toBe('$context.routeKey');
      expect(Object.values(fields)).not.toContain('$context.path');
    });
  });

  describe('the WebSocket API', () => {
    it('should select routes by $request.body.action', () => {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'WEBSOCKET',
        RouteSelectionExpression: '$request.body.action',
      });
    });

    it('should have the $connect, $disconnect, $default and subscribe routes', () => {
      const api = synth.logicalId(synth.stack.payments.webSocketApi);
      const routes = synth.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: { Ref: api } } }) as Record<string, Resource>;
      expect(Object.values(routes).map((route) => route.Properties.RouteKey).sort()).toEqual(Object.keys(WEBSOCKET_ROUTES).sort());
    });

    it('should deploy an auto-deployed stage named live', () => {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: synth.logicalId(synth.stack.payments.webSocketApi) },
        StageName: 'live',
        AutoDeploy: true,
      });
    });
  });

  describe('the IAM policies', () => {
    it('should never grant a DynamoDB action or ManageConnections on a wildcard resource', () => {
      const policies = synth.template.findResources('AWS::IAM::Policy') as Record<string, Resource>;
      for (const policy of Object.values(policies)) {
        for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
          const sensitive = actionsOf(statement).some((action) => action.startsWith('dynamodb:') || action === 'execute-api:ManageConnections');
          if (!sensitive) continue;
          expect(actionsOf(statement).some((action) => action.includes('*'))).toBe(false);
          for (const resource of resourcesOf(statement)) expect(resource).not.toBe('*');
        }
      }
    });

    it('should let each function reach only its own tables and their indexes', () => {
      for (const name of ALL_FUNCTIONS) {
        const tableIds = (FUNCTIONS[name].tables as readonly TableName[]).map((table) => synth.logicalId(synth.stack.payments.tables[table]!));
        const reached = statementsOf(synth, name)
          .filter((statement) => actionsOf(statement).some((action) => action.startsWith('dynamodb:')))
          .flatMap((statement) => referencedIds(statement.Resource));
        expect([...new Set(reached)].sort(), name).toEqual([...tableIds].sort());
        for (const statement of statementsOf(synth, name)) {
          if (!actionsOf(statement).some((action) => action.startsWith('dynamodb:'))) continue;
          expect(actionsOf(statement)).not.toContain('dynamodb:Scan');
          expect(actionsOf(statement)).not.toContain('dynamodb:DeleteTable');
        }
      }
    });

    it('should allow ManageConnections only to pushing functions, on this stage’s POST @connections', () => {
      const wsApiId = synth.logicalId(synth.stack.payments.webSocketApi);
      for (const name of ALL_FUNCTIONS) {
        const statements = statementsOf(synth, name).filter((statement) => actionsOf(statement).includes('execute-api:ManageConnections'));
        if (!(FUNCTIONS[name] as { push?: boolean }).push) {
          expect(statements, name).toHaveLength(0);
          continue;
        }
        expect(statements, name).toHaveLength(1);
        expect(statements[0]!.Resource).toEqual({
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':', { Ref: wsApiId }, '/live/POST/@connections/*'],
          ],
        });
      }
    });

    it('should let each secret be read only by the functions that need it', () => {
      const payments = synth.stack.payments;
      const secrets: [string, (name: FunctionName) => boolean][] = [
        [synth.logicalId(payments.terminalCredentialsSecret), (name) => FUNCTIONS[name].seqr],
        [synth.logicalId(payments.resellerCredentialsSecret), (name) => (FUNCTIONS[name] as { reseller?: boolean }).reseller === true],
        [synth.logicalId(payments.shopApiKeySecret), (name) => (FUNCTIONS[name] as { shopKey?: boolean }).shopKey === true],
      ];
      for (const [secretId, needs] of secrets) {
        const readers = ALL_FUNCTIONS.filter((name) =>
          statementsOf(synth, name).some(
            (statement) => actionsOf(statement).includes('secretsmanager:GetSecretValue') && referencedIds(statement.Resource).includes(secretId),
          ),
        );
        expect(readers.sort(), secretId).toEqual(ALL_FUNCTIONS.filter(needs).sort());
      }
    });

    it('should give no function a managed policy', () => {
      const roles = synth.template.findResources('AWS::IAM::Role') as Record<string, Resource>;
      for (const role of Object.values(roles)) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });
  });

  describe('the secrets', () => {
    it('should create the terminal, reseller and shop key secrets with their JSON shapes', () => {
      synth.template.resourceCountIs('AWS::SecretsManager::Secret', 3);
      for (const [template, key] of [
        ['{"terminalId":""}', 'password'],
        ['{"resellerId":"","userId":"9900"}', 'password'],
        ['{}', 'shopApiKey'],
      ]) {
        synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
          GenerateSecretString: Match.objectLike({ SecretStringTemplate: template, GenerateStringKey: key }),
        });
      }
    });
  });

  describe('the transaction-period schedule', () => {
    it('should invoke the transaction-period function at midnight Stockholm time with the scheduled time', () => {
      const input = new Capture();
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'cron(0 0 * * ? *)',
        ScheduleExpressionTimezone: 'Europe/Stockholm',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.functions.transactionPeriod!), 'Arn'] },
          Input: input,
        }),
      });
      expect(JSON.parse(input.asString())).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
    });

    it('should retry delivery and send what fails to the dead-letter queue', () => {
      synth.template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.deadLetterQueue), 'Arn'] } },
        }),
      });
    });

    it('should keep every queue (the dead-letter queues and the watch queue) when the stack is deleted, as the tables (removalPolicy RETAIN)', () => {
      const queues = Object.values(synth.template.findResources('AWS::SQS::Queue') as Record<string, Resource>);
      expect(queues.length).toBe(3);
      expect(queues.map((queue) => [queue.DeletionPolicy, queue.UpdateReplacePolicy])).toEqual(queues.map(() => ['Retain', 'Retain']));
    });

    it('should keep the dead-letter queue encrypted and reachable over TLS only', () => {
      synth.template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });
  });

  describe('the alarms', () => {
    it('should alarm on errors and throttles of every function', () => {
      for (const name of ALL_FUNCTIONS) {
        const dimensions = [{ Name: 'FunctionName', Value: { Ref: synth.logicalId(synth.stack.payments.functions[name]!) } }];
        for (const metric of ['Errors', 'Throttles']) {
          synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
            Namespace: 'AWS/Lambda',
            MetricName: metric,
            Dimensions: dimensions,
            Threshold: 1,
            ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          });
        }
      }
    });

    it('should alarm when the dead-letter queue holds a message', () => {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [synth.logicalId(synth.stack.payments.deadLetterQueue), 'QueueName'] } }],
        Threshold: 1,
      });
    });

    it('should count unconfirmed notifications from the notification function’s JSON logs and alarm on one', () => {
      synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
        FilterPattern: '{ $.message = "notification not confirmed" }',
        LogGroupName: { Ref: synth.logicalId(synth.stack.payments.logGroups.seqrNotification!) },
        MetricTransformations: [{ MetricNamespace: 'SeqrWebshopPayments', MetricName: 'NotificationsNotConfirmed', MetricValue: '1' }],
      });
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'SeqrWebshopPayments',
        MetricName: 'NotificationsNotConfirmed',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    });

    it('should keep every function’s logs for three months', () => {
      for (const name of ALL_FUNCTIONS) {
        const logGroupId = synth.logicalId(synth.stack.payments.logGroups[name]!);
        expect(functionResource(synth, name).Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
        expect((synth.template.toJSON().Resources[logGroupId] as Resource).Properties.RetentionInDays).toBe(90);
      }
    });
  });

  describe('the outputs', () => {
    it('should output the HTTP API URL, the WebSocket URL and the notification base URL', () => {
      const httpApiId = synth.logicalId(synth.stack.payments.httpApi);
      const wsApiId = synth.logicalId(synth.stack.payments.webSocketApi);
      const host = (apiId: string) => [{ Ref: apiId }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }];
      synth.template.hasOutput('*', { Value: { 'Fn::Join': ['', ['https://', ...host(httpApiId)]] } });
      synth.template.hasOutput('*', { Value: { 'Fn::Join': ['', ['wss://', ...host(wsApiId), '/live']] } });
      synth.template.hasOutput('*', { Value: { 'Fn::Join': ['', ['https://', ...host(httpApiId), '/seqr/notifications/']] } });
    });

    it('should output the ARNs of the secrets to fill in, never their values', () => {
      const payments = synth.stack.payments;
      for (const secret of [payments.terminalCredentialsSecret, payments.resellerCredentialsSecret, payments.shopApiKeySecret]) {
        synth.template.hasOutput('*', { Value: { Ref: synth.logicalId(secret) } });
      }
    });
  });

  describe('cdk-nag (AwsSolutions)', () => {
    it('should report no unacknowledged finding', () => {
      // cdk-nag 3 reports through CDK policy validation: synth throws on an error, and the report lists what is left.
      const report = path.join(synth.outdir, 'validation-report.json');
      expect(existsSync(report)).toBe(true);
      const { pluginReports } = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { pluginName: string; violations: unknown[] }[] };
      const awsSolutions = pluginReports.filter((plugin) => plugin.pluginName === 'AwsSolutions');
      expect(awsSolutions).toHaveLength(1);
      expect(awsSolutions.flatMap((plugin) => plugin.violations)).toEqual([]);
    });

    it('should give a written reason for every acknowledged finding', () => {
      const acknowledged = synth.stack.node
        .findAll()
        .flatMap((construct) => construct.node.metadata)
        .filter((entry) => entry.type === 'aws:cdk:acknowledged-rules')
        .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const [id, reason] of acknowledged) {
        expect(id).toMatch(/^AwsSolutions::AwsSolutions-/);
        expect(reason.length, id).toBeGreaterThan(40);
      }
    });
  });
});

describe('When the construct is checked by cdk-nag without its acknowledgements', () => {
  it('should fail synthesis, so the acknowledgements in infra/nag-suppressions.ts are what lets it pass', () => {
    const app = new App();
    const stack = new Stack(app, 'Unacknowledged');
    new SeqrWebshopPayments(stack, 'Payments', { functionCode: () => INLINE_CODE });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let message = '';
    try {
      app.synth();
    } catch (error) {
      message = String(error);
    }
    for (const rule of ['SMG4', 'APIG4', 'APIG1', 'L1', 'IAM5']) expect(message).toContain(`AwsSolutions-${rule}`);
  });
});

describe('When the construct is used alone and the secrets already exist', () => {
  let template: Template;
  let payments: SeqrWebshopPayments;
  const terminalArn = 'arn:aws:secretsmanager:eu-north-1:111122223333:secret:seqr-terminal-AbCdEf';
  const resellerArn = 'arn:aws:secretsmanager:eu-north-1:111122223333:secret:seqr-reseller-AbCdEf';
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'WithoutShop');
    payments = new SeqrWebshopPayments(stack, 'Payments', {
      functionCode: () => INLINE_CODE,
      seqrEndpointUrl: 'https://seqr.example.com/extclientproxy/service/v2',
      terminalCredentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Terminal', terminalArn),
      resellerCredentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Reseller', resellerArn),
      transactionPeriodSchedule: 'cron(30 23 * * ? *)',
      transactionPeriodTimeZone: 'UTC',
    });
    template = Template.fromStack(stack);
  });

  it('should deploy nothing of the sample shop: no shop route, function or sessions table', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>).map((route) => route.Properties.RouteKey);
    expect(routeKeys.filter((key: string) => key.includes('/shop'))).toEqual([]);
    expect(Object.keys(payments.functions).sort()).toEqual([...ALL_FUNCTIONS].sort());
    expect(Object.keys(payments.tables).sort()).toEqual(Object.keys(TABLE_SCHEMAS).sort());
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLE_SCHEMAS).length);
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length);
  });

  it('should create only the shop key secret and pass the given ARNs to the functions', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SEQR_ENDPOINT_URL: 'https://seqr.example.com/extclientproxy/service/v2',
          SEQR_CREDENTIALS_SECRET_ARN: terminalArn,
          SEQR_RESELLER_SECRET_ARN: resellerArn,
        }),
      },
    });
  });

  it('should use the given schedule and time zone', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(30 23 * * ? *)', ScheduleExpressionTimezone: 'UTC' });
  });

  it('should have no CORS configuration when no origin is allowed', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP', CorsConfiguration: Match.absent() });
  });
});

describe('When a customer managed key and the DESTROY removal policy are chosen', () => {
  let template: Template;
  let keyId: string;
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'WithKey');
    const key = new kms.Key(stack, 'TableKey', { enableKeyRotation: true });
    new SeqrWebshopPayments(stack, 'Payments', { functionCode: () => INLINE_CODE, tableEncryptionKey: key, removalPolicy: RemovalPolicy.DESTROY });
    template = Template.fromStack(stack);
    keyId = String(stack.resolve(stack.getLogicalId(key.node.defaultChild as kms.CfnKey)));
  });

  it('should encrypt every table with that key', () => {
    const tables = template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;
    for (const table of Object.values(tables)) {
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    }
  });

  it('should let the functions that use tables use the key, and delete the tables with the stack', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Decrypt']), Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } })]) },
    });
    const tables = template.findResources('AWS::DynamoDB::Table') as Record<string, Resource>;
    for (const table of Object.values(tables)) {
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(false);
    }
  });

  it('should delete every queue with the stack too', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue') as Record<string, Resource>);
    expect(queues.length).toBe(3);
    expect(queues.map((queue) => [queue.DeletionPolicy, queue.UpdateReplacePolicy])).toEqual(queues.map(() => ['Delete', 'Delete']));
  });
});

describe('When a shop configures the construct', () => {
  it('should refuse a port-pattern origin, which API Gateway’s CORS cannot match', () => {
    expect(() => synthesizeApp({ allowedOrigins: 'http://localhost:*' })).toThrow(/port pattern/);
  });

  it('should leave the sample shop out unless asked for', () => {
    const { template } = synthesizeApp();
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
  });

  it('should add the sample shop (its own construct) beside the payments when asked for, leaving the product construct as it was', () => {
    const { template, stack, logicalId } = synthesizeApp({ includeSampleShop: 'true' });
    const shop = stack.sampleShop!;
    expect(shop).toBeDefined();
    expect(Object.keys(stack.payments.functions).sort()).toEqual([...ALL_FUNCTIONS].sort());
    template.resourceCountIs('AWS::DynamoDB::Table', Object.keys(TABLE_SCHEMAS).length + 1);
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length + 1);
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>).map((route) => route.Properties.RouteKey);
    expect(routeKeys.filter((key: string) => key.includes('/shop')).sort()).toEqual(SAMPLE_SHOP_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const fn = template.toJSON().Resources[logicalId(shop.function)] as Resource;
    expect(fn.Properties.Environment.Variables).toMatchObject({
      SESSIONS_TABLE: { Ref: logicalId(shop.sessionsTable) },
      INVOICES_TABLE: { Ref: logicalId(stack.payments.tables.invoices!) },
      CONNECTIONS_TABLE: { Ref: logicalId(stack.payments.tables.connections!) },
    });
  });

  it('should count unconfirmed payments from every function that asks SEQR for a status, into one alarm', () => {
    const { template } = synthesizeApp();
    const filters = template.findResources('AWS::Logs::MetricFilter');
    const metrics = Object.values(filters).map((f) => (f as { Properties: { MetricTransformations: { MetricName: string }[] } }).Properties.MetricTransformations[0]!.MetricName);
    // The transaction period's own filters (test/infra/transaction-periods.test.ts), the watch's and the events' aside.
    expect(metrics.filter((name) => !['TransactionPeriodReportsPending', 'ReconciliationDifferences', 'InvoiceWatchFailures', 'EventsNotPublished'].includes(name))).toEqual([
      'NotificationsNotConfirmed',
      'NotificationsNotConfirmed',
      'NotificationsNotConfirmed',
    ]);
  });

  it('should alarm on the HTTP API’s 5xx answers, which Lambda’s Errors metric does not count', () => {
    const { template } = synthesizeApp();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Namespace: 'AWS/ApiGateway' });
  });
});

describe('When two instances of the construct share one stack', () => {
  let template: Template;
  let stack: Stack;
  let first: SeqrWebshopPayments;
  let second: SeqrWebshopPayments;
  beforeAll(() => {
    const app = new App();
    stack = new Stack(app, 'TwoShops');
    first = new SeqrWebshopPayments(stack, 'ShopA', { functionCode: () => INLINE_CODE });
    second = new SeqrWebshopPayments(stack, 'ShopB', { functionCode: () => INLINE_CODE });
    template = Template.fromStack(stack);
  });

  const idOf = (construct: { node: { defaultChild?: unknown } }) => String(stack.resolve(stack.getLogicalId(construct.node.defaultChild as never)));

  it('should tell every function which instance it belongs to, for its log lines', () => {
    for (const payments of [first, second]) {
      for (const fn of Object.values(payments.functions)) {
        const resource = template.toJSON().Resources[idOf(fn)] as Resource;
        expect(resource.Properties.Environment.Variables.PAYMENTS_INSTANCE, fn.node.path).toBe(payments.node.path);
      }
    }
    expect(first.node.path).not.toBe(second.node.path);
  });

  it('should count every log metric per instance: each filter takes the Instance dimension from the line', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter') as Record<string, Resource>);
    expect(filters.length).toBeGreaterThanOrEqual(2 * 4);
    for (const filter of filters) {
      expect(filter.Properties.MetricTransformations[0].Dimensions).toEqual([{ Key: 'Instance', Value: '$.instance' }]);
    }
  });

  it('should find the field the filters read on the functions’ log lines: the logger writes PAYMENTS_INSTANCE as instance', () => {
    const lines: string[] = [];
    const previousSink = setLogSink((line) => lines.push(line));
    const previous = process.env.PAYMENTS_INSTANCE;
    try {
      process.env.PAYMENTS_INSTANCE = first.node.path;
      createLogger({ invoiceReference: 'R1' }).error(NOTIFICATION_NOT_CONFIRMED_MESSAGE);
      delete process.env.PAYMENTS_INSTANCE;
      createLogger().info('local');
    } finally {
      setLogSink(previousSink);
      if (previous === undefined) delete process.env.PAYMENTS_INSTANCE;
      else process.env.PAYMENTS_INSTANCE = previous;
    }
    const [deployed, local] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(deployed).toMatchObject({ message: NOTIFICATION_NOT_CONFIRMED_MESSAGE, instance: first.node.path, invoiceReference: 'R1' });
    expect(local!.instance).toBeUndefined();
  });

  it('should raise each instance’s alarms on its own metrics only', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>;
    for (const metricName of ['NotificationsNotConfirmed', 'TransactionPeriodReportsPending', 'ReconciliationDifferences']) {
      const selected = Object.values(alarms)
        .filter((alarm) => alarm.Properties.MetricName === metricName)
        .map((alarm) => alarm.Properties.Dimensions);
      expect(selected, metricName).toEqual([[{ Name: 'Instance', Value: first.node.path }], [{ Name: 'Instance', Value: second.node.path }]]);
    }
    const notConfirmed = (payments: SeqrWebshopPayments) => payments.alarms.find((alarm) => alarm.node.id === 'NotificationNotConfirmedAlarm')!;
    expect((template.toJSON().Resources[idOf(notConfirmed(first))] as Resource).Properties.Dimensions[0].Value).toBe(first.node.path);
    expect(first.notificationsNotConfirmedMetric.dimensions).toEqual({ Instance: first.node.path });
  });

  it('should make no stack outputs: the app chooses them from the public members', () => {
    expect(template.findOutputs('*')).toEqual({});
  });
});

describe('When tracing, a log level and memory sizes are chosen', () => {
  it('should deploy every function with active tracing for tracing: true, and without a tracing configuration by default', () => {
    const traced = synthesizeApp({}, { tracing: true }).template;
    const functions = Object.values(traced.findResources('AWS::Lambda::Function') as Record<string, Resource>);
    expect(functions.length).toBeGreaterThan(10);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    traced.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] })]) },
    });
    const plain = synthesizeApp().template;
    for (const fn of Object.values(plain.findResources('AWS::Lambda::Function') as Record<string, Resource>)) expect(fn.Properties.TracingConfig).toBeUndefined();
  });

  it('should take a lambda.Tracing as it is', () => {
    const app = new App();
    const stack = new Stack(app, 'PassThrough');
    new SeqrWebshopPayments(stack, 'Payments', { functionCode: () => INLINE_CODE, tracing: lambda.Tracing.PASS_THROUGH });
    const functions = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function') as Record<string, Resource>);
    for (const fn of functions) expect(fn.Properties.TracingConfig).toEqual({ Mode: 'PassThrough' });
  });

  it('should give every function the log level, info by default, and refuse one that is not a level', () => {
    const levels = (template: Template) =>
      new Set(Object.values(template.findResources('AWS::Lambda::Function') as Record<string, Resource>).map((fn) => fn.Properties.Environment.Variables.LOG_LEVEL));
    expect(levels(synthesizeApp({}, { logLevel: 'debug' }).template)).toEqual(new Set(['debug']));
    expect(levels(synthesizeApp().template)).toEqual(new Set(['info']));
    expect(() => synthesizeApp({}, { logLevel: 'verbose' as never })).toThrow(/logLevel/);
  });

  it('should size memory from the per-function map, then the default, then 512 MiB for SEQR functions and 256 MiB for the others', () => {
    const memory = (overrides: Partial<SeqrWebshopPaymentsProps>) => {
      const synth = synthesizeApp({}, overrides);
      return (name: FunctionName) => functionResource(synth, name).Properties.MemorySize as number;
    };
    const defaults = memory({});
    expect(defaults('seqrNotification')).toBe(512);
    expect(defaults('getInvoice')).toBe(256);
    const chosen = memory({ memorySize: 768, functionMemorySize: { seqrNotification: 1024 } });
    expect(chosen('seqrNotification')).toBe(1024);
    expect(chosen('getInvoice')).toBe(768);
    expect(chosen('transactionPeriod')).toBe(768);
    expect(() => synthesizeApp({}, { functionMemorySize: { notAFunction: 1024 } as never })).toThrow(/notAFunction/);
    expect(() => synthesizeApp({}, { memorySize: 64 })).toThrow(/memorySize/);
  });

  it('should still pass cdk-nag with tracing on, the X-Ray grant acknowledged', () => {
    const { outdir } = synthesizeApp({}, { tracing: true });
    const { pluginReports } = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as { pluginReports: { violations: unknown[] }[] };
    expect(pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });
});

describe('When the construct’s documentation states a default', () => {
  const source = readFileSync(path.join(import.meta.dirname, '..', '..', 'infra', 'seqr-webshop-payments.ts'), 'utf8');
  const docOf = (prop: string) => {
    const match = new RegExp(`/\\*\\*((?:(?!\\*/)[\\s\\S])*)\\*/\\s*readonly ${prop}\\?:`).exec(source);
    if (!match) throw new Error(`no TSDoc on ${prop}`);
    return match[1]!;
  };

  it('should document the throttle the stages deploy', () => {
    const stage = synthesizeApp().template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { StageName: '$default' } });
    const settings = (Object.values(stage)[0] as Resource).Properties.DefaultRouteSettings;
    expect(docOf('throttle')).toContain(`{ rateLimit: ${settings.ThrottlingRateLimit}, burstLimit: ${settings.ThrottlingBurstLimit} }`);
  });

  it('should document every prop, each with a @default', () => {
    const props = [...source.matchAll(/^ {2}readonly (\w+)\?:/gm)].map((match) => match[1]!);
    expect(props.length).toBeGreaterThan(15);
    for (const prop of props) expect(docOf(prop), prop).toMatch(/@default /);
  });
});
