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
    'ack': 'Acknowledge', 'dismiss': 'Dismiss', 'fly': 'Show on map', 'open.incident': 'Open incident', 'show.incident': 'Show incident', 'dispatch': 'Dispatch',
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
    'help.title': 'Keyboard shortcuts', 'toast.noincident': 'Incidents are not available on this server',
    'toast.nodispatch': 'Dispatch is not available on this server yet', 'toast.failed': 'The server refused: ',
    'login.user': 'User', 'login.password': 'Password', 'login.submit': 'Sign in',
    'login.token': 'Sign in with an API token instead', 'login.tokenhint': 'API token', 'login.or': 'or', 'login.usetoken': 'Password sign-in is not available yet: use the API token.',
    'login.noauth': 'Sign-in is not configured on this server. Continue to the map.', 'login.bad': 'Not accepted: check the token, or the user and password.',
    'login.change': 'Choose a new password', 'login.changehint': 'This was a one-time password. Choose your own: at least 12 characters, not containing your user name.',
    'login.new': 'New password', 'login.repeat': 'Repeat the new password', 'login.changesubmit': 'Change password and continue',
    'login.mismatch': 'The two passwords differ', 'login.refused': 'Not accepted:', 'login.slow': 'Too many attempts: wait a moment and try again.',
    'tracks.count': 'tracks', 'units.count': 'units', 'drones.count': 'drones',
    'key.next': 'Next alert', 'key.prev': 'Previous alert', 'key.fly': 'Show alert on map', 'key.ack': 'Acknowledge',
    'key.dismiss': 'Dismiss', 'key.incident': 'Open as incident', 'key.dispatch': 'Dispatch', 'key.mute': 'Sound on/off',
    'key.theme': 'Day/night', 'key.lang': 'English/Arabic', 'key.search': 'Search', 'key.measure': 'Measure', 'key.help': 'This help',
    'tab.alerts': 'Alerts', 'tab.incidents': 'Incidents', 'board.all': 'Whole border', 'incident': 'Incident',
    'incidents.none': 'No open incidents', 'units.assigned': 'Units', 'units.none': 'no unit assigned',
    'istate.new': 'New', 'istate.acknowledged': 'Acknowledged', 'istate.assigned': 'Assigned', 'istate.en_route': 'En route',
    'istate.on_scene': 'On scene', 'istate.resolved': 'Resolved',
    'outcome': 'Outcome', 'note': 'Note', 'send': 'Send', 'cancel': 'Cancel', 'close': 'Close', 'loading': 'Loading…',
    'skip': 'Skip', 'skip.reason': 'Reason for skipping', 'skipped': 'skipped', 'mandatory': 'mandatory',
    'sop': 'Checklist', 'sop.complete': 'Checklist complete', 'timeline': 'Timeline',
    'ans.yes': 'Yes', 'ans.no': 'No', 'ans.done': 'Done', 'ans.confirmed': 'Confirmed', 'ans.not_seen': 'Not seen', 'ans.false_alarm': 'False alarm',
    'ans.unknown': 'Unknown', 'ans.persons': 'Persons', 'ans.vehicle': 'Vehicle', 'ans.animal': 'Animal', 'ans.nothing': 'Nothing',
    'act.task_drone_search': 'task a drone to search', 'act.close_false_alarm': 'close as false alarm', 'act.close_escaped': 'close as escaped',
    'act.request_army_support': 'request army support', 'act.treat_as_armed': 'treat as armed', 'act.notify_partner': 'notify the partner force',
    'act.close_no_threat': 'close: no threat', 'act.close_animal': 'close: animal', 'act.close_own_forces': 'close: own forces',
    'act.task_drone_cover': 'task a drone to cover', 'act.launch_relief_drone': 'launch a relief drone', 'act.recall_drone': 'recall the drone',
    'act.close_answered': 'close: patrol answered',
    'tl.opened': 'opened', 'tl.alert_added': 'alert added', 'tl.transition': 'state', 'tl.assigned': 'unit assigned', 'tl.unit_acknowledged': 'unit acknowledged',
    'tl.sop_answered': 'checklist answered', 'tl.sop_skipped': 'checklist step skipped', 'tl.sop_action': 'checklist action', 'tl.outcome': 'outcome',
    'tl.note': 'note', 'tl.sop_mandatory_unanswered': 'mandatory step left open',
    'out.apprehended': 'Apprehended', 'out.seizure': 'Seizure', 'out.false_alarm': 'False alarm', 'out.escaped': 'Escaped', 'out.handed_over': 'Handed to partner',
    'out.persons': 'Persons', 'out.seizures': 'Goods seized', 'out.goods': 'Goods', 'out.quantity': 'Quantity', 'out.unit': 'Unit (kg, cartons…)',
    'out.value': 'Value (USD)', 'out.more': 'another item', 'out.partner': 'Partner agency', 'out.notes': 'Notes', 'out.record': 'Record outcome',
    'out.recorded': 'Outcome recorded; incident resolved',
    'dispatch.rec': 'Recommended units (nearest available first)', 'dispatch.nounits': 'No unit can reach this position',
    'dispatch.nodrone': 'No drone available', 'dispatch.more': 'more units', 'dispatch.send': 'Dispatch', 'dispatch.sent': 'Dispatched:', 'eta': 'ETA', 'onstation': 'on station',
    'unavailable': 'unavailable', 'ukind.qrf': 'QRF', 'ukind.patrol': 'Patrol',
    'replay.mode': 'REPLAY', 'replay.live': 'Back to live', 'replay.play': 'Play', 'replay.pause': 'Pause', 'replay.from': 'From', 'replay.to': 'To',
    'replay.load': 'Load', 'replay.failed': 'Replay stopped: the server refused or the link dropped',
    'replay.unavailable': 'Replay is not available on this server', 'replay.window': 'Choose a window of up to 24 h (to after from)',
    'dash.unavailable': 'The dashboard is not available on this server', 'dash.alerts24': 'alerts 24 h', 'dash.alertsopen': 'alerts open',
    'dash.incopen': 'incidents open', 'dash.inc24': 'incidents 24 h', 'dash.sensors': 'sensors OK', 'dash.holes': 'coverage holes',
    'dash.byhour': 'Alerts per hour, last 24 h', 'dash.now': 'now', 'dash.persector': 'Alerts per sector', 'dash.incidents': 'Open incidents per sector',
    'dash.response': 'Response times (median): detection → alert → dispatch → on scene', 'dash.r.alert': 'to alert', 'dash.r.dispatch': 'to dispatch',
    'dash.r.scene': 'to scene', 'dash.availability': 'Sensor availability', 'dash.holesnow': 'Coverage holes now, along the border (km)',
    'help.workflow': 'Alerts and incidents', 'help.replay': 'Replay', 'help.general': 'Map and screen',
    'key.board': 'Alert queue / incident board', 'key.choose': 'Choose: recommended unit (dispatch), answer (checklist), outcome kind',
    'key.drone': 'Drone on/off (dispatch)', 'key.send': 'Send dispatch / record outcome', 'key.skip': 'Skip checklist step (with a reason)',
    'key.outcome': 'Record the outcome', 'key.note': 'Add a note', 'key.replay': 'Replay / back to live', 'key.play': 'Play / pause',
    'key.scrub': 'Back / forward 1 min', 'key.speed': 'Faster / slower', 'key.dashboard': 'Dashboard', 'key.esc': 'Close / cancel / back to live',
    'key.ack2': 'Acknowledge (alert or incident)', 'key.incident2': 'Open as incident (or show its incident)', 'key.dispatch2': 'Dispatch: recommended units and drone with ETAs',
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
    'ack': 'تأكيد الاستلام', 'dismiss': 'إلغاء', 'fly': 'إظهار على الخريطة', 'open.incident': 'فتح حادثة', 'show.incident': 'إظهار الحادثة', 'dispatch': 'إرسال قوة',
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
    'help.title': 'اختصارات لوحة المفاتيح', 'toast.noincident': 'الحوادث غير متاحة على هذا الخادم',
    'toast.nodispatch': 'الإرسال غير متاح على هذا الخادم بعد', 'toast.failed': 'رفض الخادم: ',
    'login.user': 'المستخدم', 'login.password': 'كلمة المرور', 'login.submit': 'تسجيل الدخول',
    'login.token': 'الدخول برمز الواجهة البرمجية بدلاً من ذلك', 'login.tokenhint': 'رمز الواجهة البرمجية (API)', 'login.or': 'أو', 'login.usetoken': 'الدخول بكلمة المرور غير متاح بعد: استخدم رمز الواجهة البرمجية.',
    'login.noauth': 'تسجيل الدخول غير مُعدّ على هذا الخادم. تابع إلى الخريطة.', 'login.bad': 'لم يُقبل: تحقق من الرمز أو من اسم المستخدم وكلمة المرور.',
    'login.change': 'اختر كلمة مرور جديدة', 'login.changehint': 'كانت هذه كلمة مرور لمرة واحدة. اختر كلمة مرورك: 12 حرفاً على الأقل، ولا تتضمن اسم المستخدم.',
    'login.new': 'كلمة المرور الجديدة', 'login.repeat': 'أعد كتابة كلمة المرور الجديدة', 'login.changesubmit': 'تغيير كلمة المرور والمتابعة',
    'login.mismatch': 'كلمتا المرور مختلفتان', 'login.refused': 'لم تُقبل:', 'login.slow': 'محاولات كثيرة: انتظر قليلاً ثم أعد المحاولة.',
    'tracks.count': 'مسار', 'units.count': 'وحدة', 'drones.count': 'مسيّرة',
    'key.next': 'الإنذار التالي', 'key.prev': 'الإنذار السابق', 'key.fly': 'إظهار الإنذار على الخريطة', 'key.ack': 'تأكيد الاستلام',
    'key.dismiss': 'إلغاء', 'key.incident': 'فتح كحادثة', 'key.dispatch': 'إرسال قوة', 'key.mute': 'تشغيل/كتم الصوت',
    'key.theme': 'نهاري/ليلي', 'key.lang': 'الإنجليزية/العربية', 'key.search': 'بحث', 'key.measure': 'قياس', 'key.help': 'هذه المساعدة',
    'tab.alerts': 'الإنذارات', 'tab.incidents': 'الحوادث', 'board.all': 'كامل الحدود', 'incident': 'حادثة',
    'incidents.none': 'لا توجد حوادث مفتوحة', 'units.assigned': 'الوحدات', 'units.none': 'لم تُكلَّف وحدة',
    'istate.new': 'جديدة', 'istate.acknowledged': 'مؤكدة', 'istate.assigned': 'مكلَّفة', 'istate.en_route': 'في الطريق',
    'istate.on_scene': 'في الموقع', 'istate.resolved': 'مغلقة',
    'outcome': 'النتيجة', 'note': 'ملاحظة', 'send': 'إرسال', 'cancel': 'إلغاء الأمر', 'close': 'إغلاق', 'loading': 'جارٍ التحميل…',
    'skip': 'تخطٍّ', 'skip.reason': 'سبب التخطي', 'skipped': 'تم التخطي', 'mandatory': 'إلزامي',
    'sop': 'قائمة الإجراءات', 'sop.complete': 'اكتملت قائمة الإجراءات', 'timeline': 'التسلسل الزمني',
    'ans.yes': 'نعم', 'ans.no': 'لا', 'ans.done': 'تم', 'ans.confirmed': 'مؤكد', 'ans.not_seen': 'لم يُشاهَد', 'ans.false_alarm': 'إنذار كاذب',
    'ans.unknown': 'غير معروف', 'ans.persons': 'أشخاص', 'ans.vehicle': 'مركبة', 'ans.animal': 'حيوان', 'ans.nothing': 'لا شيء',
    'act.task_drone_search': 'تكليف طائرة مسيّرة بالبحث', 'act.close_false_alarm': 'إغلاق كإنذار كاذب', 'act.close_escaped': 'إغلاق: فرّوا',
    'act.request_army_support': 'طلب إسناد الجيش', 'act.treat_as_armed': 'التعامل معهم كمسلحين', 'act.notify_partner': 'إبلاغ الجانب الشريك',
    'act.close_no_threat': 'إغلاق: لا تهديد', 'act.close_animal': 'إغلاق: حيوان', 'act.close_own_forces': 'إغلاق: قوات صديقة',
    'act.task_drone_cover': 'تكليف طائرة مسيّرة بالتغطية', 'act.launch_relief_drone': 'إطلاق طائرة بديلة', 'act.recall_drone': 'استدعاء الطائرة',
    'act.close_answered': 'إغلاق: أجابت الدورية',
    'tl.opened': 'فُتحت', 'tl.alert_added': 'أُضيف إنذار', 'tl.transition': 'الحالة', 'tl.assigned': 'كُلّفت وحدة', 'tl.unit_acknowledged': 'أكدت الوحدة',
    'tl.sop_answered': 'إجابة في القائمة', 'tl.sop_skipped': 'تخطي خطوة', 'tl.sop_action': 'إجراء من القائمة', 'tl.outcome': 'النتيجة',
    'tl.note': 'ملاحظة', 'tl.sop_mandatory_unanswered': 'خطوة إلزامية بلا إجابة',
    'out.apprehended': 'إلقاء قبض', 'out.seizure': 'ضبط مواد', 'out.false_alarm': 'إنذار كاذب', 'out.escaped': 'فرار', 'out.handed_over': 'تسليم لجهة شريكة',
    'out.persons': 'عدد الأشخاص', 'out.seizures': 'المواد المضبوطة', 'out.goods': 'المادة', 'out.quantity': 'الكمية', 'out.unit': 'الوحدة (كغ، كرتونة…)',
    'out.value': 'القيمة (دولار)', 'out.more': 'مادة أخرى', 'out.partner': 'الجهة الشريكة', 'out.notes': 'ملاحظات', 'out.record': 'تسجيل النتيجة',
    'out.recorded': 'سُجّلت النتيجة وأُغلقت الحادثة',
    'dispatch.rec': 'الوحدات الموصى بها (الأقرب المتاحة أولاً)', 'dispatch.nounits': 'لا توجد وحدة تستطيع الوصول إلى هذا الموقع',
    'dispatch.nodrone': 'لا تتوفر طائرة مسيّرة', 'dispatch.more': 'وحدات أخرى', 'dispatch.send': 'إرسال', 'dispatch.sent': 'أُرسلت:', 'eta': 'وقت الوصول', 'onstation': 'مدة البقاء',
    'unavailable': 'غير متاحة', 'ukind.qrf': 'رد سريع', 'ukind.patrol': 'دورية',
    'replay.mode': 'إعادة عرض', 'replay.live': 'العودة إلى البث المباشر', 'replay.play': 'تشغيل', 'replay.pause': 'إيقاف مؤقت', 'replay.from': 'من', 'replay.to': 'إلى',
    'replay.load': 'تحميل', 'replay.failed': 'توقفت إعادة العرض: رفض الخادم أو انقطع الاتصال',
    'replay.unavailable': 'إعادة العرض غير متاحة على هذا الخادم', 'replay.window': 'اختر فترة لا تتجاوز 24 ساعة (النهاية بعد البداية)',
    'dash.unavailable': 'لوحة المؤشرات غير متاحة على هذا الخادم', 'dash.alerts24': 'إنذارات 24 ساعة', 'dash.alertsopen': 'إنذارات مفتوحة',
    'dash.incopen': 'حوادث مفتوحة', 'dash.inc24': 'حوادث 24 ساعة', 'dash.sensors': 'حساسات سليمة', 'dash.holes': 'ثغرات التغطية',
    'dash.byhour': 'الإنذارات في الساعة، آخر 24 ساعة', 'dash.now': 'الآن', 'dash.persector': 'الإنذارات حسب القاطع', 'dash.incidents': 'الحوادث المفتوحة حسب القاطع',
    'dash.response': 'أزمنة الاستجابة (الوسيط): الكشف ← الإنذار ← الإرسال ← الوصول', 'dash.r.alert': 'حتى الإنذار', 'dash.r.dispatch': 'حتى الإرسال',
    'dash.r.scene': 'حتى الوصول', 'dash.availability': 'جاهزية الحساسات', 'dash.holesnow': 'ثغرات التغطية الآن على طول الحدود (كم)',
    'help.workflow': 'الإنذارات والحوادث', 'help.replay': 'إعادة العرض', 'help.general': 'الخريطة والشاشة',
    'key.board': 'قائمة الإنذارات / لوحة الحوادث', 'key.choose': 'اختيار: الوحدة الموصى بها، الإجابة، نوع النتيجة',
    'key.drone': 'تضمين الطائرة المسيّرة أو لا', 'key.send': 'إرسال القوة / تسجيل النتيجة', 'key.skip': 'تخطي خطوة (مع السبب)',
    'key.outcome': 'تسجيل النتيجة', 'key.note': 'إضافة ملاحظة', 'key.replay': 'إعادة العرض / العودة إلى المباشر', 'key.play': 'تشغيل / إيقاف مؤقت',
    'key.scrub': 'رجوع / تقدم دقيقة', 'key.speed': 'أسرع / أبطأ', 'key.dashboard': 'لوحة المؤشرات', 'key.esc': 'إغلاق / إلغاء / العودة إلى المباشر',
    'key.ack2': 'تأكيد الاستلام (إنذار أو حادثة)', 'key.incident2': 'فتح كحادثة (أو إظهار حادثته)', 'key.dispatch2': 'إرسال قوة: الوحدات والطائرة الموصى بها مع أوقات الوصول',
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
