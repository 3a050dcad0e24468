// Replay: scrub any past window (up to 24 h) and play it at 1–60× from
// GET /api/v1/replay (Server-Sent Events: "frame" {time, tracks, alerts}
// per second of replay time, then "end"). While replaying, the live layer
// draws the replay's own stores (tracks with trails) and the alert queue
// shows the alerts of that time; the live stream keeps running underneath,
// so going back to live is instant. Seeking replays the 30 s before the
// chosen moment as fast as the server can, so trails are drawn at once.

import { t } from './i18n.js';
import { get } from './api.js';
import { LiveStore } from './symbols.js';
import { esc } from './incidents.js';

const $ = (id) => document.getElementById(id);
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const inputValue = (ms) => new Date(ms).toISOString().slice(0, 16);
const fromInput = (v) => Date.parse(v + ':00Z');
export const speeds = [1, 2, 5, 10, 30, 60];
const STALE_MS = 60_000; // a track not updated for this long (replay time) leaves the map
const WARM_MS = 30_000;

export function createReplay({ live, liveStores, toast, onChange, enabled, hide = [] }) {
  const stores = { tracks: new LiveStore(), units: new LiveStore(), drones: new LiveStore() };
  const alerts = new Map();
  const st = { active: false, from: 0, to: 0, cur: 0, speed: 10, playing: false, es: null, frames: 0, decisions: [], busyMs: 0, bytes: 0 };
  const api = { stores, alerts, st };

  function close() { if (st.es) { st.es.close(); st.es = null; } }

  function apply(f) {
    const at = Date.parse(f.time);
    for (const tr of f.tracks || []) stores.tracks.upsert(tr.id, tr);
    for (const a of f.alerts || []) alerts.set(a.id, a);
    st.cur = at;
    for (const [id, o] of stores.tracks.items) if (at - Date.parse(o.data.time) > STALE_MS) stores.tracks.delete(id);
    st.frames++;
    api.frames = st.frames;
  }

  // open streams [a, b) at speed (0: as fast as possible); then() runs at "end".
  function open(a, b, speed, then) {
    close();
    if (b - a < 1000) { if (then) then(); return; }
    const es = new EventSource(`api/v1/replay?from=${iso(a)}&to=${iso(b)}&speed=${speed}`);
    st.es = es;
    let pending = false;
    es.addEventListener('frame', (e) => {
      const t0 = performance.now();
      apply(JSON.parse(e.data));
      st.busyMs += performance.now() - t0; st.bytes += e.data.length;
      if (!pending) { pending = true; requestAnimationFrame(() => { pending = false; draw(); }); }
    });
    es.addEventListener('end', () => {
      es.close();
      if (st.es === es) st.es = null;
      draw();
      if (then) then(); else { st.playing = false; renderBar(); }
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED || st.es === es) {
        es.close();
        if (st.es === es) { st.es = null; st.playing = false; renderBar(); toast(t('replay.failed')); }
      }
    };
  }

  function draw() {
    live.redraw();
    onChange();
    renderClock();
  }

  function seek(ms) {
    st.cur = Math.max(st.from, Math.min(st.to, ms));
    for (const s of Object.values(stores)) s.clear();
    alerts.clear();
    const target = st.cur;
    open(Math.max(st.from, target - WARM_MS), target, 0, () => {
      st.cur = target; draw();
      if (st.playing) play();
    });
    draw();
  }
  function play() {
    if (st.cur >= st.to - 1000) { st.playing = false; renderBar(); return; }
    st.playing = true;
    open(st.cur, st.to, st.speed);
    renderBar();
  }
  function pause() { st.playing = false; close(); renderBar(); }
  function toggle() { if (st.playing) pause(); else play(); }
  function setSpeed(s) { st.speed = s; if (st.playing) play(); renderBar(); }
  function step(dms) { seek(st.cur + dms); }
  function faster(d) { const i = speeds.indexOf(st.speed); setSpeed(speeds[Math.max(0, Math.min(speeds.length - 1, (i < 0 ? 2 : i) + d))]); }

  async function loadDecisions() {
    const r = await get('api/v1/incidents?open=false');
    st.decisions = [];
    if (!r.ok) return;
    for (const inc of r.data || []) {
      for (const e of inc.timeline || []) {
        const ms = Date.parse(e.time);
        if (ms >= st.from && ms <= st.to) st.decisions.push({ ms, inc: inc.id, e });
      }
    }
    st.decisions.sort((a, b) => a.ms - b.ms);
    renderBar();
  }

  function enter(fromMs, toMs) {
    if (!enabled) { toast(t('replay.unavailable')); return; }
    const now = Date.now();
    st.to = toMs || Math.floor(now / 1000) * 1000;
    st.from = fromMs || st.to - 30 * 60_000;
    st.active = true; st.playing = false; st.frames = 0;
    document.body.classList.add('replaying');
    $('replay-bar').hidden = false;
    live.stores = stores;
    for (const l of hide) if (live._map && live._map.hasLayer(l)) live._map.removeLayer(l);
    renderBar();
    loadDecisions();
    seek(st.from + WARM_MS);
    onChange();
  }
  function exit() {
    close();
    st.active = false; st.playing = false;
    document.body.classList.remove('replaying');
    $('replay-bar').hidden = true;
    live.stores = liveStores;
    for (const l of hide) if (live._map) l.addTo(live._map);
    live.redraw();
    onChange();
  }

  function renderClock() {
    const frac = st.to > st.from ? (st.cur - st.from) / (st.to - st.from) : 0;
    const s = $('replay-slider');
    if (s && document.activeElement !== s) s.value = String(Math.round(frac * 1000));
    const c = $('replay-clock');
    if (c) c.textContent = new Date(st.cur || Date.now()).toISOString().slice(0, 19).replace('T', ' ') + 'Z';
    const list = $('replay-decisions');
    if (list) {
      const past = st.decisions.filter((d) => d.ms <= st.cur).slice(-4).reverse();
      list.innerHTML = past.map((d) => `<li><span class="ts">${esc(new Date(d.ms).toISOString().slice(11, 19))}Z</span> ${esc(d.inc)} · ${esc(d.e.actor)} · ${esc(t('tl.' + d.e.action) === 'tl.' + d.e.action ? d.e.action : t('tl.' + d.e.action))}${d.e.detail ? ' · ' + esc(d.e.detail) : ''}</li>`).join('');
    }
    api.cur = st.cur;
  }

  function renderBar() {
    const bar = $('replay-bar');
    if (!bar || !st.active) return;
    if (!bar.dataset.built) {
      bar.dataset.built = '1';
      bar.innerHTML = `<div class="replay-row"><strong class="replay-badge" id="replay-badge"></strong>` +
        `<label><span data-i18n="replay.from"></span> <input type="datetime-local" id="replay-from" step="60"></label>` +
        `<label><span data-i18n="replay.to"></span> <input type="datetime-local" id="replay-to" step="60"></label> <span class="muted">UTC</span>` +
        `<button type="button" id="replay-load" data-i18n="replay.load"></button>` +
        `<button type="button" id="replay-live" class="live-btn"></button></div>` +
        `<div class="replay-row"><button type="button" id="replay-back" aria-label="-1 min">−1′</button>` +
        `<button type="button" id="replay-play"></button><button type="button" id="replay-fwd" aria-label="+1 min">+1′</button>` +
        `<select id="replay-speed" aria-label="speed">${speeds.map((s) => `<option value="${s}">${s}×</option>`).join('')}</select>` +
        `<div class="replay-track"><div id="replay-ticks"></div><input type="range" id="replay-slider" min="0" max="1000" value="0" aria-label="time"></div>` +
        `<span id="replay-clock" class="mono"></span></div><ol id="replay-decisions"></ol>`;
      $('replay-from').onchange = $('replay-to').onchange = null;
      $('replay-load').onclick = () => {
        const a = fromInput($('replay-from').value), b = fromInput($('replay-to').value);
        if (!(b > a) || b - a > 24 * 3600_000) { toast(t('replay.window')); return; }
        enter(a, b);
      };
      $('replay-live').onclick = exit;
      $('replay-play').onclick = toggle;
      $('replay-back').onclick = () => step(-60_000);
      $('replay-fwd').onclick = () => step(60_000);
      $('replay-speed').onchange = () => setSpeed(Number($('replay-speed').value));
      $('replay-slider').onchange = () => seek(st.from + (st.to - st.from) * Number($('replay-slider').value) / 1000);
    }
    for (const el of bar.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    $('replay-badge').textContent = t('replay.mode') + ' ' + st.speed + '×';
    $('replay-live').textContent = t('replay.live') + ' (Esc)';
    $('replay-play').textContent = st.playing ? '‖ ' + t('replay.pause') : '▶ ' + t('replay.play');
    $('replay-play').setAttribute('aria-pressed', String(st.playing));
    $('replay-speed').value = String(st.speed);
    if (document.activeElement !== $('replay-from')) $('replay-from').value = inputValue(st.from);
    if (document.activeElement !== $('replay-to')) $('replay-to').value = inputValue(st.to);
    const ticks = $('replay-ticks');
    ticks.textContent = '';
    for (const d of st.decisions) {
      const i = document.createElement('i');
      i.className = 'tick-' + d.e.action;
      i.style.insetInlineStart = (100 * (d.ms - st.from) / (st.to - st.from)).toFixed(2) + '%';
      i.title = `${d.inc} ${d.e.action}`;
      ticks.append(i);
    }
    renderClock();
  }

  function key(k) {
    if (!st.active) return false;
    switch (k) {
      case ' ': toggle(); return true;
      case 'ArrowLeft': step(-60_000); return true;
      case 'ArrowRight': step(60_000); return true;
      case '+': case '=': faster(1); return true;
      case '-': faster(-1); return true;
      case 'Escape': case 'p': exit(); return true;
    }
    return false;
  }

  Object.assign(api, { enter, exit, seek, play, pause, toggle, setSpeed, key, active: () => st.active, render: renderBar });
  return api;
}
