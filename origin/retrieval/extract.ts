import { htmlText } from './html-text.ts';

export type DocumentFormat = 'text' | 'markdown' | 'html';

export interface Extracted {
  text: string;
  /** The HTML <title> or the first Markdown heading, when the upload names none. */
  title?: string;
}

/**
 * The text of the first ATX heading (`# Title`, `## Title ##`), read line by line with string
 * operations: the regular expression this replaced (`^#{1,6}\s+(.+?)\s*#*\s*$`) backtracked in
 * cubic time over a heading line of spaces (2,000 of them took 10 s).
 */
function firstHeading(md: string): string | undefined {
  for (let start = 0; start < md.length; ) {
    const nl = md.indexOf('\n', start);
    const end = nl === -1 ? md.length : nl;
    let hashes = 0;
    while (hashes < 7 && md.charCodeAt(start + hashes) === 0x23) hashes++;
    const after = md[start + hashes];
    if (hashes >= 1 && hashes <= 6 && (after === ' ' || after === '\t')) {
      let title = md.slice(start + hashes, end).trim();
      // A closing run of #s is decoration when a space precedes it (or it is all there is).
      let cut = title.length;
      while (cut > 0 && title[cut - 1] === '#') cut--;
      if (cut === 0) title = '';
      else if (cut < title.length && (title[cut - 1] === ' ' || title[cut - 1] === '\t')) title = title.slice(0, cut).trimEnd();
      if (title) return title;
    }
    start = end + 1;
  }
  return undefined;
}

/**
 * Markdown stays Markdown: models read it natively and its headings keep chunks readable; only
 * the first heading is taken as a title when none is given.
 */
function markdownText(md: string): Extracted {
  const text = md.replace(/\r\n?/g, '\n').trim();
  const title = firstHeading(text);
  return title ? { text, title } : { text };
}

/** A title found in the document is held to what an upload may name (300 characters), on one line. */
const MAX_TITLE = 300;

function read(content: string, format: DocumentFormat): Extracted {
  if (format === 'html') return htmlText(content);
  if (format === 'markdown') return markdownText(content);
  return { text: content.replace(/\r\n?/g, '\n').trim() };
}

export function extractText(content: string, format: DocumentFormat): Extracted {
  const ex = read(content, format);
  if (ex.title === undefined) return ex;
  const title = ex.title.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE);
  return title ? { text: ex.text, title } : { text: ex.text };
}
