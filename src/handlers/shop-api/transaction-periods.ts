/**
 * The shop's view of its transaction periods (shop → us, Bearer shop key).
 *
 * - `POST /transaction-periods`: closes the period of the current minute, as the
 *   schedule would: an asynchronous invoke of the transaction-period function
 *   (Lambda InvocationType Event), answered 202 `{slot}` at once; marking,
 *   reports and reconciliation run on. The same minute twice marks once.
 * - `GET /transaction-periods[?limit=&cursor=]`: newest first, a page at a time.
 * - `GET /transaction-periods/{id}`: by transactionPeriodId (25 digits) or slot
 *   (`2025-01-31T23:00Z`): the period, its reports' state, the reconciliation
 *   summary and differences.
 * - `GET /transaction-periods/{id}/reports/{reportId}`: the stored report. The
 *   reportId holds a slash, so it is given percent-encoded
 *   (`Reconciliation%2FShop.xml`) or by its short name (`Shop.xml`).
 *
 * Event: HTTP API payload format 2.0. Never speaks SOAP.
 */
import { config } from '../../config.js';
import { log } from '../../log.js';
import { HttpError, answer, json, requestLogger, requireShopKey, type HttpEvent, type HttpResult } from '../../adapters/http/http.js';
import { invokeAsync } from '../../adapters/lambda/invoke.js';
import {
  InvalidCursorError,
  getDifferences,
  getPeriod,
  getPeriodByTransactionPeriodId,
  getStoredReport,
  listPeriods,
} from '../../adapters/dynamodb/periods.js';
import type { StoredPeriod } from '../../core/periods/ports.js';
import { SLOT_PATTERN, periodSlot } from '../../core/periods/slot.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Where a period stands: being marked, marked with work left, done; `marked` for periods from before reports. */
function stateOf(period: StoredPeriod): 'marking' | 'pending' | 'done' | 'marked' {
  if (!period.transactionPeriodId) return 'marking';
  if (!period.reports) return 'marked';
  const reportsReady = Object.values(period.reports).every((report) => report.state === 'ready');
  return reportsReady && period.reconciliation ? 'done' : 'pending';
}

function summaryView(period: StoredPeriod) {
  return {
    slot: period.slot,
    ...(period.transactionPeriodId ? { transactionPeriodId: period.transactionPeriodId } : {}),
    ...(period.markedAt ? { markedAt: period.markedAt } : {}),
    state: stateOf(period),
    reports: Object.fromEntries(Object.entries(period.reports ?? {}).map(([reportId, report]) => [reportId, report.state])),
    reconciliation: period.reconciliation ?? null,
  };
}

function detailView(period: StoredPeriod, differences: unknown[] | undefined) {
  return {
    ...summaryView(period),
    ...(period.markRequestedAt ? { markRequestedAt: period.markRequestedAt } : {}),
    attempts: period.attempts,
    ...(period.parameters ? { parameters: period.parameters } : {}),
    ...(period.invoicesAssignedAt ? { invoicesAssignedAt: period.invoicesAssignedAt, assignedInvoices: period.assignedInvoices ?? 0 } : {}),
    reports: period.reports ?? {},
    differences: differences ?? [],
  };
}

function pageSize(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_PAGE_SIZE;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_PAGE_SIZE) {
    throw new HttpError(400, 'invalid_limit', `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, 'limit');
  }
  return value;
}

async function findPeriod(id: string): Promise<StoredPeriod> {
  const period = /^\d{25}$/.test(id) ? await getPeriodByTransactionPeriodId(id) : SLOT_PATTERN.test(id) ? await getPeriod(id) : undefined;
  if (!period) throw new HttpError(404, 'not_found', 'No transaction period with that id or slot.', 'id');
  return period;
}

/** The stored report id a path segment names: the id itself (percent-encoded or not), or its last part. */
function reportIdIn(period: StoredPeriod, given: string): string | undefined {
  let decoded = given;
  try {
    // API Gateway may hand over %2F undecoded; the local gateway decodes once.
    if (/%[0-9a-f]{2}/i.test(given)) decoded = decodeURIComponent(given);
  } catch {
    return undefined;
  }
  const ids = Object.keys(period.reports ?? {});
  return ids.find((id) => id === decoded) ?? ids.find((id) => id.split('/').pop() === decoded);
}

export const handler = async (event: HttpEvent): Promise<HttpResult> => {
  const logger = requestLogger(event, log);
  return answer(logger, async () => {
    await requireShopKey(event);
    const id = event.pathParameters?.id;
    switch (event.routeKey) {
      case 'POST /transaction-periods': {
        const slot = periodSlot(undefined, Date.now());
        try {
          await invokeAsync(config.transactionPeriodFunctionName, { scheduledTime: slot });
        } catch (error) {
          logger.error('could not start the transaction-period function', { slot, error });
          throw new HttpError(503, 'not_started', 'The transaction period could not be started; try again.');
        }
        logger.info('transaction period requested', { slot });
        return json(202, { slot }, { location: `/transaction-periods/${slot}` });
      }
      case 'GET /transaction-periods': {
        const query = event.queryStringParameters ?? {};
        const limit = pageSize(query.limit);
        try {
          const page = await listPeriods(limit, query.cursor || undefined);
          return json(200, { periods: page.periods.map(summaryView), ...(page.cursor ? { nextCursor: page.cursor } : {}) });
        } catch (error) {
          if (error instanceof InvalidCursorError) throw new HttpError(400, 'invalid_cursor', 'cursor is not one this API gave out.', 'cursor');
          throw error;
        }
      }
      case 'GET /transaction-periods/{id}': {
        const period = await findPeriod(id ?? '');
        return json(200, detailView(period, period.reconciliation ? await getDifferences(period.slot) : undefined));
      }
      case 'GET /transaction-periods/{id}/reports/{reportId}': {
        const period = await findPeriod(id ?? '');
        const reportId = reportIdIn(period, event.pathParameters?.reportId ?? '');
        if (!reportId) throw new HttpError(404, 'not_found', 'This period has no report by that id.', 'reportId');
        const status = period.reports![reportId]!;
        const base = { slot: period.slot, transactionPeriodId: period.transactionPeriodId, reportId, ...status };
        if (status.state !== 'ready') return json(200, base);
        const report = await getStoredReport(period.slot, reportId);
        if (!report) throw new HttpError(404, 'not_found', 'The report is not stored.', 'reportId');
        const content = report.content ?? (report.contentString !== undefined ? Buffer.from(report.contentString, 'utf8').toString('base64') : undefined);
        return json(200, {
          ...base,
          fetchedAt: report.fetchedAt,
          ...(report.contentString !== undefined ? { contentString: report.contentString } : {}),
          ...(content !== undefined ? { content } : {}),
          ...(report.root ? { root: report.root } : {}),
          meta: report.meta,
          rows: report.rows,
        });
      }
      default:
        throw new HttpError(404, 'not_found', 'No such route.');
    }
  });
};
