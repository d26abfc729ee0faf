"""Requests in untrusted text to bypass a control of the response process, addressed to whoever reads it.

The class: a log line, annotation, commit message or ticket comment that asks its reader to skip or weaken
a control (approval, review, sign-off, change freeze, dry-run, confirmation, audit logging, rollback plan,
two-person rule) or to perform a privileged action directly (apply, merge, deploy, delete, scale, rotate,
grant), addressed to a generic reader ("note for whoever triages", "to the on-call", "if you are reading
this", "responder:") or justified as already authorised ("already approved by X", "per CAB-1234"). The
text never names an AI, so the scanner's address detectors (injection.py) miss it; and its words are the
ones real change and incident text uses ("approval was skipped per policy EC-2", "CAB approved the
rollback", "the pipeline skips approval for docs-only changes", "do not skip the approval step").

Why a module with its own combination rule instead of weighted patterns: the existing weak signals
(`authority`, `no_human`) already match the bypass words themselves ("skip the approval", "no need for
review"), so one more weighted pattern over the same words would be counted twice by the noisy-OR and
flag a lone policy sentence. Here the roles are found separately and combined explicitly:

- REQUEST TO BYPASS (core): a request act (a clause-initial imperative, "please", "just", "go ahead and",
  "you can", "could you", a Spanish or French imperative, a German "bitte ... überspringen", a Japanese
  "...してください", a Chinese "请跳过") whose object is a control, or a claim that the control does not
  count today ("the approval step is just a formality", "the freeze does not apply today"). Reports do not
  match: "skips", "was skipped", "skipped", "跳过了" are not request forms, and "do not skip" has a
  negation where the request marker must stand. A scope after the control ("for docs-only changes", "if
  ...", "unless ...") makes it policy, not a request.
- DIRECT PRIVILEGED ACTION (core): a request act whose verb is a privileged action done "directly",
  "straight to prod", "without waiting for approval" (German "direkt", Spanish "directamente", French
  "directement", Japanese "直接/そのまま", Chinese "直接").
- READER ADDRESS: the text turns to whoever reads it (the on-call, the responder, "whoever picks this up",
  "if you are reading this", "an die Bereitschaft", "para quien atienda", "à l'astreinte", "対応者の方へ",
  "值班同学").
- PRE-AUTHORISATION: a claim that makes the bypass look sanctioned ("already approved by", "pre-approved",
  "per CAB-1234", "sign-off is already on file", "bereits freigegeben", "ya está aprobado", "déjà validé",
  "承認済み", "已经审批").
- EXCEPTION: "this once", "just this time", "ausnahmsweise", "solo esta vez", "pour cette fois", "今回だけ",
  "下不为例".

A core is reported (kind `control_bypass`, weight `WEIGHT`) only with a reader address or a
pre-authorisation in its passage, or with two other roles (the other core, an exception). A core alone,
an address alone, or a claim of approval alone is what ordinary change text says, and scores nothing.
"""

from __future__ import annotations

import bisect
import re

from guardrails.injection_bypass_languages import LATIN_ANCHOR_WORDS as _LANGUAGE_ANCHOR_WORDS
from guardrails.injection_bypass_languages import compiled as _language_roles
from guardrails.injection_bypass_languages import language_cores, prohibited_or_scoped, skipped_reports
from guardrails.regex_trie import first_char_alternation

WEIGHT = 0.6
"""A combined request: above the scanner's threshold (0.5) on its own."""
KIND = "control_bypass"
SIGNAL = "control_bypass"
_REACH = 300
"""Characters either side of a core searched for its supporting roles (within the same paragraph)."""

# ------------------------------------------------------------------ controls of the response process

_CONTROL_EN = (
    r"(?:(?:manual\s+|human\s+|cab\s+|change\s+|formal\s+|final\s+|second\s+|extra\s+|usual\s+|normal\s+|"
    r"standard\s+|required\s+|mandatory\s+)*"
    r"(?:approvals?|approval\s+(?:step|gate|process|flow|workflow|stage)|(?:code\s+|peer\s+|security\s+)?reviews?|"
    r"review\s+(?:step|gate|process)|sign[\s-]?offs?|(?:change|deploy(?:ment)?|release|code)[\s-]freeze|freeze|"
    r"dry[\s-]?runs?|confirmations?|confirm(?:ation)?\s+(?:prompts?|step)|audit(?:\s+(?:log(?:ging|s)?|trail))?|"
    r"audit[\s-]logging|logging|rollback\s+plans?|two[\s-](?:person|man)\s+(?:rule|review|check)|"
    r"four[\s-]eyes(?:\s+(?:rule|principle|check|review))?|(?:second\s+)?(?:reviewer|approver)s?|"
    r"cab(?:\s+(?:review|approval|ticket|process))?|change\s+(?:ticket|request|process|control|board)|"
    r"(?:ci|status|safety|policy|preflight|pre-?deploy|required)\s+checks?|branch\s+protection|checks|"
    r"canary(?:\s+(?:stage|phase|step))?|staging|change\s+management))\b"
)  # fmt: skip
"""A control of the response process, named in English with its usual qualifiers."""

