// Hand-drawn SVG charts for the dashboard (no chart library): vertical
// bars over time, horizontal (stacked) bars per sector, and a strip along
// the border's kilometres. Charts keep a left-to-right axis in both
// languages, like the map; labels follow the UI language.

const NS = 'http://www.w3.org/2000/svg';

export function el(tag, attrs = {}, ...kids) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  for (const k of kids) if (k !== null && k !== undefined) e.append(k);
  return e;
}

function svgRoot(w, h, title) {
  const s = el('svg', { viewBox: `0 0 ${w} ${h}`, width: '100%', role: 'img', 'aria-label': title, class: 'chart', direction: 'ltr' });
  s.append(el('title', {}, title));
  return s;
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// bars draws one value per slot (e.g. alerts per hour, oldest first).
export function bars(values, { title = '', w = 320, h = 110, colour = 'var(--accent)', xlabels = [] } = {}) {
  const s = svgRoot(w, h, title);
  const top = 14, bottom = 16, left = 24, right = 4;
  const max = niceMax(Math.max(0, ...values));
  const bw = (w - left - right) / Math.max(1, values.length);
  s.append(el('line', { x1: left, y1: h - bottom, x2: w - right, y2: h - bottom, class: 'axis' }));
  s.append(el('text', { x: left - 3, y: top + 4, class: 'tick', 'text-anchor': 'end' }, String(max)));
  s.append(el('text', { x: left - 3, y: h - bottom, class: 'tick', 'text-anchor': 'end' }, '0'));
  values.forEach((v, i) => {
    const bh = (h - top - bottom) * v / max;
    const r = el('rect', { x: left + i * bw + 1, y: h - bottom - bh, width: Math.max(1, bw - 2), height: bh, fill: colour, class: 'bar' });
    r.append(el('title', {}, String(v)));
    s.append(r);
  });
  for (const [i, lab] of xlabels) s.append(el('text', { x: left + (i + 0.5) * bw, y: h - 3, class: 'tick', 'text-anchor': 'middle' }, lab));
  return s;
}

// hbars draws one row per item; each row's values are stacked segments
// (colours[i]); fmt formats the row total.
export function hbars(rows, { title = '', w = 320, colours = ['var(--accent)'], fmt = (x) => String(x), max, legend = [] } = {}) {
  const rowH = 18, top = legend.length ? 18 : 4, labelW = 110, right = 46;
  const h = top + rows.length * rowH + 4;
  const s = svgRoot(w, h, title);
  const total = (r) => r.values.reduce((a, b) => a + (b || 0), 0);
  const m = max || niceMax(Math.max(0, ...rows.map(total)));
  const step = (w - 8) / Math.max(1, legend.length);
  legend.forEach((lab, i) => {
    const x = 4 + i * step;
    s.append(el('rect', { x, y: 4, width: 9, height: 9, fill: colours[i % colours.length] }));
    s.append(el('text', { x: x + 12, y: 12, class: 'tick' }, lab));
  });
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    s.append(el('text', { x: labelW - 4, y: y + 12, class: 'label', 'text-anchor': 'end' }, r.label.length > 16 ? r.label.slice(0, 15) + '…' : r.label));
    let x = labelW;
    r.values.forEach((v, j) => {
      const bw = (w - labelW - right) * (v || 0) / m;
      if (bw > 0) {
        const seg = el('rect', { x, y: y + 2, width: bw, height: rowH - 5, fill: colours[j % colours.length], class: 'bar' });
        seg.append(el('title', {}, `${legend[j] || ''} ${fmt(v)}`.trim()));
        s.append(seg);
      }
      x += bw;
    });
    s.append(el('text', { x: x + 4, y: y + 12, class: 'value' }, r.text ?? fmt(total(r))));
  });
  return s;
}

// strip draws the border from 0 to lengthKm with the sectors as bands and
// spans (e.g. coverage holes) as red marks.
export function strip(lengthKm, sectors, spans, { title = '', w = 1280 } = {}) {
  const h = 58, left = 6, right = 6, y0 = 14, bh = 20;
  const s = svgRoot(w, h, title);
  const x = (km) => left + (w - left - right) * Math.max(0, Math.min(lengthKm, km)) / lengthKm;
  sectors.forEach((sec, i) => {
    s.append(el('rect', { x: x(sec.from_km), y: y0, width: Math.max(1, x(sec.to_km) - x(sec.from_km)), height: bh, class: 'band band-' + (i % 2) }));
    if (x(sec.to_km) - x(sec.from_km) > 40) s.append(el('text', { x: (x(sec.from_km) + x(sec.to_km)) / 2, y: y0 - 3, class: 'tick', 'text-anchor': 'middle' }, sec.label));
  });
  for (const sp of spans) {
    const r = el('rect', { x: x(sp.from_km), y: y0 - 2, width: Math.max(2, x(sp.to_km) - x(sp.from_km)), height: bh + 4, class: 'hole' });
    r.append(el('title', {}, sp.title || ''));
    s.append(r);
  }
  for (let km = 0; km <= lengthKm; km += 100) {
    s.append(el('line', { x1: x(km), y1: y0 + bh, x2: x(km), y2: y0 + bh + 4, class: 'axis' }));
    s.append(el('text', { x: x(km), y: h - 4, class: 'tick', 'text-anchor': km === 0 ? 'start' : 'middle' }, String(km)));
  }
  return s;
}

// donut draws ok of total as a ring with the percentage inside.
export function donut(ok, total, { title = '', size = 74 } = {}) {
  const s = svgRoot(size, size, title);
  const r = size / 2 - 7, c = 2 * Math.PI * r, f = total > 0 ? ok / total : 0;
  s.append(el('circle', { cx: size / 2, cy: size / 2, r, class: 'ring-bg', fill: 'none', 'stroke-width': 10 }));
  s.append(el('circle', { cx: size / 2, cy: size / 2, r, fill: 'none', 'stroke-width': 10, class: f >= 0.9 ? 'ring-ok' : f >= 0.7 ? 'ring-warn' : 'ring-bad',
    'stroke-dasharray': `${c * f} ${c}`, transform: `rotate(-90 ${size / 2} ${size / 2})` }));
  s.append(el('text', { x: size / 2, y: size / 2 + 5, 'text-anchor': 'middle', class: 'ring-text' }, total > 0 ? Math.round(f * 100) + '%' : '–'));
  return s;
}
