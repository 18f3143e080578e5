/**
 * POST /seqr/notifications/{notificationToken} (SEQR → us, on PAID): confirm with
 * getPaymentStatus at once, store, push, then answer 200. SEQR reverses a payment
 * it is not asked about within 20 s.
 */
import { answer, json, rawBody, requestLogger, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { seqrFromConfig, warmUpSeqrClient } from '../../adapters/seqr/client.js';
import { storeDeps } from '../../adapters/wiring.js';
import { config } from '../../config.js';
import { handleNotification } from '../../core/payments/notification.js';
import { log } from '../../log.js';

// Parse the WSDL in the init phase, not on the first notification's 20 s clock.
warmUpSeqrClient();
const deps = { ...storeDeps(log), seqr: seqrFromConfig };

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const receivedAt = Date.now();
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    const invoice = await handleNotification({ ...deps, log: logger }, event.pathParameters?.notificationToken, rawBody(event, 4096), logger, {
      receivedAt,
      confirmationBudgetMs: config.confirmationBudgetMs,
    });
    return json(200, { invoiceReference: invoice.invoiceReference, status: invoice.status });
  });
};
