/** The view's styles, injected once per page. Every selector is scoped under `.seqr-view`. */
export const STYLE_ELEMENT_ID = 'seqr-payment-view-styles';

export const CSS = `
.seqr-view{all:initial;display:block;box-sizing:border-box;width:100%;max-width:360px;margin:16px auto;font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:15px;line-height:1.45;color:#1f2328;text-align:center;-webkit-text-size-adjust:100%}
.seqr-view *,.seqr-view *::before,.seqr-view *::after{box-sizing:border-box}
.seqr-view .seqr-card{display:block;margin:0;padding:22px 20px 20px;background:#fff;border:1px solid #d0d7de;border-radius:14px;box-shadow:0 1px 3px rgba(31,35,40,.08)}
.seqr-view .seqr-title{display:block;margin:0 0 14px;padding:0;font-size:19px;font-weight:700;line-height:1.3;color:#1f2328}
.seqr-view .seqr-stage{position:relative;display:block;width:224px;max-width:100%;margin:0 auto;padding:0}
.seqr-view .seqr-qr-code{display:block;width:100%;height:auto;max-width:none;margin:0;border:0;transition:opacity .3s}
.seqr-view .seqr-hint{display:block;margin:12px 0 0;padding:0;font-size:14px;color:#57606a}
.seqr-view .seqr-status-text{display:block;min-height:1.45em;margin:8px 0 0;padding:0;font-size:15px;font-weight:600;color:#1f2328}
.seqr-view .seqr-result{position:absolute;top:0;right:0;bottom:0;left:0;display:none;align-items:center;justify-content:center}
.seqr-view .seqr-result svg{display:block;width:88px;height:88px}
.seqr-view.seqr-final .seqr-result{display:flex}
.seqr-view.seqr-final .seqr-qr-code,.seqr-view.seqr-not-found .seqr-qr-code{opacity:.1}
.seqr-view.seqr-status-reserved .seqr-qr-code,.seqr-view.seqr-status-pending_issuer_acknowledge .seqr-qr-code{opacity:.35}
.seqr-view.seqr-final .seqr-hint,.seqr-view.seqr-not-found .seqr-hint{display:none}
.seqr-view.seqr-status-paid .seqr-status-text{color:#1a7f37}
.seqr-view.seqr-status-canceled .seqr-status-text,.seqr-view.seqr-status-failed .seqr-status-text,.seqr-view.seqr-status-expired .seqr-status-text,.seqr-view.seqr-not-found .seqr-status-text{color:#b42318}
.seqr-view.seqr-status-issued .seqr-status-text::before{content:"";display:inline-block;width:8px;height:8px;margin:0 8px 1px 0;border-radius:50%;background:#2f81f7;vertical-align:middle;animation:seqr-pulse 1.4s ease-in-out infinite}
@keyframes seqr-pulse{0%,100%{opacity:.25}50%{opacity:1}}
@media (prefers-reduced-motion:reduce){.seqr-view *,.seqr-view *::before{animation:none!important;transition:none!important}}
.seqr-view .seqr-pay-link{display:inline-flex;align-items:center;justify-content:center;min-height:52px;margin:4px 0;padding:14px 34px;border:0;border-radius:999px;background:#1f2328;color:#fff;font:inherit;font-size:17px;font-weight:700;text-decoration:none;cursor:pointer}
.seqr-view .seqr-pay-link:hover{background:#000;color:#fff}
.seqr-view .seqr-pay-link:focus-visible{outline:3px solid #2f81f7;outline-offset:3px}
.seqr-view.seqr-mobile .seqr-stage,.seqr-view.seqr-unsupported .seqr-stage{width:auto}
.seqr-view.seqr-mobile .seqr-result,.seqr-view.seqr-unsupported .seqr-result{position:static;margin:4px 0}
.seqr-view.seqr-mobile.seqr-final .seqr-pay-link,.seqr-view.seqr-not-found .seqr-pay-link{display:none}
.seqr-view .seqr-unsupported-title{display:block;margin:0 0 6px;padding:0;font-weight:700;color:#1f2328}
.seqr-view .seqr-unsupported-text{display:block;margin:0;padding:0;font-size:14px;color:#57606a}
.seqr-view.seqr-unsupported.seqr-status-loading .seqr-status-text,.seqr-view.seqr-unsupported.seqr-status-issued .seqr-status-text{display:none}
.seqr-view.seqr-mobile .seqr-title{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.seqr-view.seqr-unsupported.seqr-final .seqr-unsupported-title,.seqr-view.seqr-unsupported.seqr-final .seqr-unsupported-text{display:none}
.seqr-view.seqr-layout-small{max-width:340px;margin:8px auto;font-size:14px}
.seqr-view.seqr-layout-small .seqr-card{padding:12px 14px;border-radius:10px}
.seqr-view.seqr-layout-small .seqr-title{margin:0 0 8px;font-size:16px}
.seqr-view.seqr-layout-small .seqr-result svg{width:52px;height:52px}
.seqr-view.seqr-layout-small .seqr-pay-link{min-height:44px;padding:10px 26px;font-size:16px}
.seqr-view.seqr-layout-small.seqr-desktop .seqr-card{display:grid;grid-template-columns:112px 1fr;grid-template-areas:"stage title" "stage hint" "stage status";grid-template-rows:1fr auto 1fr;column-gap:14px;text-align:left}
.seqr-view.seqr-layout-small.seqr-desktop .seqr-stage{grid-area:stage;width:112px;align-self:center}
.seqr-view.seqr-layout-small.seqr-desktop .seqr-title{grid-area:title;align-self:end;margin:0}
.seqr-view.seqr-layout-small.seqr-desktop .seqr-hint{grid-area:hint;margin:4px 0 0;font-size:13px}
.seqr-view.seqr-layout-small.seqr-desktop .seqr-status-text{grid-area:status;align-self:start;margin:4px 0 0;font-size:14px}
`;

export function injectStyles(doc: Document): void {
  if (doc.getElementById(STYLE_ELEMENT_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ELEMENT_ID;
  style.textContent = CSS.trim();
  (doc.head ?? doc.documentElement).appendChild(style);
}