_POLICY_SCOPE = (
    r"(?!\s*(?:step\s+|gate\s+|stage\s+)?(?:(?:for|on|of|in|with)\s+(?:all\s+|any\s+)?(?:[\w-]+\s+){0,2}?"
    r"(?:[\w]+-only|docs?|documentation|typos?|trivial|minor|cosmetic|dependabot|renovate|generated|draft|"
    r"non-?prod\w*|dev|test)\b|(?:only\s+)?(?:if|when|whenever|unless|until|where)\b))"
)
"""After a control: a scope that makes the sentence a policy ("skip review for docs-only changes", "skip the
dry-run if the diff is empty"), not a request to bypass it now."""

_BOUND = r"(?:^|(?<=[\n.:;!?,(\[\"'>*\u2022|\u2013\u2014-])|(?<=\band\s)|(?<=\bthen\s)|(?<=\bso\s))"
"""Where a clause starts: an imperative stands here."""
_ASK = (
    r"(?:please|pls|plz|kindly|just|simply|go\s+ahead\s+and|feel\s+free\s+to|(?:you|we)\s+(?:can|may|could)"
    r"(?:\s+(?:safely|just|also|totally))?|can\s+you|could\s+you|would\s+you|(?:it'?s|it\s+is)\s+(?:fine|ok(?:ay)?|"
    r"safe)\s+to|ok(?:ay)?\s+to|safe\s+to|fine\s+to|(?:i|we)\s+need\s+you\s+to|you'?ll\s+(?:want|need)\s+to)"
)
"""Words that make the following verb a request to the reader."""
_REQUEST_EN = _BOUND + r"\s*(?:" + _ASK + r"\s+){0,2}"
_BYPASS_VERB_EN = (
    r"(?:skip|bypass|waive|ignore|omit|forgo|forego|circumvent|override|sidestep|disable|turn\s+off|drop|"
    r"leave\s+out|dispense\s+with|get\s+around|do\s+without|don'?t\s+(?:bother\s+with|wait\s+(?:for|on))|"
    r"(?:there'?s\s+|there\s+is\s+)?no\s+need\s+(?:for|to\s+(?:wait\s+(?:for|on)|get|request|do|run|go\s+through|"
    r"bother\s+with))|(?:there'?s\s+)?no\s+time\s+for)"
)
_DET_EN = r"(?:(?:the|this|that|any|all|a|an|our|its|your|these|those)\s+)?"
BYPASS_EN_ASKED = (
    _REQUEST_EN + _BYPASS_VERB_EN + r"\s+" + _DET_EN + r"(?:[\w-]+\s+){0,2}?" + _CONTROL_EN + _POLICY_SCOPE
)
BYPASS_EN_CLAIMED = (
    r"\b(?:the\s+)?" + _CONTROL_EN + r"(?:\s+(?:step|gate|process|stage))?\s+(?:is|are)\s+(?:(?:just|only|merely|"
    r"purely|basically|really)\s+)?(?:a\s+)?(?:formality|rubber[\s-]stamp)"
    + r"|\b(?:the\s+)?" + _CONTROL_EN + r"\s+(?:does\s+not|doesn'?t|won'?t)\s+apply\s+(?:today|now|here|this\s+time|"
    r"to\s+(?:this|you|us|today))"
)  # fmt: skip
BYPASS_EN = BYPASS_EN_ASKED + "|" + BYPASS_EN_CLAIMED
"""A request to skip a control, or a claim that it does not count today."""

_ACTION_EN = (
    r"(?:apply|merge|deploy|push|ship|release|roll\s*out|promote|delete|remove|drop|purge|wipe|scale|rotate|grant|"
    r"revoke|disable|roll\s*back|revert|run|execute|restart|approve|force[\s-]?(?:merge|push)|patch|upgrade|"
    r"fail\s*over|cut\s*over|migrate)"
)
DIRECT_EN = (
    _REQUEST_EN + _ACTION_EN + r"\b[^.\n;!?]{0,60}?\s(?:directly|straight\s+(?:to|into|on(?:to)?|through)|right\s+"
    r"(?:to|into)\s+prod\w*|without\s+(?:(?:waiting|asking)\s+(?:for|on)\s+|going\s+through\s+|a\s+|any\s+|the\s+|"
    r"further\s+|an?\s+)*" + _CONTROL_EN + r"|bypassing\s+(?:the\s+)?[\w-]+)"
)  # fmt: skip
"""A request for a privileged action done directly, past the process."""

