import { Parser } from 'htmlparser2';

/** One `<a href>` or `<area href>` in document order, before any URL resolution. */
export interface RawAnchor {
  href: string;
  /** Text content of the element (all descendant text, entities decoded, whitespace as in the source). */
  text: string;
}

export interface ScannedPage {
  anchors: RawAnchor[];
  /** `href` of the first `<base>` that has one. */
  baseHref: string | undefined;
}

interface OpenAnchor {
  anchor: RawAnchor | undefined;
}

/**
 * One streaming pass over the markup with htmlparser2's tokenizer callbacks; no DOM is built and no
 * attribute objects are allocated. Script and style contents are raw text to the parser, so markup
 * inside them is not mistaken for links.
 */
export function scanAnchors(html: string): ScannedPage {
  const anchors: RawAnchor[] = [];
  // Every open <a>, so nested text reaches each enclosing link as lxml's string() would give it.
  const open: OpenAnchor[] = [];
  let baseHref: string | undefined;
  let tag = '';
  let current: OpenAnchor | undefined;

  const parser = new Parser(
    {
      onopentagname(name) {
        tag = name;
        current = undefined;
        if (name === 'a') {
          // An <a> start tag closes any <a> still open (the HTML parsing spec's adoption agency, as
          // browsers and lxml do): links never nest. htmlparser2 10 keeps it open, so it is done here.
          open.length = 0;
          current = { anchor: undefined };
          open.push(current);
        } else if (name === 'area') {
          current = { anchor: undefined };
        }
      },
      onattribute(name, value) {
        if (name !== 'href') return;
        if (current !== undefined) {
          // The first of duplicate attributes counts, as in every HTML parser.
          if (current.anchor === undefined) {
            current.anchor = { href: value, text: '' };
            anchors.push(current.anchor);
          }
        } else if (tag === 'base' && baseHref === undefined) {
          baseHref = value;
        }
      },
      ontext(text) {
        for (const o of open) if (o.anchor !== undefined) o.anchor.text += text;
      },
      onclosetag(name) {
        // htmlparser2 reports every element's close, implied ones included, so pops stay balanced.
        if (name === 'a') open.pop();
      },
    },
    { decodeEntities: true },
  );
  parser.end(html);
  return { anchors, baseHref };
}
