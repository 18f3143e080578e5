/**
 * Secrets Manager access. The SDK is imported lazily so that functions and the
 * local stack that never name a secret ARN never load it.
 */
export async function readSecretString(secretId: string): Promise<string> {
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({});
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!result.SecretString) throw new Error('secret has no string value');
  return result.SecretString;
}

export async function readSecretJson(secretId: string): Promise<Record<string, unknown>> {
  const parsed: unknown = JSON.parse(await readSecretString(secretId));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('secret is not a JSON object');
  return parsed as Record<string, unknown>;
}
