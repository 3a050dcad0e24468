// The sign-in page. The authentication model belongs to the security
// work: this page POSTs {username, password} to /api/v1/login and goes to
// the map on success. A server without sign-in (404/501) says so and
// links to the map.
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
  const body = JSON.stringify({ username: form.username.value, password: form.password.value });
  const r = await fetch('api/v1/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  if (r.ok) { location.href = './'; return; }
  if (r.status === 404 || r.status === 405 || r.status === 501) {
    msg.innerHTML = '';
    const a = document.createElement('a'); a.href = './'; a.textContent = t('login.noauth');
    msg.appendChild(a);
    return;
  }
  msg.textContent = t('login.bad');
};
