// The dashboard: for the whole border and per sector, alerts (24 h by
// hour, open), incidents, response times (detection→alert→dispatch→on
// scene), sensor availability and the coverage holes now, as hand-drawn
// SVG charts (charts.js) over GET /api/v1/dashboard, refreshed every 10 s
// while open.

import { t, num } from './i18n.js';
import { get } from './api.js';
import { bars, hbars, strip, donut } from './charts.js';
import { duration, esc } from './incidents.js';

const $ = (id) => document.getElementById(id);
const respColours = ['#6a51a3', '#f16913', '#238b45'];

export function createDashboard({ toast, borderKm, enabled, onSector }) {
  const st = { open: false, data: null, timer: 0, area: 'border' };
  const api = { st };

  async function load() {
    const r = await get('api/v1/dashboard');
    if (!r.ok) { toast(t('toast.failed') + r.message); return; }
    st.data = r.data;
    api.loads = (api.loads || 0) + 1;
    render();
  }
  function show(on) {
    on = on ?? !st.open;
    if (on && !enabled) { toast(t('dash.unavailable')); return; }
    st.open = on;
    $('dashboard').hidden = !st.open;
    $('btn-dashboard').setAttribute('aria-pressed', String(st.open));
    clearInterval(st.timer);
    if (st.open) { load(); st.timer = setInterval(load, 10_000); render(); }
  }

  function card(title, ...kids) {
    const c = document.createElement('section');
    c.className = 'card';
    const h = document.createElement('h4'); h.textContent = title;
    c.append(h, ...kids);
    return c;
  }
  function kpi(label, value, cls = '') {
    const d = document.createElement('div');
    d.className = 'kpi ' + cls;
    d.innerHTML = `<span class="v">${esc(value)}</span><span class="l">${esc(label)}</span>`;
    return d;
  }
  // resp normalises a response summary to seconds: the contract's
  // {count, detect_to_alert_s, ...} or the server's {incidents,
  // detect_to_alert: {n, mean (ns), p50, ...}, ...} (the median is shown).
  function resp(r) {
    if (!r) return null;
    if ('detect_to_alert_s' in r) return r;
    const s = (d) => (d && d.n ? (d.p50 || d.mean || 0) / 1e9 : 0);
    return { count: r.incidents || 0, detect_to_alert_s: s(r.detect_to_alert), alert_to_dispatch_s: s(r.alert_to_dispatch),
      dispatch_to_scene_s: s(r.dispatch_to_on_scene) };
  }
  function responseRow(label, raw) {
    const r = resp(raw);
    if (!r || !r.count) return { label, values: [0, 0, 0], text: '–' };
    const v = [r.detect_to_alert_s || 0, r.alert_to_dispatch_s || 0, r.dispatch_to_scene_s || 0];
    return { label, values: v, text: duration(v[0] + v[1] + v[2]) + ` (n=${r.count})` };
  }

  function render() {
    const root = $('dashboard');
    if (!st.open) return;
    const d = st.data;
    root.textContent = '';
    const head = document.createElement('div');
    head.className = 'dash-head';
    const h = document.createElement('h3'); h.textContent = t('dashboard');
    const sel = document.createElement('select');
    sel.id = 'dash-area'; sel.setAttribute('aria-label', t('sector'));
    const opt = (v, l) => { const o = document.createElement('option'); o.value = v; o.textContent = l; sel.append(o); };
    opt('border', t('board.all'));
    for (const s of (d && d.sectors) || []) opt(s.id, s.name || s.id);
    sel.value = st.area;
    sel.onchange = () => { st.area = sel.value; render(); if (st.area !== 'border' && onSector) onSector(st.area); };
    const when = document.createElement('span'); when.className = 'muted mono';
    when.textContent = d ? new Date(d.time).toISOString().slice(11, 19) + 'Z' : t('loading');
    const close = document.createElement('button'); close.type = 'button'; close.textContent = t('close') + ' (Esc)'; close.onclick = () => show(false);
    head.append(h, sel, when, close);
    root.append(head);
    if (!d) return;
    const area = st.area === 'border' ? d.border : (d.sectors || []).find((s) => s.id === st.area) || d.border;
    const hours = area.alerts_by_hour || (st.area === 'border' ? sumHours(d.sectors) : []);
    const grid = document.createElement('div');
    grid.className = 'dash-grid';

    const k = document.createElement('div'); k.className = 'kpis';
    k.append(kpi(t('dash.alerts24'), area.alerts_24h ?? 0), kpi(t('dash.alertsopen'), area.alerts_open ?? 0, area.alerts_open ? 'warn' : ''),
      kpi(t('dash.incopen'), area.incidents_open ?? 0, area.incidents_open ? 'warn' : ''), kpi(t('dash.inc24'), area.incidents_24h ?? 0),
      kpi(t('dash.sensors'), `${area.sensors_ok ?? 0}/${area.sensors_total ?? 0}`, area.sensors_ok < area.sensors_total ? 'bad' : ''),
      kpi(t('dash.holes'), (area.coverage_holes || []).length, (area.coverage_holes || []).length ? 'bad' : ''));
    grid.append(card(st.area === 'border' ? t('board.all') : (area.name || area.id), k));

    const labels = [];
    for (let i = 0; i < 24; i += 6) labels.push([i, '-' + (24 - i) + 'h']);
    labels.push([23, t('dash.now')]);
    grid.append(card(t('dash.byhour'), bars(hours.length ? hours : new Array(24).fill(0), { title: t('dash.byhour'), xlabels: labels, colour: '#d0021b' })));

    const secs = d.sectors || [];
    grid.append(card(t('dash.persector'), hbars(secs.map((s) => ({ label: s.name || s.id, values: [s.alerts_open, Math.max(0, s.alerts_24h - s.alerts_open)] })),
      { title: t('dash.persector'), colours: ['#d0021b', '#f5a3ad'], legend: [t('dash.alertsopen'), t('dash.alerts24')] })));
    grid.append(card(t('dash.incidents'), hbars(secs.map((s) => ({ label: s.name || s.id, values: [s.incidents_open] })),
      { title: t('dash.incidents'), colours: ['#f26b00'], legend: [t('dash.incopen')] })));

    const resp = [responseRow(t('board.all'), d.border.response || overall(secs)), ...secs.map((s) => responseRow(s.name || s.id, s.response))];
    grid.append(card(t('dash.response'), hbars(resp, { title: t('dash.response'), colours: respColours, fmt: duration,
      legend: [t('dash.r.alert'), t('dash.r.dispatch'), t('dash.r.scene')] })));

    const avail = document.createElement('div'); avail.className = 'donuts';
    for (const s of [{ name: t('board.all'), ...d.border }, ...secs]) {
      const w = document.createElement('figure');
      w.append(donut(s.sensors_ok || 0, s.sensors_total || 0, { title: `${s.name || s.id}: ${s.sensors_ok}/${s.sensors_total}` }));
      const c = document.createElement('figcaption'); c.textContent = s.name || s.id; w.append(c);
      avail.append(w);
    }
    grid.append(card(t('dash.availability'), avail));

    const holes = (d.border.coverage_holes || []);
    const wide = card(t('dash.holesnow') + ` (${holes.length})`, strip(borderKm(), secs.map((s, i) => ({ ...sectorRange(s, i, secs.length), label: s.name || s.id })),
      holes.map((x) => ({ from_km: x.from_km, to_km: x.to_km, title: `${x.sensor_id} · km ${num(x.from_km, 0)}–${num(x.to_km, 0)}` })), { title: t('dash.holesnow') }));
    wide.classList.add('wide');
    if (holes.length) {
      const ul = document.createElement('ul'); ul.className = 'holes';
      for (const x of holes.slice(0, 12)) { const li = document.createElement('li'); li.textContent = `${x.sensor_id} · ${x.sector} · ${t('border.km')} ${num(x.from_km, 1)}–${num(x.to_km, 1)}`; ul.append(li); }
      wide.append(ul);
    }
    grid.append(wide);
    root.append(grid);
    api.charts = root.querySelectorAll('svg.chart').length;
  }
  let ranges = null;
  api.setSectorRanges = (r) => { ranges = r; };
  function sectorRange(s, i, n) {
    const r = ranges && ranges.get(s.id);
    if (r) return r;
    const L = borderKm();
    return { from_km: L * i / n, to_km: L * (i + 1) / n };
  }
  function sumHours(secs) {
    const h = new Array(24).fill(0);
    for (const s of secs || []) (s.alerts_by_hour || []).forEach((v, i) => { h[i] += v; });
    return h;
  }
  function overall(secs) {
    let n = 0; const acc = { detect_to_alert_s: 0, alert_to_dispatch_s: 0, dispatch_to_scene_s: 0 };
    for (const s of secs) { const r = resp(s.response); if (r && r.count) { n += r.count; for (const k in acc) acc[k] += (r[k] || 0) * r.count; } }
    if (!n) return null;
    for (const k in acc) acc[k] /= n;
    return { count: n, ...acc };
  }

  function key(k) {
    if (!st.open) return false;
    if (k === 'Escape' || k === 'g') { show(false); return true; }
    return false;
  }
  Object.assign(api, { show, load, render, key, isOpen: () => st.open });
  return api;
}
