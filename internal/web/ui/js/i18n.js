// English and Arabic strings, Arabic place names, and the language switch.
// Arabic layout is right-to-left (dir=rtl on <html>); the map itself stays
// left-to-right so north-up geometry and Leaflet controls are unaffected.
// Operational figures (km, ages, coordinates) keep Latin digits in both
// languages so they read the same over the radio.

const strings = {
  en: {
    'layers': 'Layers', 'measure': 'Measure', 'incidents': 'Incidents', 'replay': 'Replay', 'dashboard': 'Dashboard',
    'soon': 'Available when the server provides it',
    'sound.on': 'Sound on', 'sound.off': 'Sound off', 'theme.night': 'Night', 'theme.day': 'Day',
    'alerts': 'Alerts', 'alerts.none': 'No open alerts', 'search.placeholder': 'Search unit, sensor, track, place, km 312.4',
    'conn.live': 'Live', 'conn.connecting': 'Connecting…', 'conn.reconnecting': 'Reconnecting…', 'conn.offline': 'Offline',
    'layer.relief': 'Relief', 'layer.places': 'Places', 'layer.water': 'Rivers and lakes', 'layer.sectors': 'Sectors',
    'layer.barriers': 'Barriers', 'layer.crossings': 'Crossings', 'layer.sites': 'Sites', 'layer.sensors': 'Sensors',
    'layer.coverage': 'Sensor coverage', 'layer.kmposts': 'Border km posts', 'layer.tracks': 'Tracks', 'layer.trails': 'Trails',
    'layer.contacts': 'Predicted border contact', 'layer.units': 'Patrols and QRFs', 'layer.drones': 'Drones', 'layer.alerts': 'Alerts on map',
    'ack': 'Acknowledge', 'dismiss': 'Dismiss', 'fly': 'Show on map', 'open.incident': 'Open incident', 'dispatch': 'Dispatch',
    'sev.critical': 'Critical', 'sev.high': 'High', 'sev.medium': 'Medium', 'sev.low': 'Low', 'sev.info': 'Info',
    'state.open': 'open', 'state.acknowledged': 'acknowledged', 'state.incident': 'incident',
    'kind.crossing': 'Border crossing', 'kind.approach': 'Approaching the line', 'kind.loiter': 'Loitering at barrier',
    'kind.breach': 'Barrier breach', 'kind.closed_crossing': 'Movement at closed crossing', 'kind.sensor_dark': 'Sensor dark',
    'kind.low_battery': 'Low battery', 'kind.patrol_overdue': 'Patrol overdue', 'kind.zone': 'Zone entry',
    'aff.friend': 'Friend', 'aff.hostile': 'Hostile', 'aff.suspect': 'Suspect', 'aff.unknown': 'Unknown', 'aff.neutral': 'Neutral',
    'track': 'Track', 'unit': 'Unit', 'drone': 'Drone', 'sensor': 'Sensor', 'km': 'km', 'border.km': 'Border km',
    'speed': 'Speed', 'heading': 'Heading', 'class': 'Class', 'sector': 'Sector', 'contact': 'Border contact',
    'battery': 'Battery', 'link': 'Link', 'health': 'Health', 'status': 'Status', 'agency': 'Agency', 'age': 'Age',
    'measure.hint': 'Click points on the map; Esc ends.', 'measure.total': 'Total', 'exercise': 'EXERCISE',
    'help.title': 'Keyboard shortcuts', 'toast.noincident': 'Incidents are not available on this server yet',
    'toast.nodispatch': 'Dispatch is not available on this server yet', 'toast.failed': 'The server refused: ',
    'login.user': 'User', 'login.password': 'Password', 'login.submit': 'Sign in',
    'login.token': 'API token', 'login.or': 'or', 'login.usetoken': 'Password sign-in is not available yet: use the API token.',
    'login.noauth': 'Sign-in is not configured on this server. Continue to the map.', 'login.bad': 'Not accepted: check the token, or the user and password.',
    'tracks.count': 'tracks', 'units.count': 'units', 'drones.count': 'drones',
    'key.next': 'Next alert', 'key.prev': 'Previous alert', 'key.fly': 'Show alert on map', 'key.ack': 'Acknowledge',
    'key.dismiss': 'Dismiss', 'key.incident': 'Open as incident', 'key.dispatch': 'Dispatch', 'key.mute': 'Sound on/off',
    'key.theme': 'Day/night', 'key.lang': 'English/Arabic', 'key.search': 'Search', 'key.measure': 'Measure', 'key.help': 'This help',
  },
  ar: {
    'layers': 'الطبقات', 'measure': 'قياس', 'incidents': 'الحوادث', 'replay': 'إعادة العرض', 'dashboard': 'لوحة المؤشرات',
    'soon': 'متاح عندما يوفره الخادم',
    'sound.on': 'الصوت مفعّل', 'sound.off': 'الصوت مكتوم', 'theme.night': 'ليلي', 'theme.day': 'نهاري',
    'alerts': 'الإنذارات', 'alerts.none': 'لا توجد إنذارات مفتوحة', 'search.placeholder': 'ابحث: وحدة، حساس، مسار، مكان، كم 312.4',
    'conn.live': 'مباشر', 'conn.connecting': 'جارٍ الاتصال…', 'conn.reconnecting': 'إعادة الاتصال…', 'conn.offline': 'غير متصل',
    'layer.relief': 'التضاريس', 'layer.places': 'الأماكن', 'layer.water': 'الأنهار والبحيرات', 'layer.sectors': 'القواطع',
    'layer.barriers': 'الموانع', 'layer.crossings': 'المنافذ الحدودية', 'layer.sites': 'المواقع', 'layer.sensors': 'الحساسات',
    'layer.coverage': 'تغطية الحساسات', 'layer.kmposts': 'علامات الكيلومتر الحدودية', 'layer.tracks': 'المسارات', 'layer.trails': 'الأثر',
    'layer.contacts': 'نقطة التماس المتوقعة مع الحدود', 'layer.units': 'الدوريات وقوات الرد السريع', 'layer.drones': 'الطائرات المسيّرة', 'layer.alerts': 'الإنذارات على الخريطة',
    'ack': 'تأكيد الاستلام', 'dismiss': 'إلغاء', 'fly': 'إظهار على الخريطة', 'open.incident': 'فتح حادثة', 'dispatch': 'إرسال قوة',
    'sev.critical': 'حرج', 'sev.high': 'عالٍ', 'sev.medium': 'متوسط', 'sev.low': 'منخفض', 'sev.info': 'معلومة',
    'state.open': 'مفتوح', 'state.acknowledged': 'مؤكد', 'state.incident': 'حادثة',
    'kind.crossing': 'عبور للحدود', 'kind.approach': 'اقتراب من خط الحدود', 'kind.loiter': 'تسكع عند المانع',
    'kind.breach': 'اختراق مانع', 'kind.closed_crossing': 'حركة عند منفذ مغلق', 'kind.sensor_dark': 'حساس متوقف',
    'kind.low_battery': 'بطارية منخفضة', 'kind.patrol_overdue': 'دورية متأخرة', 'kind.zone': 'دخول منطقة',
    'aff.friend': 'صديق', 'aff.hostile': 'معادٍ', 'aff.suspect': 'مشتبه', 'aff.unknown': 'مجهول', 'aff.neutral': 'محايد',
    'track': 'مسار', 'unit': 'وحدة', 'drone': 'طائرة مسيّرة', 'sensor': 'حساس', 'km': 'كم', 'border.km': 'كم الحدود',
    'speed': 'السرعة', 'heading': 'الاتجاه', 'class': 'الصنف', 'sector': 'القاطع', 'contact': 'التماس مع الحدود',
    'battery': 'البطارية', 'link': 'الاتصال', 'health': 'الحالة الفنية', 'status': 'الحالة', 'agency': 'الجهة', 'age': 'العمر',
    'measure.hint': 'انقر نقاطاً على الخريطة؛ Esc للإنهاء.', 'measure.total': 'المجموع', 'exercise': 'تمرين',
    'help.title': 'اختصارات لوحة المفاتيح', 'toast.noincident': 'الحوادث غير متاحة على هذا الخادم بعد',
    'toast.nodispatch': 'الإرسال غير متاح على هذا الخادم بعد', 'toast.failed': 'رفض الخادم: ',
    'login.user': 'المستخدم', 'login.password': 'كلمة المرور', 'login.submit': 'تسجيل الدخول',
    'login.token': 'رمز الواجهة البرمجية (API)', 'login.or': 'أو', 'login.usetoken': 'الدخول بكلمة المرور غير متاح بعد: استخدم رمز الواجهة البرمجية.',
    'login.noauth': 'تسجيل الدخول غير مُعدّ على هذا الخادم. تابع إلى الخريطة.', 'login.bad': 'لم يُقبل: تحقق من الرمز أو من اسم المستخدم وكلمة المرور.',
    'tracks.count': 'مسار', 'units.count': 'وحدة', 'drones.count': 'مسيّرة',
    'key.next': 'الإنذار التالي', 'key.prev': 'الإنذار السابق', 'key.fly': 'إظهار الإنذار على الخريطة', 'key.ack': 'تأكيد الاستلام',
    'key.dismiss': 'إلغاء', 'key.incident': 'فتح كحادثة', 'key.dispatch': 'إرسال قوة', 'key.mute': 'تشغيل/كتم الصوت',
    'key.theme': 'نهاري/ليلي', 'key.lang': 'الإنجليزية/العربية', 'key.search': 'بحث', 'key.measure': 'قياس', 'key.help': 'هذه المساعدة',
  },
};

