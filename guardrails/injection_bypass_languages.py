"""Control-bypass roles in more languages, for guardrails/injection_control_bypass.py.

Why a module of its own: the combination rule (a core request plus a supporting role) is language-neutral,
but its English/German/Spanish/French/Japanese/Chinese roles missed the commonest forms elsewhere:

- the request written with the infinitive or a verb-final order ("aplicar directamente", "ohne Review nach
  main mergen", "承認なしでデプロイしてください", "onaysız uygulayın", "승인 없이 배포해 주세요");
- "without review/approval" in Portuguese, Italian, Dutch, Polish, Russian/Ukrainian, Turkish, Korean;
- a supporting role that was English-only: the control reported as skipped in the same passage
  ("etapa de aprobación omitida; aplica ...", "Freigabe übersprungen; merge ...", "审批已跳过，请直接合并"), and
  a named approver ("aprobado por NOC", "genehmigt von", "approuvé par", "одобрено", "承認済み", "승인됨").

Each language is a row of word classes (control, privileged action, bypass verb, "directly", "without",
skipped, approved-by, reader address, one-off) from which the same core shapes are built, rather than a list
of sentences. Two filters apply to every core (the existing ones too): a negation earlier in its clause makes
it a prohibition ("nunca apliques sin revisión", "niemals ohne Freigabe mergen", "nie merguj bez przeglądu"),
and a scope right after it makes it a policy ("... sin revisión solo para cambios de documentación").

Cyrillic letters that look like Latin ones are folded to Latin in the scanner's view; the Cyrillic patterns
are written in Cyrillic and folded with the scanner's own table at first use (`compiled`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from guardrails.confusables import CONFUSABLE
from guardrails.regex_trie import first_char_alternation

_START = r"(?:^|(?<=[\n.:;!?,(\[\"'>*\u2022|\u2013\u2014\u3001\u3002\uff0c\uff1a\uff1b-]))\s*"
"""A clause start: where an imperative or an infinitive used as one stands."""
_GAP = r"[^.\n;!?\u3002]{0,60}?"
"""The verb's object and place between the verb and "directly"/"without" (one clause)."""
_END = r"(?![\w\u00c0-\u024f\u0400-\u04ff])"
"""The end of a word in scripts \\b does not treat as one (a Turkish suffix must not follow the imperative)."""


@dataclass(frozen=True)
class Row:
    """One language's word classes (regular expressions over the lowercased text)."""

    control: str
    action: str
    bypass: str
    direct: str
    without: str
    ask: str = ""
    verb_final: str = ""
    """Infinitives or imperatives that close a verb-final clause ("... ohne Review mergen")."""


