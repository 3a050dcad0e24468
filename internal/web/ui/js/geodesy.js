// Distances on the WGS84 ellipsoid for drawing and measuring. Segments are
// measured with the local ellipsoidal radii at their mid-latitude, which is
// within ~1 m over a 35 km segment (the border's longest); chainage sums
// segments, so border km agree with the server's geodesic figures to tens
// of metres over 600 km.

const A = 6378137, F = 1 / 298.257223563, E2 = F * (2 - F);
const RAD = Math.PI / 180;

export function distance(a, b) {
  // a, b: [lat, lon]
  const phi = (a[0] + b[0]) / 2 * RAD;
  const s = Math.sin(phi), w = Math.sqrt(1 - E2 * s * s);
  const M = A * (1 - E2) / (w * w * w), N = A / w;
  const dy = (b[0] - a[0]) * RAD * M;
  let dl = b[1] - a[1];
  const dx = dl * RAD * N * Math.cos(phi);
  return Math.hypot(dx, dy);
}

export function bearing(a, b) {
  const phi = (a[0] + b[0]) / 2 * RAD;
  const dy = (b[0] - a[0]);
  const dx = (b[1] - a[1]) * Math.cos(phi);
  return (Math.atan2(dx, dy) / RAD + 360) % 360;
}

// Chainage is a polyline with cumulative km for locating "border km X".
export class Chainage {
  constructor(latlons) {
    this.pts = latlons;
    this.km = [0];
    for (let i = 1; i < latlons.length; i++) this.km.push(this.km[i - 1] + distance(latlons[i - 1], latlons[i]) / 1000);
  }
  get length() { return this.km[this.km.length - 1]; }
  // pointAt returns [lat, lon] at km along the line.
  pointAt(km) {
    km = Math.min(Math.max(km, 0), this.length);
    let i = 1;
    while (i < this.km.length - 1 && this.km[i] < km) i++;
    const d = this.km[i] - this.km[i - 1], t = d > 0 ? (km - this.km[i - 1]) / d : 0;
    const a = this.pts[i - 1], b = this.pts[i];
    return [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
  }
  // locate returns the km of the point on the line nearest to p.
  locate(p) {
    let best = Infinity, bestKm = 0;
    const c = Math.cos(p[0] * RAD);
    for (let i = 1; i < this.pts.length; i++) {
      const a = this.pts[i - 1], b = this.pts[i];
      const ax = a[1] * c, ay = a[0], bx = b[1] * c, by = b[0], px = p[1] * c, py = p[0];
      const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
      let t = l2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / l2 : 0;
      t = Math.min(1, Math.max(0, t));
      const qx = ax + t * dx - px, qy = ay + t * dy - py, d = qx * qx + qy * qy;
      if (d < best) { best = d; bestKm = this.km[i - 1] + t * (this.km[i] - this.km[i - 1]); }
    }
    return bestKm;
  }
}

export function formatDistance(m) {
  return m >= 10000 ? (m / 1000).toFixed(1) + ' km' : m >= 1000 ? (m / 1000).toFixed(2) + ' km' : Math.round(m) + ' m';
}
