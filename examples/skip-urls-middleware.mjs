// A spider middleware that keeps a crawl away from URLs matching SKIP_URL_REGEX (logout links,
// calendars, print views...): such requests are never queued, so never fetched.
//
//   SPIDER_MIDDLEWARES='{"./examples/skip-urls-middleware.mjs": 500}' SKIP_URL_REGEX='/logout' scrapy-cluster crawler
export default class SkipUrlsMiddleware {
  constructor({ settings }) {
    const pattern = settings.SKIP_URL_REGEX ?? process.env.SKIP_URL_REGEX;
    this.skip = pattern ? new RegExp(String(pattern)) : null;
  }

  // Items have no `meta`: they pass; requests whose URL matches are left out.
  async *processSpiderOutput(response, result) {
    for await (const output of result) {
      if (!output.meta || !this.skip?.test(output.url)) yield output;
    }
  }
}
