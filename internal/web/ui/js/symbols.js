// The live layer: tracks, friendly units and drones drawn on one canvas,
// with MIL-STD-2525-like frames (friend rectangle, hostile/suspect
// diamond, unknown quatrefoil, neutral square; air units a dome), trails,
// speed leaders and predicted border contact points. Positions are kept in
// normalised Web Mercator so a redraw is arithmetic, not object churn; all
// shapes of one style go into one path and one fill, which keeps 5,000
// tracks well inside a frame.

const L = window.L;

export const colours = {
  friend: ['#80e0ff', '#00608c'], hostile: ['#ff8080', '#8c0000'], suspect: ['#ffb366', '#8c4600'],
  unknown: ['#ffff80', '#7a7400'], neutral: ['#aaffaa', '#006b00'],
};

const TRAIL = 12; // positions kept per object
const PAD = 0.5;  // canvas margin around the viewport, as a fraction of it

function merc(lat, lon) {
  const s = Math.sin(Math.max(-85, Math.min(85, lat)) * Math.PI / 180);
  return [(lon + 180) / 360, 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI)];
}

// LiveStore holds the live objects of one kind with their mercator trails.
export class LiveStore {
  constructor() { this.items = new Map(); }
  clear() { this.items.clear(); }
  upsert(id, data) {
    const p = data.position;
    const [x, y] = merc(p.lat, p.lon);
    let o = this.items.get(id);
    if (!o) {
      o = { id, data, x, y, trail: new Float64Array(TRAIL * 2), n: 0, head: 0 };
      this.items.set(id, o);
    } else if (o.x !== x || o.y !== y) {
      o.trail[o.head * 2] = o.x; o.trail[o.head * 2 + 1] = o.y;
      o.head = (o.head + 1) % TRAIL; o.n = Math.min(TRAIL, o.n + 1);
    }
    o.data = data; o.x = x; o.y = y;
    if (data.contact) { [o.cx, o.cy] = merc(data.contact.point.lat, data.contact.point.lon); } else { o.cx = undefined; }
    return o;
  }
  delete(id) { this.items.delete(id); }
  get size() { return this.items.size; }
}

function frame(ctx, aff, x, y, s) {
  switch (aff) {
    case 'friend': ctx.rect(x - s * 0.75, y - s * 0.5, s * 1.5, s); break;
    case 'hostile': case 'suspect':
      ctx.moveTo(x, y - s * 0.7); ctx.lineTo(x + s * 0.7, y); ctx.lineTo(x, y + s * 0.7); ctx.lineTo(x - s * 0.7, y); ctx.closePath(); break;
    case 'neutral': ctx.rect(x - s * 0.55, y - s * 0.55, s * 1.1, s * 1.1); break;
    default: { // unknown: quatrefoil
      const r = s * 0.3;
      ctx.moveTo(x + r, y - r);
      ctx.arc(x + r, y, r, -Math.PI / 2, Math.PI / 2);
      ctx.arc(x, y + r, r, 0, Math.PI);
      ctx.arc(x - r, y, r, Math.PI / 2, Math.PI * 1.5);
      ctx.arc(x, y - r, r, Math.PI, Math.PI * 2);
      ctx.closePath();
    }
  }
}

const classLetter = { person: 'P', vehicle: 'V', animal: 'A', aircraft: 'Ac', unknown: '?' };

