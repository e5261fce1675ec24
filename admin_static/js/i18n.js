// Interface language. Arabic first: the admin opens in the browser's language when it is one of
// Arabic, Kurdish Sorani (ckb, Arabic script), Kurdish Kurmanji (ku, Latin script) or English, and
// in Arabic otherwise; the choice in the top bar is remembered. English strings are the keys
// (i18n/strings.json holds their ar/ckb/ku texts); every code the server sends (statuses, reasons,
// sources, roles …) goes through i18n/codes.json, grouped by what it is. Customer and agent text
// is never translated here.
import STRINGS from "./i18n/strings.json" with { type: "json" };
import CODES from "./i18n/codes.json" with { type: "json" };

const LANG_KEY = "nura.admin.lang";
export const LANGS = ["ar", "ckb", "ku", "en"];
export const RTL = new Set(["ar", "ckb"]);
/** Each language's name in that language (shown as content, with its own lang attribute). */
export const LANG_NAMES = { ar: "العربية", ckb: "کوردی (سۆرانی)", ku: "Kurdî (Kurmancî)", en: "English" };

/** The admin language a browser language tag asks for; null when it is none of ours. */
export function fromBrowserTag(tag) {
  const lower = String(tag || "").toLowerCase();
  if (lower.startsWith("ar")) return "ar";
  if (lower.startsWith("ckb") || lower === "ku-arab" || lower.startsWith("ku-arab-") || lower === "ku-iq") return "ckb";
  if (lower.startsWith("ku") || lower.startsWith("kmr")) return "ku";
  if (lower.startsWith("en")) return "en";
  return null;
}

/** Stored choice, else the first browser language we speak, else Arabic. */
export function currentLang() {
  const stored = localStorage.getItem(LANG_KEY);
  if (LANGS.includes(stored)) return stored;
  const tags = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
  for (const tag of tags) {
    const lang = fromBrowserTag(tag);
    if (lang) return lang;
  }
  return "ar";
}

export function setLang(lang) {
  if (!LANGS.includes(lang)) return;
  localStorage.setItem(LANG_KEY, lang);
  applyLanguage(lang);
}

export function dirOfLang(lang) { return RTL.has(lang) ? "rtl" : "ltr"; }

export function applyLanguage(lang) {
  document.documentElement.lang = lang;
  document.documentElement.dir = dirOfLang(lang);
}

// Interface strings asked for that have no translation (the browser tests read it: it stays empty).
export const missing = new Set();
window.__nuraMissingStrings = missing;

/** Translate an interface string (its English text is the key). */
export function t(key) {
  const lang = currentLang();
  if (lang === "en") return key;
  const entry = STRINGS[key];
  if (!entry || !entry[lang]) missing.add(`${lang}: ${key}`);
  return (entry && entry[lang]) || key;
}

/** Like t() with {name} placeholders filled. */
export function tf(key, values) {
  return t(key).replace(/\{(\w+)\}/g, (_, name) => (values && values[name] !== undefined ? String(values[name]) : `{${name}}`));
}

// When a caller does not say which kind of code it shows, these groups are searched in order.
const DEFAULT_GROUPS = ["session_status", "handoff_reason", "outcome_status", "source", "role", "turn_role"];

/**
 * A readable name for a server code. `group` names the kind (session_status, handoff_reason,
 * gap_reason, source, …; see i18n/codes.json); unknown codes are shown as they are.
 */
export function label(code, group) {
  if (code === null || code === undefined || code === "") return "";
  const lang = currentLang();
  const groups = group ? [group] : DEFAULT_GROUPS;
  for (const name of groups) {
    const entry = CODES[name] && CODES[name][code];
    if (entry) return entry[lang] || entry.en || String(code);
  }
  return String(code);
}

/** A content language's name in the interface language ("Kurdish (Sorani)" / "الكردية (السورانية)"). */
export function langName(code) { return code ? label(code, "language") : "—"; }

/** True when the table has a name for this code in this group. */
export function hasLabel(code, group) { return !!(CODES[group] && CODES[group][code]); }

/** Every group and code the table knows (tests walk it against the server's enums). */
export function codeTable() { return CODES; }
export function stringTable() { return STRINGS; }

/**
 * The locale for dates and numbers: the interface language with Latin digits. Browsers ship no
 * date data for Sorani or Kurmanji (they fall back to US English, "3:15 PM"), so those get a
 * neutral day-first, 24-hour format instead.
 */
export function locale() {
  const lang = currentLang();
  return lang === "ckb" || lang === "ku" ? "en-GB-u-nu-latn-hc-h23" : `${lang}-u-nu-latn`;
}

/** True when the browser's Intl has no unit names for the interface language. */
export function ownUnits() { return ["ckb", "ku"].includes(currentLang()); }
