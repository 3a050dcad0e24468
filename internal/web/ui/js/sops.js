// Standard operating procedures for the checklist panel. The incident
// JSON names only the current step (checklist.current); the step's prompt
// and answers come from checklist.step when the server sends it, else
// from this copy of the server's default SOPs (internal/incident/sop.go).
// A step missing here is still answerable: the panel offers "done" and
// skip. Arabic prompts are keyed kind.step; answers and actions by word.

const yn = (yes, no, ya, na) => [{ answer: 'yes', next: yes, action: ya }, { answer: 'no', next: no, action: na }];

export const defaultSOPs = {
  crossing: { name: 'border crossing', start: 'verify', steps: [
    { id: 'verify', prompt: 'Is the crossing confirmed on a camera or drone feed?', mandatory: true, choices: [
      { answer: 'confirmed', next: 'armed' }, { answer: 'not_seen', next: 'search', action: 'task_drone_search' },
      { answer: 'false_alarm', next: '', action: 'close_false_alarm' }] },
    { id: 'search', prompt: 'Drone tasked to the last known position. Found?', mandatory: true, choices: yn('armed', '', '', 'close_escaped') },
    { id: 'armed', prompt: 'Are the crossers armed?', mandatory: true, choices: [
      { answer: 'yes', next: 'army', action: 'request_army_support' }, { answer: 'no', next: 'intercept' },
      { answer: 'unknown', next: 'intercept', action: 'treat_as_armed' }] },
    { id: 'army', prompt: 'Army support requested; hold the QRF at a safe stand-off until it arrives.', mandatory: true, next: 'intercept' },
    { id: 'intercept', prompt: 'Dispatch the nearest QRF or patrol to the predicted position.', mandatory: true, next: 'partner' },
    { id: 'partner', prompt: 'Notify the partner force across the border?', choices: yn('', '', 'notify_partner', '') },
  ] },
  approach: { name: 'approach to the line', start: 'watch', steps: [
    { id: 'watch', prompt: 'Keep a camera on the track. Still heading for the line?', mandatory: true, choices: yn('standby', '', '', 'close_no_threat') },
    { id: 'standby', prompt: 'Put the sector QRF on standby and pre-position a drone at the contact point.', mandatory: true, next: 'armed' },
    { id: 'armed', prompt: 'Are they armed?', choices: yn('', '', 'request_army_support', '') },
  ] },
  breach: { name: 'barrier breach', start: 'look', steps: [
    { id: 'look', prompt: 'Slew the nearest camera to the breach. Persons or vehicle seen?', mandatory: true, choices: [
      { answer: 'persons', next: 'armed' }, { answer: 'vehicle', next: 'armed' },
      { answer: 'animal', next: 'repair', action: 'close_animal' }, { answer: 'nothing', next: 'patrol' }] },
    { id: 'armed', prompt: 'Are they armed?', mandatory: true, choices: yn('intercept', 'intercept', 'request_army_support', '') },
    { id: 'intercept', prompt: 'Dispatch the nearest QRF or patrol to the breach.', mandatory: true, next: 'repair' },
    { id: 'patrol', prompt: 'Send the sector patrol to inspect the barrier.', mandatory: true, next: 'repair' },
    { id: 'repair', prompt: 'Raise a repair ticket for the barrier.' },
  ] },
  loiter: { name: 'loitering at a barrier', start: 'watch', steps: [
    { id: 'watch', prompt: 'Keep a camera on the track. Tools, ladders or digging seen?', mandatory: true, choices: yn('intercept', '', '', 'close_no_threat') },
    { id: 'intercept', prompt: 'Dispatch the sector patrol to the barrier.', mandatory: true },
  ] },
  closed_crossing: { name: 'movement at a closed crossing', start: 'call', steps: [
    { id: 'call', prompt: "Call the crossing's guard post. Is the movement theirs?", mandatory: true, choices: yn('', 'intercept', 'close_own_forces', '') },
    { id: 'intercept', prompt: 'Dispatch the nearest QRF to the crossing.', mandatory: true },
  ] },
  sensor_dark: { name: 'sensor dark', start: 'cover', steps: [
    { id: 'cover', prompt: 'Is the blinded stretch covered by another sensor?', mandatory: true, choices: yn('repair', 'repair', '', 'task_drone_cover') },
    { id: 'repair', prompt: 'Raise a maintenance ticket for the sensor.', mandatory: true },
  ] },
  low_battery: { name: 'drone low battery', start: 'relief', steps: [
    { id: 'relief', prompt: 'Is another drone available to take over?', mandatory: true, choices: yn('', '', 'launch_relief_drone', 'recall_drone') },
  ] },
  patrol_overdue: { name: 'patrol overdue', start: 'radio', steps: [
    { id: 'radio', prompt: 'Call the patrol on radio and TAK chat. Answered?', mandatory: true, choices: yn('', 'search', 'close_answered', '') },
    { id: 'search', prompt: "Dispatch the QRF to the patrol's last known position and notify the sector commander.", mandatory: true },
  ] },
  zone: { name: 'zone violation', start: 'identify', steps: [
    { id: 'identify', prompt: 'Identify the track on camera. Threat?', mandatory: true, choices: yn('intercept', '', '', 'close_no_threat') },
    { id: 'intercept', prompt: 'Dispatch the nearest unit.', mandatory: true },
  ] },
};

