// The sign-in page. The authentication model belongs to the security
// work; until it lands the browser signs in with the node's API token
// (POST /api/v1/login {token} sets an HttpOnly session cookie), and
// {username, password} is answered 501. A server without authentication
// answers 404 and the page links to the map.
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
form.onsubmit = async (e) => {
  e.preventDefault();
  msg.textContent = '';
  const token = form.token.value.trim();
  const body = JSON.stringify(token ? { token } : { username: form.username.value, password: form.password.value });
  const r = await fetch('api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (r.ok) {
    const p = await r.json().catch(() => ({}));
    if (p.csrf_token) sessionStorage.setItem('bw.csrf', p.csrf_token);
    location.href = './';
    return;
  }
  if (r.status === 404 || r.status === 405) {
    const a = document.createElement('a'); a.href = './'; a.textContent = t('login.noauth');
    msg.appendChild(a);
    return;
  }
  if (r.status === 501) { msg.textContent = t('login.usetoken'); return; }
  msg.textContent = t('login.bad');
};
