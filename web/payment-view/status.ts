/**
 * Follows an invoice's status: by WebSocket push, falling back to polling the
 * status URL once a second when the socket cannot open or drops. While the
 * socket is open a slow heartbeat poll (every 5 s by default) runs beside it:
 * SEQR notifies us only of payments, so a cancel or failure in the app is
 * learned only when someone asks the status URL, and the heartbeat also
 * covers a push lost on the way. Polling (and the heartbeat) pauses while the
 * page is hidden and resumes, with an immediate poll, when it is shown or
 * focused again (the return from the SEQR app on a phone). Answers carry the
 * invoice's `version`, which only grows: one older than the newest seen (a
 * slow poll answer overtaken by a push) is dropped. Everything stops at a
 * final status, or once `isAlive` says the view is gone.
 */

import { FINAL_STATUSES } from '../../src/contract/statuses.js';
import { STATUS_MESSAGE_TYPE } from '../../src/contract/messages.js';

export { FINAL_STATUSES };

export interface StatusData {
  invoiceReference: string;
  status: string;
  ersReference?: string;
  version?: number;
}

export interface TrackerOptions {
  invoiceReference: string;
  statusUrl: string;
  /** Full connect URL (with `?invoice=…&token=…`), or undefined to poll only. */
  websocketUrl?: string;
  /** Between polls without a socket. */
  pollIntervalMs: number;
  /** Between heartbeat polls while the socket is open; 0 for none. */
  heartbeatIntervalMs: number;
  onStatus(data: StatusData): void;
  /** The status URL answered 404: unknown invoice or wrong token. Tracking has stopped. */
  onNotFound(): void;
  /** False once the view is gone (removed from the document): tracking stops, checked before each poll and at each status. */
  isAlive?(): boolean;
}

/** A socket that has not opened by then is given up for polling. */
const SOCKET_OPEN_TIMEOUT_MS = 5000;
const FETCH_TIMEOUT_MS = 10_000;

type Mode = 'idle' | 'socket' | 'polling' | 'stopped';

export class StatusTracker {
  private mode: Mode = 'idle';
  private socket: WebSocket | undefined;
  private socketOpen = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private openTimer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  /** Between pagehide and pageshow: the page is closed or in the back/forward cache. */
  private suspended = false;
  /** The highest `version` delivered so far. */
  private version: number | undefined;
  private readonly listeners: Array<[EventTarget, string, EventListener]> = [];

  constructor(private readonly options: TrackerOptions) {}

  start(): void {
    if (this.mode !== 'idle') return;
    this.listen(document, 'visibilitychange', () => (this.hidden() ? this.pause() : this.resume(true)));
    this.listen(window, 'focus', () => this.resume(false));
    this.listen(window, 'online', () => this.resume(false));
    this.listen(window, 'pagehide', () => {
      this.suspended = true;
      this.pause();
      // Also lets the page into the back/forward cache; pageshow picks up by polling.
      this.closeSocket();
    });
    this.listen(window, 'pageshow', (event) => {
      if (!this.suspended && !(event as PageTransitionEvent).persisted) return;
      this.suspended = false;
      this.resume(true);
    });
    if (this.options.websocketUrl) this.openSocket(this.options.websocketUrl);
    else this.startPolling();
  }

  /** Close the socket, stop timers and requests, forget the page listeners. */
  stop(): void {
    this.mode = 'stopped';
    this.clearPollTimer();
    if (this.openTimer !== undefined) clearTimeout(this.openTimer);
    this.inFlight?.abort();
    this.inFlight = undefined;
    this.closeSocket();
    for (const [target, type, listener] of this.listeners) target.removeEventListener(type, listener);
    this.listeners.length = 0;
  }

  get stopped(): boolean {
    return this.mode === 'stopped';
  }

  private listen(target: EventTarget, type: string, listener: EventListener): void {
    target.addEventListener(type, listener);
    this.listeners.push([target, type, listener]);
  }

  private hidden(): boolean {
    return this.suspended || document.visibilityState === 'hidden';
  }

  /** Stops when the view is gone; true when tracking may go on. */
  private alive(): boolean {
    if (this.mode === 'stopped') return false;
    if (this.options.isAlive?.() === false) {
      this.stop();
      return false;
    }
    return true;
  }

  private deliver(data: StatusData): void {
    if (!this.alive()) return;
    // Older than what was already shown (a poll answer overtaken by a push): drop it.
    if (data.version !== undefined) {
      if (this.version !== undefined && data.version < this.version) return;
      this.version = data.version;
    }
    if (FINAL_STATUSES.has(data.status)) this.stop();
    this.options.onStatus(data);
  }

  // --- WebSocket -----------------------------------------------------------