// Sprites: each (affiliation, size, letter) frame is rendered once and kept
// as raw RGBA pixels. A redraw stamps them into one ImageData and puts it
// once: in software rendering (no GPU) that is several times faster than
// 5,000 drawImage calls or one big vector path (measured: docs/performance/ui.md).
const sprites = new Map();
function sprite(aff, s, letter, dpr) {
  const key = aff + '|' + s + '|' + letter + '|' + dpr;
  let c = sprites.get(key);
  if (c) return c;
  const half = Math.ceil(s * 0.8) + 2;
  const w = half * 2 * dpr;
  const off = new OffscreenCanvas(w, w);
  const g = off.getContext('2d');
  g.scale(dpr, dpr);
  g.beginPath();
  frame(g, aff, half, half, s);
  g.fillStyle = colours[aff][0]; g.fill();
  g.strokeStyle = colours[aff][1]; g.lineWidth = 1.2; g.stroke();
  if (letter) {
    g.fillStyle = '#101010'; g.font = 'bold 9px sans-serif'; g.textAlign = 'center'; g.textBaseline = 'middle';
    g.fillText(letter, half, half + 0.5);
  }
  c = { px: new Uint32Array(g.getImageData(0, 0, w, w).data.buffer), w, half: half * dpr };
  sprites.set(key, c);
  return c;
}

// stamp composites sprite sp with its centre at device pixel (cx, cy) into
// the RGBA words d of a W×H image (non-premultiplied "over").
function stamp(d, W, H, sp, cx, cy) {
  const x0 = (cx | 0) - sp.half, y0 = (cy | 0) - sp.half, sw = sp.w, px = sp.px;
  const xa = Math.max(0, -x0), xb = Math.min(sw, W - x0), ya = Math.max(0, -y0), yb = Math.min(sw, H - y0);
  for (let y = ya; y < yb; y++) {
    const di = (y0 + y) * W + x0, si = y * sw;
    for (let x = xa; x < xb; x++) {
      const p = px[si + x], a = p >>> 24;
      if (a === 0) continue;
      const q = d[di + x];
      if (a === 255 || (q >>> 24) === 0) { d[di + x] = p; continue; }
      const f = a / 255, g = 1 - f, qa = q >>> 24;
      d[di + x] = (((a + qa * g) & 255) << 24) |
        ((((p >>> 16) & 255) * f + ((q >>> 16) & 255) * g) << 16) |
        ((((p >>> 8) & 255) * f + ((q >>> 8) & 255) * g) << 8) |
        (((p & 255) * f + (q & 255) * g) & 255);
    }
  }
}

