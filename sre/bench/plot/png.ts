import { writeFileSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

/** Renders an SVG to PNG with the system's fonts (DejaVu Sans on these machines). */
export function writePng(svg: string, file: string): void {
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, background: '#ffffff' }).render().asPng();
  writeFileSync(file, png);
}