ROWS: dict[str, Row] = {
    "de": Row(
        control=r"(?:freigabe|genehmigung|review|code-review|pr[uü]fung|abnahme|vier-augen-pr[uü]fung|cab)\w*",
        action=r"(?:merge|merg|wende|deploye|deploy|l[oö]sche|spiel|f[uü]hre|roll|pushe|push|[uü]bernimm|schalte)",
        bypass=r"(?:[uü]berspring|umgeh|ignorier|deaktivier)(?:e|t)?",
        direct=r"(?:direkt|sofort\s+(?:in|nach|auf)\s+(?:die\s+)?(?:prod\w*|main|master|live))",
        without=r"ohne\s+(?:(?:die|den|das|eine?n?)\s+)?",
        ask=r"(?:bitte|einfach)",
        verb_final=r"(?:mergen|anwenden|deployen|ausrollen|einspielen|l[oö]schen|pushen|ausf[uü]hren|"
        r"[uü]bernehmen|zur[uü]ckrollen|freischalten)",
    ),
    "es": Row(
        control=r"(?:aprobaci[oó]n|revisi[oó]n|review|visto\s+bueno|validaci[oó]n|cab)",
        action=r"(?:aplica|aplique|aplicad|aplicar|despliega|despliegue|desplegar|fusiona|fusionar|mergea|mergear|"
        r"haz\s+merge|hacer\s+merge|borra|borrar|elimina|eliminar|ejecuta|ejecutar|sube|subir|lanza|lanzar)",
        bypass=r"(?:omite|omitir|salta|saltar|s[aá]ltate|ignora|ignorar|desactiva|desactivar)",
        direct=r"(?:directamente|directo\s+a\s+producci[oó]n)",
        without=r"sin\s+(?:esperar\s+)?(?:(?:la|el|una?)\s+)?",
        ask=r"(?:por\s+favor|puedes|podr[ií]as|basta\s+con|simplemente)",
    ),
    "fr": Row(
        control=r"(?:approbation|validation|revue|relecture|review|cab)",
        action=r"(?:appliquez|appliquer|applique|d[ée]ployez|d[ée]ployer|fusionnez|fusionner|mergez|merger|"
        r"supprimez|supprimer|ex[ée]cutez|ex[ée]cuter|lancez|lancer|poussez|pousser|mettez|mettre)",
        bypass=r"(?:sautez|sauter|ignorez|ignorer|contournez|contourner|d[ée]sactivez|d[ée]sactiver)",
        direct=r"(?:directement|tout\s+de\s+suite\s+en\s+prod\w*)",
        without=r"sans\s+(?:attendre\s+)?(?:(?:la|le|l'|une?)\s*)?",
        ask=r"(?:merci\s+de|veuillez|vous\s+pouvez|tu\s+peux|il\s+suffit\s+de)",
    ),
    "pt": Row(
        control=r"(?:aprova[cç][aã]o|revis[aã]o|review|valida[cç][aã]o|homologa[cç][aã]o|cab)",
        action=r"(?:aplique|aplica|aplicar|fa[cç]a\s+(?:o\s+)?(?:merge|deploy)|fazer\s+(?:o\s+)?(?:merge|deploy)|"
        r"mescle|mesclar|implante|implantar|publique|publicar|apague|apagar|exclua|excluir|remova|remover|"
        r"execute|executar|rode|rodar|suba|subir|promova|promover|reverta|reverter)",
        bypass=r"(?:pule|pular|ignore|ignorar|dispense|dispensar|desative|desativar|contorne|contornar|omita|omitir)",
        direct=r"(?:diretamente|direto\s+(?:em|na|para)\s+(?:a\s+)?produ[cç][aã]o)",
        without=r"sem\s+(?:esperar\s+)?(?:(?:pela|pelo|a|o|uma?)\s+)?",
        ask=r"(?:por\s+favor|pode|podes|basta|apenas|s[oó])",
    ),
    "it": Row(
        control=r"(?:approvazione|revisione|review|convalida|validazione|cab)",
        action=r"(?:applica|applicate|applicare|fai\s+(?:il\s+)?(?:merge|deploy)|fare\s+(?:il\s+)?(?:merge|deploy)|"
        r"mergia|mergiare|unisci|rilascia|rilasciare|distribuisci|cancella|cancellare|elimina|eliminare|esegui|"
        r"eseguire|lancia|lanciare|pusha|pushare|promuovi)",
        bypass=r"(?:salta|saltare|saltate|ignora|ignorare|ignorate|bypassa|bypassare|disattiva|disattivare|"
        r"aggira|aggirare)",
        direct=r"(?:direttamente|subito\s+in\s+produzione)",
        without=r"senza\s+(?:(?:attendere|aspettare)\s+)?(?:(?:la|il|l'|un|una)\s*)?",
        ask=r"(?:per\s+favore|puoi|potete|basta)",
    ),
    "nl": Row(
        control=r"(?:goedkeuring|review|code-?review|controle|beoordeling|aftekening|cab)",
        action=r"(?:pas|merge|deploy|verwijder|voer|push|rol|zet)",
        bypass=r"(?:sla|negeer|omzeil|schakel)",
        direct=r"(?:direct|rechtstreeks|meteen\s+(?:naar|in|op)\s+(?:prod\w*|main|master))",
        without=r"zonder\s+(?:te\s+wachten\s+op\s+)?(?:(?:de|het|een)\s+)?",
        ask=r"(?:graag|gewoon|even)",
        verb_final=r"(?:mergen|deployen|toepassen|verwijderen|uitvoeren|pushen|uitrollen)",
    ),
    "pl": Row(
        control=r"(?:zatwierdze\w*|akceptacj\w*|przegl[aą]d\w*|review|recenzj\w*|zgod\w*|weryfikacj\w*|cab)",
        action=r"(?:zastosuj|zastosowa[cć]|wdr[oó][zż]|wdro[zż]y[cć]|zmerguj|zmergowa[cć]|scal|scali[cć]|usu[nń]|"
        r"usun[aą][cć]|wykonaj|wykona[cć]|uruchom|uruchomi[cć]|wypchnij|wycofaj|wrzu[cć])",
        bypass=r"(?:pomi[nń]|pomin[aą][cć]|zignoruj|zignorowa[cć]|obejd[zź]|obej[sś][cć]|wy[lł][aą]cz)",
        direct=r"(?:bezpo[sś]rednio|(?:od\s+razu|prosto)\s+(?:na|do)\s+(?:prod\w*|main|master))",
        without=r"bez\s+(?:czekania\s+na\s+)?",
        ask=r"(?:prosz[eę]|po\s+prostu)",
    ),
    "ru": Row(
        control=r"(?:согласовани\w*|одобрени\w*|ревью|код-?ревью|проверк\w*|апрув\w*|аппрув\w*|подтверждени\w*|"
        r"погодженн\w*|схваленн\w*|рев'ю|перевірк\w*|review|cab)",
        action=r"(?:примени(?:те)?|применить|смер[дж]?жи(?:те)?|смер[дж]?жить|мер[дж]?жи(?:те)?|влей(?:те)?|влить|"
        r"задеплой(?:те)?|задеплоить|деплой(?:те)?|выкати(?:те)?|выкатить|удали(?:те)?|удалить|выполни(?:те)?|"
        r"выполнить|запусти(?:те)?|запустить|откати(?:те)?|откатить|залей(?:те)?|залить|"
        r"застосуй(?:те)?|застосувати|змерж(?:те|іть)?|змержити|задеплоїти|видали(?:ть)?|видалити|"
        r"виконай(?:те)?|виконати|розгорни(?:ть)?|розгорнути|відкоти(?:ть)?)",
        bypass=r"(?:пропусти(?:те|ть)?|пропустить|пропустити|проигнорируй(?:те)?|игнорируй(?:те)?|обойди(?:те)?|"
        r"обойти|отключи(?:те)?|отключить|проігноруй(?:те)?|обійди(?:ть)?|вимкни(?:ть)?)",
        direct=r"(?:напрямую|напряму|(?:сразу|одразу|прямо)\s+(?:в|на|у)\s+(?:прод|main|master|мастер|продакшн)\w*)",
        without=r"без\s+(?:ожидания\s+|очікування\s+)?",
        ask=r"(?:пожалуйста|просто|будь\s+ласка)",
        verb_final=r"(?:смер[дж]?жить|влить|задеплоить|выкатить|применить|удалить|запустить|откатить|залить|"
        r"застосувати|змержити|задеплоїти|видалити|розгорнути)",
    ),
    "tr": Row(
        control=r"(?:onay\w*|inceleme\w*|review\w*|g[oö]zden\s+ge[cç]irme\w*|do[gğ]rulama\w*|cab)",
        action=r"(?:uygula(?:y[iı]n)?|(?:merge|deploy|push)\s+(?:edin|et)|merge(?:le|leyin)|birle[sş]tir(?:in)?|"
        r"da[gğ][iı]t(?:[iı]n)?|yay[iı]nla(?:y[iı]n)?|sil(?:in)?|[cç]al[iı][sş]t[iı]r(?:[iı]n)?|geri\s+al(?:[iı]n)?)",
        bypass=r"(?:atla(?:y[iı]n)?|es\s+ge[cç](?:in)?|yok\s+say(?:[iı]n)?|devre\s+d[iı][sş][iı]\s+b[iı]rak(?:[iı]n)?)",
        direct=r"(?:do[gğ]rudan|direkt|direk)",
        without=r"(?:onays[iı]z|incelemesiz|reviewsuz|(?:onay|inceleme|review)\s+(?:beklemeden|olmadan|almadan))",
    ),
}
"""Latin- and Cyrillic-script languages written subject-verb-object (Turkish is verb-final; its core shape is
the Korean one below)."""

