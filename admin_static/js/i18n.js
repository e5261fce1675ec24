// Interface language: English strings are the keys; Arabic is the translation. Customer and
// agent text is never translated here, only the admin's own labels.
const LANG_KEY = "nura.admin.lang";

const AR = {
  "NURA support desk": "مكتب دعم نورا", "Username": "اسم المستخدم", "Password": "كلمة المرور",
  "Sign in": "تسجيل الدخول", "Sign out": "تسجيل الخروج", "Wrong username or password.": "اسم المستخدم أو كلمة المرور غير صحيحة.",
  "Too many attempts. Wait a minute and try again.": "محاولات كثيرة. انتظر دقيقة ثم حاول مجددًا.",
  "Sign-in is not available on this server yet.": "تسجيل الدخول غير متاح على هذا الخادم بعد.",
  "Your session has ended. Sign in again.": "انتهت جلستك. سجّل الدخول مجددًا.",
  "Main": "الرئيسية", "Menu": "القائمة", "admin": "مدير", "agent": "موظف دعم", "viewer": "مشاهد",
  "Live queue": "قائمة الانتظار المباشرة", "Dashboard": "لوحة المعلومات", "Reports": "التقارير",
  "Sessions": "المحادثات", "Knowledge": "المعرفة", "Knowledge gaps": "فجوات المعرفة",
  "Canned replies": "الردود الجاهزة", "Suggestions": "الاقتراحات والشكاوى", "Contact requests": "طلبات التواصل",
  "Users": "المستخدمون", "Settings": "الإعدادات", "System": "النظام", "Not found": "غير موجود",
  "Not permitted": "غير مسموح", "Your role cannot open this page.": "دورك لا يسمح بفتح هذه الصفحة.",
  "Loading…": "جارٍ التحميل…", "Not available yet": "غير متاح بعد",
  "This part of the server is not installed yet.": "هذا الجزء من الخادم غير مثبت بعد.",
  "Pending": "بانتظار موظف", "Active": "نشطة", "Accept": "قبول", "Transfer": "تحويل", "Release": "إرجاع للقائمة",
  "Resolve": "إغلاق وحل", "Send": "إرسال", "Type a reply…": "اكتب ردًا…", "Canned reply…": "رد جاهز…",
  "Search canned replies": "ابحث في الردود الجاهزة", "Hand-off reason": "سبب التحويل", "Language": "اللغة",
  "Customer": "العميل", "Channel": "القناة", "Assigned to": "مسند إلى", "Status": "الحالة",
  "Select a conversation": "اختر محادثة", "Customer is typing…": "العميل يكتب…", "Sound": "صوت",
  "Live": "مباشر", "Reconnecting…": "جارٍ إعادة الاتصال…", "No conversations waiting.": "لا توجد محادثات بانتظار.",
  "No active conversations.": "لا توجد محادثات نشطة.", "Outcome": "النتيجة", "Issue category": "تصنيف المشكلة",
  "Root cause": "السبب الجذري", "Resolution notes": "ملاحظات الحل", "Cancel": "إلغاء", "Save": "حفظ",
  "resolved": "تم الحل", "unresolved": "لم يُحل", "escalated": "مُصعّد", "duplicate": "مكرر", "spam": "مزعج",
  "Transfer to agent": "التحويل إلى موظف", "Agent username": "اسم مستخدم الموظف",
  "Conversations": "المحادثات", "Deflection rate": "نسبة الحل الآلي", "Hand-off rate": "نسبة التحويل",
  "Resolution rate": "نسبة الحل", "Satisfaction": "الرضا", "Median time to accept": "الوسيط لزمن القبول",
  "Median time to resolve": "الوسيط لزمن الحل", "AI cost": "تكلفة الذكاء الاصطناعي", "Activity": "النشاط",
  "Answers by source": "الإجابات حسب المصدر", "Latest conversations": "أحدث المحادثات",
  "Top knowledge gaps": "أبرز فجوات المعرفة", "From": "من", "To": "إلى", "Last 7 days": "آخر ٧ أيام",
  "Last 30 days": "آخر ٣٠ يومًا", "Last 90 days": "آخر ٩٠ يومًا", "Apply": "تطبيق", "Export CSV": "تصدير CSV",
  "Intents": "النوايا", "Hand-offs": "التحويلات", "Outcomes": "النتائج", "Cost": "التكلفة", "Agent": "الموظف",
  "All": "الكل", "Search": "بحث", "Text": "النص", "Date": "التاريخ", "Messages": "الرسائل", "Export": "تصدير",
  "Transcript": "نص المحادثة", "Source": "المصدر", "Confidence": "الثقة", "Sources": "المصادر",
  "Articles": "المقالات", "Topic tree": "شجرة المواضيع", "Handbook": "الدليل", "Try a question": "جرّب سؤالًا",
  "Packs": "الحزم", "New article": "مقالة جديدة", "Title": "العنوان", "Body": "النص", "Examples (one per line)": "أمثلة (سطر لكل مثال)",
  "Keywords (comma separated)": "كلمات مفتاحية (مفصولة بفواصل)", "Category": "التصنيف", "Delete": "حذف",
  "Saved.": "تم الحفظ.", "Upload": "رفع", "Ingest now": "فهرسة الآن", "Ask": "اسأل", "Answer": "الإجابة",
  "Tier": "المستوى", "Article": "المقالة", "Import pack": "استيراد حزمة", "Export pack": "تصدير حزمة",
  "Approve": "اعتماد", "Reject": "رفض", "Mark resolved": "تعليم كمحلول", "Question": "السؤال", "Reason": "السبب",
  "Count": "العدد", "Create": "إنشاء", "Edit": "تعديل", "Role": "الدور", "Display name": "الاسم المعروض",
  "Deactivate": "تعطيل", "Activate": "تفعيل", "Reset password": "إعادة تعيين كلمة المرور", "New password": "كلمة المرور الجديدة",
  "New user": "مستخدم جديد", "AI answers": "إجابات الذكاء الاصطناعي", "Enabled": "مفعّل", "Disabled": "معطّل",
  "Turn on": "تشغيل", "Turn off": "إيقاف", "Provider": "المزود", "Company name": "اسم الشركة", "Agent name": "اسم الوكيل",
  "Business hours": "ساعات العمل", "Hand-off triggers": "محفزات التحويل", "Widget snippet": "شيفرة الأداة",
  "Preview": "معاينة", "Health": "الصحة", "Jobs": "المهام", "Failed jobs": "المهام الفاشلة", "Retry": "إعادة المحاولة",
  "Security log": "سجل الأمان", "Audit log": "سجل التدقيق", "Kind": "النوع", "Contact": "التواصل", "Name": "الاسم",
  "Phone": "الهاتف", "Description": "الوصف", "Mark handled": "تعليم كمعالج", "Reply": "الرد", "Open": "مفتوح",
  "Refresh": "تحديث", "Time": "الوقت", "Actor": "المنفذ", "Action": "الإجراء", "Target": "الهدف",
  "Nothing here yet.": "لا شيء هنا بعد.", "Not signed in": "غير مسجل", "Copy": "نسخ", "Copied.": "تم النسخ.",
  "Open now": "مفتوح الآن", "Closed now": "مغلق الآن", "Mode": "النمط", "Example question": "سؤال مثال",
  "New article from answer": "مقالة جديدة من الإجابة", "Yes": "نعم", "No": "لا", "Rating": "التقييم",
  "New hand-off": "تحويل جديد", "Accepted.": "تم القبول.", "Resolved.": "تم الإغلاق.", "Released.": "أُعيدت للقائمة.",
  "Transferred.": "تم التحويل.", "Upload history": "سجل الرفع", "File": "الملف", "Chunks": "المقاطع",
  "Add child": "إضافة فرع", "Label": "التسمية", "Save tree": "حفظ الشجرة", "Remove": "إزالة",
  "Unread": "غير مقروء", "Depth": "العمق", "Queue depth": "طول قائمة المهام", "Error": "خطأ",
  "Attempts": "المحاولات", "Customer id": "معرّف العميل", "Start": "البداية", "Filter": "تصفية", "Started": "البداية",
  "Waiting": "الانتظار", "What customers see": "ما يراه العملاء", "Handoff enabled": "التحويل مفعّل", "Business open": "مفتوح الآن", "Languages": "اللغات", "Provider setting": "إعداد المزود", "Active provider": "المزود النشط", "Streaming": "البث", "Score": "الدرجة", "Candidates": "المرشحات", "Merge": "دمج", "Documents": "المستندات", "Topic nodes": "عقد المواضيع", "Rules": "القواعد", "Vectors": "المتجهات", "Embedding space": "فضاء التضمين", "Pack": "الحزمة", "Escalated": "مصعّدة", "Handoffs": "التحويلات", "Database": "قاعدة البيانات", "Cache": "الذاكرة المؤقتة", "Ai": "الذكاء الاصطناعي", "Details": "التفاصيل", "Time to accept": "متوسط زمن القبول", "Time to resolve": "متوسط زمن الحل", "Answer rate": "نسبة الإجابة", "Server": "الخادم", "Position": "الموضع", "Colour": "اللون", "Article id": "معرّف المقالة", "Bot": "البوت", "System notice": "إشعار النظام",
  "Reset": "إعادة", "Back to": "العودة إلى", "Customer asks for a person": "العميل يطلب موظفًا",
  "Negative sentiment": "مشاعر سلبية", "Low-confidence answers in a row": "إجابات منخفضة الثقة متتالية",
  "Thumbs down": "تقييم سلبي", "Agent button in the widget": "زر الموظف في نافذة الدردشة",
  "Customers may be handed to a person": "يمكن تحويل العملاء إلى موظف", "Nothing changed.": "لم يتغير شيء.",
  "default": "الافتراضي", "file": "ملف الإعدادات", "env": "متغيرات البيئة", "override": "خيار التشغيل",
  "Handoff low confidence count": "عدد الإجابات منخفضة الثقة قبل التحويل",
  "Handoff negative sentiment count": "عدد الرسائل السلبية قبل التحويل",
  "Handoff bad feedback count": "عدد التقييمات السلبية قبل التحويل", "Business timezone": "المنطقة الزمنية لساعات العمل",
  "Days and HH:MM-HH:MM ranges separated by ';' — empty means always open.": "الأيام ونطاقات HH:MM-HH:MM مفصولة بـ ';' — الحقل الفارغ يعني مفتوحًا دائمًا.",
};

