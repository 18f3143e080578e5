/**
 * SEQR's wire form, which node-soap's server does not produce by itself.
 * node-soap declares the target namespace as `tns` on the Envelope and writes
 * `<tns:opResponse>`; SEQR (Apache CXF) writes
 * `<ns2:opResponse xmlns:ns2="…">` with the declaration on that element.
 * Clients that match on prefixes or on the raw text depend on the latter.
 */
export const SEQR_NAMESPACE = 'http://external.interfaces.ers.seamless.com/';

/** Rewrites a node-soap answer (result or Fault) into SEQR's form. */
export function toSeqrWireForm(xml: string): string {
  return xml
    .replace(/<soap:Envelope\b([^>]*)>/, (_whole, attributes: string) => {
      const kept = attributes.replace(/\s+xmlns:(?!soap=)[\w.-]+="[^"]*"/g, '').trimEnd();
      return `<soap:Envelope${kept}>`;
    })
    .replace(/<[\w.-]+:(\w+Response)>/, `<ns2:$1 xmlns:ns2="${SEQR_NAMESPACE}">`)
    .replace(/<\/[\w.-]+:(\w+Response)>/, '</ns2:$1>');
}

/**
 * A simple element's text, for call-log entries of calls that never reach a handler.
 * Linear in the input: `[^<]*` cannot overlap the tags around it, and the text is
 * trimmed in JS (a regex `\s*([^<]*?)\s*` backtracks cubically on long whitespace).
 */
export function sniffElement(xml: string, name: string): string | undefined {
  return new RegExp(`<(?:[\\w.-]+:)?${name}>([^<]*)</`).exec(xml)?.[1]?.trim();
}

/** A SOAP 1.1 Fault envelope for requests node-soap cannot dispatch. */
export function soapFaultEnvelope(faultcode: string, faultstring: string): string {
  const escaped = faultstring.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    `<soap:Fault><faultcode>${faultcode}</faultcode><faultstring>${escaped}</faultstring></soap:Fault>` +
    '</soap:Body></soap:Envelope>'
  );
}
