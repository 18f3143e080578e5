/**
 * Bearer tokens of an invoice: the notification token in SEQR's notificationUrl
 * and the subscribe token a browser shows. Only their hashes are stored.
 */
import { randomBytes } from 'node:crypto';
import { secretsEqual, sha256 } from '../../adapters/http/http.js';

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export const hashToken = sha256;

/** Constant-time check of a presented token against a stored hash. */
export function tokenMatches(presented: string | undefined, storedHash: string | undefined): boolean {
  if (!presented || !storedHash) return false;
  return secretsEqual(sha256(presented), storedHash);
}