_BYPASS_OBJECT = r"\s+(?:(?:the|die|den|das|la|el|le|l'|a|o|il|de|het)\s*)?(?:[\w'-]+\s+){0,2}?"


def _svo_cores(row: Row) -> tuple[list[str], list[str]]:
    """An imperative or infinitive action at a clause start done directly or without a control; a bypass verb
    at a clause start before a control (these two returned without their clause start, which the caller puts
    once before all languages' alternatives); a verb-final clause ending on an action infinitive."""
    ask = rf"(?:{row.ask}\s*,?\s*)?" if row.ask else ""
    started = [
        ask + row.action + _END + _GAP + rf"(?<=[\s,]){'(?:' + row.direct + ')' + _END}",
        ask + row.action + _END + _GAP + rf"(?<=[\s,]){row.without}(?:[\w'-]+\s+)?{row.control}",
        ask + row.bypass + _END + _BYPASS_OBJECT + row.control,
    ]
    free = []
    if row.verb_final:
        free.append(
            rf"(?:{row.direct}|{row.without}(?:[\w'-]+\s+)?{row.control}){_END}[^.\n;!?]{{0,40}}?\s{row.verb_final}{_END}"
        )
    return started, free


def _alternation(rows: list[Row], free: list[str], table: dict[int, str]) -> re.Pattern[str]:
    """One pattern: the clause start once, then every row's clause-initial cores; or a free-standing core."""
    started: list[str] = []
    for row in rows:
        cores, rest = _svo_cores(row)
        started += cores
        free = free + rest
    body = _START + "(?:" + "|".join(f"(?:{c})" for c in started) + ")"
    return re.compile(_fold("|".join([f"(?:{body})"] + [f"(?:{c})" for c in free]), table))


