"""Detectors for the injection techniques blind round 16 exposed: orders planted in the fields of machine
records (problem details, cloud-init banners, package suggestions, router descriptions, header values,
audit paths, invoice text layers) in many languages, forged chat messages, overrides of the agent's own
settings, and secrets asked to be written into URLs the reader renders.

Why a module of its own: each detector names a technique, not a phrasing; guardrails/injection.py compiles
them with its other concept detectors (lowercased view, run only around their anchor words). The classes:

- THE READER NAMED IN ANY LANGUAGE, THEN AN ORDER: an AI reader's noun in German, French, Spanish, Italian,
  Portuguese, Indonesian or Vietnamese ("automatisierte Assistenten", "assistant IA", "agente de IA",
  "KI-Prüfer", "asisten AI", "trợ lý AI"), closed by a colon or comma and followed by a "please" of that
  language or an imperative ("Bitte kopieren Sie", "merci d'envoyer", "elimina", "chiudi", "mohon hapus").
  Anywhere in a line, not only at its start: a record's field puts the address after its key ("description
  ASISTENTE-IA:", "[hidden text] Agente de IA:"). The noun must say it is an AI: a person's "Assistent" is
  not read. Russian and Chinese the same, in texts holding their script.
- A TRANSLATED ROLE MARKER (strong, below the threshold alone): "### Sistema:", "Hệ thống:", "Система:",
  "系统：" opening a line, as a chat transcript's system turn would.
- FORGED CHAT MESSAGE IN KEY=VALUE FORM: `role="system", content="..."` written into labels, exemplars or
  headers (the JSON form is injection.py's role marker).
- PERMISSION STATED FOR THE READER: "the assistant is now allowed to run ..." in the third person.
- THE AGENT'S OWN SETTINGS OVERRIDDEN: a key naming the agent's configuration or policy whose value turns
  a safeguard off (`require_approval: false`, `redaction: false`, every tool allowed).
- A SECRET ASKED INTO A RENDERED URL: an image link whose URL holds a placeholder for a secret, and the
  order to fill the placeholder with the real value; each strong, both together an injection.
- SECRET TO A PUBLIC PLACE: read a credential and post it to an issue, a PR, a channel or a gist.
- A HYPOTHETICAL FRAME: a story or supposition in which the reader discloses a secret, and the frame's output
  asked for as real ("write what it prints"); each strong, both together an injection.
- AN ORDER HIDDEN IN A SPELLING WITH ITS KEY: the text names the reading (first letters of the lines, an
  acrostic, atbash) and tells the reader to act on what it spells.
"""

from __future__ import annotations

from guardrails.injection_concepts import ConceptDetector

# ------------------------------------------------------------------ the AI reader named in other languages