// Arabic names of the places the map labels (Natural Earth ships no
// Arabic names for these features; this table is curated).
const placesAr = {
  'Iraq': 'العراق', 'Syria': 'سوريا', 'Turkey': 'تركيا', 'Jordan': 'الأردن', 'Saudi Arabia': 'السعودية', 'Iran': 'إيران',
  'Baghdad': 'بغداد', 'An Najaf': 'النجف', 'Kirkuk': 'كركوك', 'Mosul': 'الموصل', 'Irbil': 'أربيل', 'Şanlıurfa': 'أورفة',
  'Abu Kamal': 'البوكمال', 'Adıyaman': 'أديامان', 'Al Fallujah': 'الفلوجة', 'Al Hillah': 'الحلة', 'Ar Raqqah': 'الرقة',
  'Ar Rutbah': 'الرطبة', 'Batman': 'باطمان', 'Dayr az Zawr': 'دير الزور', 'Diyarbakır': 'ديار بكر', 'Karbala': 'كربلاء',
  'Mardin': 'ماردين', 'Tadmur': 'تدمر', 'Tall Afar': 'تلعفر', 'Tikrit': 'تكريت', 'Zakho': 'زاخو', 'Al Hasakah': 'الحسكة',
  'Al Musayyib': 'المسيب', 'Al Qamishli': 'القامشلي', 'Ar Ramadi': 'الرمادي', 'Hakkâri': 'هكاري',
  'Madinat ath Thawrah': 'مدينة الثورة', 'Manbij': 'منبج', 'Nusaybin': 'نصيبين', 'Dahuk': 'دهوك', 'Samarra': 'سامراء', 'Siirt': 'سعرد',
  'Rabia': 'ربيعة', 'Sinjar': 'سنجار', "Al-Ba'aj": 'البعاج', "Al-Qa'im": 'القائم', 'Husaybah': 'حصيبة',
  'Albu Kamal (Abu Kamal)': 'البوكمال', 'Al-Walid': 'الوليد', 'Al-Tanf (US-led coalition garrison)': 'التنف (حامية التحالف)',
  'Al-Yarubiyah (Tel Kocher)': 'اليعربية (تل كوجر)', 'Faysh Khabur (Fishkhabur)': 'فيشخابور', 'Tal Afar': 'تلعفر', 'Ramadi': 'الرمادي', 'Rutba': 'الرطبة',
  'Rabia – al-Yarubiyah crossing (official)': 'منفذ ربيعة – اليعربية',
  'Al-Qaim – Albu Kamal crossing (official)': 'منفذ القائم – البوكمال',
  'Al-Walid – al-Tanf crossing (official)': 'منفذ الوليد – التنف',
  'Faysh Khabur – Semalka crossing (not recognised by Baghdad/Damascus)': 'معبر فيشخابور – سيمالكا (غير معترف به)',
  'Tigris': 'دجلة', 'Euphrates': 'الفرات', 'Assad': 'بحيرة الأسد', 'Tharthar': 'بحيرة الثرثار', 'Habbaniyah': 'بحيرة الحبانية',
  'Razazah': 'بحيرة الرزازة', 'Atatürk': 'سد أتاتورك',
};