_TR = ROWS.pop("tr")
_TR_CORES = [
    rf"(?:{_TR.without}|{_TR.direct}){_END}[^.\n;!?]{{0,50}}?\s{_TR.action}{_END}",
    rf"{_TR.control}\s+{_TR.bypass}{_END}",
]
_JA_CONTROL = r"(?:承認|レビュー|確認|審査|決裁|稟議|ダブルチェック)"
_JA_ACTION = r"(?:適用|デプロイ|マージ|削除|ロールバック|実行|反映|リリース|プッシュ)"
_JA_CORES = [
    rf"(?:{_JA_CONTROL}(?:なし|抜き|を待たず|を通さず|を経ず)(?:で|に)|直接|そのまま)[^。\n]{{0,20}}?{_JA_ACTION}"
    r"(?:して(?:ください|下さい|ok|いい|構いません|大丈夫|おいて)|しちゃって|しろ|をお願い)",
]
_ZH_CONTROL = r"(?:审批|審批|审核|審核|评审|評審|审查|審查|复核|複核|review|cab)"
_ZH_ACTION = r"(?:应用|應用|部署|合并|合併|删除|刪除|回滚|回滾|执行|執行|上线|上線|发布|發布|推送|merge|deploy|apply)"
_ZH_NOT = r"(?<!不要)(?<!不能)(?<!不得)(?<!禁止)(?<!不可)(?<!切勿)(?<!请勿)(?<!請勿)(?<!别)(?<!別)"
_ZH_CORES = [
    _ZH_NOT + rf"(?:无需|無需|不用|不需要|不经|不經|不经过|不經過|免){_ZH_CONTROL}[，,、\s]*(?:请|請)?(?:直接)?"
    rf"{_ZH_ACTION}(?!了|過|过)",
]
_KO_CONTROL = r"(?:승인|리뷰|검토|코드\s?리뷰|결재|확인|cab)"
_KO_ACTION = r"(?:적용|배포|머지|병합|삭제|실행|롤백|반영|푸시|릴리스|merge|deploy|apply)"
_KO_ASKED = (
    r"(?:\s?(?:해|을|를)?\s?(?:해\s?주세요|해\s?주십시오|하세요|하십시오|해라|해\s?줘|해도\s?(?:됩니다|돼요|돼|괜찮습니다)|"
    r"바랍니다|부탁드립니다))"
)
_KO_CORES = [
    rf"(?:{_KO_CONTROL}\s?없이|직접|{_KO_CONTROL}(?:을|를)?\s?(?:거치지\s?않고|건너뛰고|생략하고)){_GAP}"
    rf"{_KO_ACTION}{_KO_ASKED}",
    rf"{_KO_CONTROL}(?:은|는|을|를)?\s?(?:건너뛰|생략|스킵|무시|패스)(?:세요|어\s?주세요|해\s?주세요|하세요|해도\s?(?:됩니다|돼요|돼|괜찮))",
]