# ------------------------------------------------------------------ German, Spanish, French

_CONTROL_DE = (
    r"(?:freigabe|genehmigung|pr[uü]fung|pruefung|[uü]berpr[uü]fung|review|code-review|abnahme|"
    r"vier-?augen-?(?:prinzip|pr[uü]fung|kontrolle)?|[aä]nderungssperre|aenderungssperre|change-freeze|freeze|"
    r"trockenlauf|testlauf|dry-run|best[aä]tigung|audit(?:-log)?|protokollierung|rollback-plan|cab(?:-freigabe)?|"
    r"change-ticket)\w*"
)
_BYPASS_INF_DE = r"(?:[uü]berspringen|umgehen|auslassen|weglassen|ignorieren|[uü]bergehen|deaktivieren|abschalten)"
BYPASS_DE = (
    r"\b(?:bitte|einfach|ruhig|gerne|kannst\s+du|k[oö]nnen\s+sie|k[oö]nntest\s+du|d[uü]rft\s+ihr)\s+"
    r"(?:(?:die|den|das|heute|diesmal|einmal|ausnahmsweise|mal|doch)\s+)*(?:[\w-]+\s+){0,2}?" + _CONTROL_DE
    + r"\s+(?:[\w-]+\s+){0,3}?" + _BYPASS_INF_DE + r"\b"
    + r"|\b" + _CONTROL_DE + r"\s+(?:kannst\s+du|k[oö]nnen\s+sie|k[oö]nnt\s+ihr|darfst\s+du|d[uü]rfen\s+sie)\s+"
    r"(?:[\w-]+\s+){0,3}?" + _BYPASS_INF_DE + r"\b"
    + r"|" + _BOUND + r"\s*(?:[uü]berspring|umgeh|ignorier|deaktivier)(?:e|t|en\s+sie)?\s+(?:die|den|das)\s+"
    r"(?:[\w-]+\s+){0,2}?" + _CONTROL_DE
    + r"|\b" + _CONTROL_DE + r"\s+(?:ist|sind)\s+(?:heute\s+|diesmal\s+)?(?:nur|blo[sß]|lediglich|reine)\s+"
    r"(?:eine\s+)?formalit[aä]t"
)  # fmt: skip
DIRECT_DE = (
    r"\b(?:bitte\s+|einfach\s+)?(?:[\w-]+\s+){0,4}?(?:direkt|ohne\s+(?:[\w-]+\s+)?" + _CONTROL_DE + r")\s+"
    r"(?:(?:auf|in|nach)\s+(?:die\s+)?(?:prod\w*|live)\s+)?(?:anwenden|ausrollen|deployen|einspielen|mergen|"
    r"l[oö]schen|zur[uü]ckrollen|ausf[uü]hren|[uü]bernehmen|durchf[uü]hren|pushen|freischalten)\b"
)
_CONTROL_ES = (
    r"(?:aprobaci[oó]n|revisi[oó]n|visto\s+bueno|firma|congelaci[oó]n(?:\s+de\s+cambios)?|confirmaci[oó]n|"
    r"auditor[ií]a|dry-run|simulaci[oó]n|plan\s+de\s+(?:rollback|reversi[oó]n)|cab|ticket\s+de\s+cambio|"
    r"control\s+de\s+cambios|doble\s+verificaci[oó]n)"
)
BYPASS_ES = (
    r"(?:" + _BOUND + r"\s*|\b(?:por\s+favor|puedes|podr[ií]as|pod[eé]is|solo|s[oó]lo|simplemente)\s*,?\s*)"
    r"(?:omit[ea]|omitid|omitir|s[aá]ltate|s[aá]ltense|salta|saltar|ignora|ignorar|evita|evitar|pasa\s+por\s+alto|"
    r"pasar\s+por\s+alto|desactiva|desactivar|prescinde\s+de|prescindir\s+de|obvia|obviar)\s+"
    r"(?:(?:el|la|los|las|este|esta)\s+)?(?:(?:paso|proceso|tr[aá]mite)\s+de\s+(?:la\s+)?)?" + _CONTROL_ES
    + r"|\bno\s+(?:hace\s+falta|es\s+necesari[oa]|necesitas)\s+(?:esperar\s+)?(?:(?:el|la|los|las)\s+)?"
    + _CONTROL_ES + r"(?!\s+(?:para|en)\s+(?:cambios|los\s+cambios)\s+(?:de\s+)?(?:solo|s[oó]lo|documentaci))"
    + r"|\b(?:la\s+|el\s+)?" + _CONTROL_ES
    + r"\s+es\s+(?:solo\s+|s[oó]lo\s+)?(?:una\s+)?(?:mera\s+|simple\s+)?formalidad"
)  # fmt: skip
DIRECT_ES = (
    r"(?:" + _BOUND + r"\s*|\b(?:por\s+favor|puedes|podr[ií]as|solo|s[oó]lo|simplemente)\s*,?\s*)"
    r"(?:aplica|aplicad|aplicar|despliega|desplegar|fusiona|fusionar|mergea|borra|borrar|elimina|eliminar|ejecuta|"
    r"ejecutar|revierte|revertir|haz|hacer|sube|subir|lanza|lanzar)\b[^.\n;!?]{0,60}?\s(?:directamente|"
    r"sin\s+(?:esperar\s+)?(?:(?:la|el)\s+)?" + _CONTROL_ES + r")"
)  # fmt: skip
_CONTROL_FR = (
    r"(?:approbation|validation|revue(?:\s+de\s+code)?|relecture|signature|gel\s+des\s+(?:changements|"
    r"d[ée]ploiements|mises\s+en\s+production)|gel|confirmation|audit|journalisation|dry-run|simulation|"
    r"plan\s+de\s+(?:retour\s+arri[eè]re|rollback)|cab|ticket\s+de\s+changement|double\s+contr[oô]le)"
)
BYPASS_FR = (
    r"(?:" + _BOUND + r"\s*|\b(?:merci\s+de|veuillez|pouvez-vous|vous\s+pouvez|tu\s+peux|il\s+suffit\s+de|"
    r"n'h[ée]sitez\s+pas\s+[àa]|simplement|juste)\s+)"
    r"(?:sautez|sauter|saute|ignorez|ignorer|ignore|contournez|contourner|contourne|passez\s+outre|passer\s+outre|"
    r"zappez|zapper|court-circuitez|court-circuiter|omettez|omettre|d[ée]sactivez|d[ée]sactiver|oubliez|oublier)\s+"
    r"(?:[àa]\s+)?(?:l'|la\s+|le\s+|les\s+|cette\s+|ce\s+)?(?:(?:[ée]tape|processus|phase)\s+d(?:e\s+|')(?:la\s+|l')?)?"
    + _CONTROL_FR
    + r"|\bpas\s+besoin\s+d(?:e\s+|')(?:attendre\s+)?(?:la\s+|le\s+|l')?" + _CONTROL_FR
    + r"|\b(?:la\s+|le\s+|l')?" + _CONTROL_FR + r"\s+(?:n'est\s+qu'une|est\s+(?:juste\s+|seulement\s+)?une\s+"
    r"(?:simple\s+)?)\s*formalit[ée]"
)  # fmt: skip
DIRECT_FR = (
    r"(?:" + _BOUND + r"\s*|\b(?:merci\s+d[e']|veuillez|pouvez-vous|vous\s+pouvez|tu\s+peux|simplement|juste)\s*)"
    r"(?:appliquez|appliquer|applique|d[ée]ployez|d[ée]ployer|d[ée]ploie|fusionnez|fusionner|mergez|merger|"
    r"supprimez|supprimer|ex[ée]cutez|ex[ée]cuter|lancez|lancer|poussez|pousser|revenez|revenir)\b[^.\n;!?]{0,60}?\s"
    r"(?:directement|sans\s+(?:attendre\s+)?(?:la\s+|le\s+|l')?" + _CONTROL_FR + r")"
)  # fmt: skip

