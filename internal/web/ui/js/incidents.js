// The incident workflow: the incident board (the sector or the whole
// border), incident markers on the map, and the incident panel where the
// operator acknowledges, dispatches the recommended unit and drone, walks
// the SOP checklist (answer or skip with a reason), adds notes and
// records the outcome. Incidents are polled (GET /api/v1/incidents?open=true
// every 2 s; the live stream does not carry them in this version).

import { t, num, age, language } from './i18n.js';
import { get, postJSON } from './api.js';
import { sopStep, promptsAr } from './sops.js';

const L = window.L;
const $ = (id) => document.getElementById(id);
const sevRank = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
const SHOWN = 5; // recommended units shown before "more"
const stateOrder = ['new', 'acknowledged', 'assigned', 'en_route', 'on_scene', 'resolved'];
export const outcomeKinds = ['apprehended', 'seizure', 'false_alarm', 'escaped', 'handed_over'];

// bdi isolates text whose direction is its own (server-written English,
// ids) inside the Arabic right-to-left layout.
export const bdi = (s) => `<bdi>${esc(s)}</bdi>`;

export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// duration formats seconds as "7 min" / "1 h 05 min" / "45 s".
export function duration(s) {
  if (!(s >= 0)) return '–';
  if (s < 90) return Math.round(s) + ' s';
  const m = Math.round(s / 60);
  if (m < 60) return m + ' min';
  return Math.floor(m / 60) + ' h ' + String(m % 60).padStart(2, '0') + ' min';
}

const hhmmss = (ts) => (ts ? new Date(ts).toISOString().slice(11, 19) + 'Z' : '');
const word = (prefix, w) => { const k = prefix + w; const s = t(k); return s === k ? String(w).replace(/_/g, ' ') : s; };