export const LiveLayer = L.Layer.extend({
  initialize(stores, opts) {
    this.stores = stores; // {tracks, units, drones}
    this.show = Object.assign({ tracks: true, trails: true, contacts: true, units: true, drones: true }, opts || {});
    this.selected = null;
    this.frames = 0;
  },
  onAdd(map) {
    this._map = map;
    const pane = map.getPane('live') || map.createPane('live');
    pane.style.zIndex = 450;
    pane.style.pointerEvents = 'none';
    // three stacked canvases: vectors under the symbols (trails, contact
    // lines, speed leaders), the stamped symbols, and drones/selection on top
    this._vec = L.DomUtil.create('canvas', 'bw-live leaflet-zoom-hide', pane);
    this._sym = L.DomUtil.create('canvas', 'bw-live leaflet-zoom-hide', pane);
    this._top = L.DomUtil.create('canvas', 'bw-live leaflet-zoom-hide', pane);
    this._canvases = [this._vec, this._sym, this._top];
    map.on('moveend zoomend resize viewreset', this.redraw, this);
    this.redraw();
  },
  onRemove(map) {
    map.off('moveend zoomend resize viewreset', this.redraw, this);
    for (const c of this._canvases) L.DomUtil.remove(c);
  },
  redraw() {
    if (this._map && !this._pending) {
      this._pending = true;
      requestAnimationFrame(() => { this._pending = false; this._draw(); });
    }
    return this;
  },
  // toMerc converts a container point to the layer's mercator frame (hit tests).
  // _view maps normalised mercator to canvas pixels. The canvas covers the
  // viewport plus PAD on each side and is redrawn only at moveend, like
  // Leaflet's own renderers: while panning, the pane's transform moves it.
  _view(pad) {
    const map = this._map, vs = map.getSize(), zoom = map.getZoom();
    const scale = 256 * Math.pow(2, zoom);
    const min = map.project(map.getCenter(), zoom).subtract(vs.divideBy(2));
    const px = Math.round(vs.x * pad), py = Math.round(vs.y * pad);
    return { size: L.point(vs.x + 2 * px, vs.y + 2 * py), px, py, zoom, scale, ox: min.x - px, oy: min.y - py };
  },
  _draw() {
    const map = this._map;
    if (!map) return;
    const v = this._view(PAD), dpr = window.devicePixelRatio || 1;
    const pos = map.containerPointToLayerPoint([-v.px, -v.py]);
    const DW = Math.round(v.size.x * dpr), DH = Math.round(v.size.y * dpr);
    for (const c of this._canvases) {
      L.DomUtil.setPosition(c, pos);
      if (c.width !== DW || c.height !== DH) {
        c.width = DW; c.height = DH;
        c.style.width = v.size.x + 'px'; c.style.height = v.size.y + 'px';
      }
    }
    const ctx = this._vec.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, v.size.x, v.size.y);
    const top = this._top.getContext('2d');
    top.setTransform(dpr, 0, 0, dpr, 0, 0);
    top.clearRect(0, 0, v.size.x, v.size.y);
    const sctx = this._sym.getContext('2d');
    if (!this._img || this._img.width !== DW || this._img.height !== DH) {
      this._img = sctx.createImageData(DW, DH);
      this._px = new Uint32Array(this._img.data.buffer);
    }
    const px = this._px;
    px.fill(0);
    const W = v.size.x + 20, H = v.size.y + 20;
    const sx = (o) => o.x * v.scale - v.ox, sy = (o) => o.y * v.scale - v.oy;
    const s = v.zoom >= 10 ? 14 : v.zoom >= 8 ? 11 : 8;
    const tracks = this.stores.tracks.items;
    if (this.show.tracks && this.show.trails && v.zoom >= 10) {
      ctx.beginPath();
      for (const o of tracks.values()) {
        if (o.n === 0) continue;
        const x = sx(o), y = sy(o);
        if (x < -200 || y < -200 || x > W + 200 || y > H + 200) continue;
        ctx.moveTo(x, y);
        for (let k = 1; k <= o.n; k++) {
          const i = ((o.head - k) % TRAIL + TRAIL) % TRAIL;
          ctx.lineTo(o.trail[i * 2] * v.scale - v.ox, o.trail[i * 2 + 1] * v.scale - v.oy);
        }
      }
      ctx.strokeStyle = 'rgba(255,255,255,0.6)'; ctx.lineWidth = 1.5; ctx.stroke();
    }
    if (this.show.tracks && this.show.contacts) {
      ctx.beginPath();
      // Zoomed out, only suspect and hostile tracks show their contact
      // point: hundreds of lines across the whole border are clutter.
      const all = v.zoom >= 9;
      for (const o of tracks.values()) {
        if (o.cx === undefined) continue;
        if (!all && o.data.affiliation !== 'hostile' && o.data.affiliation !== 'suspect') continue;
        const x = sx(o), y = sy(o), cx = o.cx * v.scale - v.ox, cy = o.cy * v.scale - v.oy;
        if ((x < -20 && cx < -20) || (y < -20 && cy < -20) || (x > W && cx > W) || (y > H && cy > H)) continue;
        ctx.moveTo(x, y); ctx.lineTo(cx, cy);
        ctx.moveTo(cx - 4, cy - 4); ctx.lineTo(cx + 4, cy + 4); ctx.moveTo(cx + 4, cy - 4); ctx.lineTo(cx - 4, cy + 4);
      }
      ctx.strokeStyle = 'rgba(255,30,30,0.8)'; ctx.lineWidth = 1.2; ctx.stroke();
    }
    if (this.show.tracks) {
      if (v.zoom >= 8) { // speed leaders: 2 minutes ahead
        ctx.beginPath();
        for (const o of tracks.values()) {
          const vel = o.data.velocity;
          if (!vel || (Math.abs(vel.east) + Math.abs(vel.north)) < 0.3) continue;
          const x = sx(o), y = sy(o);
          if (x < -20 || y < -20 || x > W || y > H) continue;
          const mpp = 40075016.7 * Math.cos(o.data.position.lat * Math.PI / 180) / v.scale;
          ctx.moveTo(x, y); ctx.lineTo(x + vel.east * 120 / mpp, y - vel.north * 120 / mpp);
        }
        ctx.strokeStyle = '#101010'; ctx.lineWidth = 1.2; ctx.stroke();
      }
      const letters = v.zoom >= 10;
      for (const o of tracks.values()) {
        const x = sx(o), y = sy(o);
        if (x < -20 || y < -20 || x > W || y > H) continue;
        const aff = colours[o.data.affiliation] ? o.data.affiliation : 'unknown';
        stamp(px, DW, DH, sprite(aff, s, letters ? (classLetter[o.data.class] || '?') : '', dpr), x * dpr, y * dpr);
      }
    }
    if (this.show.units) {
      for (const o of this.stores.units.items.values()) {
        const x = sx(o), y = sy(o);
        if (x < -20 || y < -20 || x > W || y > H) continue;
        stamp(px, DW, DH, sprite('friend', s + 4, v.zoom >= 8 ? (o.data.type === 'qrf' ? 'QRF' : 'PTL') : '', dpr), x * dpr, y * dpr);
      }
    }
    sctx.putImageData(this._img, 0, 0);
    this._drawTop(top, v, sx, sy, s, W, H);
    this.frames++;
  },
  // _drawTop draws drones and the selection ring above the symbols.
  _drawTop(ctx, v, sx, sy, s, W, H) {
    if (this.show.drones) {
      for (const o of this.stores.drones.items.values()) {
        const x = sx(o), y = sy(o);
        if (x < -20 || y < -20 || x > W || y > H) continue;
        const d = o.data, lost = d.link === 'lost';
        ctx.beginPath(); // friendly air: a dome open at the bottom
        ctx.arc(x, y + s * 0.35, s * 0.8, Math.PI, 0);
        ctx.closePath();
        ctx.fillStyle = lost ? '#9aa' : colours.friend[0]; ctx.fill();
        ctx.setLineDash(lost ? [3, 2] : []); ctx.strokeStyle = '#002a40'; ctx.lineWidth = 2; ctx.stroke(); ctx.setLineDash([]);
        // battery bar
        const b = Math.max(0, Math.min(1, d.battery || 0));
        ctx.fillStyle = b < 0.2 ? '#e00' : b < 0.4 ? '#e90' : '#0a0';
        ctx.fillRect(x - s * 0.8, y + s * 0.55, s * 1.6 * b, 3);
        if (d.target) {
          const [tx, ty] = merc(d.target.lat, d.target.lon);
          ctx.beginPath(); ctx.moveTo(x, y); ctx.lineTo(tx * v.scale - v.ox, ty * v.scale - v.oy);
          ctx.setLineDash([2, 4]); ctx.strokeStyle = '#00608c'; ctx.lineWidth = 1.5; ctx.stroke(); ctx.setLineDash([]);
        }
      }
    }
    if (this.selected) {
      const o = this.stores[this.selected.store].items.get(this.selected.id);
      if (o) {
        ctx.beginPath(); ctx.arc(sx(o), sy(o), s + 6, 0, Math.PI * 2);
        ctx.strokeStyle = '#ff00ff'; ctx.lineWidth = 2.5; ctx.stroke();
      }
    }
  },
  // hit returns {store, id} of the object nearest a container point, within 10 px.
  hit(pt) {
    const v = this._view(0);
    let best = 100, found = null;
    for (const store of ['units', 'drones', 'tracks']) {
      if (!this.show[store]) continue;
      for (const o of this.stores[store].items.values()) {
        const dx = o.x * v.scale - v.ox - pt.x, dy = o.y * v.scale - v.oy - pt.y, d = dx * dx + dy * dy;
        if (d < best) { best = d; found = { store, id: o.id }; }
      }
    }
    return found;
  },
});