SKIPPED = (
    # English: the control reported skipped ("approval stage skipped", "review was bypassed")
    r"\b(?:approval|review|sign[\s-]?off|freeze|dry[\s-]?run|cab)(?:\s+(?:step|stage|gate|check))?\s+(?:was\s+|were\s+|"
    r"is\s+|has\s+been\s+)?(?:skipped|bypassed|waived|omitted|disabled|overridden)\b"
    r"|\b(?:freigabe|genehmigung|review|pr[uü]fung|abnahme)\w*\s+(?:wurde\s+)?(?:[uü]bersprungen|umgangen|deaktiviert|"
    r"ausgelassen|ignoriert)"
    r"|\b(?:aprobaci[oó]n|revisi[oó]n|review|validaci[oó]n)\s+(?:fue\s+)?(?:omitid|saltad|desactivad|ignorad)[oa]"
    r"|\bse\s+(?:omiti[oó]|salt[oó])\s+(?:la\s+|el\s+)?(?:etapa\s+de\s+|paso\s+de\s+)?(?:aprobaci[oó]n|revisi[oó]n)"
    r"|\b(?:approbation|validation|revue|relecture|review)\s+(?:a\s+[ée]t[ée]\s+)?(?:ignor|saut|contourn|d[ée]sactiv)[ée]e?"
    r"|\b(?:aprova[cç][aã]o|revis[aã]o|review)\s+(?:foi\s+)?(?:ignorad|pulad|omitid|dispensad|desativad)[oa]"
    r"|\b(?:approvazione|revisione|review)\s+(?:[èe]\s+stata\s+)?(?:saltat|ignorat|omess|disattivat|bypassat)[ao]"
    r"|\b(?:goedkeuring|review|controle)\s+(?:is\s+|werd\s+)?(?:overgeslagen|genegeerd|omzeild|uitgeschakeld)"
    r"|\b(?:zatwierdzeni|akceptacj|przegl[aą]d|review)\w*\s+(?:zosta[lł][oa]?\s+)?(?:pomini[eę]t|zignorowan)\w*"
    r"|(?:согласовани|одобрени|ревью|проверк|погодженн|рев'ю|перевірк)\w*\s+(?:был[оаи]?\s+)?"
    r"(?:пропущен|отключен|обойден|вимкнен)\w*"
    r"|\b(?:onay|inceleme|review)\w*\s+(?:ad[iı]m[iı]\s+)?(?:atland[iı]|ge[cç]ildi|yok\s+say[iı]ld[iı])"
    r"|(?:审批|審批|审核|審核|评审|評審|复核|複核)(?:流程|步骤|步驟|环节|環節)?(?:已经|已經|已|被)(?:跳过|跳過|绕过|繞過|省略|豁免)"
    r"|(?:承認|レビュー|審査)(?:ステップ|手順|フロー)?(?:は|を)?(?:スキップ|省略)(?:済み|され|しました|した)"
    r"|(?:승인|리뷰|검토)(?:\s?단계)?(?:은|는|이|가)?\s?(?:건너뜀|생략됨|스킵됨|생략되었|건너뛰었|스킵되었)"
)  # fmt: skip
"""The control reported skipped in the passage: with a core it reads as "the gate is already gone, now act"."""

