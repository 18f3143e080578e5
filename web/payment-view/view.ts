/** The payment view's DOM: built once, then updated per status. */
import { invoiceLink, invoiceQrText, type ViewConfig } from './config.js';
import type { Texts } from './i18n.js';
import { qrSvg } from './qr.js';
import { FINAL_STATUSES } from './status.js';

const ICON_PAID =
  '<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="22" fill="#1a7f37"/><path d="M14 24.5l7 7 13-14" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round" stroke-linejoin="round"/></svg>';
const iconCross = (color: string) =>
  `<svg viewBox="0 0 48 48" aria-hidden="true" focusable="false"><circle cx="24" cy="24" r="22" fill="${color}"/><path d="M16.5 16.5l15 15M31.5 16.5l-15 15" fill="none" stroke="#fff" stroke-width="4.5" stroke-linecap="round"/></svg>`;
const RESULT_ICONS: Record<string, string> = {
  PAID: ICON_PAID,
  CANCELED: iconCross('#b42318'),
  FAILED: iconCross('#b42318'),
  EXPIRED: iconCross('#57606a'),
};

/** The initial status, before the server has answered. */
export const LOADING = 'LOADING';

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag);
  element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

function uniqueId(doc: Document, base: string): string {
  let n = doc.querySelectorAll('.seqr-view').length + 1;
  while (doc.getElementById(`${base}-${n}`)) n++;
  return `${base}-${n}`;
}

export class PaymentView {
  readonly root: HTMLDivElement;
  private readonly statusText: HTMLParagraphElement;
  private readonly result: HTMLDivElement;
  /** Mobile: the pay link. */
  private readonly link: HTMLAnchorElement | undefined;
  private status = LOADING;

  constructor(
    private readonly doc: Document,
    private readonly config: ViewConfig,
    private readonly texts: Texts,
  ) {
    const root = el(doc, 'div', '');
    this.root = root;
    // The old plugin's container id, for shops that styled it; only when free.
    if (!doc.getElementById('seqr-container')) root.id = 'seqr-container';
    root.lang = config.language;
    root.setAttribute('role', 'region');
    root.dataset.seqrLayout = config.layout;
    root.dataset.seqrPlatform = config.platform;
    root.dataset.seqrInvoice = config.invoiceReference;

    const titleId = uniqueId(doc, 'seqr-title');
    root.setAttribute('aria-labelledby', titleId);
    const card = el(doc, 'div', 'seqr-card');
    const title = el(doc, 'p', 'seqr-title', texts.title);
    title.id = titleId;
    const stage = el(doc, 'div', 'seqr-stage');
    this.result = el(doc, 'div', 'seqr-result');
    this.result.setAttribute('aria-hidden', 'true');
    this.statusText = el(doc, 'p', 'seqr-status-text');
    this.statusText.setAttribute('role', 'status');
    this.statusText.setAttribute('aria-live', 'polite');
    this.statusText.setAttribute('aria-atomic', 'true');
    // Focus lands here when a final status hides the focused pay link.
    this.statusText.tabIndex = -1;
    this.statusText.textContent = texts.status[LOADING] ?? '';

    let hint: HTMLParagraphElement | undefined;
    if (config.platform === 'desktop') {
      const qr = el(doc, 'div', 'seqr-qr');
      qr.appendChild(qrSvg(doc, invoiceQrText(config.invoiceReference), texts.qrLabel));
      stage.appendChild(qr);
      hint = el(doc, 'p', 'seqr-hint', texts.scanHint);
    } else if (config.platform === 'mobile') {
      const link = el(doc, 'a', 'seqr-pay-link', texts.payLink);
      link.href = invoiceLink(config.invoiceReference, config.linkScheme);
      stage.appendChild(link);
      this.link = link;
      hint = el(doc, 'p', 'seqr-hint', texts.tapHint);
    } else {
      stage.append(el(doc, 'p', 'seqr-unsupported-title', texts.unsupportedTitle), el(doc, 'p', 'seqr-unsupported-text', texts.unsupportedText));
    }
    stage.appendChild(this.result);
    card.append(title, stage);
    if (hint) card.appendChild(hint);
    card.appendChild(this.statusText);
    root.appendChild(card);
    this.render();
  }

  get currentStatus(): string {
    return this.status;
  }

  /** Show a status; returns false when it is the one already shown. */
  setStatus(status: string): boolean {
    if (status === this.status) return false;
    this.status = status;
    this.render();
    this.statusText.textContent = this.texts.status[status] ?? '';
    this.keepFocus();
    return true;
  }

  /** The status API does not know the invoice (or the token is wrong). */
  setNotFound(): void {
    this.root.classList.add('seqr-not-found');
    this.statusText.textContent = this.texts.notFound;
    this.keepFocus();
  }

  /** A final status or not-found hides the pay link: if it had focus, the status text takes it rather than <body>. */
  private keepFocus(): void {
    const hidden = FINAL_STATUSES.has(this.status) || this.root.classList.contains('seqr-not-found');
    if (hidden && this.link && this.doc.activeElement === this.link) this.statusText.focus();
  }

  private render(): void {
    const { root, config, status } = this;
    const final = FINAL_STATUSES.has(status);
    const keep = [...root.classList].filter((c) => c === 'seqr-not-found');
    root.className = [
      'seqr-view',
      `seqr-${config.platform}`,
      `seqr-layout-${config.layout}`,
      `seqr-status-${status.toLowerCase()}`,
      ...(final ? ['seqr-final'] : []),
      ...keep,
    ].join(' ');
    root.dataset.seqrStatus = status;
    this.result.innerHTML = RESULT_ICONS[status] ?? '';
  }
}

/** What is shown when the script tag is unusable (no invoiceReference). */
export function errorView(doc: Document, texts: Texts, language: string): HTMLDivElement {
  const root = el(doc, 'div', 'seqr-view seqr-error seqr-not-found');
  root.lang = language;
  root.dataset.seqrStatus = 'ERROR';
  const card = el(doc, 'div', 'seqr-card');
  const text = el(doc, 'p', 'seqr-status-text', texts.misconfigured);
  text.setAttribute('role', 'alert');
  card.appendChild(text);
  root.appendChild(card);
  return root;
}
