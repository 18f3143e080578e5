/**
 * The stack the app deploys: one env-agnostic stack, `SeqrWebshopPayments`,
 * configured from CDK context, checked by cdk-nag's AwsSolutions pack.
 */
import { App, CfnOutput, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SampleShop } from '../examples/sample-shop/infra.js';
import { acknowledgeAcceptedFindings } from './nag-suppressions.js';
import {
  DEFAULT_TRANSACTION_PERIOD_SCHEDULE,
  DEFAULT_TRANSACTION_PERIOD_TIME_ZONE,
  SEQR_TEST_ENDPOINT_URL,
  SeqrWebshopPayments,
  type SeqrWebshopPaymentsProps,
} from './seqr-webshop-payments.js';

export const STACK_NAME = 'SeqrWebshopPayments';

export interface SeqrWebshopPaymentsStackProps extends StackProps {
  readonly payments?: SeqrWebshopPaymentsProps;
  /** Adds the sample shop (examples/sample-shop) beside the payments: a demo that creates invoices for anyone. */
  readonly includeSampleShop?: boolean;
  /** Code for the sample shop's function (tests: inline code, no bundling). */
  readonly sampleShopCode?: lambda.Code;
}

export class SeqrWebshopPaymentsStack extends Stack {
  readonly payments: SeqrWebshopPayments;
  readonly sampleShop?: SampleShop;
  constructor(scope: Construct, id: string, props: SeqrWebshopPaymentsStackProps = {}) {
    super(scope, id, props);
    this.payments = new SeqrWebshopPayments(this, 'Payments', props.payments);
    acknowledgeAcceptedFindings(this.payments);
    if (props.includeSampleShop) {
      this.sampleShop = new SampleShop(this, 'SampleShop', { payments: this.payments, ...(props.sampleShopCode ? { code: props.sampleShopCode } : {}) });
    }

    // The construct makes no outputs: the app chooses them from its public members.
    const payments = this.payments;
    new CfnOutput(this, 'HttpApiUrl', { value: payments.httpApiUrl, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'WebSocketUrl', { value: payments.webSocketUrl, description: 'WebSocket URL browsers connect to' });
    new CfnOutput(this, 'NotificationBaseUrl', { value: payments.notificationBaseUrl, description: 'Base of the notificationUrl given to SEQR' });
    // ARNs, not values: what `aws secretsmanager put-secret-value --secret-id` takes.
    new CfnOutput(this, 'TerminalCredentialsSecretArn', { value: payments.terminalCredentialsSecret.secretArn });
    new CfnOutput(this, 'ResellerCredentialsSecretArn', { value: payments.resellerCredentialsSecret.secretArn });
    new CfnOutput(this, 'ShopApiKeySecretArn', { value: payments.shopApiKeySecret.secretArn });
    new CfnOutput(this, 'EventBusArn', { value: payments.eventBus.eventBusArn, description: 'The bus the payment events are published to (source seqr.webshop)' });
  }
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).map((v) => v.trim()).filter(Boolean);
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter(Boolean);
  return [];
}

function flag(value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  return value === true || value === 'true';
}

/** Props of the construct from context (`cdk.json`, or `-c key=value` on the command line). */
export function propsFromContext(app: App): SeqrWebshopPaymentsProps {
  const context = (key: string): unknown => app.node.tryGetContext(key);
  return {
    seqrEndpointUrl: String(context('seqrEndpointUrl') ?? SEQR_TEST_ENDPOINT_URL),
    allowedOrigins: list(context('allowedOrigins')),
    transactionPeriodSchedule: String(context('transactionPeriodSchedule') ?? DEFAULT_TRANSACTION_PERIOD_SCHEDULE),
    transactionPeriodTimeZone: String(context('transactionPeriodTimeZone') ?? DEFAULT_TRANSACTION_PERIOD_TIME_ZONE),
  };
}

/**
 * Builds the app: the stack from context, with cdk-nag. Tests pass their own
 * app (context) and overrides (e.g. `functionCode` to skip bundling).
 */
export function createApp(
  app: App = new App(),
  overrides: Partial<SeqrWebshopPaymentsProps> = {},
  options: { sampleShopCode?: lambda.Code } = {},
): { app: App; stack: SeqrWebshopPaymentsStack } {
  const stack = new SeqrWebshopPaymentsStack(app, STACK_NAME, {
    description: 'SEQR mobile payments for web shops',
    payments: { ...propsFromContext(app), ...overrides },
    includeSampleShop: flag(app.node.tryGetContext('includeSampleShop'), false),
    ...(options.sampleShopCode ? { sampleShopCode: options.sampleShopCode } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
