/**
 * Reading SEQR's reconciliation reports (FACTS.md §6): an XML document with a
 * root such as `TransactionDetails`, one `<Meta>` (ResellerId, TerminalId,
 * TransactionPeriodId, GeneratedAt) and `<Row>`s of flat fields
 * (`<SalesAmount>50.00</SalesAmount>`…). SEQR labels it `text/html`; the bytes
 * come as `contentString` and again base64 in `content`.
 *
 * A small, linear, dependency-free reader: elements, text, entities, CDATA,
 * comments and processing instructions; attributes and namespace prefixes are
 * ignored. No DTDs, no entity expansion beyond the five XML ones and
 * character references, so a hostile report cannot blow up.
 */

export interface ParsedReport {
  /** The root element's local name, e.g. `TransactionDetails`. */
  root: string;
  /** `<Meta>`'s fields. */
  meta: Record<string, string>;
  /** Each `<Row>`'s fields, in document order. */
  rows: Record<string, string>[];
}

export class ReportFormatError extends Error {
  override readonly name = 'ReportFormatError';
}

interface Element {
  name: string;
  children: Element[];
  text: string;
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return safeCodePoint(parseInt(body.slice(2), 16)) ?? whole;
    if (body.startsWith('#')) return safeCodePoint(parseInt(body.slice(1), 10)) ?? whole;
    return NAMED_ENTITIES[body] ?? whole;
  });
}

function safeCodePoint(code: number): string | undefined {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : undefined;
}

function localName(qualified: string): string {
  const colon = qualified.indexOf(':');
  return colon === -1 ? qualified : qualified.slice(colon + 1);
}

/** The element tree of a document (the root element). */
function parseTree(xml: string): Element {
  const stack: Element[] = [];
  let root: Element | undefined;
  let i = 0;
  const n = xml.length;
  const appendText = (text: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += text;
    else if (text.trim() !== '') throw new ReportFormatError('text outside the root element');
  };
  while (i < n) {
    const lt = xml.indexOf('<', i);
    if (lt === -1) {
      appendText(decodeEntities(xml.slice(i)));
      break;
    }
    if (lt > i) appendText(decodeEntities(xml.slice(i, lt)));
    if (xml.startsWith('<!--', lt)) {
      const end = xml.indexOf('-->', lt + 4);
      if (end === -1) throw new ReportFormatError('unterminated comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', lt)) {
      const end = xml.indexOf(']]>', lt + 9);
      if (end === -1) throw new ReportFormatError('unterminated CDATA section');
      appendText(xml.slice(lt + 9, end));
      i = end + 3;
    } else if (xml.startsWith('<?', lt)) {
      const end = xml.indexOf('?>', lt + 2);
      if (end === -1) throw new ReportFormatError('unterminated processing instruction');
      i = end + 2;
    } else if (xml.startsWith('<!', lt)) {
      throw new ReportFormatError('declarations (DTDs) are not accepted');
    } else {
      const end = xml.indexOf('>', lt + 1);
      if (end === -1) throw new ReportFormatError('unterminated tag');
      const tag = xml.slice(lt + 1, end);
      i = end + 1;
      if (tag.startsWith('/')) {
        const name = localName(tag.slice(1).trim());
        const open = stack.pop();
        if (!open || open.name !== name) throw new ReportFormatError(`unexpected closing tag </${name}>`);
        if (stack.length === 0) root = open;
        continue;
      }
      const selfClosing = tag.endsWith('/');
      const match = /^([A-Za-z_][\w.:-]*)/.exec(tag);
      if (!match) throw new ReportFormatError('malformed tag');
      if (root && stack.length === 0) throw new ReportFormatError('more than one root element');
      const element: Element = { name: localName(match[1]!), children: [], text: '' };
      stack[stack.length - 1]?.children.push(element);
      if (selfClosing) {
        if (stack.length === 0) root = element;
      } else {
        stack.push(element);
      }
    }
  }
  if (stack.length > 0) throw new ReportFormatError(`unclosed element <${stack[stack.length - 1]!.name}>`);
  if (!root) throw new ReportFormatError('no root element');
  return root;
}

function fields(element: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const child of element.children) out[child.name] = child.text.trim();
  return out;
}

/** Parses a report's XML; throws ReportFormatError when it is not one. */
export function parseReportXml(xml: string): ParsedReport {
  const root = parseTree(xml);
  const meta = root.children.find((child) => child.name === 'Meta');
  return {
    root: root.name,
    meta: meta ? fields(meta) : {},
    rows: root.children.filter((child) => child.name === 'Row').map(fields),
  };
}

/** The report's text: `contentString`, or `content` (base64) decoded as UTF-8. */
export function reportText(report: { contentString?: string; content?: string }): string | undefined {
  if (typeof report.contentString === 'string' && report.contentString !== '') return report.contentString;
  if (typeof report.content === 'string' && report.content !== '') return Buffer.from(report.content, 'base64').toString('utf8');
  return undefined;
}