APPROVED_BY = (
    r"\b(?:aprobad[oa]|autorizad[oa])\s+(?:ya\s+)?por\s+\S"
    r"|\b(?:genehmigt|freigegeben|abgenommen|abgesegnet)\s+(?:von|durch)\s+\S"
    r"|\b(?:approuv[ée]e?|valid[ée]e?|autoris[ée]e?)\s+par\s+\S"
    r"|\b(?:j[aá]\s+)?(?:aprovad[oa]|autorizad[oa])\s+pel[oa]\s+\S|\bj[aá]\s+(?:foi\s+|est[aá]\s+)?aprovad[oa]"
    r"|\b(?:gi[aà]\s+)?(?:approvat[oa]|autorizzat[oa])\s+da\s+\S|\bgi[aà]\s+(?:stat[oa]\s+)?approvat[oa]"
    r"|\b(?:al\s+|reeds\s+|vooraf\s+)?goedgekeurd\s+door\s+\S|\b(?:is\s+)?al\s+goedgekeurd"
    r"|\b(?:ju[zż]\s+)?(?:zatwierdzon|zaakceptowan)\w*\s+przez\s+\S|\bju[zż]\s+(?:zatwierdzon|zaakceptowan)\w*"
    r"|(?:уже\s+|вже\s+)?(?:(?:одобрен|согласован|погоджен|схвален)[оаыі]?|заапрувлен\w*|апрувнут\w*)(?![\w\u0400-\u04ff])"
    r"|\b(?:zaten\s+|[oö]nceden\s+)?onayland[iı]|\b[oö]nceden\s+onayl[iı]"
    r"|已批准|批准了|(?:由|经|經)\S{1,10}(?:批准|同意)"
    r"|承認済|(?:上長|部長|マネージャー|リーダー)(?:が|の)承認"
    r"|승인됨|승인\s?완료|이미\s?승인|사전\s?승인|결재\s?완료"
)  # fmt: skip
"""An approver named or approval claimed (alone: a change record; with a core: consent laundering)."""

ADDRESS = (
    r"\bpara\s+quem\s+(?:estiver|est[aá])\s+de\s+plant[aã]o|\bao\s+plantonista|\bse\s+voc[eê]\s+est[aá]\s+lendo\s+isso"
    r"|\bper\s+chi\s+[èe]\s+di\s+turno|\bal\s+reperibile|\bse\s+stai\s+leggendo\s+questo"
    r"|\bvoor\s+wie\s+(?:dienst\s+heeft|dit\s+leest)|\baan\s+de\s+dienstdoende"
    r"|\b(?:do|dla)\s+(?:osoby\s+)?dy[zż]urn\w*|\bkto\s+to\s+czyta"
    r"|(?:дежурн|черговом|черговий)\w*|(?:кто|хто)\s+(?:это|це)\s+(?:читает|читає)"
    r"|\bn[oö]bet[cç]i\w*|\bbunu\s+okuyan"
    r"|당직자|당번|온콜\s?(?:담당자)?님?|(?:보시는|읽는)\s?분"
)  # fmt: skip
"""The reader addressed, in the languages the base module lacks."""

EXCEPTION = (
    r"\b(?:s[oó]|apenas)\s+desta\s+vez|\bexcepcionalmente|\bsolo\s+questa\s+volta|\beccezionalmente"
    r"|\beenmalig|\bbij\s+uitzondering|\btylko\s+(?:ten|tym)\s+raz\w*|\bwyj[aą]tkowo"
    r"|в\s+виде\s+исключения|только\s+в\s+этот\s+раз|як\s+виняток|лише\s+цього\s+разу"
    r"|\bbu\s+seferlik|이번만|이번\s?한\s?번만|예외적으로"
)  # fmt: skip
"""A one-off, in the languages the base module lacks."""