# ------------------------------------------------------------------ Japanese, Chinese

_CONTROL_JA = (
    r"(?:承認|レビュー|確認|監査(?:ログ)?|ドライラン|変更凍結|チェンジフリーズ|"
    r"サインオフ|ダブルチェック|二人(?:体制|承認)|決裁|稟議|cab)"
)
BYPASS_JA = (
    _CONTROL_JA + r"(?:ステップ|手順|フロー|プロセス|作業)?(?:は|を|も)?(?:今回(?:は|だけ)?|一旦|とりあえず)?"
    r"(?:省略|スキップ|飛ばし|飛ば|省い|無視|パス)(?:して(?:ください|下さい|ok|いい|構いません|大丈夫|おいて)|"
    r"しちゃって|で(?:ok|いい|大丈夫|構いません|お願い))"
    r"|" + _CONTROL_JA + r"(?:は|も)?(?:形式的|形だけ|形式上)"
)
DIRECT_JA = (
    r"(?:直接|そのまま|すぐ(?:に)?)(?:本番(?:環境)?(?:に|へ))?(?:適用|デプロイ|マージ|削除|ロールバック|実行|反映|リリース)"
    r"(?:して(?:ください|下さい|ok|いい|構いません|大丈夫)|しちゃって|を?お願い|でok)"
    r"|" + _CONTROL_JA + r"(?:なし|抜き)で(?:直接|そのまま)?(?:適用|デプロイ|マージ|削除|ロールバック|実行|反映)"
)
_CONTROL_ZH = (
    r"(?:审批|審批|审核|審核|评审|評審|审查|審查|复核|複核|代码审查|review|确认|確認|审计|審計|变更冻结|變更凍結|封网|封網|"
    r"双人复核|雙人複核|回滚方案|回滾方案|演练|演練|签字|簽字|签核|簽核|cab)"
)
_NOT_ZH = (
    r"(?<!不要)(?<!不能)(?<!不得)(?<!禁止)(?<!不可)(?<!切勿)(?<!请勿)"
    r"(?<!請勿)(?<!别)(?<!別)(?<!没有)(?<!沒有)(?<!未)"
)
"""No negation before the verb: "不要跳过审批" (do not skip approval) warns, it does not ask."""
BYPASS_ZH = (
    _NOT_ZH + r"(?:跳过|跳過|绕过|繞過|省略|忽略|免去|略过|略過|不走|不用走|不用等|无需|無需|不需要|不用)(?:一下|掉)?"
    r"(?:这次的?|這次的?|本次的?)?的?" + _CONTROL_ZH
    + r"|" + _CONTROL_ZH + r"(?:流程|步骤|步驟|环节|環節)?(?:就|只是|不过是|不過是)"
    r"(?:个|個|一个|一個)?(?:形式|走过场|走過場)"
)
DIRECT_ZH = (
    _NOT_ZH + r"直接(?:在)?(?:生产|生產|线上|線上)?(?:环境|環境)?(?:上)?"
    r"(?:应用|應用|部署|合并|合併|删除|刪除|回滚|回滾|执行|執行|上线|上線|发布|發布|推送|重启|重啟|apply|merge|deploy)(?!了|過|过)"
)