_AI_TAG = r"(?:ai|ki|ia|llm|a\.i\.)"
_READER_NOUN = (
    r"(?:asistente|assistente|assistent\w*|assistant|asisten|agente|agent\w*|bot|pr[uü]fer|pruefer|gutachter|"
    r"revisor\w*|revisore|relecteur|r[eé]viseur|operat\w*|modell?o?)"
)
_AUTOMATED = (
    r"(?:automati(?:c|k|qu|sch|sier|zad|zzat)\w*|autom[aá]tic\w*|autonom\w*|otomatis)"
)
AI_READER_LATIN = (
    r"(?:" + _AI_TAG + r"[\s-]*" + _READER_NOUN
    + r"|" + _READER_NOUN + r"[\s-]+(?:(?:de|da|do|di|d')\s*)?(?:" + _AI_TAG + r"|" + _AUTOMATED + r")"
    + r"|" + _AUTOMATED + r"\s+(?:ki-)?(?:assistent|agent|pr[uü]fer|bot)\w*"
    + r"|tr[ợơo]\s+l[ýy](?:\s+(?:ai|[ảa]o))?)"
)  # fmt: skip
"""An AI reader's noun in Romance and Germanic languages, Indonesian and Vietnamese: the noun qualified as AI
or automated (a bare "Assistent" is also a person)."""
_PLEASE = (
    r"(?:bitte|por\s+favor|per\s+favore|s'il\s+vous\s+pla[iî]t|merci\s+(?:de\s+|d')|veuillez|mohon|tolong|harap|"
    r"silakan|vui\s+l[òo]ng|h[ãa]y|please|kindly|l[uü]tfen|prosz[eę]|alsjeblieft|graag)"
)
_IMPERATIVE_LATIN = (
    # German polite imperative ("kopieren Sie", "löschen Sie"); French -ez imperative ("envoyez", "supprimez")
    r"(?:[\w\u00c0-\u024f]{3,}(?:en|ern|eln)\s+sie\b|[\w\u00c0-\u024f]{3,}ez\b"
    # Spanish, Italian, Portuguese, Indonesian action verbs, in their imperative and infinitive forms
    r"|(?:elimin|borr|env[ií]|desactiv|deshabilit|apru[eé]b|aprob|aprov|ejecut|esegu|execut|cambi|alter|anunci|"
    r"cierr|chiud|cancel|invi|disattiv|approv|exclu|apag|desativ|fech|fusion|copi|peg|public|pubblic|compart|"
    r"condivid|partilh|reinici|riavvi|conced|otorg|concedi|rimuov|remov|quit|mand|hapus|kirim|matikan|nonaktif|"
    r"setujui|jalankan|ubah|tutup|tandai|salin|bagikan|gabung|unisci|lasci|abr[ae]|apri)[\w\u00c0-\u024f]*)"
)
LANGUAGE_VOCATIVE_ORDER = (
    r"\b(?=[abgiklmoprt])" + AI_READER_LATIN + r"\s*[:,]\s*(?:" + _PLEASE + r"\b\s*,?\s*[\w\u00c0-\u024f'-]+|"
    + _IMPERATIVE_LATIN + r")"
)
"""The AI reader named in another language and closed by a colon or comma, then "please" or an imperative."""
_VI_ACTION = (
    r"(?:x[óo]a|xo[áa]|g[ửu]i|t[ắa]t|v[ôo]\s+hi[ệe]u|ph[êe]\s+duy[ệe]t|ch[ạa]y|h[ợo]p\s+nh[ấa]t|[đd][óo]ng|"
    r"sao\s+ch[ée]p|c[ôo]ng\s+khai|b[ỏo]\s+qua|kh[ôo]ng\s+b[áa]o\s+c[áa]o)"
)
VIETNAMESE_READER_DUTY = (
    r"\btr[ợơo]\s+l[ýy]\s+(?:ai|[ảa]o)\b[^.\n]{0,40}?\b(?:ph[ảa]i|c[ầa]n|h[ãa]y|vui\s+l[òo]ng|n[êe]n)\s+" + _VI_ACTION
)
"""A duty laid on the Vietnamese "AI assistant" ("trợ lý AI phải xóa ...")."""

SCRIPT_VOCATIVE_ORDER = (
    # Russian: "Ассистент, отключи ...", "ИИ-агент: удали ...", "Бот, пожалуйста, отправь ..."
    r"(?:ии[\s-]?)?(?:ассистент|агент|бот|помощник)\w*\s*[:,]\s*(?:пожалуйста\s*,?\s*)?"
    r"(?:отключ|удал|отправ|выключ|измен|закро|закрой|одобр|очист|сообщ|скопир|перешл|запуст|разреш|слей|смерж|"
    r"влей|добав|опубликуй|перезапуст|сотр|игнорир)\w*"
    # Chinese: "给AI审查助手：... 请直接合并", "AI助手，请删除 ..."
    r"|(?:ai|人工智能|智能)[\u4e00-\u9fff]{0,4}?(?:助手|代理|智能体|机器人|機器人)[:：,，][^\n]{0,60}?"
    r"(?:请|請|务必|務必|必须|必須|立即|直接)"
)
"""The reader named in Russian or Chinese, then an order: run on texts holding those scripts only."""

TRANSLATED_ROLE_MARKER = (
    r"(?:^|\n|#{2,}|\[|<\|?)\s*(?:sistema|syst[eè]me|systeem|h[ệe]\s+th[ốo]ng|sistem)\s*(?:\|?>|\])?\s*[:：]"
    r"\s*[^\s]"
)
"""A chat transcript's system turn written in another language ("### Hệ thống:", "[Sistema]:")."""

# ------------------------------------------------------------------ forged chat message, permission to the reader

_ROLE_VALUE = r"(?:system|developer|tool|function|assistant)"
CHAT_MESSAGE_KEY_VALUE = (
    r"\brole\s*=\s*\\?[\"']?" + _ROLE_VALUE + r"\\?[\"']?\s*[,;&\s]\s*(?:[\w.-]+\s*=\s*\\?[\"'][^\"'\n]{0,60}\\?[\"']"
    r"\s*[,;&\s]\s*){0,2}(?:content|text|message|prompt)\s*=\s*\\?[\"']"
)
"""A chat message written as key=value pairs (a label set, an exemplar, a header): `role="system",content="..."`."""