NEGATION = re.compile(
    r"(?:\b(?:never|nunca|jam[aá]s|niemals|nie|nicht|kein\w*|jamais|ne|n'|n[aã]o|non|mai|niet|nooit|nigdy|asla|"
    r"sak[iı]n)\b|\bdo\s+not\b|\bdon'?t\b|\bmust\s+not\b"
    r"|(?<![\w\u0400-\u04ff])(?:не|ни|никогда|нельзя|ніколи|не\s+можна)(?![\w\u0400-\u04ff])"
    r"|不要|不能|不得|禁止|切勿|请勿|請勿|别|別|してはいけない|禁止|하지\s?마)"
)
"""A prohibition word earlier in the core's clause: the sentence forbids the bypass."""
_CLAUSE_BACK = re.compile(r"[.\n;!?\u3002:]")
SCOPE = re.compile(
    r"\s*[,(]?\s*(?:(?:solo|s[oó]lo|[uú]nicamente|nur|only|uniquement|seulement|apenas|somente|soltanto|alleen|enkel|"
    r"tylko|wy[lł][aą]cznie|только|лишь|лише|тільки|sadece|yaln[iı]zca)\s+(?:para|f[uü]r|for|pour|per|voor|dla|"
    r"для|i[cç]in|bei|en|in|on|de)\b|(?:si|if|wenn|falls|se|als|je[sś]li|если|якщо|e[gğ]er|quando|cuando|when)\s)"
    r"|\s*[（(]?(?:仅|僅|只)(?:限|针对|針對|适用|適用|对|對)|\s*(?:のみ|の場合)|\s*(?:에\s?한해|경우에만)"
)
"""A scope right after the core: the sentence is a policy."""


def _fold(pattern: str, table: dict[int, str]) -> str:
    """`pattern` with its letters folded as the scanner folds the text (Cyrillic look-alikes to Latin)."""
    return pattern.translate(table)


@dataclass(frozen=True)
class Compiled:
    """The language cores and supporting roles, folded and compiled."""

    latin: re.Pattern[str]
    other: re.Pattern[str]
    skipped: re.Pattern[str]
    approved: re.Pattern[str]
    address: re.Pattern[str]
    exception: re.Pattern[str]
    condition: re.Pattern[str]


@cache
def compiled() -> Compiled:
    """Compiled at first use, folded with the scanner's table (`CONFUSABLE`)."""
    table = CONFUSABLE
    return Compiled(
        latin=_alternation([row for code, row in ROWS.items() if code != "ru"], _TR_CORES, table),
        other=_alternation([ROWS["ru"]], _JA_CORES + _ZH_CORES + _KO_CORES, table),
        skipped=re.compile(_fold(SKIPPED, table)),
        approved=re.compile(_fold(APPROVED_BY, table)),
        address=re.compile(_fold(ADDRESS, table)),
        exception=re.compile(_fold(EXCEPTION, table)),
        condition=re.compile(_fold(CONDITION, table)),
    )


LATIN_ANCHOR_WORDS = (
    "direkt", r"sofort\b", r"ohne\b", "directamente", r"directo\b", r"sin\b", "directement", r"sans\b",
    "diretamente", r"direto\b", r"sem\b", r"senza\b", "direttamente", r"subito\b",
    r"direct\s+(?:naar|op|uit|toe)\b", r"meteen\b",
    "rechtstreeks", r"zonder\b", "bezpo", r"od\s+razu", r"prosto\b", r"bez\b", "do[gğ]rudan", r"direk\b", "onays",
    "incelemesiz", "reviewsuz", "beklemeden", "olmadan", "almadan", r"omit(?:e|a|ir)\b", r"salt(?:a|ar|are|ate)\b",
    r"s[aá]ltate", r"ignora(?:r|re|te)?\b", "zignor", "desactiv", "d[ée]sactiv", r"saut(?:ez|er)\b", "contourn",
    r"pul(?:e|a|ar)\b", "dispens", "desativ", "bypassa", "disattiv", "aggira", r"sla\s", "negeer", "omzeil",
    "schakel", "pomi", "obej", "wy[lł][aą]cz", r"atla(?:y[iı]n)?\b", r"es\s+ge", r"yok\s+say", r"devre\s",
    "[uü]berspring", "umgeh", "deaktivier",
)
_OTHER_ANCHOR_WORDS = (
    "без", "пропуст", "проигнор", "игнор", "обой", "обій", "отключ", "вимкн", "напрям", "сразу", "одразу", "прямо",
    "なし", "抜き", "待たず", "通さず", "経ず", "直接", "そのまま",
    "无需", "無需", "不用", "不需要", "不经", "不經", "免",
    "없이", "직접", "거치지", "건너뛰", "생략", "스킵", "무시", "패스",
)
"""Words one of the language cores holds (its "without", "directly" or bypass verb): the cores run only around
them. The Latin-script ones join the base module's anchor (one pass over every text); the others are looked for
only in a text holding other scripts."""


