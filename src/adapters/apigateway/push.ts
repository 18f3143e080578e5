/**
 * Posts frames to WebSocket connections through the stage's `@connections` API
 * (API Gateway Management API): the ConnectionPoster of the core.
 */
import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionPoster, PostOutcome } from '../../core/ports.js';

export interface ApiGatewayPosterOptions {
  /** The stage's callback URL, `https://<api>.execute-api.<region>.amazonaws.com/<stage>`. */
  endpoint: string;
  /** How long one post may take: the caller's time is SEQR's 20 s window. */
  timeoutMs: number;
}

export function apiGatewayPoster(options: ApiGatewayPosterOptions): ConnectionPoster {
  let client: ApiGatewayManagementApiClient | undefined;
  return {
    async post(connectionId, payload): Promise<PostOutcome> {
      // One attempt: polling covers a lost push, and a retry after a time-out could deliver twice.
      client ??= new ApiGatewayManagementApiClient({ endpoint: options.endpoint, maxAttempts: 1 });
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: new TextEncoder().encode(JSON.stringify(payload)) }), {
          abortSignal: AbortSignal.timeout(options.timeoutMs),
        });
        return 'sent';
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (error instanceof GoneException || status === 410) return 'gone';
        return status === undefined ? 'unknown' : 'refused';
      }
    },
  };
}
