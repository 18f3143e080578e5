/**
 * The request checks SEQR's Apache CXF server makes before dispatch, done with
 * a namespace-aware streaming parser (sax, which node-soap itself parses with):
 *
 * - the document is well-formed, namespace-well-formed and has no DTD;
 * - the root is a SOAP 1.1 Envelope (`http://schemas.xmlsoap.org/soap/envelope/`);
 *   a SOAP 1.2 envelope is refused;
 * - the Envelope holds an optional Header, then the Body;
 * - the Body's first element (the operation) is in SEQR's namespace;
 * - everything inside the operation is unqualified (`elementFormDefault="unqualified"`),
 *   so a default namespace on the operation element qualifies its children and is
 *   refused unless the children reset it with `xmlns=""`.
 *
 * node-soap checks none of these: it matches on local names. sax is linear in
 * the input, so no body makes this slow.
 */
import { createRequire } from 'node:module';
import { SEQR_NAMESPACE } from './soap-wire.js';

export const SOAP11_ENVELOPE_NAMESPACE = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12_ENVELOPE_NAMESPACE = 'http://www.w3.org/2003/05/soap-envelope';

interface SaxTag {
  name: string;
  local: string;
  uri: string;
}

interface SaxParser {
  onerror: (error: Error) => void;
  onopentag: (tag: SaxTag) => void;
  onclosetag: (name: string) => void;
  ondoctype: (doctype: string) => void;
  write(chunk: string): SaxParser;
  close(): SaxParser;
}

interface SaxModule {
  parser(strict: boolean, options: { xmlns: boolean; trim?: boolean; position?: boolean }): SaxParser;
}

// sax is node-soap's own dependency (not ours): resolve it from node-soap's location.
const requireHere = createRequire(import.meta.url);
const sax = createRequire(requireHere.resolve('soap'))('sax') as SaxModule;

export type EnvelopeProblem =
  /** Not well-formed (or not namespace-well-formed) XML. */
  | { kind: 'invalidXml'; message: string }
  /** Well-formed, but not a request CXF would accept. */
  | { kind: 'invalidEnvelope'; message: string }
  /** A SOAP 1.1 Body without any element. */
  | { kind: 'noOperation'; message: string };

export interface EnvelopeCheck {
  /** Local name of the Body's first element, when the parser got that far. */
  operation?: string;
  problem?: EnvelopeProblem;
}

class Stop extends Error {
  constructor(readonly problem: EnvelopeProblem) {
    super(problem.message);
  }
}

function describeNamespace(uri: string): string {
  return uri === '' ? 'no namespace' : `namespace ${uri}`;
}

export function checkEnvelope(xml: string): EnvelopeCheck {
  const result: EnvelopeCheck = {};
  const parser = sax.parser(true, { xmlns: true, position: false });
  /** Open elements, outermost first: what each one is to the checks. */
  const stack: ('envelope' | 'header' | 'body' | 'operation' | 'inside' | 'ignored')[] = [];
  let sawRoot = false;
  let sawBody = false;
  let sawOperation = false;
  const invalid = (message: string): never => {
    throw new Stop({ kind: 'invalidEnvelope', message });
  };

  parser.onerror = (error) => {
    throw new Stop({ kind: 'invalidXml', message: error.message.split('\n')[0] ?? 'Invalid XML' });
  };
  parser.ondoctype = () => invalid('A SOAP message must not contain a document type declaration');
  parser.onopentag = (tag) => {
    const parent = stack[stack.length - 1];
    if (parent === undefined) {
      sawRoot = true;
      if (tag.local === 'Envelope' && tag.uri === SOAP12_ENVELOPE_NAMESPACE) {
        invalid('SOAP 1.2 envelope; this endpoint speaks SOAP 1.1 only');
      }
      if (tag.local !== 'Envelope' || tag.uri !== SOAP11_ENVELOPE_NAMESPACE) {
        invalid(`Root element ${tag.name} is not a SOAP 1.1 Envelope (${SOAP11_ENVELOPE_NAMESPACE})`);
      }
      stack.push('envelope');
    } else if (parent === 'envelope') {
      if (tag.uri === SOAP11_ENVELOPE_NAMESPACE && tag.local === 'Header' && !sawBody) {
        stack.push('header');
      } else if (tag.uri === SOAP11_ENVELOPE_NAMESPACE && tag.local === 'Body' && !sawBody) {
        sawBody = true;
        stack.push('body');
      } else {
        invalid(`Unexpected element ${tag.name} in the SOAP Envelope`);
      }
    } else if (parent === 'header' || parent === 'ignored') {
      // Header entries are not checked (SEQR defines none).
      stack.push('ignored');
    } else if (parent === 'body') {
      if (sawOperation) {
        // Document/literal wrapped carries one element; the first one decides.
        stack.push('ignored');
        return;
      }
      sawOperation = true;
      result.operation = tag.local;
      if (tag.uri !== SEQR_NAMESPACE) {
        invalid(`Operation element ${tag.local} must be in namespace ${SEQR_NAMESPACE} (found ${describeNamespace(tag.uri)})`);
      }
      stack.push('operation');
    } else {
      if (tag.uri !== '') {
        invalid(`Element ${tag.local} in ${result.operation} must be unqualified (elementFormDefault="unqualified"; found ${describeNamespace(tag.uri)})`);
      }
      stack.push('inside');
    }
  };
  parser.onclosetag = () => {
    stack.pop();
  };

  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof Stop) return { ...result, problem: error.problem };
    throw error;
  }
  if (!sawRoot) return { problem: { kind: 'invalidXml', message: 'No root element' } };
  if (!sawBody) return { ...result, problem: { kind: 'invalidEnvelope', message: 'No SOAP Body in the Envelope' } };
  if (!sawOperation) return { ...result, problem: { kind: 'noOperation', message: 'No operation element in soap:Body' } };
  return result;
}
