import type { LinkGraph, PageLink } from './graph.js';

const FILLER_UNIT =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. ';
let filler = FILLER_UNIT;

/** `n` characters of ASCII filler text (one shared string, sliced). */
function fillerText(n: number): string {
  while (filler.length < n) filler += filler;
  return filler.slice(0, n);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

function anchor(link: PageLink, index: number): string {
  const href = escapeHtml(link.href);
  return link.tag === 'area'
    ? `<map name="m${index}"><area shape="rect" coords="0,0,10,10" href="${href}" alt="${escapeHtml(link.text)}"></map>`
    : `<a href="${href}">${escapeHtml(link.text)}</a>`;
}

/**
 * One HTML page of the graph. The home page also carries links a crawler must not follow: a fragment of
 * itself (written `/#top`: under its `<base href="/page/">` a bare `#top` would name `/page/`), a
 * mailto: link, and an `<a href>` inside a script string.
 */
export function renderPage(graph: LinkGraph, domain: number, page: number, padTo: number): string {
  const host = graph.host(domain);
  const base = graph.baseHref(domain, page);
  const links = graph.links(domain, page);
  const parts = [
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
    `<title>${host} page ${page}</title>`,
    base === undefined ? '' : `<base href="${escapeHtml(base)}">`,
    '</head><body>',
    `<h1 id="top">${host} page ${page}</h1>\n<ul>\n`,
  ];
  links.forEach((link, i) => parts.push(`<li>${anchor(link, i)}</li>\n`));
  parts.push('</ul>\n');
  if (page === 0) {
    parts.push(
      '<p><a href="/#top">Back to top</a> <a href="mailto:webmaster@',
      host,
      '">Write to us</a></p>\n<script>var ignored = \'<a href="/not-a-link">\';</script>\n',
    );
  }
  const tail = '</body></html>\n';
  let html = parts.join('');
  const missing = padTo - html.length - tail.length - 8;
  if (missing > 0) html += `<p>${fillerText(missing)}</p>\n`;
  return html + tail;
}

/** A plain page for endpoints that answer with HTML but are not part of the graph. */
export function simplePage(title: string, body = ''): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>\n`;
}
