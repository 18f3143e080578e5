/**
 * The CDK app `cdk.json` runs (`npx tsx infra/app.ts`). Offline and env-agnostic:
 * synth needs neither credentials nor Docker.
 */
import { createApp } from './stack.js';

createApp().app.synth();