_LATIN_CUE = first_char_alternation(LATIN_ANCHOR_WORDS, fragments=True)
"""One of these words in a window of the base module's anchor: English windows ("without", "skip") run none of
the language cores."""


@cache
def _other_anchor() -> re.Pattern[str]:
    """The other-script anchor, folded as the scanner folds Cyrillic."""
    return first_char_alternation(tuple(_fold(w, CONFUSABLE) for w in _OTHER_ANCHOR_WORDS))


Windows = Callable[[str, re.Pattern[str]], list[tuple[int, int]]]


def language_cores(lowered: str, latin_windows: list[tuple[int, int]], windows: Windows) -> list[tuple[int, int]]:
    """Core spans in the added languages: the Latin-script ones in `latin_windows` (the caller's ranges around
    its anchor, which holds `LATIN_ANCHOR_WORDS`), the others in `windows` around their own anchor."""
    patterns = compiled()
    spans = [m.span() for lo, hi in latin_windows if _LATIN_CUE.search(lowered, lo, hi)
             for m in patterns.latin.finditer(lowered, lo, hi)]
    if not lowered.isascii():
        spans += [m.span() for lo, hi in windows(lowered, _other_anchor())
                  for m in patterns.other.finditer(lowered, lo, hi)]
    return [s for s in spans if s[1] > s[0]]


CONDITION = (
    r"\b(?:if|when|whether|wenn|falls|ob|si|se|als|indien|je[sś]li|je[zż]eli|e[gğ]er)\b"
    r"|(?<![\w\u0400-\u04ff])(?:если|якщо|коли)(?![\w\u0400-\u04ff])|如果|若|もし|만약"
)
"""A condition before a skipped-control report: "if the approval was skipped, revert" is a runbook's remedy."""
_QUESTION_AFTER = re.compile(r"[^.\n;!?]{0,12}\?")


def skipped_reports(lowered: str) -> list[tuple[int, int]]:
    """Spans reporting a control skipped, less those asked about ("approval skipped?") or made a condition
    earlier in their clause ("wenn die Freigabe übersprungen wurde, ...")."""
    patterns = compiled()
    spans: list[tuple[int, int]] = []
    for m in patterns.skipped.finditer(lowered):
        back = max(0, m.start() - 60)
        clause = max((b.end() for b in _CLAUSE_BACK.finditer(lowered, back, m.start())), default=back)
        if patterns.condition.search(lowered, clause, m.start()) or _QUESTION_AFTER.match(lowered, m.end()):
            continue
        spans.append(m.span())
    return spans


def prohibited_or_scoped(lowered: str, start: int, end: int) -> bool:
    """A negation earlier in the core's clause (up to 80 characters back), or a scope right after it."""
    back = max(0, start - 80)
    clause = max((m.end() for m in _CLAUSE_BACK.finditer(lowered, back, start)), default=back)
    if NEGATION.search(lowered, clause, start):
        return True
    return bool(SCOPE.match(lowered, end))


__all__ = ["LATIN_ANCHOR_WORDS", "compiled", "language_cores", "prohibited_or_scoped", "skipped_reports"]
