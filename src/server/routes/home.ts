import type { FastifyInstance } from 'fastify';

// A first page until the web UI arrives: health and the newest calls, live. Everything from a
// switch is written with textContent, never as HTML.
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Calltrail</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px system-ui,sans-serif;margin:2rem;color:#222}
 h1{margin:0 0 .25rem} #health{color:#555;margin-bottom:1rem}
 table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd}
 th{background:#f4f4f4} td.num{text-align:right}
</style></head>
<body>
<h1>Calltrail</h1>
<div id="health">checking…</div>
<table><thead><tr><th>Started</th><th>Switch</th><th>Direction</th><th>Caller</th><th>Name</th><th>Called</th><th>Talk (s)</th><th>Disposition</th></tr></thead>
<tbody id="calls"></tbody></table>
<script>
const tbody = document.getElementById('calls');
function row(c, atTop) {
  const tr = document.createElement('tr');
  const cells = [c.startedAt, c.switch, c.direction, c.callerNumber, c.callerName, c.calledNumber, c.talkSeconds, c.disposition];
  cells.forEach((v, i) => { const td = document.createElement('td'); td.textContent = v == null ? '' : String(v); if (i === 6) td.className = 'num'; tr.appendChild(td); });
  if (atTop) tbody.insertBefore(tr, tbody.firstChild); else tbody.appendChild(tr);
  while (tbody.children.length > 200) tbody.removeChild(tbody.lastChild);
}
fetch('/api/health').then(r => r.json()).then(h => {
  document.getElementById('health').textContent = 'Database: ' + h.database.engine + ' (' + h.database.version.split(' on ')[0] + '), migration ' + h.database.migration;
});
fetch('/api/calls?order=desc&limit=200').then(r => r.json()).then(d => d.calls.forEach(c => row(c, false)));
const live = new EventSource('/api/live');
live.addEventListener('calls', e => JSON.parse(e.data).forEach(c => row(c, true)));
</script>
</body></html>`;

export function registerHomePage(app: FastifyInstance): void {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
}
