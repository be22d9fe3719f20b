import { Parser } from 'htmlparser2';

export type DocumentFormat = 'text' | 'markdown' | 'html';

export interface Extracted {
  text: string;
  /** The HTML <title> or the first Markdown heading, when the upload names none. */
  title?: string;
}

// Navigation is page chrome, not the document: repeated on every page, it would only add noise.
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'nav']);
const BLOCK = new Set(['p', 'div', 'section', 'article', 'header', 'footer', 'main', 'aside', 'li', 'ul', 'ol', 'table', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'br', 'hr', 'dt', 'dd', 'figure', 'figcaption']);

/** Visible text of an HTML document (parsed by htmlparser2), blocks as paragraphs. */
function htmlText(html: string): Extracted {
  const parts: string[] = [];
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        else if (SKIP.has(name)) skipDepth++;
        else if (BLOCK.has(name)) parts.push('\n\n');
      },
      ontext(t) {
        if (inTitle) title += t;
        else if (skipDepth === 0) parts.push(t);
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        else if (SKIP.has(name)) skipDepth = Math.max(0, skipDepth - 1);
        else if (BLOCK.has(name)) parts.push('\n\n');
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  const text = parts
    .join('')
    .split(/\n{2,}/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n');
  const t = title.replace(/\s+/g, ' ').trim();
  return t ? { text, title: t } : { text };
}

/**
 * Markdown stays Markdown: models read it natively and its headings keep chunks readable; only
 * the first heading is taken as a title when none is given.
 */
function markdownText(md: string): Extracted {
  const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(md);
  const text = md.replace(/\r\n?/g, '\n').trim();
  return heading ? { text, title: heading[1]! } : { text };
}

export function extractText(content: string, format: DocumentFormat): Extracted {
  if (format === 'html') return htmlText(content);
  if (format === 'markdown') return markdownText(content);
  return { text: content.replace(/\r\n?/g, '\n').trim() };
}
