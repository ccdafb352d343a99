// The dashboard: polls /ui/api/* every few seconds and renders plain DOM; actions go through /ui/api/feed
// (the REST service's own POST /feed). No framework; uPlot draws the rate chart.
'use strict';
(function () {
  const POLL_MS = 2000;
  const $ = (selector) => document.querySelector(selector);
  const api = (path) =>
    fetch(`api/${path}`, { cache: 'no-store' }).then((r) => {
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.json();
    });
  const text = (value) => document.createTextNode(value === null || value === undefined ? '' : String(value));
  function cell(row, value, className) {
    const td = document.createElement('td');
    if (value instanceof Node) td.appendChild(value);
    else td.appendChild(text(value));
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }
  function fill(tbody, items, render) {
    tbody.replaceChildren(
      ...items.map((item) => {
        const tr = document.createElement('tr');
        render(tr, item);
        return tr;
      }),
    );
  }
  const fmt = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en'));
  const rate = (n) => (n === undefined ? '–' : n.toFixed(n < 10 ? 2 : 0));

  // Rates chart.
  let chart;
  function drawChart(rates) {
    const el = $('#chart');
    const data = [rates.map((r) => r.t), rates.map((r) => r.pagesPerSec), rates.map((r) => r.failuresPerSec)];
    const width = Math.max(el.clientWidth - 2, 200);
    if (!chart && typeof uPlot === 'function') {
      chart = new uPlot(
        {
          width,
          height: 200,
          series: [
            {},
            { label: 'pages/s', stroke: '#2563eb', width: 2 },
            { label: 'failures/s', stroke: '#dc2626', width: 2 },
          ],
          axes: [{}, { label: 'per second' }],
          scales: {
            // The last 5 minutes, even with a single sample so far.
            x: { time: true, range: (_u, _min, max) => [(max || Date.now() / 1000) - 300, max || Date.now() / 1000] },
            y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
          },
        },
        data,
        el,
      );
    } else if (chart) {
      chart.setData(data);
      if (Math.abs(chart.width - width) > 20) chart.setSize({ width, height: 200 });
    }
  }

  async function refreshOverview() {
    const o = await api('overview');
    $('#backlog').textContent = fmt(o.backlog.total);
    $('#backlog-queues').textContent = o.backlog.at ? `${fmt(o.backlog.queues)} queues` : 'measuring…';
    const last = o.rates[o.rates.length - 1];
    $('#rate-pages').textContent = rate(last && last.pagesPerSec);
    $('#rate-failures').textContent = rate(last && last.failuresPerSec);
    $('#component-count').textContent = fmt(o.components.length);
    fill($('#components tbody'), o.components, (tr, c) => {
      tr.dataset.kind = c.kind;
      cell(tr, c.kind);
      cell(tr, c.host);
      cell(tr, c.id);
      cell(tr, c.spider || '');
      cell(tr, c.age >= 0 ? `${c.age} s` : '?');
    });
    drawChart(o.rates);
  }

  async function stopCrawl(crawl) {
    if (!confirm(`Stop crawl ${crawl.appid}/${crawl.crawlid}?`)) return;
    await send({
      action: 'stop',
      appid: crawl.appid,
      crawlid: crawl.crawlid,
      spiderid: crawl.spiderid,
      uuid: uuid(),
    });
  }

  async function refreshCrawls() {
    const crawls = await api('crawls');
    $('#no-crawls').hidden = crawls.length > 0;
    fill($('#crawl-table tbody'), crawls, (tr, c) => {
      tr.dataset.crawlid = c.crawlid;
      const name = document.createElement('div');
      name.appendChild(text(`${c.appid} / ${c.crawlid}`));
      if (c.failures.length > 0) {
        const list = document.createElement('div');
        list.className = 'failures';
        for (const f of c.failures) {
          const line = document.createElement('div');
          const b = document.createElement('b');
          b.textContent = `${f.reason} ×${f.count}`;
          line.appendChild(b);
          if (f.examples.length > 0) line.appendChild(text(` e.g. ${f.examples.slice(0, 3).join(', ')}`));
          list.appendChild(line);
        }
        name.appendChild(list);
      }
      cell(tr, name, 'wrap');
      cell(tr, c.spiderid);
      cell(tr, c.pending === null ? 'many' : fmt(c.pending), 'pending');
      cell(tr, fmt(c.published), 'published');
      cell(tr, fmt(c.failed), 'failed');
      const done = c.published + c.failed;
      const total = done + (c.pending === null ? done : c.pending);
      const bar = document.createElement('span');
      bar.className = 'bar';
      const inner = document.createElement('span');
      inner.style.width = `${total > 0 ? Math.round((100 * done) / total) : 0}%`;
      bar.appendChild(inner);
      bar.title = `${done} of ${total}`;
      cell(tr, bar);
      const state = c.finished ? 'finished' : c.pending === 0 ? 'idle' : 'running';
      cell(tr, state, `state state-${state}`);
      const td = cell(tr, '');
      if (!c.finished) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'stop';
        button.textContent = 'Stop';
        button.addEventListener('click', () => void stopCrawl(c));
        td.appendChild(button);
      }
    });
  }

  // Domains: one SCAN page at a time.
  let domainCursor = '0';
  let domainPageCursor = '0';
  let throttles = new Map();
  async function refreshDomains() {
    const page = await api(`domains?cursor=${domainPageCursor}&count=50`);
    domainCursor = page.cursor;
    $('#domains-next').disabled = domainCursor === '0';
    $('#domains-note').textContent = domainCursor === '0' ? 'last page' : '';
    fill($('#domain-table tbody'), page.domains, (tr, d) => {
      tr.dataset.domain = d.domain;
      cell(tr, d.domain);
      cell(tr, d.spiderid);
      cell(tr, fmt(d.backlog), 'backlog');
      const t = throttles.get(d.domain);
      cell(tr, t ? `${t.hits} per ${t.window} s${t.scale !== undefined ? ` ×${t.scale}` : ''}` : 'default');
    });
  }
  async function refreshConfig() {
    const config = await api('config');
    throttles = new Map(config.domains.map((d) => [d.domain, d]));
    fill($('#throttle-table tbody'), config.domains, (tr, d) => {
      cell(tr, d.domain);
      cell(tr, d.hits);
      cell(tr, d.window);
      cell(tr, d.scale === undefined ? '' : d.scale);
    });
    const items = (list, render) =>
      list.map((x) => {
        const li = document.createElement('li');
        li.textContent = render(x);
        return li;
      });
    $('#blacklist').replaceChildren(
      ...(config.blacklist.length ? items(config.blacklist, (d) => d) : items(['none'], (d) => d)),
    );
    $('#stopped').replaceChildren(
      ...(config.stopped.length
        ? items(config.stopped, (s) => `${s.spiderid}: ${s.crawl.replace('||', ' / ')}`)
        : items(['none'], (d) => d)),
    );
  }
  $('#domains-next').addEventListener('click', () => {
    domainPageCursor = domainCursor;
    void refreshDomains();
  });
  $('#domains-first').addEventListener('click', () => {
    domainPageCursor = '0';
    void refreshDomains();
  });

  // Actions.
  function uuid() {
    return (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`)
      .replace(/-/g, '')
      .slice(0, 16);
  }
  async function send(body) {
    $('#reply').textContent = `sending ${JSON.stringify(body)}…`;
    try {
      const r = await fetch('api/feed', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const reply = await r.json();
      $('#reply').textContent = `HTTP ${r.status}\n${JSON.stringify(reply, null, 2)}`;
    } catch (err) {
      $('#reply').textContent = `failed: ${err}`;
    }
    void tick();
  }
  function values(form) {
    const out = {};
    for (const [k, v] of new FormData(form)) if (v !== '') out[k] = v;
    return out;
  }
  $('#form-crawl').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(e.target);
    const body = { url: v.url, appid: v.appid, crawlid: v.crawlid || uuid() };
    if (v.spiderid) body.spiderid = v.spiderid;
    if (v.maxdepth) body.maxdepth = Number(v.maxdepth);
    if (v.expires_in) body.expires = Math.floor(Date.now() / 1000) + Number(v.expires_in);
    void send(body);
  });
  $('#form-stop').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(e.target);
    const body = { action: 'stop', appid: v.appid, spiderid: v.spiderid, uuid: uuid() };
    if (v.crawlid) body.crawlid = v.crawlid;
    void send(body);
  });
  $('#form-domain').addEventListener('submit', (e) => {
    e.preventDefault();
    const v = values(e.target);
    const body = { action: v.action, domain: v.domain, appid: 'dashboard', uuid: uuid() };
    if (v.action === 'domain-update') {
      body.hits = Number(v.hits);
      body.window = Number(v.window);
      if (v.scale) body.scale = Number(v.scale);
    }
    void send(body);
  });

  let ticking = false;
  let configTick = 0;
  async function tick() {
    if (ticking) return;
    ticking = true;
    try {
      if (configTick++ % 5 === 0) await refreshConfig();
      await Promise.all([refreshOverview(), refreshCrawls(), refreshDomains()]);
      $('#status').textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      $('#status').textContent = `problem: ${err.message}`;
    } finally {
      ticking = false;
    }
  }
  void tick();
  setInterval(() => void tick(), POLL_MS);
})();
