// The common operating picture: wires the map, the live stream, the alert
// queue, the incident workflow (incidents.js), replay (replay.js), the
// dashboard (dashboard.js), search, the measure tool, layer toggles,
// themes, languages and keyboard shortcuts. window.bw exposes read-only
// state for the browser tests and the frame-time measurement.

import { t, place, apply, setLanguage, language, onLanguage, num, age } from './i18n.js';
import { createMap, loadGeography, loadDeployment } from './basemap.js';
import { LiveStore, LiveLayer } from './symbols.js';
import { Stream, post } from './stream.js';
import { distance, bearing, formatDistance } from './geodesy.js';
import { createIncidents } from './incidents.js';
import { createReplay } from './replay.js';
import { createDashboard } from './dashboard.js';

const L = window.L;
const $ = (id) => document.getElementById(id);
const bw = (window.bw = { ready: false, errors: [], batches: 0 });
const sevRank = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };

// ---------- theme, language ----------
function setTheme(th) {
  document.documentElement.dataset.theme = th;
  localStorage.setItem('bw.theme', th);
  $('btn-theme').textContent = th === 'night' ? t('theme.day') : t('theme.night');
}
setTheme(localStorage.getItem('bw.theme') || 'day');
apply(document);

async function start() {
  const me = await fetch('api/v1/me');
  if (me.status === 401) { location.href = 'login.html'; return; }
  const who = await me.json().catch(() => ({}));
  if (who.csrf_token) sessionStorage.setItem('bw.csrf', who.csrf_token);
  if (who.must_change_password) { location.href = 'login.html'; return; }
  // The full server (internal/server) answers /api/v1/me with the caller's
  // permissions and serves incidents, dispatch, replay and the dashboard;
  // web's handler alone does not, and those parts stay disabled.
  const full = Array.isArray(who.permissions);
  const can = (a) => full && who.permissions.includes(a);
  bw.who = who;

  const map = createMap($('map'));
  bw.map = map;
  const geo = await loadGeography(map);
  let dep = null;
  try {
    const r = await fetch('api/v1/deployment');
    if (r.ok) {
      const gj = await r.json();
      $('dep-title').textContent = gj.title || gj.name || '';
      dep = await loadDeployment(map, gj);
    } else {
      dep = await loadDeployment(map, { features: [] });
      toast(t('toast.failed') + r.status + ' /api/v1/deployment');
    }
  } catch (e) {
    bw.errors.push(String(e));
    dep = await loadDeployment(map, { features: [] });
  }
  bw.border = { km: dep.chain.length };
  bw.deployment = { sensors: [...dep.sensors.values()].filter((x) => x.p).length, coverage: [...dep.sensors.values()].filter((x) => x.cov).length,
    crossings: dep.crossings.length, sites: dep.sites.length, sectors: dep.sectors.length };

  // ---------- live ----------
  const stores = { tracks: new LiveStore(), units: new LiveStore(), drones: new LiveStore() };
  const alerts = new Map();
  const sensorHealth = new Map();
  const live = new LiveLayer(stores).addTo(map);
  bw.live = live; bw.stores = stores; bw.alerts = alerts;
  const alertLayer = L.layerGroup().addTo(map);
  let alertsDirty = false, seenCritical = new Set(), firstBatch = true;

  function applyBatch(b) {
    if (b.reset) { bw.resets = (bw.resets || 0) + 1; for (const s of Object.values(stores)) s.clear(); alerts.clear(); alertsDirty = true; }
    for (const c of b.changes) {
      const store = c.kind === 'track' ? stores.tracks : c.kind === 'unit' ? stores.units : c.kind === 'drone' ? stores.drones : null;
      if (store) {
        if (c.op === 'upsert') store.upsert(c.id, c.data); else store.delete(c.id);
      } else if (c.kind === 'alert') {
        if (c.op === 'upsert') {
          alerts.set(c.id, c.data);
          if (c.data.severity === 'critical' && c.data.state === 'open' && !seenCritical.has(c.id)) {
            seenCritical.add(c.id);
            if (!firstBatch) beep();
          }
        } else alerts.delete(c.id);
        alertsDirty = true;
      } else if (c.kind === 'sensor' && c.op === 'upsert') {
        sensorHealth.set(c.id, c.data); dep.setHealth(c.data);
      }
    }
    firstBatch = false;
    bw.batches++;
    live.redraw();
    if (alertsDirty) { alertsDirty = false; renderAlerts(); }
    renderCounts();
    refreshDetails();
  }

  const viewBBox = () => {
    const b = map.getBounds().pad(0.25);
    return [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()), Math.min(90, b.getNorth())];
  };
  const stream = new Stream({
    onBatch: applyBatch,
    onState: (s) => { const c = $('conn'); c.dataset.state = s; c.textContent = t('conn.' + s); bw.conn = s; },
    hz: Number(new URLSearchParams(location.search).get('hz')) || 2,
  });
  bw.stream = stream;
  stream.open(viewBBox());
  let viewTimer = 0;
  map.on('moveend', () => { clearTimeout(viewTimer); viewTimer = setTimeout(() => stream.setView(viewBBox()), 250); });

  // ---------- alert queue ----------
  let replay = null; // replay.js, created below
  let selectedAlert = null;
  function alertSource() {
    if (!replay || !replay.active()) return [...alerts.values()];
    const now = replay.st.cur;
    return [...replay.alerts.values()].filter((a) => Date.parse(a.time) <= now);
  }
  function sortedAlerts() {
    return alertSource().sort((a, b) => (sevRank[b.severity] || 0) - (sevRank[a.severity] || 0) || Date.parse(a.time) - Date.parse(b.time) || (a.id < b.id ? -1 : 1));
  }
  function renderAlerts() {
    const list = $('alert-list'), as = sortedAlerts();
    list.textContent = '';
    alertLayer.clearLayers();
    for (const a of as) {
      const li = document.createElement('li');
      li.className = `alert sev-${a.severity} state-${a.state}` + (a.id === selectedAlert ? ' selected' : '');
      li.dataset.id = a.id;
      li.tabIndex = -1;
      const head = document.createElement('div'); head.className = 'alert-head';
      const sev = document.createElement('span'); sev.className = 'sev'; sev.textContent = t('sev.' + a.severity);
      const kind = document.createElement('span'); kind.className = 'kind'; kind.textContent = t('kind.' + a.kind);
      const ag = document.createElement('span'); ag.className = 'age';
      if (replay && replay.active()) ag.textContent = new Date(a.time).toISOString().slice(11, 19) + 'Z';
      else { ag.dataset.time = a.time; ag.textContent = age(Date.now() - Date.parse(a.time)); }
      head.append(sev, kind, ag);
      const body = document.createElement('div'); body.className = 'alert-body';
      body.textContent = `${t('border.km')} ${num(a.chainage_km, 1)} · ${a.sector || ''} · ${t('state.' + a.state) || a.state}` + (a.exercise ? ' · ' + t('exercise') : '');
      const msg = document.createElement('div'); msg.className = 'alert-msg'; msg.textContent = a.message || '';
      li.append(head, body, msg);
      li.onclick = () => selectAlert(a.id, true);
      list.appendChild(li);
      if (a.position && (a.position.lat || a.position.lon)) {
        L.circleMarker([a.position.lat, a.position.lon], { radius: 14, color: a.severity === 'critical' ? '#ff0000' : '#ff8c00', weight: 3, fill: false, className: 'bw-alert-ring sev-' + a.severity })
          .on('click', () => selectAlert(a.id, false)).addTo(alertLayer);
      }
    }
    $('alert-count').textContent = String(as.length);
    $('tab-alerts-count').textContent = String(as.length);
    $('alert-empty').hidden = as.length > 0;
    bw.alertIds = as.map((a) => a.id);
    bw.alertMarkers = alertLayer.getLayers().length;
  }
  function selectAlert(id, fly) {
    selectedAlert = id;
    setTab('alerts');
    for (const li of $('alert-list').children) li.classList.toggle('selected', li.dataset.id === id);
    const a = alerts.get(id) || (replay && replay.alerts.get(id));
    if (!a) return;
    const li = $('alert-list').querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (li) li.scrollIntoView({ block: 'nearest' });
    if (fly && a.position) map.flyTo([a.position.lat, a.position.lon], Math.max(map.getZoom(), 11), { duration: 0.8 });
    showAlertDetails(a);
  }
  function moveSelection(d) {
    const ids = sortedAlerts().map((a) => a.id);
    if (!ids.length) return;
    const i = ids.indexOf(selectedAlert);
    selectAlert(ids[i < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, i + d))], false);
  }
  async function alertAction(action) {
    if (!selectedAlert) return;
    if (replay.active()) { toast(t('replay.mode') + ': ' + t('replay.live')); return; }
    const r = await post(`api/v1/alerts/${encodeURIComponent(selectedAlert)}/${action}`);
    if (!r.ok) {
      const e = await r.json().catch(() => ({}));
      toast(t('toast.failed') + ((e.error && e.error.message) || r.status));
    }
  }

  // ---------- incidents, replay, dashboard ----------
  const unitName = (id) => { const o = stores.units.items.get(id) || stores.drones.items.get(id); return (o && o.data.name) || id; };
  const incidents = createIncidents({
    map, toast, unitName, sectors: () => dep.sectors, enabled: can('view'), canDispatch: can('dispatch'),
    onFocus: (id) => { details = { incident: id }; selectedAlert = null; for (const li of $('alert-list').children) li.classList.remove('selected'); },
  });
  replay = createReplay({ live, liveStores: stores, toast, enabled: can('replay'), hide: [incidents.layer], onChange: () => { renderAlerts(); renderCounts(); } });
  const dashboard = createDashboard({ toast, borderKm: () => dep.chain.length, enabled: can('view') && full,
    onSector: (id) => { const s = dep.sectors.find((x) => x.id === id); if (s && s.from_km !== undefined) map.flyToBounds(L.latLngBounds([dep.chain.pointAt(s.from_km), dep.chain.pointAt(s.to_km)]).pad(0.2), { duration: 0.6 }); } });
  dashboard.setSectorRanges(new Map(dep.sectors.filter((s) => s.from_km !== undefined).map((s) => [s.id, { from_km: s.from_km, to_km: s.to_km }])));
  bw.incidents = incidents; bw.replay = replay; bw.dashboard = dashboard;
  let tab = 'alerts';
  function setTab(which) {
    tab = which;
    $('alerts').hidden = which !== 'alerts';
    $('incident-board').hidden = which !== 'incidents';
    $('tab-alerts').setAttribute('aria-selected', String(which === 'alerts'));
    $('tab-incidents').setAttribute('aria-selected', String(which === 'incidents'));
    if (which === 'incidents') incidents.renderBoard();
  }
  $('tab-alerts').onclick = () => setTab('alerts');
  $('tab-incidents').onclick = () => setTab('incidents');
  const currentAlert = () => selectedAlert && (alerts.get(selectedAlert) || null);
  function openIncident() {
    if (replay.active()) { toast(t('replay.mode') + ': ' + t('replay.live')); return; }
    const a = currentAlert();
    if (!a) { setTab('incidents'); return; }
    incidents.openFromAlert(a).then(() => setTab('incidents'));
  }
  async function dispatch() {
    if (replay.active()) { toast(t('replay.mode') + ': ' + t('replay.live')); return; }
    if (!can('dispatch')) { toast(full ? t('toast.failed') + 'dispatch' : t('toast.nodispatch')); return; }
    const a = currentAlert();
    if (incidents.st.focused && incidents.showing()) { incidents.openDispatch(); return; }
    if (!a) return;
    await incidents.openFromAlert(a);
    setTab('incidents');
    if (incidents.showing()) incidents.openDispatch();
  }
  $('btn-replay').onclick = () => { if (replay.active()) replay.exit(); else replay.enter(); $('btn-replay').setAttribute('aria-pressed', String(replay.active())); };
  $('btn-dashboard').onclick = () => dashboard.show();

  // ---------- details ----------
  let details = null; // {store, id} or {alert}
  function row(k, v) { return `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`; }
  function esc(s) { return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }
  function showAlertDetails(a) {
    details = { alert: a.id };
    $('details').dataset.kind = 'alert'; $('details').dataset.id = a.id;
    $('details').innerHTML = `<h3>${esc(t('kind.' + a.kind))}</h3><table>` +
      row(t('status'), `${t('sev.' + a.severity)} · ${t('state.' + a.state) || a.state}`) +
      row(t('border.km'), num(a.chainage_km, 1)) + row(t('sector'), a.sector) +
      row(t('age'), age(Date.now() - Date.parse(a.time))) + row('', a.message) +
      (a.track_ids ? row(t('track'), a.track_ids.join(', ')) : '') + (a.incident_id ? row(t('incident'), a.incident_id) : '') + '</table>' +
      `<div class="actions"><button data-act="acknowledge">${esc(t('ack'))} <kbd>A</kbd></button>` +
      `<button data-act="incident">${esc(t(a.incident_id ? 'show.incident' : 'open.incident'))} <kbd>I</kbd></button>` +
      `<button data-act="dispatch">${esc(t('dispatch'))} <kbd>D</kbd></button>` +
      `<button data-act="dismiss">${esc(t('dismiss'))} <kbd>X</kbd></button></div>`;
    for (const b of $('details').querySelectorAll('button')) {
      b.onclick = () => ({ acknowledge: () => alertAction('acknowledge'), dismiss: () => alertAction('dismiss'), incident: openIncident, dispatch })[b.dataset.act]();
    }
  }
  function showObject(sel) {
    details = sel;
    $('details').dataset.kind = 'object'; $('details').dataset.id = sel.id;
    live.selected = sel; live.redraw();
    refreshDetails();
  }
  function refreshDetails() {
    if (!details) return;
    if (details.incident) return; // incidents.js refreshes its own panel
    if (details.alert) { const a = alerts.get(details.alert); if (a && !$('details').contains(document.activeElement)) showAlertDetails(a); return; }
    const o = live.stores[details.store].items.get(details.id);
    if (!o) { $('details').textContent = ''; return; }
    const d = o.data, v = d.velocity;
    let html = `<h3>${esc(t(details.store === 'tracks' ? 'track' : details.store === 'units' ? 'unit' : 'drone'))} ${esc(d.name || d.id)}</h3><table>`;
    if (details.store === 'tracks') {
      html += row(t('class'), d.class) + row('', t('aff.' + d.affiliation)) +
        row(t('speed'), v ? num(Math.hypot(v.east, v.north) * 3.6, 1) + ' km/h' : '') +
        row(t('heading'), v ? num((Math.atan2(v.east, v.north) * 180 / Math.PI + 360) % 360, 0) + '°' : '') +
        row(t('border.km'), num(d.chainage_km, 1) + ' (' + num(d.offset_m / 1000, 2) + ' km)') + row(t('sector'), d.sector);
      if (d.contact) html += row(t('contact'), `${t('border.km')} ${num(d.contact.chainage_km, 1)} · ${new Date(d.contact.time).toISOString().slice(11, 16)}Z`);
    } else if (details.store === 'drones') {
      html += row(t('battery'), Math.round((d.battery || 0) * 100) + '%') + row(t('link'), d.link) + row(t('status'), d.mode);
    } else {
      html += row(t('status'), d.status) + row(t('sector'), d.sector);
    }
    html += row(t('agency'), d.label && d.label.owner) + row(t('age'), age(Date.now() - Date.parse(d.time))) + '</table>';
    $('details').innerHTML = html;
  }
  map.on('click', (e) => {
    if (measuring) return;
    const h = live.hit(e.containerPoint);
    if (h) incidents.clearFocus();
    if (h) showObject(h); else { live.selected = null; live.redraw(); }
  });

  // ---------- counts, clock, ages ----------
  function renderCounts() {
    const ss = live.stores;
    $('counts').textContent = (replay && replay.active() ? t('replay.mode') + ' · ' : '') + `${ss.tracks.size} ${t('tracks.count')} · ${ss.units.size} ${t('units.count')} · ${ss.drones.size} ${t('drones.count')}`;
  }
  const tick = () => {
    $('clock').textContent = new Date().toISOString().slice(11, 19) + 'Z';
    for (const el of document.querySelectorAll('.age[data-time]')) el.textContent = age(Date.now() - Date.parse(el.dataset.time));
  };
  tick();
  setInterval(tick, 1000);
  map.on('mousemove', (e) => {
    $('cursor').textContent = `${num(e.latlng.lat, 4)}, ${num(e.latlng.lng, 4)} · ${t('border.km')} ${num(dep.chain.locate([e.latlng.lat, e.latlng.lng]), 1)}`;
  });

  // ---------- layers panel ----------
  const toggles = [
    ['relief', geo.layers.relief], ['places', geo.layers.places], ['water', geo.layers.water],
    ['sectors', dep.groups.sectors], ['barriers', dep.groups.barriers], ['crossings', dep.groups.crossings],
    ['sites', dep.groups.sites], ['sensors', dep.groups.sensors], ['coverage', dep.groups.coverage], ['kmposts', dep.groups.kmposts],
    ['tracks', 'tracks'], ['trails', 'trails'], ['contacts', 'contacts'], ['units', 'units'], ['drones', 'drones'], ['alerts', alertLayer],
  ];
  function renderLayers() {
    const p = $('layers-panel');
    p.textContent = '';
    for (const [name, layer] of toggles) {
      const lab = document.createElement('label');
      const cb = document.createElement('input'); cb.type = 'checkbox'; cb.dataset.layer = name;
      cb.checked = typeof layer === 'string' ? live.show[layer] : map.hasLayer(layer);
      cb.onchange = () => {
        if (typeof layer === 'string') { live.show[layer] = cb.checked; live.redraw(); } else if (cb.checked) layer.addTo(map); else map.removeLayer(layer);
      };
      lab.append(cb, ' ' + t('layer.' + name));
      p.appendChild(lab);
    }
  }
  $('btn-layers').onclick = () => {
    const p = $('layers-panel'); p.hidden = !p.hidden; $('btn-layers').setAttribute('aria-expanded', String(!p.hidden));
    if (!p.hidden) renderLayers();
  };

  // ---------- search ----------
  function search(q) {
    q = q.trim().toLowerCase();
    const out = [];
    if (!q) return out;
    const km = q.match(/^(?:km|كم)?\s*(\d+(?:\.\d+)?)$/);
    if (km) {
      const k = Number(km[1]);
      if (k <= dep.chain.length + 0.05) out.push({ label: `${t('border.km')} ${num(k, 1)}`, ll: dep.chain.pointAt(k), zoom: 12 });
    }
    const match = (s) => s && String(s).toLowerCase().includes(q);
    for (const o of stores.units.items.values()) if (match(o.data.id) || match(o.data.name)) out.push({ label: `${t('unit')} ${o.data.name || o.id}`, ll: [o.data.position.lat, o.data.position.lon], sel: { store: 'units', id: o.id } });
    for (const o of stores.drones.items.values()) if (match(o.data.id) || match(o.data.name)) out.push({ label: `${t('drone')} ${o.data.name || o.id}`, ll: [o.data.position.lat, o.data.position.lon], sel: { store: 'drones', id: o.id } });
    for (const [id, s] of dep.sensors) if (s.p && (match(id) || match(s.p.model))) out.push({ label: `${t('sensor')} ${id}`, ll: [s.lat, s.lon], zoom: 13 });
    for (const o of stores.tracks.items.values()) { if (out.length > 40) break; if (match(o.id)) out.push({ label: `${t('track')} ${o.id}`, ll: [o.data.position.lat, o.data.position.lon], sel: { store: 'tracks', id: o.id } }); }
    for (const c of dep.crossings) if (match(c.name) || match(place(c.name))) out.push({ label: place(c.name), ll: [c.lat, c.lon], zoom: 12 });
    for (const s of dep.sites) if (match(s.name) || match(s.id)) out.push({ label: s.name, ll: [s.lat, s.lon], zoom: 13 });
    for (const g of geo.gazetteer) if (match(g.name) || match(place(g.name))) out.push({ label: place(g.name), ll: [g.lat, g.lon], zoom: 10 });
    return out.slice(0, 30);
  }
  let results = [];
  function go(r) {
    map.flyTo(r.ll, r.zoom || Math.max(map.getZoom(), 12), { duration: 0.8 });
    if (r.sel) showObject(r.sel);
    $('search-results').hidden = true;
  }
  $('search-input').oninput = () => {
    results = search($('search-input').value);
    const ul = $('search-results');
    ul.textContent = '';
    for (const r of results) {
      const li = document.createElement('li'); li.textContent = r.label; li.onclick = () => go(r); ul.appendChild(li);
    }
    ul.hidden = results.length === 0;
  };
  $('search').onsubmit = (e) => { e.preventDefault(); if (results.length) go(results[0]); $('search-input').blur(); };
  bw.search = (q) => search(q).map((r) => r.label);

  // ---------- measure ----------
  let measuring = false, mPts = [], mLine = null;
  const mBox = $('measure-box');
  function measureUpdate() {
    let d = 0;
    const rows = [];
    for (let i = 1; i < mPts.length; i++) {
      const s = distance(mPts[i - 1], mPts[i]); d += s;
      rows.push(`${i}. ${formatDistance(s)} · ${num(bearing(mPts[i - 1], mPts[i]), 0)}°`);
    }
    mBox.innerHTML = `<div>${esc(t('measure.hint'))}</div><div>${rows.map(esc).join('<br>')}</div><strong>${esc(t('measure.total'))}: ${esc(formatDistance(d))}</strong>`;
    bw.measured = d;
  }
  function toggleMeasure(on) {
    measuring = on ?? !measuring;
    $('btn-measure').setAttribute('aria-pressed', String(measuring));
    $('map').classList.toggle('measuring', measuring);
    mBox.hidden = !measuring;
    if (mLine) { map.removeLayer(mLine); mLine = null; }
    mPts = [];
    if (measuring) { mLine = L.polyline([], { color: '#ff00ff', weight: 2, dashArray: '6 4' }).addTo(map); measureUpdate(); }
  }
  map.on('click', (e) => {
    if (!measuring) return;
    mPts.push([e.latlng.lat, e.latlng.lng]); mLine.setLatLngs(mPts); measureUpdate();
  });
  $('btn-measure').onclick = () => toggleMeasure();

  // ---------- sound ----------
  let audio = null, soundOn = localStorage.getItem('bw.sound') !== 'off';
  const unlock = () => { if (!audio && window.AudioContext) audio = new AudioContext(); };
  window.addEventListener('pointerdown', unlock, { once: true });
  window.addEventListener('keydown', unlock, { once: true });
  function beep() {
    bw.beeps = (bw.beeps || 0) + 1;
    if (!soundOn || !audio) return;
    const now = audio.currentTime;
    for (const [i, f] of [[0, 880], [1, 1320], [2, 880]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f; o.type = 'square';
      g.gain.setValueAtTime(0.0001, now + i * 0.18);
      g.gain.exponentialRampToValueAtTime(0.25, now + i * 0.18 + 0.01);
      g.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.18 + 0.15);
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.18); o.stop(now + i * 0.18 + 0.16);
    }
  }
  function setSound(on) {
    soundOn = on; localStorage.setItem('bw.sound', on ? 'on' : 'off');
    $('btn-sound').dataset.i18n = on ? 'sound.on' : 'sound.off';
    $('btn-sound').textContent = t($('btn-sound').dataset.i18n);
    $('btn-sound').setAttribute('aria-pressed', String(on));
  }
  setSound(soundOn);
  $('btn-sound').onclick = () => setSound(!soundOn);

  // ---------- header buttons, help, keyboard ----------
  $('btn-theme').onclick = () => setTheme(document.documentElement.dataset.theme === 'night' ? 'day' : 'night');
  $('btn-lang').onclick = () => setLanguage(language() === 'ar' ? 'en' : 'ar');
  onLanguage(() => {
    $('conn').textContent = t('conn.' + (bw.conn || 'connecting'));
    geo.relabel(); renderAlerts(); renderCounts(); refreshDetails(); setTheme(document.documentElement.dataset.theme); setSound(soundOn);
    incidents.renderBoard(); if (incidents.showing()) incidents.render(); replay.render(); dashboard.render();
    if (!$('layers-panel').hidden) renderLayers();
    renderHelp();
    map.invalidateSize();
  });
  const keys = [
    ['help.workflow', [['J / ↓', 'key.next'], ['K / ↑', 'key.prev'], ['Enter / F', 'key.fly'], ['A', 'key.ack2'], ['X', 'key.dismiss'],
      ['I', 'key.incident2'], ['B', 'key.board'], ['D', 'key.dispatch2'], ['1–9', 'key.choose'], ['V', 'key.drone'], ['Enter', 'key.send'],
      ['S', 'key.skip'], ['O', 'key.outcome'], ['E', 'key.note'], ['Esc', 'key.esc']]],
    ['help.replay', [['P', 'key.replay'], ['Space', 'key.play'], ['← / →', 'key.scrub'], ['+ / −', 'key.speed']]],
    ['help.general', [['G', 'key.dashboard'], ['M', 'key.mute'], ['N', 'key.theme'], ['L', 'key.lang'], ['/', 'key.search'], ['R', 'key.measure'], ['?', 'key.help']]],
  ];
  function renderHelp() {
    $('help').innerHTML = `<h3>${esc(t('help.title'))}</h3>` + keys.map(([h, ks]) => `<h4>${esc(t(h))}</h4><table>` +
      ks.map(([k, d]) => `<tr><td><kbd>${esc(k)}</kbd></td><td>${esc(t(d))}</td></tr>`).join('') + '</table>').join('');
  }
  renderHelp();
  $('btn-help').onclick = () => { $('help').hidden = !$('help').hidden; };
  document.addEventListener('keydown', (e) => {
    if (e.target.closest && e.target.closest('input, textarea, select')) {
      if (e.key === 'Escape') { e.target.blur(); $('search-results').hidden = true; }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (dashboard.key(k) || replay.key(k) || (!replay.active() && incidents.key(k))) { e.preventDefault(); return; }
    const list = () => (tab === 'incidents' ? incidents.move : moveSelection);
    const act = {
      j: () => list()(1), ArrowDown: () => list()(1), k: () => list()(-1), ArrowUp: () => list()(-1),
      Enter: () => selectedAlert ? selectAlert(selectedAlert, true) : list()(0), f: () => selectedAlert && selectAlert(selectedAlert, true),
      a: () => alertAction('acknowledge'), x: () => alertAction('dismiss'), i: openIncident, d: dispatch,
      b: () => setTab(tab === 'incidents' ? 'alerts' : 'incidents'), p: () => $('btn-replay').click(), g: () => dashboard.show(),
      m: () => setSound(!soundOn), n: () => $('btn-theme').click(), l: () => $('btn-lang').click(),
      '/': () => $('search-input').focus(), r: () => toggleMeasure(), '?': () => $('btn-help').click(),
      Escape: () => { toggleMeasure(false); $('help').hidden = true; $('layers-panel').hidden = true; },
    }[k];
    if (act) { e.preventDefault(); act(); }
  });

  function toast(msg) {
    const el = $('toast'); el.textContent = msg; el.hidden = false;
    clearTimeout(toast.timer); toast.timer = setTimeout(() => { el.hidden = true; }, 4000);
  }
  renderAlerts(); renderCounts();
  bw.selectAlert = (id) => selectAlert(id, true);
  bw.ready = true;
}

start().catch((e) => { bw.errors.push(String(e && e.stack || e)); console.error(e); });