  private openSocket(url: string): void {
    this.mode = 'socket';
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch {
      this.startPolling();
      return;
    }
    this.socket = socket;
    this.openTimer = setTimeout(() => {
      if (this.socket === socket && !this.socketOpen) {
        this.closeSocket();
        this.startPolling();
      }
    }, SOCKET_OPEN_TIMEOUT_MS);
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.socketOpen = true;
      if (this.openTimer !== undefined) clearTimeout(this.openTimer);
      socket.send(JSON.stringify({ action: 'subscribe' }));
      // The subscribe answer brings the current status; the first heartbeat follows one interval later.
      this.schedule();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      const data = parseSocketMessage(event.data, this.options.invoiceReference);
      if (data) this.deliver(data);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      // Refused at connect, or dropped before a final status: poll instead.
      this.socket = undefined;
      this.socketOpen = false;
      if (this.openTimer !== undefined) clearTimeout(this.openTimer);
      if (this.mode === 'socket') this.startPolling();
    };
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.socketOpen = false;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    try {
      socket.close();
    } catch {
      // Already closing.
    }
  }

  // --- Polling -------------------------------------------------------------

  private startPolling(): void {
    if (this.mode === 'stopped' || this.mode === 'polling') return;
    this.mode = 'polling';
    // A pending heartbeat gives way to polling at its own pace.
    this.clearPollTimer();
    if (!this.hidden()) void this.poll();
  }

  private pause(): void {
    this.clearPollTimer();
  }

  /**
   * The page is visible or focused again. Polling restarts at once; with a
   * socket, one poll after the page was hidden catches a push missed meanwhile
   * (phones freeze background pages and their sockets).
   */
  private resume(fromHidden: boolean): void {
    if (this.hidden()) return;
    if (this.mode === 'socket' && !this.socket) {
      // Closed on pagehide: poll from now on.
      this.startPolling();
    } else if (this.mode === 'polling') {
      this.clearPollTimer();
      void this.poll();
    } else if (this.mode === 'socket' && fromHidden) {
      // Then the heartbeat goes on from this poll.
      this.clearPollTimer();
      void this.poll();
    }
  }

  private clearPollTimer(): void {
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  /**
   * Time between polls now: `pollIntervalMs` when polling, the heartbeat while
   * the socket is open, none otherwise (socket still connecting, heartbeat
   * off, stopped).
   */
  private interval(): number | undefined {
    if (this.mode === 'polling') return this.options.pollIntervalMs;
    if (this.mode === 'socket' && this.socketOpen && this.options.heartbeatIntervalMs > 0) return this.options.heartbeatIntervalMs;
    return undefined;
  }

  /** The next poll, one interval after the last one started (`elapsedMs` ago). */
  private schedule(elapsedMs = 0): void {
    this.clearPollTimer();
    const interval = this.interval();
    if (interval === undefined || this.hidden()) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll();
    }, Math.max(0, interval - elapsedMs));
  }

  private async poll(): Promise<void> {
    if (this.inFlight || !this.alive()) return;
    const controller = new AbortController();
    this.inFlight = controller;
    const timeout = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    const started = Date.now();
    try {
      const response = await fetch(this.options.statusUrl, {
        cache: 'no-store',
        credentials: 'omit',
        headers: { Accept: 'application/json' },
        signal: controller.signal,
      });
      if (response.status === 404) {
        if (this.mode === 'polling' || !this.socketOpen) {
          this.stop();
          this.options.onNotFound();
        }
        return;
      }
      if (response.ok) {
        const data = parseStatusResponse(await response.json(), this.options.invoiceReference);
        if (data) this.deliver(data);
      }
      // Other answers: retry on the next tick.
    } catch {
      // Network error, time-out or bad JSON: retry on the next tick.
    } finally {
      clearTimeout(timeout);
      if (this.inFlight === controller) this.inFlight = undefined;
      this.schedule(Date.now() - started);
    }
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `{"invoiceReference","status","ersReference"?,"version"}` from the status URL. */
export function parseStatusResponse(body: unknown, invoiceReference: string): StatusData | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Record<string, unknown>;
  const status = str(record.status);
  if (!status) return undefined;
  const ref = str(record.invoiceReference) ?? invoiceReference;
  if (ref !== invoiceReference) return undefined;
  const data: StatusData = { invoiceReference: ref, status };
  const ers = str(record.ersReference);
  if (ers) data.ersReference = ers;
  if (typeof record.version === 'number') data.version = record.version;
  return data;
}

/** `{"type":"invoice.status","invoiceReference","status","ersReference"?,"version"}` from the socket. */
export function parseSocketMessage(raw: unknown, invoiceReference: string): StatusData | undefined {
  if (typeof raw !== 'string') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!body || typeof body !== 'object' || (body as Record<string, unknown>).type !== STATUS_MESSAGE_TYPE) return undefined;
  return parseStatusResponse(body, invoiceReference);
}
