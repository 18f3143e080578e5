/** The sample shop's sessions: a cart and the invoice it was checked out as. */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient, epochSeconds, isExpired } from '../../src/adapters/dynamodb/dynamo.js';
import { config } from '../../src/config.js';
import { SESSIONS_TABLE_ENV } from './catalog.js';

const sessionsTable = () => config.table(SESSIONS_TABLE_ENV);

export const SESSION_LIFETIME_SECONDS = 24 * 60 * 60;

export interface CartLine {
  sku: string;
  quantity: number;
}

export interface ShopSession {
  sessionId: string;
  cart: CartLine[];
  /** The invoice of the last checkout and the cart it was made from. */
  invoiceReference?: string;
  subscribeToken?: string;
  checkedOutCart?: string;
  updatedAt: string;
  expiresAt: number;
}

export async function getSession(sessionId: string): Promise<ShopSession | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: sessionsTable(), Key: { sessionId }, ConsistentRead: true }));
  const session = Item as ShopSession | undefined;
  return isExpired(session) ? undefined : session;
}

export async function saveSession(session: Omit<ShopSession, 'updatedAt' | 'expiresAt'>, now = Date.now()): Promise<ShopSession> {
  const item: ShopSession = { ...session, updatedAt: new Date(now).toISOString(), expiresAt: epochSeconds(now) + SESSION_LIFETIME_SECONDS };
  await documentClient().send(new PutCommand({ TableName: sessionsTable(), Item: item }));
  return item;
}

/** Ends a session (its id was replaced by a new one). */
export async function deleteSession(sessionId: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: sessionsTable(), Key: { sessionId } }));
}
