/* openlve usage page: the administrator's view (every LVE) or a customer's
 * (one LVE), from lved's JSON API. The token of the link is passed on to
 * every API call; nothing else is stored. No framework, no build step. */
'use strict';

const params = new URLSearchParams(window.location.search);
const token = params.get('t') || '';
let scope = null;
let selected = null;
let timer = null;

function $(id) { return document.getElementById(id); }

function api(path, args) {
  const q = new URLSearchParams(Object.assign({ t: token }, args || {}));
  return fetch(path + '?' + q.toString(), { cache: 'no-store', referrerPolicy: 'no-referrer' })
    .then(r => r.json().then(j => {
      if (!r.ok || j.result !== 'success') throw new Error(j.error || ('HTTP ' + r.status));
      return j;
    }));
}

function show(msg) {
  const m = $('message');
  m.textContent = msg;
  m.hidden = !msg;
}

function cell(tr, text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function mib(bytes) { return (bytes / 1048576).toFixed(1); }
function kbs(bytes) { return (bytes / 1024).toFixed(1); }
function lim(v, f) { return v > 0 ? f(v) : 'unlimited'; }
function faults(u) {
  let n = 0;
  for (const k of Object.keys(u.faults)) n += u.faults[k].lve;
  return n;
}

function loadTop() {
  return api('/api/top', { period: $('period').value, order: $('order').value, limit: 50 }).then(j => {
    const tb = $('top-table').tBodies[0];
    tb.textContent = '';
    for (const u of j.users) {
      const tr = document.createElement('tr');
      tr.dataset.id = u.id;
      cell(tr, u.id);
      cell(tr, u.username, 'user');
      cell(tr, u.usage.cpu.lve.toFixed(1), 'cpu');
      cell(tr, lim(u.limits.cpu.lve, v => v.toFixed(0)));
      cell(tr, mib(u.usage.pmem.lve), 'pmem');
      cell(tr, lim(u.limits.pmem.lve, mib));
      cell(tr, u.usage.ep.lve, 'ep');
      cell(tr, lim(u.limits.ep.lve, v => v));
      cell(tr, u.usage.nproc.lve);
      cell(tr, kbs(u.usage.io.lve));
      const f = faults(u);
      cell(tr, f, f > 0 ? 'fault faults' : 'faults');
      if (String(u.id) === String(selected)) tr.className = 'selected';
      tr.addEventListener('click', () => { selected = u.id; loadDetail(u.id); markSelected(); });
      tb.appendChild(tr);
    }
    $('top').hidden = false;
    if (!j.users.length) show('No LVE was active in this period.');
  });
}

function markSelected() {
  for (const tr of $('top-table').tBodies[0].rows)
    tr.className = tr.dataset.id === String(selected) ? 'selected' : '';
}

function fillRow(id, sec, conv) {
  const tr = $(id);
  while (tr.cells.length > 1) tr.deleteCell(1);
  const keys = ['cpu', 'pmem', 'ep', 'nproc', 'io', 'iops'];
  for (const k of keys) cell(tr, conv(k, sec[k].lve));
}

function loadDetail(id) {
  const args = { period: $('period').value };
  if (scope === 'admin') args.id = id;
  return api('/api/lve', args).then(j => {
    $('detail-title').textContent = 'LVE ' + j.id + ' (' + j.username + ')';
    if (j.summary) {
      const conv = (k, v) => k === 'pmem' ? mib(v) : k === 'io' ? kbs(v) : (k === 'cpu' ? v.toFixed(1) : v);
      fillRow('sum-usage', j.summary.usage, conv);
      fillRow('sum-limits', j.summary.limits, (k, v) => v > 0 ? conv(k, v) : 'unlimited');
      fillRow('sum-faults', j.summary.faults, (k, v) => v);
    } else {
      for (const r of ['sum-usage', 'sum-limits', 'sum-faults'])
        while ($(r).cells.length > 1) $(r).deleteCell(1);
    }
    const q = new URLSearchParams(Object.assign({ t: token }, args));
    $('chart').src = '/api/chart.svg?' + q.toString() + '&_=' + Date.now();
    $('chart').dataset.points = j.series.length;
    $('detail').hidden = false;
    return loadSnapshots(args);
  });
}

/* Incident snapshots (lve-read-snapshot's data): the processes and the web
 * requests running when the LVE hit a limit. Text only (textContent). */
function table(head, rows) {
  const t = document.createElement('table');
  const hr = t.createTHead().insertRow();
  for (const h of head) { const th = document.createElement('th'); th.textContent = h; hr.appendChild(th); }
  const tb = t.createTBody();
  for (const r of rows) { const tr = tb.insertRow(); for (const v of r) cell(tr, v); }
  return t;
}

function loadSnapshots(args) {
  return api('/api/snapshots', args).then(j => {
    const box = $('snaps');
    box.textContent = '';
    $('snap-none').hidden = j.snapshots.length > 0;
    for (const s of j.snapshots) {
      const d = document.createElement('details');
      d.className = 'snapshot';
      const sum = document.createElement('summary');
      const f = Object.keys(s.faults).filter(k => s.faults[k] > 0).map(k => k.toUpperCase() + ' ' + s.faults[k]);
      sum.textContent = new Date(s.timestamp * 1000).toLocaleString() + ': faults ' + (f.join(', ') || 'none') +
        '; ' + s.nprocs + ' processes, ' + s.http_requests.length + ' web requests';
      d.appendChild(sum);
      if (s.http_requests.length) {
        const h = document.createElement('h4'); h.textContent = 'Web requests being served'; d.appendChild(h);
        d.appendChild(table(['PID', 'since', 'request'], s.http_requests.map(q =>
          [q.pid, new Date(q.since * 1000).toLocaleTimeString(), q.request])));
        d.lastChild.className = 'requests';
      }
      const h = document.createElement('h4'); h.textContent = 'Processes'; d.appendChild(h);
      d.appendChild(table(['PID', 'CPU s', 'RSS MiB', 'command'], s.processes.map(p =>
        [p.pid, p.cpu_seconds.toFixed(2), mib(p.rss), p.cmdline])));
      if (box.children.length === 0) d.open = true;
      box.appendChild(d);
    }
  });
}

function refresh() {
  show('');
  const p = scope === 'admin' ? loadTop().then(() => selected && loadDetail(selected)) : loadDetail(null);
  return p.catch(e => show(e.message));
}

function schedule() {
  if (timer) clearInterval(timer);
  timer = $('live').checked ? setInterval(refresh, 15000) : null;
}

document.addEventListener('DOMContentLoaded', () => {
  if (!token) { show('Open this page with the link from your control panel.'); return; }
  api('/api/whoami').then(j => {
    scope = j.scope;
    if (scope === 'admin') {
      $('title').textContent = 'LVE usage: all customers';
      $('order-box').hidden = false;
    } else {
      $('title').textContent = 'Resource usage of ' + j.username;
    }
    document.body.dataset.scope = scope;
    $('period').addEventListener('change', refresh);
    $('order').addEventListener('change', refresh);
    $('live').addEventListener('change', schedule);
    schedule();
    return refresh();
  }).then(() => { document.body.dataset.ready = '1'; })
    .catch(e => { show(e.message); document.body.dataset.ready = 'error'; });
});
