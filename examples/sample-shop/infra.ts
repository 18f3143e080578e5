/**
 * The sample shop's own construct: its function, its routes on the payments'
 * HTTP API and its sessions table, added beside a `SeqrWebshopPayments` the
 * way a shop's engineer would add their own pages — through the construct's
 * public members only. The product construct knows nothing of it.
 *
 *   const payments = new SeqrWebshopPayments(this, 'Payments', { ... });
 *   new SampleShop(this, 'SampleShop', { payments });
 */
import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { TABLE_ENV } from '../../src/catalog.js';
import { TABLE_SCHEMAS, TTL_ATTRIBUTE } from '../../src/adapters/dynamodb/schema.js';
import { NODE_OPTIONS, PROJECT_ROOT, lambdaBundlingOptions } from '../../infra/bundling.js';
import { acknowledgePostToConnections } from '../../infra/nag-suppressions.js';
import type { SeqrWebshopPayments } from '../../infra/seqr-webshop-payments.js';
import { SAMPLE_SHOP_FUNCTION, SAMPLE_SHOP_ROUTES, SESSIONS_TABLE_ENV, SESSIONS_TABLE_SCHEMA } from './catalog.js';

export interface SampleShopProps {
  /** The payments the shop takes: its invoices table, HTTP API, SEQR terminal and WebSocket connections. */
  readonly payments: SeqrWebshopPayments;
  /** @default RemovalPolicy.DESTROY — a demo's carts are not worth keeping */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The function's code. Tests pass inline code to skip bundling.
   * @default the handler bundled from source with the product's esbuild options
   * @internal
   */
  readonly code?: lambda.Code;
}

export class SampleShop extends Construct {
  readonly sessionsTable: dynamodb.Table;
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, props: SampleShopProps) {
    super(scope, id);
    const { payments } = props;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const spec = SAMPLE_SHOP_FUNCTION;

    this.sessionsTable = new dynamodb.Table(this, 'SessionsTable', {
      partitionKey: { name: SESSIONS_TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: 'SEQR sample shop' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));

    const environment: Record<string, string> = {
      NODE_OPTIONS,
      LOG_LEVEL: 'info',
      [SESSIONS_TABLE_ENV]: this.sessionsTable.tableName,
      SEQR_ENDPOINT_URL: payments.seqrEndpointUrl,
      SEQR_CREDENTIALS_SECRET_ARN: payments.terminalCredentialsSecret.secretArn,
      PUBLIC_BASE_URL: payments.httpApiUrl,
      WEBSOCKET_URL: payments.webSocketUrl,
      WEBSOCKET_CALLBACK_URL: payments.webSocketCallbackUrl,
      ALLOWED_ORIGINS: payments.allowedOrigins.join(','),
      SECURE_COOKIES: 'true',
    };
    for (const table of spec.tables) {
      const resource = payments.tables[table];
      if (!resource) throw new Error(`SampleShop: the payments have no ${table} table`);
      environment[TABLE_ENV[table]] = resource.tableName;
    }

    const common = {
      description: 'SEQR sample shop: product page, cart, checkout',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(spec.timeoutSeconds),
      role,
      logGroup,
      environment,
    } satisfies Partial<lambda.FunctionProps>;
    this.function = props.code
      ? new lambda.Function(this, 'Function', { ...common, code: props.code, handler: 'index.handler' })
      : new NodejsFunction(this, 'Function', {
          ...common,
          entry: path.join(PROJECT_ROOT, spec.entry),
          handler: 'handler',
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
          bundling: lambdaBundlingOptions('shop', spec),
        });

    // Item actions on the three tables and the product's named indexes, as the product's own functions get.
    const tables = [this.sessionsTable, ...spec.tables.map((table) => payments.tables[table]!)];
    const indexes = spec.tables.flatMap((table) => TABLE_SCHEMAS[table].indexes.map((index) => `${payments.tables[table]!.tableArn}/index/${index.name}`));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
        resources: [...tables.map((table) => table.tableArn), ...indexes],
      }),
    );
    payments.terminalCredentialsSecret.grantRead(role);
    payments.grantPostToConnections(role);
    payments.watchInvoicesOf(this.function);
    payments.publishEventsFrom(this.function);

    const integration = new HttpLambdaIntegration('Integration', this.function, { payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0 });
    for (const route of SAMPLE_SHOP_ROUTES) {
      payments.httpApi.addRoutes({ path: route.path, methods: [apigwv2.HttpMethod[route.method]], integration });
    }

    // cdk-nag: the findings a demo accepts, each with its reason.
    const acknowledge = (rule: string, reason: string, scope: Construct = this) =>
      Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
    acknowledge('L1', 'Node.js 22 is the runtime the bundles target and are tested on.', this.function);
    acknowledgePostToConnections(role, payments);
  }
}
