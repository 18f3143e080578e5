/**
 * POST /seqr/notifications/{notificationToken} (SEQR → us, on PAID): confirm with
 * getPaymentStatus at once, store, push, then answer 200. SEQR reverses a payment
 * it is not asked about within 20 s.
 */
import { answer, json, rawBody, requestLogger, type HttpEvent, type HttpResult } from '../../shared/http.js';
import { handleNotification } from '../../shared/invoices/notification.js';
import { log } from '../../shared/log.js';
import { warmUpSeqrClient } from '../../shared/seqr/client.js';

// Parse the WSDL in the init phase, not on the first notification's 20 s clock.
warmUpSeqrClient();

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    const invoice = await handleNotification(event.pathParameters?.notificationToken, rawBody(event, 4096), logger);
    return json(200, { invoiceReference: invoice.invoiceReference, status: invoice.status });
  });
};
