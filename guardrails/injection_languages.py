"""An order addressed to the machine reader, in the languages and scripts the other detectors do not read.

Why a module of its own: blind round 17 wrote its injections in Hindi, Polish, Turkish, Vietnamese,
Ukrainian, Czech, Swahili, Thai, Greek, Bengali, Tamil and Finnish, and the scanner's concepts (a dozen
languages, see injection_features.CONCEPTS) and its script detectors (Korean, Arabic, Hindi, Japanese,
Chinese, Russian; injection_agent_aimed.py) read none or only a part of them. Listing each attack's
words would miss the next language, so the detector is built from the same two roles an English
injection of this kind has, each an open class filled per language:

- ADDRESSEE: the machine reader named in the vocative, closing its phrase with a colon or a comma
  ("Asystencie AI:", "Msaidizi wa AI,", "Προς τον βοηθό AI:", "स्वचालित सहायक:"), or singled out by a
  condition only a model meets ("Якщо ви ШІ-агент,"). The name must say it is a machine: an AI word
  ("yapay zekâ", "ปัญญาประดิษฐ์", "AI") or "automated" qualifying an assistant, agent, bot, reviewer or
  operator noun, or a compound of them ("tekoälyavustaja"). A bare "Asistent:" is a chat transcript's
  speaker label, not an address.
- ORDER: after the address, on the same line, an imperative: the polite imperative of the language
  (Hindi "करें", Bengali "করুন", Tamil "-வும்", Greek "-τε", Ukrainian and Russian "-іть/-ите/-йте"),
  an imperative marker ("hãy", "โปรด", "jangan") or the imperative of an agent action: delete, disable,
  send, forward, copy, approve, merge, deploy, run, close, skip, ignore, and "tell no one".

The pair, not either role, is the injection: a status page says "ผู้ช่วย AI" and a changelog says
"usuń", but a line that names the machine reader and then orders it is an instruction to the reader.
A text holding one of these scripts (`SCRIPT_LETTERS`) is tried where an address can open
(`address_order_spans`); an ASCII text (Swahili, Indonesian, Finnish without its umlauts) is read around the
ASCII addressee words that anchor the detector, so ordinary English logs do not run it.
"""

from __future__ import annotations

import re
from functools import cache

from guardrails.confusables import CONFUSABLE
from guardrails.injection_concepts import ConceptDetector
from guardrails.regex_trie import trie_pattern

_SP = r"[^\S\n]"
"""A space within the line (the address and its order stand on one line)."""

# ------------------------------------------------------------------ the machine reader

