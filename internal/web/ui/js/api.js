// JSON requests to the API. POSTs carry the session's CSRF token. Errors
// come in two shapes ({"error":{"code","message"}} from web and the
// account routes, {"error":"code","message"} from the response routes);
// both become {ok:false, status, code, message}.

export function csrfHeaders() {
  const h = { 'Content-Type': 'application/json' };
  const csrf = sessionStorage.getItem('bw.csrf');
  if (csrf) h['X-CSRF-Token'] = csrf;
  return h;
}

export async function request(method, url, body) {
  let r;
  try {
    r = await fetch(url, method === 'GET' ? { credentials: 'same-origin' } : {
      method, credentials: 'same-origin', headers: csrfHeaders(), body: body === undefined ? '{}' : JSON.stringify(body),
    });
  } catch (e) {
    return { ok: false, status: 0, code: 'network', message: String(e.message || e) };
  }
  let data = null;
  const text = await r.text();
  if (text) { try { data = JSON.parse(text); } catch (e) { data = text; } }
  if (r.ok) return { ok: true, status: r.status, data };
  if (r.status === 401) location.href = 'login.html';
  const e = data && data.error;
  const code = typeof e === 'string' ? e : (e && e.code) || String(r.status);
  const message = (typeof e === 'object' && e && e.message) || (data && data.message) || r.statusText;
  return { ok: false, status: r.status, code, message };
}

export const get = (url) => request('GET', url);
export const postJSON = (url, body) => request('POST', url, body);
