/**
 * Scrapy 1.5's `IGNORED_EXTENSIONS`: file types a link spider skips when a crawl sets no
 * `deny_extensions` (null). Grouped as Scrapy groups them.
 */
export const IGNORED_EXTENSIONS: readonly string[] = Object.freeze(
  [
    'mng pct bmp gif jpg jpeg png pst psp tif tiff ai drw dxf eps ps svg', // images
    'mp3 wma ogg wav ra aac mid au aiff', // audio
    '3gp asf asx avi mov mp4 mpg qt rm swf wmv m4a m4v', // video
    'xls xlsx ppt pptx pps doc docx odt ods odg odp', // office suites
    'css pdf exe bin rss zip rar', // other
  ]
    .join(' ')
    .split(' '),
);