# ------------------------------------------------------------------ supporting roles

ADDRESS = (
    # English: a note for a generic reader, a vocative or label naming the on-call or responder
    r"\b(?:note|message|heads[\s-]?up|fyi|psa|reminder|memo|ask|request|instructions?)\s+(?:for|to)\s+"
    r"(?:whoever|whomever|anyone|the\s+(?:next\s+)?(?:person|one|engineer|responder|on-?call|triager|reviewer|"
    r"reader|operator|shift))"
    r"|(?:\b(?:to|for|attn:?|attention:?|dear|hey|hi|hello)\s*|@)(?:the\s+)?(?:on-?call(?:\s+(?:engineer|person|sre|"
    r"team))?|oncall|responders?|triagers?|whoever|whomever|next\s+(?:responder|person|shift)|incident\s+"
    r"(?:commander|responder)|sre\s+on\s+(?:duty|call)|person\s+(?:on\s+call|triaging|reading|handling))\b"
    r"|\bwhoever\s+(?:is\s+)?(?:triag|read|pick|handl|see|look|get|review|process|work|on\b)\w*"
    r"|\bif\s+you(?:'re|\s+are)\s+(?:reading|seeing|triaging|looking\s+at|handling|picking\s+up)\s+this"
    r"|\bto\s+whom\s+it\s+may\s+concern"
    r"|(?:^|[\n\"'{>]|\bmsg=|\bmessage=|:\s)\s*(?:on-?call|responders?|triager|reader|bot|automation|operator)"
    r"\s*[:,]\s"
    # German
    r"|\b(?:an|f[uü]r)\s+(?:den|die|das|alle)?\s*(?:bereitschaft\w*|rufbereitschaft|diensthabend\w*|on-?call|"
    r"wer\s+(?:auch\s+)?immer)"
    r"|\bwer\s+(?:auch\s+)?(?:immer\s+)?(?:das|dies|diesen?\s+\w+)\s+(?:gerade\s+)?(?:liest|bearbeitet|sieht|"
    r"[uü]bernimmt|triagiert)"
    r"|\bfalls\s+(?:du|sie|ihr)\s+(?:das|dies)\s+(?:gerade\s+)?(?:liest|lesen|lest)"
    r"|\bhinweis\s+(?:an|f[uü]r)\s+(?:den|die|alle|wen)"
    # Spanish
    r"|\b(?:para|a)\s+quien\s+(?:lea|atienda|revise|vea|est[eé]\s+de\s+guardia|le\s+toque)"
    r"|\b(?:al|a\s+la|para\s+el|para\s+la)\s+(?:persona\s+|equipo\s+|compa[nñ]er[oa]\s+)?de\s+guardia"
    r"|\bsi\s+(?:est[aá]s|est[aá]is|est[aá]n)\s+leyendo\s+esto"
    # French
    r"|\b(?:[àa]|pour)\s+(?:quiconque|celui\s+ou\s+celle\s+qui|celui\s+qui|celle\s+qui|la\s+personne\s+qui)"
    r"|\b(?:[àa]|pour)\s+(?:l'|la\s+personne\s+d'|l'[ée]quipe\s+d')astreinte"
    r"|\bsi\s+(?:vous\s+lisez|tu\s+lis)\s+(?:ceci|ce\s+message|[çc]a|cela)"
    # Japanese
    r"|(?:これ|この(?:メッセージ|ログ|チケット|アラート|コメント))を(?:読んだ|見た|読んでいる|見ている|読んでる|見てる)(?:方|人|あなた)"
    r"|(?:当番|オンコール|対応者|担当者|運用担当|夜間担当)(?:の方|さん|各位|の皆さん)?(?:へ|に|様|殿)"
    r"|対応(?:する|される|中の)方"
    # Chinese
    r"|(?:看到|读到|讀到|看见|看見)(?:这条|這條|此条|此條|这个|這個|本条|本條)?(?:消息|日志|日誌|信息|訊息|工单|工單|告警|留言)?的"
    r"(?:人|同学|同學|同事|朋友|兄弟|小伙伴)"
    r"|(?:值班|处理|處理|跟进|跟進|排查)的?(?:同学|同學|同事|人员|人員|工程师|工程師|小伙伴)"
    r"|致(?:值班|处理|處理)"
)  # fmt: skip
"""The text turns to whoever reads it, without naming an AI."""

