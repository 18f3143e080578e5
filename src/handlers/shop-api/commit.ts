/** POST /invoices/{invoiceReference}/commit (shop → us, Bearer shop key): commitReservation; PAID confirmed, stored and pushed. */
import { commitReservation } from '../../core/invoices/commit-reservation.js';
import { noFieldOperation } from './operation.js';

export const handler = noFieldOperation(commitReservation);
