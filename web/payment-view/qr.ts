/** The invoice QR code as inline SVG, drawn in the page with qrcode-generator. */
import qrcode from 'qrcode-generator';

const SVG_NS = 'http://www.w3.org/2000/svg';
const QUIET_ZONE = 4;
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/** Dark modules as one SVG path, runs of a row merged into one rectangle. */
export function qrPath(text: string): { size: number; path: string } {
  const qr = qrcode(0, 'M');
  // `HTTP://SEQR.SE/R12345` is alphanumeric: a smaller code than byte mode.
  qr.addData(text, ALPHANUMERIC.test(text) ? 'Alphanumeric' : 'Byte');
  qr.make();
  const count = qr.getModuleCount();
  let path = '';
  for (let row = 0; row < count; row++) {
    let col = 0;
    while (col < count) {
      if (!qr.isDark(row, col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && qr.isDark(row, col)) col++;
      path += `M${start + QUIET_ZONE} ${row + QUIET_ZONE}h${col - start}v1h${start - col}z`;
    }
  }
  return { size: count + QUIET_ZONE * 2, path };
}

export function qrSvg(doc: Document, text: string, label: string): SVGSVGElement {
  const { size, path } = qrPath(text);
  const svg = doc.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'seqr-qr-code');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('focusable', 'false');
  const title = doc.createElementNS(SVG_NS, 'title');
  title.textContent = label;
  const background = doc.createElementNS(SVG_NS, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const modules = doc.createElementNS(SVG_NS, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000');
  svg.append(title, background, modules);
  return svg;
}