PREAUTHORISED = (
    r"\balready\s+(?:been\s+)?(?:approved|signed[\s-]off|okayed|ok'?d|cleared|reviewed|authori[sz]ed|green-?lit)"
    # "pre-approved by <someone>", not a bare "pre-approved": "deleting stuck pods is pre-approved" is a runbook's
    # standing (standard-change) permission, not a claim about this request
    r"|\bpre-?(?:approved|authori[sz]ed|cleared)\s+by\b"
    r"|\bapproved\s+(?:in\s+advance|verbally|over\s+(?:slack|the\s+phone|chat|dm))"
    r"|\b(?:per|under|as\s+per|covered\s+by)\s+(?:cab|chg|cr|change|rfc)[\s#:-]*\d+"
    r"|\b(?:approval|sign[\s-]?off|review)\s+(?:is|was|has\s+been)\s+(?:already\s+)?(?:given|granted|done|covered|"
    r"handled|obtained|in\s+place|on\s+file)"
    r"|\b(?:said|says|confirmed)\s+(?:it'?s|it\s+is|this\s+is)\s+(?:fine|ok(?:ay)?|approved|good\s+to\s+go)"
    r"|\b(?:authori[sz]ed|approved|signed\s+off)\s+by\s+(?:the\s+|our\s+)?(?:cto|ciso|vp|director|manager|lead|head|"
    r"management|security|incident\s+commander|cab)\b"
    r"|\b(?:bereits|schon|vorab)\s+(?:von\s+\S+\s+)?(?:freigegeben|genehmigt|abgenommen|abgesegnet|approved|"
    r"durchgewunken)"
    r"|\bfreigabe\s+(?:liegt|ist)\s+(?:bereits|schon)\s+(?:vor|erteilt|da)"
    r"|\blaut\s+(?:cab|chg|change|ticket)[\s#:-]*\d+"
    r"|\bya\s+(?:est[aá]|fue|ha\s+sido|viene)\s+aprobad[oa]|\bpre-?aprobad[oa]"
    r"|\baprobad[oa]\s+(?:de\s+antemano|previamente|por\s+adelantado)"
    r"|\bseg[uú]n\s+(?:el\s+|la\s+)?(?:cab|chg|cr|ticket)[\s#:-]*\d+"
    r"|\bd[ée]j[àa]\s+(?:[ée]t[ée]\s+)?(?:approuv|valid|sign)\w*|\bpr[ée]-?(?:approuv|valid)\w*"
    r"|\b(?:selon|d'apr[eè]s)\s+(?:le\s+|la\s+)?(?:cab|chg|cr|ticket)[\s#:-]*\d+"
    r"|(?:既に|すでに|事前に)(?:承認|許可)(?:済み|され|を(?:もらって|得て|取って))|承認済み"
    r"|(?:已经|已經|已)(?:被)?(?:审批|審批|批准|同意|审核|審核)(?:通过|通過|过|過)?"
    r"|(?:领导|領導|老板|主管|经理|經理)(?:已经|已經|已)?(?:同意|批准|拍板)"
)  # fmt: skip
"""A claim that the bypass is sanctioned already."""