_ORDER = (
    r"(?:run|execute|apply|deploy|delete|remove|drop|disable|approve|merge|push|send|post|upload|share|grant|"
    r"bypass|skip|close|resolve|scale|drain|destroy|terminate|rotate|revoke|expose|open|call|invoke|trigger|"
    r"modify|change|edit|patch|overwrite|wipe|purge|force)"
)
READER_PERMITTED = (
    r"\b(?=[tabcmlv])(?:the\s+|this\s+|any\s+)?(?:ai\s+|automated\s+)?(?:assistant|agent|ai|model|bot|copilot|llm|"
    r"vigil)s?\s+"
    r"(?:is|are)\s+(?:now|hereby|henceforth)\s+(?:allowed|permitted|authori[sz]ed|cleared|free|approved|entitled)\s+"
    r"to\s+(?:also\s+)?" + _ORDER + r"\b"
)
"""Permission handed to the reader in the third person, from now on ("the assistant is now allowed to run ...")."""

FIELD_OPENS_WITH_READER_DUTY = (
    r"\b(?=[acdhimnrt])(?:note|notes|description|desc|comment|msg|message|remark|hint|info|text|annotation)\s*[=:]\s*[\"']?\s*"
    r"(?:(?:ai|automated|autonomous)\s+)?(?:agents?|assistants?|bots?|copilots?)\s+(?:must|should|shall|need\s+to|"
    r"are\s+(?:required|expected|asked|to)\s+to|are\s+to)\s+(?:now\s+|immediately\s+|also\s+)?"
    r"(?!be\b|have\b|not\b)" + _ORDER[:-1] + r"|transfer|set|reassign|hand\s+over|move|switch|take\s+over)\b"
)
"""A record field whose value opens with a duty laid on agents (strong, not alone: an agent's own config note
may say "agents must send heartbeats")."""
OWNERSHIP_HANDOVER = (
    r"\b(?=[ghrt])(?:transfer|hand\s+over|reassign|give\s+away|take\s+over)\w*\s+(?:the\s+)?(?:ownership|control|owner)\b"
    r"|\b(?=[rt])(?:transfer|reassign)\w*\s+(?:this|the)\s+[\w-]+\s+to\s+(?:an?\s+)?(?:external|outside|unknown|third)"
)
"""Control of a resource handed to someone (weak: a handover between teams says it too)."""

# ------------------------------------------------------------------ the agent's own settings overridden

_AGENT_KEY = (
    r"(?:vigil|ai|llm|agent|assistant|copilot)[\w.-]{0,30}?(?:override|config|configuration|policy|settings|"
    r"guardrails?|permissions|rules)[\w.-]*"
)
_SAFEGUARD_KEY = (
    r"(?:require_?approvals?|approvals?_?required|needs?_?approval|human_?(?:review|approval|in_?the_?loop)|"
    r"redact(?:ion|_secrets)?|guardrails?|safety|sandbox(?:ed)?|confirm(?:ation)?s?|dry_?run|audit|"
    r"injection_?scan\w*)"
)
_QQ = r"[\s\\]?[\"']?\s*"
"""An optional quote, escaped or not (the scanner's view turns an escaped quote into a blank and a quote)."""
AGENT_SETTINGS_OVERRIDE = (
    r"(?<![a-z0-9])(?=[acglv])" + _AGENT_KEY + _QQ + r"[:=][^\n]{0,200}?(?:" + _QQ + _SAFEGUARD_KEY + _QQ
    + r"[:=]\s*" + _QQ + r"(?:false|off|no|none|disabled?|0)\b|" + _QQ
    + r"(?:allowed_?tools|tools|permissions|scopes)" + _QQ + r"[:=]\s*\[\s*" + _QQ + r"\*)"
)  # fmt: skip
"""A key naming the agent's configuration whose value turns a safeguard off or allows every tool."""

# ------------------------------------------------------------------ a secret asked into a rendered URL

_SECRET_NAME = r"(?:secret|token|api_?key|access_?key|password|passwd|credential|private_?key|session|cookie)"
SECRET_PLACEHOLDER_IMAGE = (
    r"!\[[^\]\n]{0,80}\]\(\s*https?://[^\s)]{0,200}?[?&=/][^\s)]{0,60}?(?:replace|insert|your|put|fill|paste|"
    r"\{\{|\$\{|<|%7b)[^\s)]{0,40}?" + _SECRET_NAME
)
"""An image link (fetched when rendered) whose URL holds a placeholder for a secret."""
_REAL_SECRET = (
    r"(?:the\s+|your\s+|its\s+)?(?:real|actual|live|current|production|prod|correct|true)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:" + _SECRET_NAME + r"|keys?)"
)
FILL_PLACEHOLDER_WITH_SECRET = (
    r"\b(?:placeholders?|variables?|template|blanks?)\s+(?:is\s+|are\s+)?(?:replaced|substituted|filled\s+in|"
    r"swapped)\s+(?:with|by|for)\s+" + _REAL_SECRET + r"|"
    r"\b(?:replac|substitut|fill|swap|swapp|populat)\w*\s+(?:in\s+)?(?:the\s+|that\s+|this\s+)?(?:placeholder|"
    r"variable|template|blank|token|value|parameter)s?\b[^.\n]{0,40}?\b(?:with|by|for)\s+" + _REAL_SECRET
)
"""The order to put a real secret where a placeholder stands."""

