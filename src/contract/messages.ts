/**
 * What the WebSocket carries, both ways: the browser's subscribe, our status
 * pushes and our error frames. The payment view parses exactly these.
 */
import type { InvoiceStatus } from './statuses.js';

/** The one message a browser sends: `{"action":"subscribe"}`. */
export const SUBSCRIBE_ACTION = 'subscribe';

export const STATUS_MESSAGE_TYPE = 'invoice.status';

/** A status push: `{"type":"invoice.status","invoiceReference","status","ersReference"?,"version"}`. */
export interface StatusMessage {
  type: typeof STATUS_MESSAGE_TYPE;
  invoiceReference: string;
  status: InvoiceStatus;
  ersReference?: string;
  /** The stored invoice's version: a client keeps the highest it has seen, as messages may cross. */
  version: number;
}

/** The status the browser sees, on the socket and from the status URL. */
export interface StatusView {
  invoiceReference: string;
  status: InvoiceStatus;
  ersReference?: string;
  version: number;
}

export function statusMessage(invoice: StatusView): StatusMessage {
  return {
    type: STATUS_MESSAGE_TYPE,
    invoiceReference: invoice.invoiceReference,
    status: invoice.status,
    ...(invoice.ersReference ? { ersReference: invoice.ersReference } : {}),
    version: invoice.version,
  };
}

/** Every error answer, HTTP body and socket frame alike: `{"error":{"code","message","field"?}}`. */
export interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

/** `{"type":"error","error":{…}}`: the answer to a socket message we cannot serve. */
export interface ErrorFrame {
  type: 'error';
  error: ErrorBody;
}