export const promptsAr = {
  'crossing.verify': 'هل العبور مؤكد عبر كاميرا أو بث طائرة مسيّرة؟',
  'crossing.search': 'كُلّفت طائرة مسيّرة بآخر موقع معروف. هل عُثر عليهم؟',
  'crossing.armed': 'هل العابرون مسلحون؟',
  'crossing.army': 'طُلب إسناد الجيش؛ أبقِ قوة الرد السريع على مسافة آمنة حتى وصوله.',
  'crossing.intercept': 'أرسل أقرب قوة رد سريع أو دورية إلى الموقع المتوقع.',
  'crossing.partner': 'هل يُبلَّغ الجانب الشريك عبر الحدود؟',
  'approach.watch': 'أبقِ كاميرا على المسار. هل ما زال متجهاً نحو الخط؟',
  'approach.standby': 'ضع قوة الرد السريع للقاطع في حالة تأهب وانشر طائرة مسيّرة مسبقاً عند نقطة التماس.',
  'approach.armed': 'هل هم مسلحون؟',
  'breach.look': 'وجّه أقرب كاميرا إلى الثغرة. هل شوهد أشخاص أو مركبة؟',
  'breach.armed': 'هل هم مسلحون؟',
  'breach.intercept': 'أرسل أقرب قوة رد سريع أو دورية إلى الثغرة.',
  'breach.patrol': 'أرسل دورية القاطع لتفقد المانع.',
  'breach.repair': 'افتح طلب إصلاح للمانع.',
  'loiter.watch': 'أبقِ كاميرا على المسار. هل شوهدت أدوات أو سلالم أو حفر؟',
  'loiter.intercept': 'أرسل دورية القاطع إلى المانع.',
  'closed_crossing.call': 'اتصل بمخفر المنفذ. هل الحركة تابعة لهم؟',
  'closed_crossing.intercept': 'أرسل أقرب قوة رد سريع إلى المنفذ.',
  'sensor_dark.cover': 'هل المقطع المكشوف مغطى بحساس آخر؟',
  'sensor_dark.repair': 'افتح طلب صيانة للحساس.',
  'low_battery.relief': 'هل تتوفر طائرة مسيّرة أخرى لتتولى المهمة؟',
  'patrol_overdue.radio': 'اتصل بالدورية عبر اللاسلكي ودردشة TAK. هل أجابت؟',
  'patrol_overdue.search': 'أرسل قوة الرد السريع إلى آخر موقع معروف للدورية وأبلغ آمر القاطع.',
  'zone.identify': 'حدّد المسار بالكاميرا. هل يشكل تهديداً؟',
  'zone.intercept': 'أرسل أقرب وحدة.',
};

// sopStep returns the step of kind's SOP (from sops, else the defaults).
export function sopStep(sops, kind, id) {
  const sop = (sops && sops[kind]) || defaultSOPs[kind];
  if (!sop || !id) return null;
  const st = sop.steps.find((s) => s.id === id);
  return st || null;
}