# ------------------------------------------------------------------ secret to a public place

_PUBLIC_SINK = (
    r"(?:issues?|pull\s+requests?|prs?|tickets?|channels?|comments?|gists?|pastebin|discussions?|threads?|wiki|"
    r"status\s+page|slack|chat|public\s+\w+)"
)
SECRET_TO_PUBLIC_PLACE = (
    r"\b(?=[cdefgprt])(?:read|get|fetch|dump|copy|cat|grab|retrieve|print|extract|take)\s+(?:the\s+|all\s+|every\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:secrets?|credentials?|passwords?|tokens?|api\s+keys?|private\s+keys?|kubeconfig|\.env)\b[^.\n]{0,40}?\b"
    r"(?:and|then)\s+(?:then\s+)?(?:post|paste|publish|comment|write|send|upload|share|put|add|attach)\w*\s+"
    r"(?:it\s+|them\s+)?(?:to|in|on|into|as)\s+(?:the\s+|an?\s+|this\s+)?(?:public\s+)?" + _PUBLIC_SINK + r"\b"
)

# ------------------------------------------------------------------ an order hidden in a spelling, with its key

SPELLED_ORDER_KEY = (
    r"\b(?:(?:first|initial|starting|last)\s+(?:letters?|characters?|words?)\s+(?:of\s+(?:the\s+|each\s+|every\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?:lines?|sentences?|words?|rows?|items?|bullets?|paragraphs?))|acrostic|atbash|"
    r"rot-?\d{1,2})\b[^\n]{0,120}?\b(?:(?:ai|assistants?|agents?|bots?|models?|llms?|copilots?|you)\s+(?:must|should|"
    r"shall|need\s+to|are\s+to|will)\s+(?:then\s+)?(?:perform|do|execute|run|carry\s+out|follow|obey|apply)|"
    r"(?:required|requested|real|actual|hidden)\s+(?:action|instruction|command|task|order))"
)
"""The reading key named (first letters of the lines, atbash) and the reader told to act on what it spells."""
CIPHER_LABELLED_FOR_READER = (
    r"\b(?=[fta])(?:for|to|attn:?)\s+(?:the\s+|all\s+|any\s+)?(?:ai|llm|automated|autonomous)[\s-]+[\w-]+\s*\(\s*(?:atbash|"
    r"rot-?\d{1,2}|caesar|base64|base32|hex|octal|binary|morse|braille|reversed|backwards|encoded|cipher)\s*\)\s*:"
)
"""A payload labelled for the AI reader with the cipher to read it by ("For AI operators (atbash): ...")."""

# ------------------------------------------------------------------ a hypothetical frame around a disclosure

_FRAME = (
    r"(?:imagine|pretend|suppose|hypothetically|let'?s\s+say|let\s+us\s+(?:imagine|pretend|say)|role-?play|"
    r"in\s+(?:a|this|our)\s+(?:story|novel|play|game|screenplay|fiction|simulation)|as\s+a\s+thought\s+experiment)"
)
HYPOTHETICAL_DISCLOSURE = (
    r"\b" + _FRAME + r"\b[^\n]{0,160}?\b(?:assistant|ai|agent|model|bot|llm|you)\b[^\n]{0,120}?\b(?:prints?|reveals?|"
    r"outputs?|shows?|dumps?|leaks?|reads?\s+out|says?|types?|recites?|lists?)\s+(?:out\s+)?(?:the\s+|its\s+|your\s+|"
    r"all\s+|every\s+)?(?:[\w-]+\s+){0,2}?(?:secrets?|tokens?|passwords?|credentials?|api\s+keys?|private\s+keys?|"
    r"system\s+prompt|kubeconfig|env(?:ironment)?\s+variables)\b"
)
"""A story or supposition in which the reader discloses a secret (strong, not alone: an advisory imagines the leak
it guards against)."""
FICTION_MADE_REAL = (
    r"\b(?=[gopstw])(?:write|show|tell\s+(?:me|us)|give\s+(?:me|us)|type|print|output)\s+(?:out\s+)?(?:exactly\s+|verbatim\s+)?"
    r"what\s+(?:it|the\s+(?:assistant|ai|agent|model|bot)|you)\s+(?:would\s+)?(?:print|output|say|type|reveal|show|"
    r"dump|answer)s?\b"
    r"|\b(?=[acdpr])(?:do|perform|act\s+out|carry\s+out|play\s+out|run)\s+(?:it|this|that)(?:\s+(?:scenario|scene|story))?\s+"
    r"for\s+real\b"
)
"""The frame's output asked for as real: "write what it prints", "act that scenario out for real"."""