_AI = (
    r"(?:\bai\b|\ba\.i\.|\bllms?\b|ии|ші|"
    r"\byapay" + _SP + r"+zek[aâ]\w*|\btekoäly\w*|\btekoaly\w*|trí" + _SP + r"+tuệ" + _SP + r"+nhân" + _SP
    + r"+tạo|\bakili" + _SP + r"+bandia|\bsztuczn\w+" + _SP + r"+inteligencj\w+|\bumělé?\w*" + _SP
    + r"+inteligenc\w+|штучн\w+" + _SP + r"+інтелект\w*|искусственн\w+" + _SP + r"+интеллект\w*|τεχνητ\w+" + _SP
    + r"+νοημοσύν\w+|ปัญญาประดิษฐ์|এআই|কৃত্রিম" + _SP + r"+বুদ্ধিমত্তা|एआई|कृत्रिम" + _SP + r"+बुद्धि\S*|"
    r"செயற்கை" + _SP + r"+நுண்ணறிவு|\bkecerdasan" + _SP + r"+buatan|\bmesterséges" + _SP + r"+intelligencia|"
    r"\binteligen[țţt]\w*" + _SP + r"+artificial\w*|בינה" + _SP + r"+מלאכותית|هوش" + _SP + r"+مصنوعی)"
)
"""Words that say "artificial intelligence" (and AI, LLM written as such) in the languages read here."""
_AUTOMATED = (
    r"(?:स्वचालित|স্বয়ংক্রিয়|தானியங்கி|อัตโนมัติ|αυτόματ\w*|автоматизован\w*|автоматичн\w*|"
    r"автоматизирован\w*|автоматическ\w*|\bautomatyczn\w*|\bzautomatyzowan\w*|\bautomatick\w*|"
    r"\bautomatizovan\w*|\botomati[ks]\w*|tự" + _SP + r"+động|\bautomaattis\w*|\bautomatikus\w*|"
    r"\bautomat\w*|\bkiotomatiki|אוטומטי\S*|خودکار)"
)
""""Automated", "automatic": the qualifier that makes a reviewer or operator a machine."""
_ROLE = (
    r"(?:सहायक|एजेंट|असिस्टेंट|बॉट|समीक्षक|मॉडल|ऑपरेटर|सहकारी|সহকারী|সহায়ক|এজেন্ট|বট|পর্যালোচক|মডেল|"
    r"অ্যাসিস্ট্যান্ট|உதவியாளர்|முகவர்|ஏஜென்ட்|மதிப்பாய்வாளர்|பாட்|ผู้ช่วย|เอเจนต์|บอท|ผู้ตรวจสอบ|ตัวแทน|"
    r"βοηθ\w*|πράκτορ\w*|μοντέλ\w*|ρομπότ|асистент\w*|ассистент\w*|агент\w*|бот\w*|помічник\w*|помощник\w*|"
    r"рецензент\w*|оператор\w*|модел\w*|\basysten\w*|\bagent\w*|\bbots?\b|\brecenzent\w*|\boperat[oö]r\w*|"
    r"\bpomocni[kc]\w*|\bpomocník\w*|\basist[ae]n\w*|\bajan\w*|\byardımcı\w*|\binceleyici\w*|trợ" + _SP
    + r"+lý|tác" + _SP + r"+tử|người" + _SP + r"+(?:duyệt|đánh" + _SP + r"+giá|kiểm" + _SP
    + r"+duyệt)|\b(?:m|wa)saidizi|\bwakala|\bmhakiki|\bavustaja\w*|\bagentti\w*|\bbotti\w*|\barvioija\w*|"
    r"\bpeninjau|\basszisztens\w*|\bügynök\w*|עוזר|סוכן|בוט|دستیار|عامل)"
)
"""Assistant, agent, bot, reviewer, operator, helper, model: the nouns an automated reader is called by."""
_TIE = r"(?:" + _SP + r"+(?:wa|de|da|do|di|του|της|ของ|का|की|के|z|ze|od)" + _SP + r"*)?"
"""A genitive word between the noun and "AI" ("msaidizi wa AI", "ผู้ช่วยของ AI")."""
_MACHINE = (
    r"(?:(?:" + _AI + r"|" + _AUTOMATED + r")[\s\-]*(?:[^\s:,]{1,20}" + _SP + r"+){0,2}?" + _ROLE
    + r"|" + _ROLE + _TIE + r"[\s\-]*" + _AI
    + r"|\btekoäly\w+|\btekoaly\w+)"
)
"""The machine reader named: qualified before ("AI asistent", "स्वचालित सहायक") or after the noun
("trợ lý AI", "Asystencie AI"), or one compound word ("Tekoälyavustaja")."""
_CONDITION = (
    r"(?:якщо|если|jeśli|jeżeli|pokud|jestli|eğer|nếu|ถ้า|หาก|\bαν\b|যদি|\bjos\b|\bikiwa\b|\bjika\b|\bapabila\b|"
    r"\bdacă\b|\bdaca\b|אם|اگر|यदि|अगर)"
)
"""The "if" that opens "if you are an AI agent" in the languages read here."""
ADDRESS = (
    r"(?:" + _MACHINE + r"[^\S\n]{0,2}[:,：،]"
    r"|" + _CONDITION + r"[^\n,.:;]{0,30}?" + _MACHINE + r")"
)
"""The reader addressed: named and closed by a colon or comma, or singled out by a condition."""

# ------------------------------------------------------------------ the order

