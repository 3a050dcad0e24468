// The sign-in page. With the full server (internal/server's accounts) the
// user signs in with a user name and password (POST /api/v1/login); the
// answer carries the CSRF token, kept for the session. A first sign-in
// with a one-time password must choose a new one (POST /api/v1/password
// {old, new}) before the map opens. Web's handler alone (no accounts)
// signs in with the node's API token instead ({token}); a server without
// authentication answers 404 and the page links to the map.
import { t, apply, setLanguage, language } from './i18n.js';

const theme = localStorage.getItem('bw.theme') || 'day';
document.documentElement.dataset.theme = theme;
apply(document);
document.getElementById('btn-lang').onclick = () => setLanguage(language() === 'ar' ? 'en' : 'ar');
document.getElementById('btn-theme').onclick = () => {
  const th = document.documentElement.dataset.theme === 'night' ? 'day' : 'night';
  document.documentElement.dataset.theme = th;
  localStorage.setItem('bw.theme', th);
};
const form = document.getElementById('login'), msg = document.getElementById('login-msg');
const change = document.getElementById('change'), cmsg = document.getElementById('change-msg');
let oldPassword = '';

async function message(r) {
  const b = await r.json().catch(() => ({}));
  const e = b && b.error;
  return (e && (e.message || (typeof e === 'string' && b.message))) || r.statusText;
}

form.onsubmit = async (e) => {
  e.preventDefault();
  msg.textContent = '';
  const token = form.token.value.trim();
  const body = JSON.stringify(token ? { token } : { username: form.username.value.trim(), password: form.password.value });
  const r = await fetch('api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (r.ok) {
    const p = await r.json().catch(() => ({}));
    if (p.csrf_token) sessionStorage.setItem('bw.csrf', p.csrf_token);
    if (p.must_change_password) {
      oldPassword = form.password.value;
      form.hidden = true; change.hidden = false;
      change.new.focus();
      return;
    }
    location.href = './';
    return;
  }
  if (r.status === 404 || r.status === 405) {
    const a = document.createElement('a'); a.href = './'; a.textContent = t('login.noauth');
    msg.appendChild(a);
    return;
  }
  if (r.status === 501) { msg.textContent = t('login.usetoken'); return; }
  if (r.status === 429) { msg.textContent = t('login.slow'); return; }
  msg.textContent = t('login.bad');
};

change.onsubmit = async (e) => {
  e.preventDefault();
  cmsg.textContent = '';
  if (change.new.value !== change.repeat.value) { cmsg.textContent = t('login.mismatch'); return; }
  const headers = { 'Content-Type': 'application/json' };
  const csrf = sessionStorage.getItem('bw.csrf');
  if (csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch('api/v1/password', { method: 'POST', headers, body: JSON.stringify({ old: oldPassword, new: change.new.value }) });
  if (r.ok) {
    const p = await r.json().catch(() => ({}));
    if (p.csrf_token) sessionStorage.setItem('bw.csrf', p.csrf_token);
    location.href = './';
    return;
  }
  cmsg.textContent = t('login.refused') + ' ' + (await message(r));
};