// Values the server sends as codes (session status, hand-off reason, outcome) with readable names.
const CODES = {
  bot: ["With the bot", "مع البوت"], pending_handoff: ["Waiting for an agent", "بانتظار موظف"],
  human_active: ["With an agent", "مع موظف"], resolved: ["Resolved", "تم الحل"], closed: ["Closed", "مغلقة"],
  explicit_request: ["Asked for a person", "طلب التحدث مع موظف"], direct_request: ["Agent button", "زر التحدث مع موظف"],
  negative_sentiment: ["Upset customer", "عميل منزعج"], low_confidence: ["Low confidence answers", "إجابات منخفضة الثقة"],
  bad_feedback: ["Bad feedback", "تقييم سلبي"], solved: ["Solved", "تم الحل"], unsolved: ["Not solved", "لم يُحل"],
  escalated: ["Escalated", "مُصعّد"], follow_up: ["Follow-up needed", "يحتاج متابعة"], no_response: ["No response", "لا رد"],
  duplicate: ["Duplicate", "مكرر"], spam: ["Spam", "مزعج"],
};

/** A readable name for a server code (unknown codes are shown as they are). */
export function label(code) {
  const entry = CODES[code];
  if (!entry) return code ?? "";
  return currentLang() === "ar" ? entry[1] : entry[0];
}

const DICTS = { ar: AR };

export function currentLang() {
  const stored = localStorage.getItem(LANG_KEY);
  if (stored === "ar" || stored === "en") return stored;
  return (navigator.language || "en").startsWith("ar") ? "ar" : "en";
}

export function setLang(lang) {
  localStorage.setItem(LANG_KEY, lang);
  applyLanguage(lang);
}

export function applyLanguage(lang) {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
}

/** Translate an interface label (English key). */
export function t(key) {
  const dict = DICTS[currentLang()];
  return (dict && dict[key]) || key;
}