EXCEPTION = (
    r"\b(?:just\s+)?this\s+once\b|\bthis\s+(?:one\s+)?time\s+only\b|\bjust\s+this\s+(?:one\s+)?time\b|\bjust\s+today\b"
    r"|\btoday\s+only\b|\bas\s+(?:a\s+one-off|an\s+exception)\b"
    r"|\bausnahmsweise\b|\bnur\s+(?:dieses\s+eine\s+mal|heute|diesmal)\b|\bdieses\s+eine\s+mal\b"
    r"|\b(?:solo|s[oó]lo)\s+(?:por\s+)?esta\s+vez\b|\bpor\s+esta\s+vez\b|\bexcepcionalmente\b"
    r"|\b(?:juste\s+|seulement\s+)?pour\s+cette\s+fois\b|\bexceptionnellement\b|\b[àa]\s+titre\s+exceptionnel\b"
    r"|今回(?:だけ|限り)|例外的に|特別に|这一次|這一次|就这一次|就這一次|仅此一次|僅此一次|下不为例|下不為例"
)
"""The bypass framed as a one-off."""

# ------------------------------------------------------------------ anchors and compiled patterns

_LATIN_ANCHOR_WORDS = (
    "skip", "bypass", "waiv", "ignor", "omit", "forgo", "forego", "circumvent", "overrid", "sidestep", "disabl",
    r"turn\s+off", "drop", r"leave\s+out", "dispense", r"get\s+around", "without", r"don'?t\s+(?:bother|wait)",
    r"no\s+need", r"no\s+time", "formalit", "rubber", r"apply\b", "direct", "straight",
    # German, Spanish, French
    "überspr", "uberspr", "umgeh", "auslass", "weglass", "übergeh", "ubergeh", "deaktivier", "abschalt", "direkt",
    r"ohne\s", "s[aá]lt", "evit", "desactiv", "d[ée]sactiv", "omett", r"pasa[r]?\s+por\s+alto", "prescind", "obvi",
    r"no\s+hace\s+falta", r"no\s+es\s+necesari", r"no\s+necesitas", r"sin\s", "saut", "contourn",
    r"passe[rz]?\s+outre", "zapp", "court-circuit", "oubli", r"pas\s+besoin", r"sans\s",
)


_LATIN_ANCHOR = first_char_alternation(_LATIN_ANCHOR_WORDS + _LANGUAGE_ANCHOR_WORDS, fragments=True)
"""Words at least one core holds: the cores only run around them (`apply` for "... does not apply today")."""
_CJK_ANCHOR = re.compile(
    r"省略|スキップ|飛ば|省い|無視|パス|形式|形だけ|直接|そのまま|すぐ|なしで|抜きで|跳过|跳過|绕过|繞過|忽略|免去|略过|略過|不走|不用|"
    r"无需|無需|不需要|走过场|走過場"
)
_CUE_EN = (
    r"approv|review|sign|freeze|dry|confirm|audit|logging|rollback|two|four|cab|change|check|canary|staging|"
    r"branch"
)
_CORES = tuple(
    (re.compile(cue), re.compile(core))
    for cue, core in (
        (_CUE_EN, BYPASS_EN_ASKED),
        (r"formalit|rubber|apply", BYPASS_EN_CLAIMED),
        (r"direct|straight|without|bypassing", DIRECT_EN),
        (r"freigabe|genehm|pr[uü]f|pruef|review|abnahme|augen|sperre|freeze|trocken|testlauf|dry|best[aä]tig|audit|"
         r"protokoll|rollback|cab|change", BYPASS_DE),
        (r"direkt|ohne", DIRECT_DE),
        (r"aprobaci|revisi|visto|firma|congelaci|confirmaci|auditor|dry|simulaci|plan\s+de|cab|ticket|control|"
         r"doble", BYPASS_ES),
        (r"directamente|sin\s", DIRECT_ES),
        (r"approbation|validation|revue|relecture|signature|gel|confirmation|audit|journalisation|dry|simulation|"
         r"plan\s+de|cab|ticket|double", BYPASS_FR),
        (r"directement|sans\s", DIRECT_FR),
    )
)
"""Each core with a cue it cannot match without (a bypass names a control; a direct action says "directly"
or "without"): a window runs only the cores whose cue it holds."""
_CJK_CORES = tuple((None, re.compile(p)) for p in (BYPASS_JA, DIRECT_JA, BYPASS_ZH, DIRECT_ZH))
_ADDRESS = re.compile(ADDRESS, re.M)
_PREAUTHORISED = re.compile(PREAUTHORISED)
_EXCEPTION = re.compile(EXCEPTION)
_BACK = 130
_FORWARD = 110
"""Characters around an anchor word in which a core must lie (its request words before the verb, its control
after; or its verb and object before "directly")."""
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