export function createIncidents({ map, toast, unitName, sectors, enabled, canDispatch, onFocus }) {
  const sectorName = (id) => { const s = sectors().find((x) => x.id === id); return (s && s.name) || id || ''; };
  const arrow = () => (language() === 'ar' ? '←' : '→');
  // ageOf is the incident's age, frozen at resolution.
  const ageOf = (inc) => age((inc.times.resolved ? Date.parse(inc.times.resolved) : Date.now()) - Date.parse(inc.times.alerted));
  const incidents = new Map(); // open ones, plus the focused one
  const layer = L.layerGroup().addTo(map);
  const st = {
    focused: null, sub: null, rec: null, unitSel: 0, droneOn: true, sops: null, filter: localStorage.getItem('bw.board') || 'all',
    boardSel: null, busy: false, lastPoll: 0, seizures: 1,
  };
  const api = { incidents, layer, st };

  // ---------- polling ----------
  async function poll() {
    if (!enabled) return;
    const r = await get('api/v1/incidents?open=true');
    if (!r.ok) return;
    const seen = new Set();
    for (const inc of r.data || []) { incidents.set(inc.id, inc); seen.add(inc.id); }
    for (const id of [...incidents.keys()]) if (!seen.has(id) && id !== st.focused) incidents.delete(id);
    if (st.focused && !seen.has(st.focused)) {
      const f = await get('api/v1/incidents/' + encodeURIComponent(st.focused));
      if (f.ok) incidents.set(f.data.id, f.data);
    }
    st.lastPoll = Date.now();
    api.polls = (api.polls || 0) + 1;
    render();
  }
  if (enabled) {
    poll();
    setInterval(poll, 2000);
  }

  // ---------- board ----------
  function boardItems() {
    return [...incidents.values()].filter((i) => i.state !== 'resolved' && (st.filter === 'all' || i.sector === st.filter))
      .sort((a, b) => (sevRank[b.severity] || 0) - (sevRank[a.severity] || 0) || Date.parse(a.times.alerted) - Date.parse(b.times.alerted));
  }
  function renderBoard() {
    const sel = $('board-filter');
    if (sel && sel.options.length !== sectors().length + 1) {
      sel.textContent = '';
      const all = document.createElement('option'); all.value = 'all'; all.textContent = t('board.all'); sel.append(all);
      for (const s of sectors()) { const o = document.createElement('option'); o.value = s.id; o.textContent = s.name || s.id; sel.append(o); }
      sel.value = st.filter;
      sel.onchange = () => { st.filter = sel.value; localStorage.setItem('bw.board', st.filter); render(); };
    } else if (sel && sel.options[0]) sel.options[0].textContent = t('board.all');
    const list = $('incident-list'), items = boardItems();
    list.textContent = '';
    for (const inc of items) {
      const li = document.createElement('li');
      li.className = `incident sev-${inc.severity} istate-${inc.state}` + (inc.id === (st.boardSel || st.focused) ? ' selected' : '');
      li.dataset.id = inc.id;
      li.innerHTML = `<div class="alert-head"><span class="badge st-${esc(inc.state)}">${esc(word('istate.', inc.state))}</span>` +
        `<span class="kind">${esc(word('kind.', inc.kind))}</span><span class="age" data-time="${esc(inc.times.alerted)}">${esc(ageOf(inc))}</span></div>` +
        `<div class="alert-body">${esc(t('border.km'))} ${num(inc.chainage_km, 1)} · ${esc(sectorName(inc.sector))} · ${esc(inc.id)}</div>` +
        `<div class="alert-body">${inc.units && inc.units.length ? esc(t('units.assigned')) + ': ' + esc(inc.units.map(unitName).join(', ')) : esc(t('units.none'))}` +
        `${inc.exercise ? ' · ' + esc(t('exercise')) : ''}</div>`;
      li.onclick = () => focus(inc.id, true);
      list.append(li);
    }
    $('incident-count').textContent = String(items.length);
    $('tab-incidents-count').textContent = String(items.length);
    $('incident-empty').hidden = items.length > 0;
    $('incident-empty').textContent = enabled ? t('incidents.none') : t('toast.noincident');
    api.boardIds = items.map((i) => i.id);
  }
  function renderMarkers() {
    layer.clearLayers();
    for (const inc of incidents.values()) {
      if (inc.state === 'resolved' && inc.id !== st.focused) continue;
      if (!inc.position || !(inc.position.lat || inc.position.lon)) continue;
      const icon = L.divIcon({ className: `bw-incident st-${inc.state}` + (inc.id === st.focused ? ' focused' : ''), html: '!', iconSize: [20, 20] });
      L.marker([inc.position.lat, inc.position.lon], { icon, keyboard: false, title: inc.id, zIndexOffset: 1000 })
        .on('click', () => focus(inc.id, false)).addTo(layer);
    }
    api.markers = layer.getLayers().length;
  }
  function render() {
    renderBoard();
    renderMarkers();
    if (st.focused && api.showing() && !$('details').contains(document.activeElement)) renderPanel();
  }

  function move(d) {
    const ids = boardItems().map((i) => i.id);
    if (!ids.length) return;
    const cur = st.boardSel || st.focused;
    const i = ids.indexOf(cur);
    focus(ids[i < 0 ? 0 : Math.min(ids.length - 1, Math.max(0, i + d))], false);
  }

  // ---------- focus and the panel ----------
  function focus(id, fly) {
    if (st.focused !== id) $('details').scrollTop = 0;
    st.focused = id; st.boardSel = id;
    if (st.sub !== null && st.subFor !== id) st.sub = null;
    const inc = incidents.get(id);
    if (!inc) { get('api/v1/incidents/' + encodeURIComponent(id)).then((r) => { if (r.ok) { incidents.set(id, r.data); focus(id, fly); } }); return; }
    if (fly && inc.position) map.flyTo([inc.position.lat, inc.position.lon], Math.max(map.getZoom(), 11), { duration: 0.8 });
    onFocus(id);
    renderPanel();
    renderBoard(); renderMarkers();
    const li = $('incident-list').querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (li) li.scrollIntoView({ block: 'nearest' });
  }
  api.showing = () => $('details').dataset.kind === 'incident' && $('details').dataset.id === st.focused;

  function stepOf(inc) {
    const cur = inc.checklist && inc.checklist.current;
    if (!cur) return null;
    const s = inc.checklist.step; // the server may send the current step itself
    if (s && typeof s === 'object' && s.id === cur) return s;
    return sopStep(st.sops, inc.kind, cur) || { id: cur, prompt: cur, choices: null };
  }
  function choicesOf(step) {
    return step.choices && step.choices.length ? step.choices.map((c) => c.answer) : ['done'];
  }
  function promptOf(inc, stepID, prompt) {
    return (language() === 'ar' && promptsAr[inc.kind + '.' + stepID]) || prompt;
  }

  function renderPanel() {
    const inc = incidents.get(st.focused);
    const d = $('details');
    if (!inc) return;
    d.dataset.kind = 'incident'; d.dataset.id = inc.id;
    const resolved = inc.state === 'resolved';
    let h = `<h3><span class="badge st-${esc(inc.state)}">${esc(word('istate.', inc.state))}</span> ${esc(word('kind.', inc.kind))} · ${esc(t('border.km'))} ${num(inc.chainage_km, 1)}</h3>`;
    if (inc.title) h += `<p class="inc-title">${bdi(inc.title)}</p>`;
    h += `<div class="steps" aria-label="${esc(t('status'))}">` + stateOrder.map((s) =>
      `<span class="${stateOrder.indexOf(s) <= stateOrder.indexOf(inc.state) ? 'done' : ''}">${esc(word('istate.', s))}</span>`).join('') + '</div>';
    h += '<table>' + row(t('incident'), inc.id + (inc.exercise ? ' · ' + t('exercise') : '')) +
      row(t('status'), `${t('sev.' + inc.severity)} · ${word('istate.', inc.state)}`) +
      row(t('sector'), sectorName(inc.sector)) +
      row(t('age'), ageOf(inc)) +
      row(t('units.assigned'), inc.units && inc.units.length ? inc.units.map(unitName).join(', ') : t('units.none')) +
      (inc.alert_ids ? row(t('alerts'), inc.alert_ids.join(', ')) : '') + '</table>';
    if (!resolved) {
      h += `<div class="actions">` +
        (inc.state === 'new' ? `<button data-act="ack">${esc(t('ack'))} <kbd>A</kbd></button>` : '') +
        `<button data-act="dispatch"${canDispatch ? '' : ' disabled'}>${esc(t('dispatch'))} <kbd>D</kbd></button>` +
        `<button data-act="resolve"${canDispatch ? '' : ' disabled'}>${esc(t('outcome'))} <kbd>O</kbd></button>` +
        `<button data-act="note"${canDispatch ? '' : ' disabled'}>${esc(t('note'))} <kbd>E</kbd></button>` +
        `<button data-act="fly">${esc(t('fly'))} <kbd>F</kbd></button></div>`;
    }
    if (st.sub === 'dispatch') h += dispatchHTML();
    else if (st.sub === 'resolve') h += resolveHTML();
    else if (st.sub === 'skip' || st.sub === 'note') {
      h += `<form class="sub" id="text-form"><label>${esc(t(st.sub === 'skip' ? 'skip.reason' : 'note'))}` +
        `<input name="text" required maxlength="500" autocomplete="off"></label>` +
        `<div class="actions"><button type="submit">${esc(t('send'))} <kbd>Enter</kbd></button><button type="button" data-act="cancel">${esc(t('cancel'))} <kbd>Esc</kbd></button></div></form>`;
    }
    if (inc.outcome) h += outcomeHTML(inc.outcome);
    h += checklistHTML(inc, resolved);
    h += timelineHTML(inc);
    d.innerHTML = h;
    wire(inc);
    if (st.sub === 'skip' || st.sub === 'note') d.querySelector('#text-form input').focus();
    const sub = d.querySelector('.sub');
    if (sub && sub.scrollIntoView) sub.scrollIntoView({ block: 'nearest' });
  }
  api.render = renderPanel;

  function row(k, v) { return `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`; }

  function checklistHTML(inc, resolved) {
    const cl = inc.checklist || {};
    if (!cl.sop && !(cl.records || []).length) return '';
    const name = language() === 'ar' ? word('kind.', inc.kind) : cl.sop || '';
    let h = `<section class="checklist"><h4>${esc(t('sop'))}: ${esc(name)}</h4><ol>`;
    for (const r of cl.records || []) {
      h += `<li class="${r.skipped ? 'skipped' : 'answered'}"><span class="prompt">${esc(promptOf(inc, r.step_id, r.prompt))}</span> ${arrow()} ` +
        (r.skipped ? `<em>${esc(t('skipped'))}: ${bdi(r.reason)}</em>` : `<strong>${esc(word('ans.', r.answer))}</strong>`) +
        (r.action ? ` · <span class="sop-action">${esc(word('act.', r.action))}</span>` : '') + '</li>';
    }
    const step = !resolved && stepOf(inc);
    if (step) {
      h += `<li class="current"><span class="prompt">${esc(promptOf(inc, step.id, step.prompt))}</span>` +
        (step.mandatory ? ` <span class="mand">${esc(t('mandatory'))}</span>` : '') + '<div class="actions">' +
        choicesOf(step).map((a, i) => `<button data-answer="${esc(a)}"${canDispatch ? '' : ' disabled'}>${esc(word('ans.', a))} <kbd>${i + 1}</kbd></button>`).join('') +
        `<button data-act="skip"${canDispatch ? '' : ' disabled'}>${esc(t('skip'))} <kbd>S</kbd></button></div></li>`;
    } else if (!resolved) {
      h += `<li class="complete">${esc(t('sop.complete'))}</li>`;
    }
    return h + '</ol></section>';
  }

  function timelineHTML(inc) {
    const tl = (inc.timeline || []).slice(-10).reverse();
    if (!tl.length) return '';
    return `<section class="timeline"><h4>${esc(t('timeline'))}</h4><ol>` + tl.map((e) =>
      `<li><span class="ts">${esc(hhmmss(e.time))}</span> <span class="actor">${bdi(e.actor)}</span> ${esc(word('tl.', e.action))}` +
      `${e.to ? ' ' + arrow() + ' ' + esc(word('istate.', e.to)) : ''}${e.unit_id ? ' · ' + bdi(unitName(e.unit_id)) : ''}${e.answer ? ' · ' + esc(word('ans.', e.answer)) : ''}` +
      `${e.detail ? ' · ' + detailOf(inc, e) : ''}</li>`).join('') + '</ol></section>';
  }

  // detailOf is a timeline entry's detail: a checklist step's prompt in the
  // UI language when known, else the server's text as sent.
  function detailOf(inc, e) {
    if (e.step_id && (e.action === 'sop_answered' || e.action === 'sop_skipped')) {
      const ar = language() === 'ar' && promptsAr[inc.kind + '.' + e.step_id];
      if (ar) return esc(ar);
    }
    if (e.action === 'sop_action') return esc(word('act.', e.detail));
    return bdi(e.detail);
  }

  function outcomeHTML(o) {
    let s = `<section class="outcome"><h4>${esc(t('outcome'))}: ${esc(word('out.', o.kind))}</h4><ul>`;
    if (o.persons) s += `<li>${esc(t('out.persons'))}: ${o.persons}</li>`;
    for (const z of o.seizures || []) s += `<li>${bdi(z.goods + (z.quantity ? ' ' + num(z.quantity, 0) + ' ' + (z.unit || '') : '') + ' · $' + num(z.value_usd || 0, 0))}</li>`;
    if (o.partner) s += `<li>${esc(t('out.partner'))}: ${bdi(o.partner)}</li>`;
    if (o.notes) s += `<li>${bdi(o.notes)}</li>`;
    return s + '</ul></section>';
  }

  // ---------- dispatch ----------
  function dispatchHTML() {
    const rec = st.rec;
    let h = `<section class="sub dispatch"><h4>${esc(t('dispatch.rec'))}</h4>`;
    if (!rec) return h + `<p class="empty">${esc(t('loading'))}</p></section>`;
    const units = rec.units || [], drones = rec.drones || [];
    if (!units.length) h += `<p class="empty">${esc(t('dispatch.nounits'))}</p>`;
    const unitRow = (u, i) =>
      `<li data-unit="${i}" class="${i === st.unitSel ? 'selected' : ''}${u.available ? '' : ' unavailable'}"><kbd>${i + 1}</kbd> ` +
      `<strong>${esc(unitName(u.unit_id))}</strong> <span class="ukind">${esc(word('ukind.', u.kind))}</span> ` +
      `<span class="eta">${esc(t('eta'))} ${esc(duration(u.eta_s))}</span> <span class="muted">(${esc(duration(u.eta_min_s))}–${esc(duration(u.eta_max_s))}) · ${num(u.distance_m / 1000, 1)} km</span>` +
      (u.available ? '' : ` <em>${esc(u.reason || t('unavailable'))}</em>`) + '</li>';
    // The best few are shown; the rest (farther or unavailable) fold away.
    const top = Math.max(SHOWN, st.unitSel + 1);
    h += '<ol class="rec units">' + units.slice(0, top).map(unitRow).join('') + '</ol>';
    if (units.length > top) {
      h += `<details class="rec-more"><summary>${esc(t('dispatch.more'))} (${units.length - top})</summary><ol class="rec units">` +
        units.slice(top).map((u, i) => unitRow(u, i + top)).join('') + '</ol></details>';
    }
    const drone = drones.find((x) => x.feasible);
    h += `<h4>${esc(t('drone'))}</h4>`;
    if (drone) {
      h += `<label class="drone-pick"><input type="checkbox" id="drone-on"${st.droneOn ? ' checked' : ''}> <kbd>V</kbd> <strong>${esc(unitName(drone.drone_id))}</strong> ` +
        `${esc(t('eta'))} ${esc(duration(drone.flight_s))} · ${num(drone.distance_m / 1000, 1)} km · ${esc(t('onstation'))} ${esc(duration(drone.on_station_s))}</label>`;
    } else {
      h += `<p class="empty">${esc(drones.length ? drones[0].reason || t('dispatch.nodrone') : t('dispatch.nodrone'))}</p>`;
    }
    h += `<div class="actions"><button data-act="send"${units.length ? '' : ' disabled'}>${esc(t('dispatch.send'))} <kbd>Enter</kbd></button>` +
      `<button data-act="cancel">${esc(t('cancel'))} <kbd>Esc</kbd></button></div></section>`;
    return h;
  }
  async function openDispatch() {
    const id = st.focused;
    if (!id) return;
    st.sub = 'dispatch'; st.subFor = id; st.rec = null; st.droneOn = true;
    renderPanel();
    const r = await get(`api/v1/incidents/${encodeURIComponent(id)}/recommendation`);
    if (st.focused !== id || st.sub !== 'dispatch') return;
    if (!r.ok) { toast(t('toast.failed') + r.message); st.sub = null; renderPanel(); return; }
    st.rec = r.data || { units: [], drones: [] };
    const first = (st.rec.units || []).findIndex((u) => u.available);
    st.unitSel = first < 0 ? 0 : first;
    api.recommendation = st.rec;
    renderPanel();
  }
  async function sendDispatch() {
    const rec = st.rec, id = st.focused;
    if (!rec || !rec.units || !rec.units[st.unitSel] || st.busy) return;
    const body = { unit_id: rec.units[st.unitSel].unit_id };
    const drone = (rec.drones || []).find((x) => x.feasible);
    if (drone && st.droneOn) body.drone_id = drone.drone_id;
    await act(`api/v1/incidents/${encodeURIComponent(id)}/dispatch`, body, () => { st.sub = null; toast(t('dispatch.sent') + ' ' + unitName(body.unit_id)); });
  }

  // ---------- resolve ----------
  function resolveHTML() {
    let h = `<form class="sub resolve" id="resolve-form"><h4>${esc(t('outcome'))}</h4><div class="kinds">` +
      outcomeKinds.map((k, i) => `<label><input type="radio" name="kind" value="${k}"${i === 0 ? ' checked' : ''}> <kbd>${i + 1}</kbd> ${esc(word('out.', k))}</label>`).join('') + '</div>' +
      `<label>${esc(t('out.persons'))} <input name="persons" type="number" min="0" step="1" value="0" inputmode="numeric"></label>` +
      `<fieldset><legend>${esc(t('out.seizures'))}</legend>`;
    for (let i = 0; i < st.seizures; i++) {
      h += `<div class="seizure"><input name="goods" placeholder="${esc(t('out.goods'))}" aria-label="${esc(t('out.goods'))}" list="goods-list">` +
        `<input name="quantity" type="number" min="0" step="any" placeholder="${esc(t('out.quantity'))}" aria-label="${esc(t('out.quantity'))}">` +
        `<input name="unit" placeholder="${esc(t('out.unit'))}" aria-label="${esc(t('out.unit'))}">` +
        `<input name="value_usd" type="number" min="0" step="any" placeholder="${esc(t('out.value'))}" aria-label="${esc(t('out.value'))}"></div>`;
    }
    h += `<button type="button" data-act="more">+ ${esc(t('out.more'))}</button></fieldset>` +
      `<datalist id="goods-list"><option value="cigarettes"><option value="captagon"><option value="fuel"><option value="weapons"><option value="livestock"><option value="cash"></datalist>` +
      `<label>${esc(t('out.partner'))} <input name="partner" autocomplete="off"></label>` +
      `<label>${esc(t('out.notes'))} <input name="notes" maxlength="1000" autocomplete="off"></label>` +
      `<div class="actions"><button type="submit">${esc(t('out.record'))} <kbd>Enter</kbd></button><button type="button" data-act="cancel">${esc(t('cancel'))} <kbd>Esc</kbd></button></div></form>`;
    return h;
  }
  function outcomeFromForm(f) {
    const o = { kind: f.querySelector('input[name=kind]:checked').value };
    const persons = Math.max(0, Math.floor(Number(f.persons.value) || 0));
    if (persons) o.persons = persons;
    const rows = [...f.querySelectorAll('.seizure')].map((d) => ({
      goods: d.querySelector('[name=goods]').value.trim(), quantity: Number(d.querySelector('[name=quantity]').value) || 0,
      unit: d.querySelector('[name=unit]').value.trim(), value_usd: Number(d.querySelector('[name=value_usd]').value) || 0,
    })).filter((z) => z.goods);
    if (rows.length) o.seizures = rows;
    if (f.partner.value.trim()) o.partner = f.partner.value.trim();
    if (f.notes.value.trim()) o.notes = f.notes.value.trim();
    return o;
  }

  // ---------- actions ----------
  async function act(url, body, done) {
    if (st.busy) return false;
    st.busy = true;
    const r = await postJSON(url, body);
    st.busy = false;
    if (r.data && r.data.id) incidents.set(r.data.id, r.data);
    if (!r.ok) { toast(t('toast.failed') + r.message); if (r.status !== 400) poll(); renderPanel(); return false; }
    if (done) done(r.data);
    renderPanel(); renderBoard(); renderMarkers();
    return true;
  }
  const base = () => `api/v1/incidents/${encodeURIComponent(st.focused)}`;
  function acknowledge() { return act(base() + '/acknowledge', {}); }
  function answer(a) {
    const inc = incidents.get(st.focused), step = inc && stepOf(inc);
    if (!step) return;
    return act(base() + '/sop', { step_id: step.id, answer: a });
  }
  function answerIndex(i) {
    const inc = incidents.get(st.focused), step = inc && inc.state !== 'resolved' && stepOf(inc);
    if (!step) return false;
    const cs = choicesOf(step);
    if (i >= cs.length) return false;
    answer(cs[i]);
    return true;
  }
  function openSub(s) { st.sub = s; st.subFor = st.focused; if (s === 'resolve') st.seizures = 1; renderPanel(); }

  function wire(inc) {
    const d = $('details');
    for (const b of d.querySelectorAll('button[data-act]')) {
      b.onclick = (e) => {
        e.preventDefault();
        ({
          ack: acknowledge, dispatch: openDispatch, resolve: () => openSub('resolve'), note: () => openSub('note'), skip: () => openSub('skip'),
          fly: () => focus(inc.id, true), send: sendDispatch, cancel: () => { st.sub = null; renderPanel(); },
          more: () => { const f = d.querySelector('#resolve-form'); const keep = outcomeFromForm(f); st.seizures++; renderPanel(); restore(keep); },
        })[b.dataset.act]();
      };
    }
    for (const b of d.querySelectorAll('button[data-answer]')) b.onclick = () => answer(b.dataset.answer);
    for (const li of d.querySelectorAll('li[data-unit]')) li.onclick = () => { st.unitSel = Number(li.dataset.unit); renderPanel(); };
    const drone = d.querySelector('#drone-on');
    if (drone) drone.onchange = () => { st.droneOn = drone.checked; };
    const tf = d.querySelector('#text-form');
    if (tf) {
      tf.onsubmit = async (e) => {
        e.preventDefault();
        const text = tf.text.value.trim();
        if (!text) return;
        const inc2 = incidents.get(st.focused), step = inc2 && stepOf(inc2);
        if (st.sub === 'skip' && step) await act(base() + '/sop', { step_id: step.id, skip: true, reason: text }, () => { st.sub = null; });
        else if (st.sub === 'note') await act(base() + '/notes', { text }, () => { st.sub = null; });
      };
    }
    const rf = d.querySelector('#resolve-form');
    if (rf) {
      rf.onsubmit = (e) => { e.preventDefault(); act(base() + '/resolve', outcomeFromForm(rf), () => { st.sub = null; toast(t('out.recorded')); }); };
      rf.onkeydown = (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); st.sub = null; renderPanel(); } };
    }
    if (tf) tf.onkeydown = (e) => { if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); st.sub = null; renderPanel(); } };
  }
  function restore(o) {
    const f = $('resolve-form');
    if (!f) return;
    f.querySelector(`input[name=kind][value=${o.kind}]`).checked = true;
    f.persons.value = o.persons || 0;
    (o.seizures || []).forEach((z, i) => {
      const r = f.querySelectorAll('.seizure')[i];
      if (!r) return;
      r.querySelector('[name=goods]').value = z.goods; r.querySelector('[name=quantity]').value = z.quantity || '';
      r.querySelector('[name=unit]').value = z.unit; r.querySelector('[name=value_usd]').value = z.value_usd || '';
    });
    f.partner.value = o.partner || ''; f.notes.value = o.notes || '';
  }

  // ---------- from an alert ----------
  async function openFromAlert(a) {
    if (!enabled) { toast(t('toast.noincident')); return; }
    if (a.incident_id) { focus(a.incident_id, true); return; }
    const r = await postJSON('api/v1/incidents', { alert_ids: [a.id] });
    if (r.ok && r.data) { incidents.set(r.data.id, r.data); focus(r.data.id, true); return; }
    if (r.status === 409) {
      await poll();
      const inc = [...incidents.values()].find((i) => (i.alert_ids || []).includes(a.id));
      if (inc) { focus(inc.id, true); return; }
    }
    toast(t('toast.failed') + r.message);
  }

  // key handles the workflow keys while an incident is shown; true if used.
  function key(k) {
    if (!api.showing()) return false;
    const inc = incidents.get(st.focused);
    if (!inc) return false;
    if (st.sub === 'dispatch') {
      if (/^[1-9]$/.test(k)) { const i = Number(k) - 1; if (st.rec && st.rec.units && i < st.rec.units.length) { st.unitSel = i; renderPanel(); } return true; }
      if (k === 'v') { st.droneOn = !st.droneOn; renderPanel(); return true; }
      if (k === 'Enter') { sendDispatch(); return true; }
      if (k === 'Escape') { st.sub = null; renderPanel(); return true; }
      if (k === 'j' || k === 'ArrowDown' || k === 'k' || k === 'ArrowUp') {
        const n = (st.rec && st.rec.units || []).length;
        if (n) { st.unitSel = (st.unitSel + (k === 'j' || k === 'ArrowDown' ? 1 : n - 1)) % n; renderPanel(); }
        return true;
      }
    }
    if (st.sub === 'resolve') {
      if (/^[1-5]$/.test(k)) { const r = document.querySelector(`#resolve-form input[name=kind][value=${outcomeKinds[Number(k) - 1]}]`); if (r) r.checked = true; return true; }
      if (k === 'Enter') { $('resolve-form').requestSubmit(); return true; }
      if (k === 'Escape') { st.sub = null; renderPanel(); return true; }
    }
    if (inc.state === 'resolved') return false;
    if (/^[1-9]$/.test(k)) return answerIndex(Number(k) - 1);
    switch (k) {
      case 'a': acknowledge(); return true;
      case 'd': openDispatch(); return true;
      case 'o': openSub('resolve'); return true;
      case 's': if (stepOf(inc)) openSub('skip'); return true;
      case 'e': openSub('note'); return true;
      case 'f': case 'Enter': focus(inc.id, true); return true;
    }
    return false;
  }

  Object.assign(api, { poll, render, renderBoard, focus, move, openFromAlert, openDispatch, key, boardItems,
    focused: () => st.focused, clearFocus: () => { st.focused = null; st.sub = null; renderMarkers(); } });
  return api;
}