_ORDER = (
    # polite imperatives and imperative markers: Hindi/Marathi, Bengali, Tamil, Vietnamese, Thai, Indonesian
    r"(?:करें|कीजिए|करिए|दें|दीजिए|हटाएँ|हटाएं|भेजें|चलाएँ|चलाएं|मिटाएँ|मिटाएं|करा|द्या|"
    r"করুন|দিন|পাঠান|মুছুন|চালান|ফেলুন|"
    r"வும்|ுங்கள்|நீக்க|அனுப்பு|"
    r"\bhãy\b|\bđừng\b|\bxóa\b|\bxoá\b|\btắt\b|\bgửi\b|phê" + _SP + r"+duyệt|\bbỏ" + _SP + r"+qua\b|không" + _SP
    + r"+cần|sao" + _SP + r"+chép|"
    r"โปรด|กรุณา|อนุมัติ|ลบ|ส่ง|ข้าม|ปิด|อย่า|ห้าม|"
    r"\b(?:hapus|matikan|kirim(?:kan)?|setujui|gabungkan|jalankan|lewati|abaikan|salin|tambahkan|tutup)(?:lah)?\b"
    r"|\bjangan\b|"
    # Greek: the second-person plural imperative ("αντιγράψτε", "διαγράψτε", "εγκρίνετε"), "μην" (do not)
    r"[\u0370-\u03ff]\w*(?:στε|ψτε|ξτε|ετε|ατε)\b|\bμην\b|"
    # Ukrainian and Russian: the plural imperative ("вимкніть", "надішліть", "удалите", "отправьте")
    r"\w+(?:іть|ійте|йте|ите|ьте)\b|"
    # Polish, Czech, Slovak: the imperatives of the agent's actions
    r"\b(?:usuń|wyłącz|wyślij|prześlij|skopiuj|dodaj|zatwierdź|scal|uruchom|zamknij|pomiń|zignoruj|wykonaj|"
    r"wdróż|udostępnij|zgłoś|smaž|vymaž|odstraň|odstráň|spusť|spusti|vypni|pošli|odešli|zkopíruj|přidej|"
    r"schval|schváľ|sluč|zavři|přeskoč|ignoruj|nahlas|ohlas|hlaš|nahlaš|nasaď)(?:cie|te)?\b"
    r"|\bnie" + _SP + r"+(?:informuj|mów|wspominaj)\w*|\bne(?:říkej|zmiňuj|informuj)\w*|"
    # Turkish: the action stems with the polite imperative, or bare; "söyleme" (do not tell)
    r"\b(?:sil|kaldır|kapat|gönder|ekle|ekleyin|listele|onayla|birleştir|çalıştır|bırak|atla|yoksay|paylaş|"
    r"kopyala|dağıt|ilet|bildir|söyle)(?:[yn]?[iıuü]n(?:[iıuü]z)?)?\b|\b(?:söyleme|bahsetme)\w*|"
    # Swahili: bare and subjunctive imperatives, "usi-" (do not)
    r"\b(?:funga|futa|zima|tuma|ongeza|idhinisha|endesha|ruka|puuza|nakili|unganisha|sambaza)\b"
    r"|\bu(?:zime|fute|tume|funge|ongeze|idhinishe|endeshe|ruke|puuze)\b|\busi[a-z]{4,}\b|"
    # Finnish: the imperatives (singular bare stem, plural -kaa/-kää) and "älä" (do not)
    r"\b(?:lisää|välitä|poista|kopioi|lähetä|hyväksy|yhdistä|suorita|sulje|ohita|ilmoita|käynnistä|"
    r"merkitse)(?:kaa|kää)?\b|\bälä(?:kää)?\b|"
    # Hungarian, Romanian, Hebrew, Persian
    r"\b(?:töröld|kapcsold" + _SP + r"+ki|küldd|hagyd" + _SP + r"+jóvá|futtasd|másold|zárd" + _SP + r"+le)\b|"
    r"\bne" + _SP + r"+(?:szólj|említsd)\b|"
    r"\b(?:[șş]terge|dezactiveaz[ăa]|trimite|aprob[ăa]|ruleaz[ăa]|copiaz[ăa]|adaug[ăa]|închide|ignor[ăa])\b"
    r"|\b(?:[șş]terge[țţ]i|dezactiva[țţ]i|trimite[țţ]i|aproba[țţ]i|rula[țţ]i|copia[țţ]i|închide[țţ]i)\b|"
    r"מחק|כבה|שלח|אשר|מזג|הרץ|העתק|סגור|דלג|התעלם|אל" + _SP + r"+ת|"
    r"بفرست|بکن|کن\b|نگو|نادیده" + _SP + r"+بگیر)"
)
"""Imperatives in the languages read here: the polite imperative forms, the imperative markers, and the
imperatives of what an agent can be made to do (delete, disable, send, copy, approve, merge, run, close,
skip, ignore, tell no one)."""

ADDRESS_ORDER = ADDRESS + r"[^\n]{0,200}?(?:" + _ORDER + r")"
"""The reader addressed, then ordered, on one line."""

SIGNAL = "address_order_languages"
KIND = "instruction"
WEIGHT = 0.6
"""An address with its order is an instruction to the reader: above the threshold alone."""
SCRIPT_LETTERS = re.compile(
    "[\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff\u0590-\u05ff\u0600-\u06ff\u0900-\u0bff\u0e00-\u0e7f\u1e00-\u1eff]"
)
"""Latin letters with diacritics (Polish, Czech, Turkish, Vietnamese, Finnish, Romanian), Greek, Cyrillic,
Hebrew, Arabic script, Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil and Thai."""

