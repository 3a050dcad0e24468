// The map with no network: the shipped geography (relief image, country
// faces, boundaries, rivers, lakes, places) and the deployment's layers
// (border, sectors by agency, barriers by type, crossings by status, sites,
// sensors with coverage and health), plus border kilometre posts.

import { t, place, num } from './i18n.js';
import { Chainage } from './geodesy.js';

const L = window.L;

async function getJSON(url) {
  const r = await fetch(url, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(url + ': ' + r.status);
  return r.json();
}

export const agencyColours = ['#1f78b4', '#33a02c', '#e31a1c', '#ff7f00', '#6a3d9a', '#b15928', '#a6cee3', '#fb9a99'];
const barrierStyle = {
  wall: { color: '#303030', weight: 5 }, trench: { color: '#8c510a', weight: 3, dashArray: '8 4' },
  berm: { color: '#bf812d', weight: 4 }, fence: { color: '#4d4d4d', weight: 2, dashArray: '2 3' },
};
const crossingColour = { open: '#1a9850', restricted: '#fdae61', closed: '#d73027' };
const healthColour = { ok: '#1a9850', degraded: '#fdae61', dark: '#d73027' };
const covStyle = {
  ok: { color: '#3182bd', weight: 0.6, opacity: 0.35, dashArray: null, fillColor: '#6baed6', fillOpacity: 0.07 },
  degraded: { color: '#e08214', weight: 1, opacity: 0.6, dashArray: null, fillColor: '#fdb863', fillOpacity: 0.07 },
  dark: { color: '#d73027', weight: 1.5, opacity: 0.9, dashArray: '4 3', fillColor: '#d73027', fillOpacity: 0.05 },
};
const siteGlyph = { watchtower: 'T', post: 'P', qrf_base: 'Q', drone_base: 'D' };

export function createMap(el) {
  const map = L.map(el, {
    preferCanvas: true, zoomControl: true, attributionControl: false, worldCopyJump: false,
    minZoom: 5, maxZoom: 16, zoomSnap: 0.5,
    maxBounds: [[29.5, 35.0], [40.0, 47.0]],
  });
  L.control.scale({ metric: true, imperial: false, position: 'bottomleft' }).addTo(map);
  // declutter: watchtowers appear from zoom 8 (CSS keys off this class)
  const zclass = () => el.classList.toggle('bw-zoomed-out', map.getZoom() < 8);
  map.on('zoomend', zclass);
  map.whenReady(zclass);
  map.setView([35.2, 40.9], 7);
  return map;
}

// loadGeography adds the shipped basemap; it resolves with named layers.
export async function loadGeography(map) {
  const [relief, faces, bounds, rivers, lakes, places, points] = await Promise.all([
    getJSON('geo/terrain_relief_etopo5.json'), getJSON('geo/region_countries_bbox.geojson'),
    getJSON('geo/boundaries_iraq_syria_all.geojson'), getJSON('geo/rivers.geojson'), getJSON('geo/lakes.geojson'),
    getJSON('geo/populated_places.geojson'), getJSON('geo/border_points.geojson'),
  ]);
  const layers = {};
  layers.relief = L.imageOverlay('geo/' + relief.image, relief.leaflet_imageOverlay_bounds, { opacity: 0.85, className: 'bw-relief' }).addTo(map);
  const faceFill = { IRQ: '#f3e9c6', SYR: '#e4e9d0' };
  layers.faces = L.geoJSON(faces, {
    style: (f) => ({ stroke: false, fillColor: faceFill[(f.properties.adm0_a3 || f.properties.iso_a3 || f.properties.code)] || '#dddddd', fillOpacity: 0.18 }),
    interactive: false,
  }).addTo(map);
  layers.boundaries = L.geoJSON(bounds, { style: { color: '#555', weight: 1.2, dashArray: '6 3' }, interactive: false }).addTo(map);
  layers.water = L.layerGroup([
    L.geoJSON(rivers, { style: { color: '#2c7fb8', weight: 1.6 }, interactive: false }),
    L.geoJSON(lakes, { style: { color: '#2c7fb8', weight: 1, fillColor: '#7fcdbb', fillOpacity: 0.7 }, interactive: false }),
  ]).addTo(map);
  const labels = [];
  const placeLayer = L.layerGroup();
  for (const f of places.features) {
    const [lon, lat] = f.geometry.coordinates;
    const m = L.circleMarker([lat, lon], { radius: 2.5, color: '#222', weight: 1, fillColor: '#fff', fillOpacity: 1, interactive: false });
    const tt = L.tooltip({ permanent: true, direction: 'right', className: 'bw-place', offset: [4, 0] });
    m.bindTooltip(tt);
    labels.push({ m, name: f.properties.name });
    placeLayer.addLayer(m);
  }
  const towns = [];
  for (const f of points.features) {
    const p = f.properties;
    if (p.kind !== 'town') continue;
    const [lon, lat] = f.geometry.coordinates;
    if (places.features.some((q) => Math.abs(q.geometry.coordinates[0] - lon) < 1e-3 && Math.abs(q.geometry.coordinates[1] - lat) < 1e-3)) continue;
    const m = L.circleMarker([lat, lon], { radius: 2, color: '#222', weight: 1, fillColor: '#ddd', fillOpacity: 1, interactive: false });
    m.bindTooltip(L.tooltip({ permanent: true, direction: 'left', className: 'bw-place bw-town', offset: [-4, 0] }));
    labels.push({ m, name: p.name });
    towns.push({ name: p.name, lat, lon });
    placeLayer.addLayer(m);
  }
  layers.places = placeLayer.addTo(map);
  const relabel = () => { for (const l of labels) l.m.setTooltipContent(place(l.name)); };
  relabel();
  const gazetteer = [...places.features.map((f) => ({ name: f.properties.name, lat: f.geometry.coordinates[1], lon: f.geometry.coordinates[0] })), ...towns];
  return { layers, relabel, gazetteer, points };
}

// classify names the layer of a deployment feature: properties.layer
// (web's own GeoJSON), else the deployment package export's "kind".
function classify(p) {
  if (p.layer) return p.layer;
  const k = p.kind;
  if (['border', 'sector', 'hotspot', 'zone', 'crossing'].includes(k)) return k;
  if (k === 'sensor_footprint') return 'coverage';
  if (['wall', 'trench', 'berm', 'fence'].includes(k)) return 'barrier';
  if (['watchtower', 'post', 'qrf_base', 'drone_base'].includes(k)) return 'site';
  if (['thermal_camera', 'radar', 'ground_sensor', 'fence_sensor'].includes(k)) return 'sensor';
  if (['restricted', 'buffer', 'no_go'].includes(k)) return 'zone';
  if (['open', 'restricted', 'closed'].includes(p.status)) return 'crossing';
  if (p.from_km !== undefined && p.terrain !== undefined) return 'sector';
  return 'other';
}

// loadDeployment draws /api/v1/deployment. It resolves with the layers,
// the border chainage, and indexes for search and sensor health.
export async function loadDeployment(map, geojson) {
  const agencies = new Map();
  const agencyColour = (a) => {
    if (!agencies.has(a)) agencies.set(a, agencyColours[agencies.size % agencyColours.length]);
    return agencies.get(a);
  };
  const groups = {
    sectors: L.layerGroup(), barriers: L.layerGroup(), crossings: L.layerGroup(), sites: L.layerGroup(),
    sensors: L.layerGroup(), coverage: L.layerGroup(), zones: L.layerGroup(), border: L.layerGroup(), kmposts: L.layerGroup(),
  };
  const sensors = new Map(), sites = [], crossings = [], sectors = [];
  let border = null;
  for (const f of geojson.features) {
    const p = f.properties || {}, kind = classify(p);
    const g = f.geometry;
    const ll = g.type === 'Point' ? [g.coordinates[1], g.coordinates[0]] : null;
    const line = g.type === 'LineString' ? g.coordinates.map((c) => [c[1], c[0]]) : null;
    switch (kind) {
      case 'border':
        border = line;
        break;
      case 'sector': {
        const c = agencyColour(p.agency);
        L.polyline(line, { color: c, weight: 14, opacity: 0.35, lineCap: 'butt' })
          .bindTooltip(`${p.name || p.id} · ${p.agency_name || p.agency} · km ${num(p.from_km, 0)}–${num(p.to_km, 0)}`, { sticky: true })
          .addTo(groups.sectors);
        sectors.push(p);
        break;
      }
      case 'hotspot':
        L.polyline(line, { color: '#ff00aa', weight: 22, opacity: 0.12, lineCap: 'butt', interactive: false }).addTo(groups.sectors);
        break;
      case 'barrier':
        L.polyline(line, Object.assign({ opacity: 0.9 }, barrierStyle[p.kind] || { color: '#333', weight: 2 }))
          .bindTooltip(`${p.name || p.id} (${p.kind}) km ${num(p.from_km, 0)}–${num(p.to_km, 0)}`, { sticky: true })
          .addTo(groups.barriers);
        break;
      case 'zone':
        L.geoJSON(f, { style: { color: (p.zone_kind || p.kind) === 'no_go' ? '#7b3294' : '#d73027', weight: 1.5, fillOpacity: 0.08, dashArray: '4 4' } })
          .bindTooltip(p.name || p.id).addTo(groups.zones);
        break;
      case 'crossing': {
        const m = L.marker(ll, {
          icon: L.divIcon({ className: 'bw-crossing bw-crossing-' + (p.status || 'unknown'), html: '⇄', iconSize: [20, 20] }),
          zIndexOffset: 1000, keyboard: false,
        });
        m.bindTooltip(() => `${place(p.name)} — ${p.status}${p.hours ? ' ' + p.hours : ''}`, { direction: 'top' });
        m.addTo(groups.crossings);
        crossings.push({ name: p.name, lat: ll[0], lon: ll[1], p, m });
        break;
      }
      case 'site': {
        const m = L.marker(ll, { icon: L.divIcon({ className: 'bw-site bw-site-' + p.kind, html: siteGlyph[p.kind] || 'S', iconSize: [16, 16] }), keyboard: false });
        m.bindTooltip(`${p.name || p.id} (${p.kind})`, { direction: 'top' });
        m.addTo(groups.sites);
        sites.push({ name: p.name || p.id, id: p.id, lat: ll[0], lon: ll[1] });
        break;
      }
      case 'sensor': {
        const m = L.circleMarker(ll, { radius: 4, color: '#000', weight: 1, fillColor: healthColour.ok, fillOpacity: 1 });
        m.bindTooltip(() => `${p.id} · ${p.kind}${p.model ? ' ' + p.model : ''} · ${t('health')}: ${(sensors.get(p.id) || {}).health || 'ok'}`);
        m.addTo(groups.sensors);
        sensors.set(p.id, Object.assign(sensors.get(p.id) || {}, { p, m, lat: ll[0], lon: ll[1] }));
        break;
      }
      case 'coverage': {
        const c = L.geoJSON(f, { style: covStyle.ok, interactive: false });
        c.addTo(groups.coverage);
        const sid = p.sensor || p.id;
        sensors.set(sid, Object.assign(sensors.get(sid) || {}, { cov: c }));
        break;
      }
    }
  }
  if (!border) {
    const b = await getJSON('geo/iraq_syria_border.geojson');
    border = b.features[0].geometry.coordinates.map((c) => [c[1], c[0]]);
  }
  const chain = new Chainage(border);
  const svg = L.svg({ padding: 0.5 }); // the line itself is SVG: crisp, and inspectable in the DOM
  L.polyline(border, { renderer: svg, color: '#fff', weight: 6, opacity: 0.9, interactive: false, className: 'bw-border-halo' }).addTo(groups.border);
  L.polyline(border, { renderer: svg, color: '#c00000', weight: 3, opacity: 1, className: 'bw-border' })
    .bindTooltip(() => `${t('border.km')} — ${num(chain.length, 1)} ${t('km')}`, { sticky: true }).addTo(groups.border);
  for (let km = 0; km <= chain.length; km += 10) {
    const pt = chain.pointAt(km);
    const major = km % 50 === 0;
    const m = L.circleMarker(pt, { radius: major ? 4 : 2.5, color: '#c00000', weight: 1.5, fillColor: '#fff', fillOpacity: 1, interactive: false });
    if (major) m.bindTooltip(`${km}`, { permanent: true, direction: 'right', className: 'bw-km', offset: [5, 0] });
    m.addTo(groups.kmposts);
  }
  for (const k of ['sectors', 'zones', 'coverage', 'barriers', 'border', 'kmposts', 'crossings', 'sites', 'sensors']) groups[k].addTo(map);
  map.fitBounds(L.latLngBounds(border).pad(0.08), { animate: false });
  const setHealth = (s) => {
    const e = sensors.get(s.id);
    if (!e) return;
    e.health = s.health;
    if (e.m) e.m.setStyle({ fillColor: healthColour[s.health] || '#999', radius: s.health === 'ok' ? 4 : 6 });
    if (e.cov) e.cov.setStyle(covStyle[s.health] || covStyle.ok);
  };
  return { groups, chain, sensors, sites, crossings, sectors, agencies, setHealth, border };
}
