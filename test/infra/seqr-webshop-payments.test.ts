/**
 * Specification of the deployed stack, read from the synthesized template
 * (no bundling: function code is inline, see ./synth.ts).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, HTTP_ROUTES, TABLE_ENV, WEBSOCKET_ROUTES, type FunctionName, type TableName } from '../../src/catalog.js';
import { SeqrWebshopPayments } from '../../infra/seqr-webshop-payments.js';
import { TABLE_SCHEMAS } from '../../src/adapters/dynamodb/schema.js';
import { INLINE_CODE, synthesizeApp, type Synthesized } from './synth.js';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const ALL_FUNCTIONS = Object.keys(FUNCTIONS) as FunctionName[];
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

describe('When the app is synthesized with the sample shop asked for (-c includeSampleShop=true)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesizeApp({ allowedOrigins: ORIGINS.join(','), includeSampleShop: 'true' });
  });

  describe('the tables', () => {
    it('should create one table per schema: sessions included with the sample shop', () => {
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

describe('When the sample shop is left out and the secrets already exist', () => {
  let template: Template;
  let payments: SeqrWebshopPayments;
  const terminalArn = 'arn:aws:secretsmanager:eu-north-1:111122223333:secret:seqr-terminal-AbCdEf';
  const resellerArn = 'arn:aws:secretsmanager:eu-north-1:111122223333:secret:seqr-reseller-AbCdEf';
  beforeAll(() => {
    const app = new App();
    const stack = new Stack(app, 'WithoutShop');
    payments = new SeqrWebshopPayments(stack, 'Payments', {
      functionCode: () => INLINE_CODE,
      includeSampleShop: false,
      seqrEndpointUrl: 'https://seqr.example.com/extclientproxy/service/v2',
      terminalCredentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Terminal', terminalArn),
      resellerCredentialsSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Reseller', resellerArn),
      transactionPeriodSchedule: 'cron(30 23 * * ? *)',
      transactionPeriodTimeZone: 'UTC',
    });
    template = Template.fromStack(stack);
  });

  it('should deploy neither the shop’s routes, nor its function, nor the sessions table', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>).map((route) => route.Properties.RouteKey);
    expect(routeKeys.filter((key: string) => key.includes('/shop'))).toEqual([]);
    expect(payments.functions.shop).toBeUndefined();
    expect(payments.tables.sessions).toBeUndefined();
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length - 1);
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
});

describe('When a shop configures the construct', () => {
  it('should refuse a port-pattern origin, which API Gateway’s CORS cannot match', () => {
    expect(() => synthesizeApp({ allowedOrigins: 'http://localhost:*' })).toThrow(/port pattern/);
  });

  it('should leave the sample shop out unless asked for', () => {
    const { template } = synthesizeApp();
    template.resourceCountIs('AWS::DynamoDB::Table', 4);
  });

  it('should count unconfirmed payments from every function that asks SEQR for a status, into one alarm', () => {
    const { template } = synthesizeApp({ includeSampleShop: 'true' });
    const filters = template.findResources('AWS::Logs::MetricFilter');
    const metrics = Object.values(filters).map((f) => (f as { Properties: { MetricTransformations: { MetricName: string }[] } }).Properties.MetricTransformations[0]!.MetricName);
    // The transaction period's own filters (test/infra/transaction-periods.test.ts) aside.
    expect(metrics.filter((name) => !['TransactionPeriodReportsPending', 'ReconciliationDifferences', 'InvoiceWatchFailures'].includes(name))).toEqual([
      'NotificationsNotConfirmed',
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