_STARTS = (
    # the first word of every way an address can open: the AI words of `_AI`, the "automated" words of
    # `_AUTOMATED`, the nouns of `_ROLE` and the conditions of `_CONDITION` (prefixes are enough)
    "ai", "a.i.", "llm", "ии", "ші", "yapay", "tekoäly", "tekoaly", "trí", "akili", "sztuczn", "umě", "штучн",
    "искусствен", "τεχνητ", "ปัญญาประดิษฐ์", "এআই", "কৃত্রিম", "एआई", "कृत्रिम", "செயற்கை", "kecerdasan",
    "mesterséges", "inteligen", "בינה", "هوش", "स्वचालित", "স্বয়ংক্রিয়", "தானியங்கி", "อัตโนมัติ", "αυτόματ",
    "автомат", "automat", "zautomat", "otomati", "tự", "kiotomatiki", "אוטומטי", "خودکار",
    "सहायक", "एजेंट", "असिस्टेंट", "बॉट", "समीक्षक", "मॉडल", "ऑपरेटर", "सहकारी", "সহকারী", "সহায়ক", "এজেন্ট", "বট",
    "পর্যালোচক", "মডেল", "অ্যাসিস্ট্যান্ট", "உதவியாளர்", "முகவர்", "ஏஜென்ட்", "மதிப்பாய்வாளர்", "பாட்", "ผู้ช่วย",
    "เอเจนต์", "บอท", "ผู้ตรวจสอบ", "ตัวแทน", "βοηθ", "πράκτορ", "μοντέλ", "ρομπότ", "асистент", "ассистент",
    "агент", "бот", "помічник", "помощник", "рецензент", "оператор", "модел", "asysten", "agent", "bot",
    "recenzent", "operat", "pomocn", "asist", "ajan", "yardımcı", "inceleyici", "trợ", "tác", "người", "msaidizi",
    "wasaidizi", "wakala", "mhakiki", "avustaja", "arvioija", "peninjau", "asszisztens", "ügynök", "עוזר",
    "סוכן", "בוט", "دستیار", "عامل",
    "якщо", "если", "jeśli", "jeżeli", "pokud", "jestli", "eğer", "nếu", "ถ้า", "หาก", "αν", "যদি", "jos", "ikiwa",
    "jika", "apabila", "dacă", "daca", "אם", "اگر", "यदि", "अगर",
)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The start words as one prefix tree, and `ADDRESS_ORDER`, both folded like the text (`CONFUSABLE`);
    compiled at first use."""
    starts = re.compile(trie_pattern({word.translate(CONFUSABLE) for word in _STARTS}))
    return starts, re.compile(ADDRESS_ORDER.translate(CONFUSABLE))


def address_order_spans(lowered: str) -> list[tuple[int, int]]:
    """Where a lowercased, folded text holding one of `SCRIPT_LETTERS` addresses the machine reader and then
    orders it (`ADDRESS_ORDER`).

    Why not a detector searched over the text: the address has a hundred-odd alternatives in a dozen scripts,
    and a search tries them all at every character (half a millisecond for a short line). One pass of a prefix
    tree finds the few places where an address can open, and the pattern is tried there only. An ASCII text is
    left to the detector (`DETECTORS`), which runs around its ASCII anchor words."""
    if lowered.isascii() or SCRIPT_LETTERS.search(lowered) is None:
        return []
    starts, address_order = _patterns()
    spans: list[tuple[int, int]] = []
    reached = 0
    for start in starts.finditer(lowered):
        at = start.start()
        if at < reached:
            continue
        m = address_order.match(lowered, at)
        if m is not None and m.end() > at:
            spans.append(m.span())
            reached = m.end()
    return spans


_HINTS = (
    # the ASCII words that name the machine reader in languages that can be written in ASCII alone
    "msaidizi", "wasaidizi", "wakala", "mhakiki", "asysten", "asisten", "asistan", "yapay", "tekoaly", "avustaja",
    "agentti", "botti", "arvioija", "otomati", "automaattis", "automatyczn", "automatick", "kiotomatiki",
    "kecerdasan", "akili", "peninjau", "asszisztens", "pomocni", "recenzent", "ikiwa", "jika", "apabila",
)

DETECTORS: tuple[ConceptDetector, ...] = (
    ConceptDetector(SIGNAL, KIND, WEIGHT, ADDRESS_ORDER, _HINTS),
)
"""Compiled by guardrails/injection.py with its own detectors, for ASCII texts (see the module docstring)."""


__all__ = ["ADDRESS", "ADDRESS_ORDER", "DETECTORS", "KIND", "SCRIPT_LETTERS", "SIGNAL", "WEIGHT", "address_order_spans"]
