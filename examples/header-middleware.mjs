// A downloader middleware that adds a header to every request the crawler sends.
//
//   DOWNLOADER_MIDDLEWARES='{"./examples/header-middleware.mjs": 543}' scrapy-cluster crawler
//
// The header names the crawl the request belongs to (`X-Crawl-Id`), so the site's logs can tell crawls
// apart. processRequest changes the request in place; returning nothing lets the download go on.
export default class CrawlIdHeaderMiddleware {
  processRequest(request) {
    if (request.meta.crawlid) request.headers['X-Crawl-Id'] = String(request.meta.crawlid);
  }
}