def _windows(lowered: str, anchor: re.Pattern[str]) -> list[tuple[int, int]]:
    """Merged text ranges around the anchor words (at a word start: "redirect" is not "direct"), in which a
    core may stand."""
    merged: list[tuple[int, int]] = []
    for m in anchor.finditer(lowered):
        if m.start() and lowered[m.start() - 1].isalpha() and m.group().isascii():
            continue
        lo, hi = max(0, m.start() - _BACK), min(len(lowered), m.end() + _FORWARD)
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], hi)
        else:
            merged.append((lo, hi))
    return merged


def _passage(breaks: list[tuple[int, int]], length: int, start: int, end: int) -> tuple[int, int]:
    """The core's surroundings within its paragraph (`breaks`: the blank-line gaps, in order): the reach in which
    its supporting roles must stand."""
    lo, hi = max(0, start - _REACH), min(length, end + _REACH)
    i = bisect.bisect_right(breaks, (start, start))
    if i and breaks[i - 1][1] > lo:
        lo = min(start, breaks[i - 1][1])
    if i < len(breaks) and breaks[i][0] < hi:
        hi = max(end, breaks[i][0])
    return lo, hi


def _first_within(found: list[tuple[int, int]], lo: int, hi: int) -> tuple[int, int] | None:
    """The first of the sorted spans `found` lying inside lo..hi."""
    i = bisect.bisect_left(found, (lo, lo))
    return found[i] if i < len(found) and found[i][1] <= hi else None


def control_bypass_spans(lowered: str) -> list[tuple[int, int]]:
    """Spans of `lowered` (the scanner's lowercased view) holding a request to bypass a control that is
    addressed to its reader, claimed as pre-authorised, or framed with two further roles (see the module
    docstring). Each span runs from the first to the last of the roles that make it.

    Cost: the cores run only in windows around their anchor words; the supporting roles are searched once over
    the text, and only when a core was found (rare in ordinary text), then looked up per core by bisection, so
    a text of many repeated cores stays linear."""
    cores: list[tuple[int, int]] = []
    groups: tuple[tuple[re.Pattern[str], tuple[tuple[re.Pattern[str] | None, re.Pattern[str]], ...]], ...] = (
        (_LATIN_ANCHOR, _CORES), (_CJK_ANCHOR, _CJK_CORES))
    latin_windows: list[tuple[int, int]] = []
    for anchor, patterns in groups:
        if anchor is _CJK_ANCHOR and lowered.isascii():
            continue
        found = _windows(lowered, anchor)
        if anchor is _LATIN_ANCHOR:
            latin_windows = found
        for lo, hi in found:
            for cue, pattern in patterns:
                if cue is None or cue.search(lowered, lo, hi):
                    cores.extend(m.span() for m in pattern.finditer(lowered, lo, hi) if m.end() > m.start())
    cores += language_cores(lowered, latin_windows, _windows)
    cores = sorted({c for c in cores if not prohibited_or_scoped(lowered, *c)})
    if not cores:
        return []
    extra = _language_roles()
    roles = [
        sorted(m.span() for role in group for m in role.finditer(lowered))
        for group in ((_ADDRESS, extra.address), (_PREAUTHORISED, extra.approved), (_EXCEPTION, extra.exception))
    ] + [skipped_reports(lowered)]
    breaks = [m.span() for m in _PARAGRAPH.finditer(lowered)]
    spans: list[tuple[int, int]] = []
    for start, end in cores:
        if spans and start < spans[-1][1]:
            continue  # inside a span already reported
        lo, hi = _passage(breaks, len(lowered), start, end)
        address, authorised, exception, skipped = (_first_within(found, lo, hi) for found in roles)
        other = next((c for c in (_first_within(cores, lo, start), _first_within(cores, end, hi)) if c), None)
        if other is not None and other[1] > start and other[0] < end:
            other = None  # an overlapping reading of the same words
        if not (address or authorised or skipped or (exception and other)):
            continue
        parts = [(start, end)] + [p for p in (address, authorised, exception, skipped, other) if p]
        spans.append((min(s for s, _ in parts), max(e for _, e in parts)))
    return spans


__all__ = ["KIND", "SIGNAL", "WEIGHT", "control_bypass_spans"]
