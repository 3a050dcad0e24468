// The live stream client: one EventSource on /api/v1/stream filtered to the
// (padded) viewport. The browser reconnects by itself and sends
// Last-Event-ID, so a dropped link resumes with only what changed. A
// viewport change is POSTed to the open stream; if that stream is gone the
// client reopens with the new viewport and its last event id.

// post sends a JSON POST with the session's CSRF token, if it has one.
export function post(url, body) {
  const headers = { 'Content-Type': 'application/json' };
  const csrf = sessionStorage.getItem('bw.csrf');
  if (csrf) headers['X-CSRF-Token'] = csrf;
  return fetch(url, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export class Stream {
  constructor({ onBatch, onState, hz = 2 }) {
    this.onBatch = onBatch; this.onState = onState; this.hz = hz;
    this.es = null; this.id = null; this.lastId = ''; this.bbox = null;
    this.batches = 0; this.bytes = 0;
  }
  open(bbox) {
    this.bbox = bbox;
    if (this.es) this.es.close();
    let url = 'api/v1/stream?hz=' + this.hz;
    if (bbox) url += '&bbox=' + bbox.map((x) => x.toFixed(4)).join(',');
    if (this.lastId) url += '&last_event_id=' + encodeURIComponent(this.lastId);
    const es = new EventSource(url);
    this.es = es;
    this.onState('connecting');
    es.addEventListener('hello', (e) => { this.id = JSON.parse(e.data).stream; this.onState('live'); });
    es.addEventListener('batch', (e) => {
      this.lastId = e.lastEventId;
      this.batches++; this.bytes += e.data.length; this.lastBytes = e.data.length;
      const t0 = performance.now();
      const b = JSON.parse(e.data);
      const t1 = performance.now();
      this.onBatch(b);
      this.parseMs = t1 - t0; this.applyMs = performance.now() - t1;
      if (this.onTiming) this.onTiming(this.parseMs, this.applyMs);
    });
    es.onerror = () => {
      this.id = null;
      if (es.readyState === EventSource.CLOSED) {
        this.onState('offline');
        // 401 or a hard failure: check the session, then retry later.
        fetch('api/v1/me').then((r) => {
          if (r.status === 401) location.href = 'login.html';
          else setTimeout(() => { if (this.es === es) this.open(this.bbox); }, 3000);
        }, () => setTimeout(() => { if (this.es === es) this.open(this.bbox); }, 3000));
      } else {
        this.onState('reconnecting');
      }
    };
  }
  async setView(bbox) {
    this.bbox = bbox;
    if (!this.id) return;
    try {
      const r = await post('api/v1/stream/' + this.id + '/view', { bbox });
      if (r.status === 404) this.open(bbox);
    } catch (e) {
      // the EventSource reports the outage; it reopens with this.bbox
    }
  }
}