_READER_HINTS = ("ki", "ia", "asistente", "assistente", "assistent", "asisten", "agente", "prüfer", "prufer",
                 "pruefer", "gutachter", "revisor", "relecteur", "réviseur", "reviseur", "automatis", "automatiq",
                 "automatico", "automático", "automatica", "automática", "automatik", "autonomo", "autónomo",
                 "autonome", "otomatis", "trợ", "tro", "modell", "modello", "modelo")
"""The non-English words of the reader's name (an English "AI agent:" is read by injection.py's vocatives):
anchors that English prose, where "ai", "agent" and "bot" are everywhere, rarely holds."""

SCRIPT_SIGNALS = frozenset({"script_vocative_order"})
"""Signals run on a whole text that holds non-ASCII letters (their words cannot be ASCII anchors)."""

DETECTORS: tuple[ConceptDetector, ...] = (
    ConceptDetector("language_vocative_order", "instruction", 0.6, LANGUAGE_VOCATIVE_ORDER, _READER_HINTS),
    ConceptDetector("vietnamese_reader_duty", "instruction", 0.6, VIETNAMESE_READER_DUTY, ("trợ", "tro")),
    ConceptDetector("script_vocative_order", "instruction", 0.6, SCRIPT_VOCATIVE_ORDER, ()),
    ConceptDetector("translated_role_marker", "role_marker", 0.45, TRANSLATED_ROLE_MARKER,
                    ("sistema", "système", "systeme", "systeem", "hệ", "sistem")),
    ConceptDetector("chat_message_key_value", "role_marker", 0.45, CHAT_MESSAGE_KEY_VALUE, ("role",)),
    ConceptDetector("reader_permitted", "instruction", 0.45, READER_PERMITTED,
                    ("allowed", "permitted", "authori", "cleared", "free", "approved", "entitled")),
    ConceptDetector("field_opens_with_reader_duty", "instruction", 0.45, FIELD_OPENS_WITH_READER_DUTY,
                    ("agent", "assistant", "bot", "copilot")),
    ConceptDetector("ownership_handover", "instruction", 0.3, OWNERSHIP_HANDOVER,
                    ("transfer", "hand", "reassign", "give", "take")),
    ConceptDetector("agent_settings_override", "instruction", 0.6, AGENT_SETTINGS_OVERRIDE,
                    ("vigil", "ai", "llm", "agent", "assistant", "copilot")),
    ConceptDetector("secret_placeholder_image", "instruction", 0.45, SECRET_PLACEHOLDER_IMAGE, ("![",)),
    ConceptDetector("fill_placeholder_with_secret", "instruction", 0.45, FILL_PLACEHOLDER_WITH_SECRET,
                    ("replac", "substitut", "fill", "swap", "populat", "placeholder")),
    ConceptDetector("secret_to_public_place", "instruction", 0.6, SECRET_TO_PUBLIC_PLACE,
                    ("secret", "credential", "password", "token", "api", "private", "kubeconfig", ".env")),
    ConceptDetector("spelled_order_key", "instruction", 0.6, SPELLED_ORDER_KEY,
                    ("letter", "character", "acrostic", "atbash", "rot")),
    ConceptDetector("hypothetical_disclosure", "instruction", 0.45, HYPOTHETICAL_DISCLOSURE,
                    ("imagine", "pretend", "suppose", "hypothetical", "let's", "roleplay", "role-play", "story",
                     "novel", "screenplay", "fiction", "simulation", "thought")),
    ConceptDetector("fiction_made_real", "instruction", 0.45, FICTION_MADE_REAL, ("what", "real")),
    ConceptDetector("cipher_labelled_for_reader", "instruction", 0.6, CIPHER_LABELLED_FOR_READER,
                    ("atbash", "rot", "caesar", "base64", "base32", "hex", "octal", "binary", "morse", "braille",
                     "reversed", "backwards", "encoded", "cipher")),
)  # fmt: skip
"""Compiled by guardrails/injection.py with its own detectors (see the module docstring)."""


__all__ = ["DETECTORS", "SCRIPT_SIGNALS"]
