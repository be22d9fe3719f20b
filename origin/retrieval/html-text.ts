import { Tokenizer } from 'htmlparser2';

// Navigation is page chrome, not the document: repeated on every page, it would only add noise.
const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'nav']);
const BLOCK = new Set(['p', 'div', 'section', 'article', 'header', 'footer', 'main', 'aside', 'li', 'ul', 'ol', 'table', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'br', 'hr', 'dt', 'dd', 'figure', 'figcaption']);
/** Elements without content or end tag: never left open. */
const VOID = new Set(['area', 'base', 'basefont', 'br', 'col', 'command', 'embed', 'frame', 'hr', 'img', 'input', 'isindex', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr']);
const FOREIGN = new Set(['svg', 'math']);

/**
 * HTML's optional end tags: opening the key closes the innermost open element while it is one of
 * these (a <p> ends at the next block, an <li> at the next <li>), as browsers build the tree.
 */
const HEADINGS = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
const P = new Set(['p']);
const CLOSES = new Map<string, ReadonlySet<string>>([
  ...['address', 'article', 'aside', 'blockquote', 'details', 'dialog', 'div', 'dl', 'fieldset', 'figcaption', 'figure', 'footer', 'form', 'header', 'hgroup', 'hr', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'search', 'section', 'table', 'ul'].map((t) => [t, P] as const),
  ...HEADINGS.map((t) => [t, new Set([...HEADINGS, 'p'])] as const),
  ['li', new Set(['li'])],
  ['dt', new Set(['dt', 'dd'])],
  ['dd', new Set(['dt', 'dd'])],
  ['tr', new Set(['tr', 'td', 'th'])],
  ['td', new Set(['td', 'th'])],
  ['th', new Set(['td', 'th'])],
  ['tbody', new Set(['thead', 'tbody'])],
  ['tfoot', new Set(['thead', 'tbody'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['option', 'optgroup'])],
  ['rt', new Set(['rt', 'rp'])],
  ['rp', new Set(['rt', 'rp'])],
  ['body', new Set(['head'])],
]);

/**
 * The open elements, innermost last. Every operation is amortised O(1): an element is pushed and
 * popped once, and whether a name is open at all is a count, not a search. (htmlparser2's own
 * Parser keeps its stack with unshift and indexOf, which is O(depth) per tag and so quadratic in
 * a document of unclosed tags: `<p><b><i>` x 170,000 took minutes.)
 */
class OpenElements {
  private readonly names: string[] = [];
  private readonly open = new Map<string, number>();

  get top(): string | undefined {
    return this.names[this.names.length - 1];
  }

  has(name: string): boolean {
    return (this.open.get(name) ?? 0) > 0;
  }

  push(name: string): void {
    this.names.push(name);
    this.open.set(name, (this.open.get(name) ?? 0) + 1);
  }

  pop(): string {
    const name = this.names.pop()!;
    this.open.set(name, this.open.get(name)! - 1);
    return name;
  }
}

/**
 * Visible text of an HTML document, blocks as paragraphs. htmlparser2's Tokenizer reads the markup
 * (entities, raw-text elements such as script and style, comments); the tree is kept here in
 * linear time, since extraction needs only which elements are open, not a DOM.
 */
export function htmlText(html: string): { text: string; title?: string } {
  const parts: string[] = [];
  const stack = new OpenElements();
  let skipping = 0;
  let inTitle = false;
  let title = '';
  let current = '';

  const close = (name: string) => {
    if (name === 'title') inTitle = false;
    else if (SKIP.has(name)) skipping--;
    else if (BLOCK.has(name)) parts.push('\n\n');
  };
  const pop = () => close(stack.pop());
  const text = (t: string) => {
    if (inTitle) title += t;
    else if (skipping === 0) parts.push(t);
  };
  const inForeign = () => stack.has('svg') || stack.has('math');

  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      ontext: (start, end) => text(html.slice(start, end)),
      ontextentity: (cp) => text(String.fromCodePoint(cp)),
      onopentagname(start, end) {
        const name = (current = html.slice(start, end).toLowerCase());
        const closes = CLOSES.get(name);
        if (closes) while (stack.top !== undefined && closes.has(stack.top)) pop();
        if (VOID.has(name)) {
          if (BLOCK.has(name)) parts.push('\n\n');
          return;
        }
        stack.push(name);
        if (name === 'title') inTitle = true;
        else if (SKIP.has(name)) skipping++;
        else if (BLOCK.has(name)) parts.push('\n\n');
      },
      onopentagend() {},
      // `<x/>` closes itself only in SVG and MathML; in HTML the slash is ignored.
      onselfclosingtag() {
        if (stack.top === current && (FOREIGN.has(current) || inForeign())) pop();
      },
      onclosetag(start, end) {
        const name = html.slice(start, end).toLowerCase();
        if (VOID.has(name)) {
          if (name === 'br') parts.push('\n\n');
        } else if (stack.has(name)) {
          while (stack.top !== name) pop();
          pop();
        } else if (name === 'p') parts.push('\n\n');
      },
      onattribname() {},
      onattribdata() {},
      onattribentity() {},
      onattribend() {},
      // CDATA is text in SVG and MathML, a comment in HTML.
      oncdata(start, end, offset) {
        if (inForeign()) text(html.slice(start, end - offset));
      },
      oncomment() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {},
      isInForeignContext: inForeign,
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  const body = parts
    .join('')
    .split(/\n{2,}/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n\n');
  const t = title.replace(/\s+/g, ' ').trim();
  return t ? { text: body, title: t } : { text: body };
}
