/**
 * The `context` check SEQR makes on every call. Codes: 21 ACCESS_DENIED for a
 * principal of the wrong type for the operation or a password under 4 characters,
 * 29 INVALID_INITIATOR_PRINCIPAL_ID for an unknown terminal, 37
 * INITIATOR_PRINCIPAL_NOT_FOUND for an unknown reseller user, 20
 * AUTHENTICATION_FAILED for a wrong password.
 */
import type { ResolvedOptions } from './options.js';
import { record, text } from './soap-values.js';

export type PrincipalType = 'TERMINALID' | 'RESELLERUSER';

export type AuthResult = { code: 0; terminalId?: string; resellerId?: string } | { code: 20 | 21 | 29 | 37 };

export function authenticate(context: unknown, expected: PrincipalType, accounts: Pick<ResolvedOptions, 'terminals' | 'reseller'>): AuthResult {
  const fields = record(context);
  const principal = record(fields?.initiatorPrincipalId);
  const id = text(principal?.id);
  const type = text(principal?.type);
  const password = text(fields?.password) ?? '';
  if (!id) return { code: expected === 'TERMINALID' ? 29 : 37 };
  if (type !== expected) return { code: 21 };
  if (expected === 'TERMINALID') {
    // Plugins add a userId to TERMINALID principals and Seamless's sample does not: both are fine.
    const terminal = accounts.terminals.find((t) => t.terminalId === id);
    if (!terminal) return { code: 29 };
    if (password.length < 4) return { code: 21 };
    if (password !== terminal.password) return { code: 20 };
    return { code: 0, terminalId: terminal.terminalId };
  }
  const reseller = accounts.reseller;
  if (id !== reseller.resellerId || text(principal?.userId) !== reseller.userId) return { code: 37 };
  if (password.length < 4) return { code: 21 };
  if (password !== reseller.password) return { code: 20 };
  return { code: 0, resellerId: reseller.resellerId };
}