let lang = localStorage.getItem('bw.lang') || 'en';
const listeners = [];

export function t(key) {
  return (strings[lang] && strings[lang][key]) || strings.en[key] || key;
}

// place returns the name of a place in the current language.
export function place(name) {
  if (lang === 'ar' && name) {
    return placesAr[name] || placesAr[name.replace(/ town$/, '')] || name;
  }
  return name;
}

export function language() { return lang; }

export function setLanguage(l) {
  lang = l === 'ar' ? 'ar' : 'en';
  localStorage.setItem('bw.lang', lang);
  apply(document);
  for (const f of listeners) f(lang);
}

export function onLanguage(f) { listeners.push(f); }

// apply fills every data-i18n element and sets dir/lang on <html>.
export function apply(root) {
  const html = document.documentElement;
  html.lang = lang;
  html.dir = lang === 'ar' ? 'rtl' : 'ltr';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  const b = root.querySelector('#btn-lang');
  if (b) {
    b.textContent = lang === 'ar' ? 'English' : 'العربية';
    b.lang = lang === 'ar' ? 'en' : 'ar';
  }
}

// num formats an operational figure with Latin digits.
export function num(x, digits = 1) {
  return Number(x).toFixed(digits);
}

export function age(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + 's';
  const m = Math.floor(s / 60);
  if (m < 60) return m + 'm ' + String(s % 60).padStart(2, '0') + 's';
  const h = Math.floor(m / 60);
  return h + 'h ' + String(m % 60).padStart(2, '0') + 'm';
}
