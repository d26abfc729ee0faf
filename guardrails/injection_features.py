"""Features of a text for the injection classifier: concepts in many languages, structure, words.

Why features rather than more patterns: an attacker rephrases, translates and wraps. The pattern
scanner (injection.py) knows phrasings; the classifier (injection_model.py) weighs *concepts* that
survive rephrasing and translation: "disregard" and "ignorez" and "忽略" are one concept, IGNORE;
"previous instructions" and "vorherigen Anweisungen" are PREVIOUS + INSTRUCTIONS. A text gets one
feature per concept present, one per pair of concepts that occur together, a few structural
features (a fake role marker, a fake end-of-data delimiter followed by instructions, a comment
addressed to an AI, an instruction hidden in a URL query), and hashed words for the rest.

The same function extracts features for training (guardrails/training/train_injection.py) and at
run time, so the two cannot drift apart.
"""

from __future__ import annotations

import html
import re
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, pairwise

HASH_BUCKETS = 1 << 14
"""Hashed word and word-pair features share this many buckets (the weights file stays small)."""

# Each concept: stems in several languages. `*` at the end of a Latin stem allows any ending
# (ignor* = ignore, ignorez, ignorieren, ignora); without it the word must stand alone. Stems in
# scripts without spaces (Chinese, Japanese) match anywhere. Languages: en, fr, de, es, pt, it, nl,
# pl, ru, zh, ja, ko.
CONCEPTS: dict[str, tuple[str, ...]] = {
    "ignore": (
        "ignor*", "disregard*", "forget*", "overrid*", "bypass*", "discard*", "oubli*", "ne tenez pas compte",
        "ne tiens pas compte", "vergiss*", "vergessen", "missacht*", "olvid*", "omit*", "esqueç*", "esquec*",
        "desconsider*", "no hagas caso", "no hagan caso", "haz caso omiso", "hagan caso omiso", "dimentic*",
        "trascur*", "negeer*", "vergeet", "zignoruj*", "zapomnij*", "игнорир*",
        "забудь*", "забудьте", "не обращай*", "проигнорир*", "忽略", "无视", "忘记", "忽视", "不要理会", "無視",
        "忘れ", "무시", "잊어", "override", "supersede*", "ersetz*", "remplac*", "reemplaz*", "substitu*",
    ),
    "previous": (
        "previous", "prior", "above", "earlier", "preceding", "original", "précédent*", "ci-dessus",
        "antérieur*", "vorherig*", "obig*", "bisherig*", "vorangegangen*", "anterior*", "previa*", "previo*",
        "precedent*", "sopra", "vorige", "bovenstaande", "eerdere", "poprzedni*", "powyższ*", "предыдущ*",
        "прежн*", "выше", "之前", "以上", "先前", "上面", "以前", "上記", "これまで", "이전", "위의", "앞의",
    ),
    "instructions": (
        "instruction*", "rules", "prompt*", "directive*", "guideline*", "guardrail*", "policy", "policies",
        "consigne*", "règle*", "regle*", "anweisung*", "regel*", "vorgabe*", "richtlinie*", "instrucci*",
        "regla*", "indicaci*", "instruç*", "instruc*", "regra*", "istruzion*", "regol*", "instructie*",
        "instrukcj*", "polecen*", "zasad*", "инструкц*", "правил*", "указани*", "指令", "指示", "规则",
        "提示词", "命令", "ルール", "プロンプト", "지시", "규칙", "명령", "system prompt", "systemprompt",
        # the runbook is the SRE agent's standing instructions: "forget the runbook" overrides them
        "runbook*", "playbook*", "ранбук*", "运行手册", "ランブック", "런북",
    ),
    "ai": (
        "assistant*", "agent", "agents", "agente*", "ai", "a.i.", "llm*", "language model*", "model", "bot",
        "chatgpt", "claude", "gpt*", "copilot*", "gemini", "vigil", "chatbot*", "ia", "l'ia", "ki",
        "modèle", "modelo", "modello", "sprachmodell*", "assistent*", "asistente*", "assistente*", "asystent*",
        "ассистент*", "агент*", "ии", "нейросет*", "модел*", "бот", "助手", "代理", "人工智能", "模型", "智能体",
        "机器人", "アシスタント", "エージェント", "モデル", "어시스턴트", "에이전트", "모델", "automation",
        "automated", "any llm", "whoever reads",
    ),
    "approve": (
        "approv*", "merge*", "authoriz*", "authoris*", "sign off", "lgtm", "auto-approv*", "rubber-stamp*",
        "approuv*", "valide*", "valider", "fusionn*", "genehmig*", "freigeb*", "freigabe", "akzeptier*",
        "aprueb*", "aprob*", "fusion*", "aprov*", "mescl*", "approva*", "goedkeur*", "keur", "zatwierd*",
        "zaakceptuj*", "одобр*", "утверд*", "смерж*", "批准", "合并", "同意", "通过", "承認", "マージ", "승인",
        "병합",
    ),
    "skip": (
        "skip*", "without approval", "no approval", "without evidence", "without review", "without checking",
        "without verif*", "don't verify", "do not verify", "do not check", "disable*", "turn off",
        "switch off", "bypass*", "no need to", "unnecessary", "sans approbation", "sans preuve",
        "sans vérif*", "sans valid*", "désactiv*", "saute*", "sautez", "ohne genehmigung", "ohne nachweis",
        "ohne prüfung", "ohne freigabe", "überspring*", "deaktivier*", "sin aprobaci*", "sin evidencia*",
        "sin pruebas", "sin revisi*", "omite", "omitir", "desactiv*", "salta*", "sem aprovaç*", "sem evidênc*",
        "sem revis*", "pule", "pular", "desativ*", "senza approvazione", "salta", "pomiń", "bez zatwierdz*",
        "без одобрен*", "без проверк*", "без подтвержд*", "пропусти*", "отключи*", "跳过", "无需批准",
        "不需要审批", "无需审批", "禁用", "关闭", "不需要证据", "スキップ", "承認なし", "承認不要", "無効",
        "건너뛰", "승인 없이", "비활성",
    ),
    "secret": (
        "secret*", "password*", "passwd", "token*", "credential*", "api key*", "api_key", "kubeconfig*",
        "private key*", "env var*", "environment variable*", "mot de passe", "mots de passe", "jeton*",
        "identifiant*", "geheimnis*", "passwort*", "kennwort*", "zugangsdaten", "schlüssel*", "secreto*",
        "contraseña*", "credencial*", "clave*", "segredo*", "senha*", "chave*", "segret*", "hasło", "hasła",
        "sekret*", "секрет*", "парол*", "токен*", "ключ*", "密钥", "密码", "令牌", "凭证", "凭据",
        "シークレット", "パスワード", "トークン", "認証情報", "秘密鍵", "비밀번호", "토큰", "자격 증명",
        "admin.conf", "/etc/shadow", "id_rsa", ".kube/config", ".aws/credentials", "/var/run/secrets",
    ),
    "exfil": (
        "send*", "post it", "post them", "upload*", "exfiltrat*", "forward*", "leak*", "email it",
        "curl", "webhook*", "paste*", "envoie*", "envoyez", "transmet*", "sende*", "schick*", "übermittel*",
        "hochlad*", "envía*", "envia*", "manda*", "envie*", "inoltra*", "wyślij*", "отправ*", "перешли*",
        "загрузи*", "发送", "上传", "转发", "送信", "送って", "アップロード", "보내", "전송",
    ),
    "reveal": (
        "reveal*", "print*", "show me", "output*", "display*", "repeat*", "tell me", "dump*", "list all",
        "echo", "affiche*", "révèle*", "montre*", "zeig*", "gib aus", "verrat*", "offenleg*", "muestra*",
        "revela*", "imprime*", "mostre*", "revele*", "imprima*", "mostra*", "rivela*", "pokaż*", "ujawnij*",
        "покажи*", "выведи*", "раскрой*", "显示", "输出", "透露", "打印", "表示して", "出力", "教えて", "보여",
        "출력",
    ),
    "you": (
        "you", "your", "yourself", "vous", "tu", "votre", "dein*", "deine*", "tú", "usted", "tus", "você",
        "voce", "tuo", "tua", "jij", "jouw", "ty", "twoj*",
        "twój", "ты", "вы", "твой", "ваш*", "тебе", "вам", "你", "您", "あなた", "君", "너", "당신",
    ),
    "urgent": (
        "must", "now", "immediately", "from now on", "instead", "important", "urgent*", "mandatory",
        "maintenant", "désormais", "immédiatement", "doit", "devez", "dois", "jetzt", "ab sofort", "sofort",
        "musst", "müssen", "ahora", "inmediatamente", "debes", "debe", "a partir de ahora", "agora",
        "imediatamente", "deve", "ora", "subito", "d'ora in poi", "teraz", "natychmiast", "musisz", "теперь",
        "немедленно", "должен", "должны", "отныне", "срочно", "现在", "立即", "必须", "从现在开始", "今すぐ",
        "必ず", "今後", "直ちに", "지금", "즉시", "반드시",
    ),
    "report": (
        "report*", "summary", "conclude*", "root cause", "say that", "respond with", "answer that",
        "tell the user", "tell the on-call", "healthy", "everything is fine", "no issue*", "rapport*",
        "résumé", "cause racine", "tout va bien", "bericht*", "meld*", "zusammenfassung", "ursache",
        "alles in ordnung", "informe*", "resumen", "causa raíz", "todo está bien", "relatório*", "resumo",
        "tudo bem", "rapporto", "отчет*", "отчёт*", "вывод*", "всё в порядке", "все в порядке", "报告", "总结",
        "根因", "一切正常", "報告", "レポート", "原因", "問題ありません", "보고", "정상",
    ),
    "command": (
        "kubectl delete", "kubectl apply", "rm -rf", "drop table", "delete namespace", "scale to 0",
        "scale --replicas=0", "chmod 777", "curl http", "wget http", "| sh", "| bash", "run this", "run the following",
        "execute", "exécute*", "ausführen", "ejecuta*", "execute", "esegui*", "wykonaj*", "выполни*",
        "запусти*", "执行", "运行", "実行", "실행",
    ),
}


# ---- H21: the concept classes widened thesaurus-wide (synonyms, phrasal verbs, other languages) --------
# The classifier's gate reads these classes (injection_model._AIMED), so the lexicon, not a list of
# literal aim words, decides which passages it scores: a cancel verb beside a word for standing
# instructions, an authority beside an agent action, a disclosure verb beside a secret.
_CEASE_WORDS = ("stop", "quit", "cease", "no longer", "don't", "dont", "do not", "never", "refuse to")
_COMPLY_WORDS = ("follow*", "obey*", "heed*", "apply*", "respect*", "honor*", "honour*", "adhere", "adhering",
                 "comply", "complying", "listen*", "observ*", "abide", "abiding", "stick", "sticking", "keep to",
                 "care about", "pay attention", "trust*", "enforc*", "stay within", "stay inside")
_CEASE_COMPLY = tuple(f"{c} {v}" for c in _CEASE_WORDS for v in _COMPLY_WORDS)
"""Any cessation word before any compliance verb: "stop following", "no longer obey", "don't heed"."""
_WIDER: dict[str, tuple[str, ...]] = {
    "ignore": (
        *_CEASE_COMPLY,
        # English: single verbs of dismissing, cancelling, defying or getting round what one was told
        "overlook*", "dismiss*", "ditch*", "scrap", "scrapp*", "discount*", "neglect*", "disobey*", "defy", "defies",
        "defying", "flout*", "contraven*", "violat*", "rescind*", "revok*", "repeal*", "nullif*", "invalidat*",
        "countermand*", "overrul*", "abandon*", "forsak*", "renounc*", "circumvent*", "evad*", "sidestep*",
        "dodg*", "skirt", "skirting", "waiv*", "unlearn*", "erase", "void", "annul*", "cancel*", "drop",
        "dropping", "junk", "shelve", "disregard*", "forgo", "forego", "forgoing", "supersed*", "obviat*",
        "disown*", "reject*", "deactivat*", "suspend", "lift", "purge",
        # English: phrasal verbs
        "set aside", "put aside", "cast aside", "brush aside", "push aside", "lay aside", "toss out", "throw out",
        "throw away", "toss away", "let go of", "move past", "move beyond", "look past", "get past", "tune out",
        "shrug off", "wave off", "write off", "brush off", "blow off", "laugh off", "pass over", "gloss over",
        "give up on", "get around", "get round", "work around", "go around", "go against", "rebel against",
        "break from", "break with", "depart from", "deviate from", "stray from", "opt out of", "step outside",
        "step out of", "treat as void", "null and void", "wipe out", "wipe away", "clear out", "never mind",
        "nevermind", "pay no attention", "pay no heed", "pay no mind", "take no notice", "make no account",
        "think nothing of", "don't bother with", "do not bother with", "leave behind", "scratch that",
        "forget about",
        # other languages the lexicon covers
        "néglige*", "négligez", "écarte*", "écartez", "abandonne*", "passe outre", "passez outre", "fais abstraction",
        "faites abstraction", "ne suis plus", "ne suivez plus", "n'obéis plus", "n'obéissez plus", "désobéi*",
        "annule*", "outrepass*", "contourne*",
        "verwirf*", "verwerft", "übergeh*", "hinwegsetz*", "nicht mehr befolg*", "befolge nicht", "befolgt nicht",
        "umgeh*", "widersetz*", "außer acht", "annullier*", "verwerfen",
        "desobedece*", "descarta*", "pasa por alto", "pasen por alto", "deja de seguir", "dejen de seguir", "no sigas",
        "no sigan", "anula*", "elude*", "omite*",
        "descarte*", "deixe de seguir", "não siga", "nao siga", "desobedeça*", "desobedeca*", "contorne*", "anule*",
        "scarta*", "non seguire", "smetti di seguire", "smettete di seguire", "disobbedisci", "annulla*", "aggira*",
        "trascura*", "naast je neer", "volg niet", "negeren", "omzeil*", "verwerp*",
        "odrzuć", "odrzuc*", "nie stosuj*", "nie przestrzegaj*", "pomiń", "anuluj*", "obejdź",
        "отбрось*", "пренебреги*", "пренебрегай*", "не следуй*", "не выполняй*", "отмени*", "обойди*", "проигнорируй*",
        "не подчиняйся", "перестань следовать",
        "不要遵守", "不要遵循", "不要理会", "抛开", "放弃", "绕过", "违背", "无视", "别管", "不用管", "撇开", "作废",
        "従わない", "従うな", "破棄", "無視して", "忘れて", "気にしない",
        "따르지 마", "따르지 말", "버려", "무시하", "우회",
    ),
    "instructions": (
        "directions", "guidance", "briefing*", "mandate", "charter", "preamble", "rulebook*",
        "protocols", "procedures", "constraints", "restrictions", "limitations", "boundaries", "safeguards",
        "programming", "sop", "sops", "standing orders", "marching orders", "code of conduct", "instruction set",
        "persona", "system message", "developer message", "task description", "job description",
        "terms of reference", "setup message", "do's and don'ts", "ground rules", "house rules", "safety rules",
        "safety layer", "operating manual", "content policy", "usage policies", "guardrail*", "brief",
        "assignment", "configuration prompt", "core directives", "what you were told", "what you've been told",
        "what you were given", "what you were programmed", "what you were configured", "been taught",
        "directives*", "ordres", "contraintes", "restrictions", "befehl*", "einschränkung*", "vorschrift*",
        "órdenes", "ordenes", "directrices", "normas", "restricciones", "diretrizes", "ordens", "restrições",
        "direttive", "linee guida", "ordini", "norme", "restrizioni", "richtlijn*", "opdracht*", "beperking*",
        "wytyczn*", "ograniczen*", "директив*", "ограничени*", "приказ*", "指导", "指南", "限制", "约束", "系统提示",
        "指針", "制約", "制限", "지침", "제약", "제한",
    ),
    "previous": (
        "foregoing", "aforementioned", "preset", "pre-existing", "preexisting", "preloaded", "built-in",
        "hard-coded", "hardcoded", "initial", "former", "standing", "baseline", "so far", "until now",
        "up to now", "before this", "came before", "prior to this", "above this", "preceding", "earlier on",
        "beforehand", "precedente*", "anteriore*", "vorher", "zuvor", "anteriormente", "eerder", "wcześniej*",
        "ранее", "раньше", "前面", "早先", "前述", "先ほど", "앞서",
    ),
    "authority": (
        "administrator*", "admin", "admins", "sysadmin*", "ciso", "cto", "ceo", "cio", "vp", "management",
        "leadership", "compliance", "legal department", "legal team", "anthropic", "openai", "maintainers",
        "your creators", "your developers", "your operators", "your owners", "your makers", "security team",
        "platform team", "sre lead", "on-call lead", "oncall lead", "incident commander", "duty manager",
        "head of", "root account", "cluster owner", "platform owners", "soc", "change management",
        "release captain", "on behalf of", "by order of", "mandated", "sanctioned", "authorised by",
        "authorized by", "at the request of", "as instructed by",
        "directive from", "orders from", "instructions from", "instruction from", "notice from", "memo from",
        "message from", "bulletin", "administrateur*", "direction générale", "équipe de sécurité", "equipe de securite",
        "sicherheitsteam", "geschäftsleitung", "im auftrag", "administrador*", "equipo de seguridad",
        "en nombre de", "equipe de segurança", "em nome de", "amministrator*", "team di sicurezza", "per conto di",
        "beheerder*", "namens", "w imieniu", "администратор*", "руководств*", "служба безопасности", "от имени",
        "管理员", "安全团队", "管理层", "代表", "管理者", "セキュリティチーム", "관리자", "보안팀",
    ),
    "tool_action": (
        "cluster-admin*", "cluster admin*", "clusteradmin*",
        "k8s_exec", "k8s_delete", "k8s_apply", "k8s_scale", "k8s_patch",
        "system:anonymous", "system:masters", "all pending", "every pending", "every open", "all open",
        "all queued", "every queued",
        "without review", "without approval", "directly to main", "straight to main", "directly to the release",
        "etcd snapshot", "false alarms", "delete ns", "delete namespace", "exec into", "the kubectl tool",
        "the shell tool",
        "use the tool", "your tools", "tool call", "| sh", "| bash",
        "approval gate", "branch protection", "silence every", "silence all",
    ),
    "secret": (
        "root token", "connection string*", "cookie*", "bearer", "signing key*", "encryption key*",
        "ssh key*", "access key*", "client secret", "personal access token", "service account json",
        "private key", "npm token", "github token", "secrets",
    ),
    "reveal": (
        "spit out", "print out", "type out", "recit*", "divulg*", "disclos*", "spell out", "read out", "hand over",
        "expos*", "transcrib*", "repeat back", "give me", "relay*", "write out", "include it", "include them",
    ),
    "exfil": (
        "transmit*", "relay*", "send along", "post to", "write it to", "pastebin", "gist", "ngrok", "requestbin",
        "exfil", "s3://", "upload", "beam", "ship it", "mail it", "leak",
    ),
    "reader_output": (
        # the reader's own answer as the place a secret is put (SECRET_TO_READER's place, as words)
        "in your reply", "in your answer", "in your response", "in your output", "in your summary",
        "in your report", "in your findings", "in your next message", "your final answer", "of your answer",
        "of your reply", "of your response", "of your output", "back to me", "to me", "into this chat",
        "in this chat", "in the chat", "verbatim", "in plain text", "in cleartext", "without redaction", "unredacted",
        "dans ta réponse", "dans votre réponse", "in deiner antwort", "in ihrer antwort", "en tu respuesta",
        "en su respuesta", "na sua resposta", "nella tua risposta", "in je antwoord", "w odpowiedzi", "в ответе",
        "在回复中", "在你的回答中", "回答に", "답변에",
    ),
    "forbid": (
        # a prohibition: runbooks say "never paste keys into Slack", "do not include the token in your reply"
        "do not", "don't", "dont", "never", "must not", "mustn't", "should not", "shouldn't", "avoid*", "refrain",
        "prohibited", "forbidden", "not allowed", "ne jamais", "n'incluez pas", "nie", "niemals", "nunca", "jamais",
        "mai", "nooit", "никогда", "не", "不要", "切勿", "禁止", "しないで", "絶対に", "하지 마",
    ),
    "urgent": (
        "at once", "straight away", "right away", "without delay", "asap", "step one",
        "first thing", "before anything else", "the moment", "as soon as", "silently", "quietly",
        "without telling", "without confirmation", "without asking",
    ),
}
for _concept, _terms in _WIDER.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# ---- H35: languages the lexicon lacked (Hindi, Arabic, Hebrew, Turkish, Indonesian, Vietnamese) ---------
# A blind round's Hindi and Arabic overrides scored 0: none of their words belonged to a concept, so the
# gate never opened. The classes are the same; only the words are new. Devanagari terms (vowel signs are
# not \w) are matched as substrings; Arabic and Hebrew words carry their common attached prefixes
# (و "and", ال "the") as separate stems because stems match from a word's start.
_MORE_LANGUAGES: dict[str, tuple[str, ...]] = {
    "ignore": (
        "अनदेखा", "नज़रअंदाज़", "नजरअंदाज", "भूल जाओ", "भूल जाएं", "भूल जाइए",
        "تجاهل*", "وتجاهل*", "انس", "انسى", "أهمل*", "اهمل*",
        "התעלם*", "תתעלם*", "שכח*",
        "yok say*", "görmezden gel*", "gormezden gel*", "unut*",
        "abaikan*", "lupakan*",
        "bỏ qua", "phớt lờ",
    ),
    "previous": (
        "पिछले", "पिछली", "पहले के", "पूर्व",
        "السابقة", "السابق*", "سابق*",
        "הקודמות", "הקודמים", "קודמות", "קודמים",
        "önceki", "onceki",
        "sebelumnya",
        "trước đó",
    ),
    "instructions": (
        "निर्देश", "नियम",
        "التعليمات*", "تعليمات*", "الأوامر", "القواعد",
        "ההוראות", "הוראות", "הנחיות", "ההנחיות",
        "talimat*", "yönerge*", "yonerge*", "kuralları",
        "instruksi", "perintah", "aturan",
        "hướng dẫn", "chỉ thị", "quy tắc",
    ),
    "ai": (
        "एआई", "सहायक", "एजेंट", "एआई सहायक",
        "مساعد*", "المساعد*", "الذكاء الاصطناعي", "وكيل*", "الوكيل*",
        "עוזר*", "לעוזר*", "העוזר*", "בינה מלאכותית", "סוכן*", "לסוכן*",
        "yapay zeka", "asistan*", "ajan*",
        "asisten*", "agen",
        "trợ lý",
    ),
    "secret": (
        "सीक्रेट", "पासवर्ड", "गुप्त",
        "الأسرار", "أسرار", "كلمة المرور", "كلمات المرور",
        "סודות", "הסודות", "סיסמ*", "הסיסמ*",
        "şifre*", "sifre*", "gizli anahtar*",
        "rahasia", "kata sandi",
        "mật khẩu", "bí mật",
    ),
    "reveal": (
        "दिखाएँ", "दिखाएं", "दिखाओ", "बताओ", "बताएं",
        "اعرض*", "أظهر*", "اظهر*", "اكشف*",
        "הצג*", "חשוף*",
        "göster*", "goster*",
        "tampilkan", "tunjukkan",
        "hiển thị", "tiết lộ",
    ),
    "exfil": (
        "भेजें", "भेजो", "भेज दो",
        "أرسل*", "ارسل*",
        "שלח*", "ושלח*",
        "gönder*", "gonder*",
        "kirimkan", "kirim ke",
        "gửi",
    ),
    "command": (
        "हटाएं", "हटा दें", "मिटा दें", "डिलीट",
        "احذف*", "واحذف*",
        "מחק*",
        "hapus",
        "xóa",
    ),
}
for _concept, _terms in _MORE_LANGUAGES.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# ---- Blind round 9: more languages (Ukrainian, Czech, Slovak, Greek, Persian, Urdu, Thai, Bengali, Swedish,
# Danish, Norwegian, Romanian, Hungarian, Finnish) ------------------------------------------------------------
# Round 9's direct overrides in Ukrainian, Thai, Greek, Persian and Czech scored 0: the classes were there, the
# words were not. Each language gets the same roles, built from the concept level: a cancel verb (ignore,
# forget, pay no attention), "previous / above", a noun for standing instructions, a word for the assistant,
# and the secret / disclosure / approval words an override goes on to use. Thai and Bengali are matched as
# substrings (Thai writes no spaces between words; Bengali vowel signs are not \w).
_ROUND9_LANGUAGES: dict[str, tuple[str, ...]] = {
    "ignore": (
        "ігнор*", "проігнор*", "не зважай*", "нехтуй*", "знехтуй*", "забудьте",
        "zapomeň*", "zapomen*", "nevšímej*", "nevsimej*", "zabudni*", "nevšímaj*",
        "αγνόησ*", "αγνοήσ*", "αγνόη*", "ξέχασ*", "ξεχάστε", "παράβλεψ*",
        "نادیده", "فراموش کن", "فراموش کنید", "نظرانداز", "نظر انداز", "بھول جاؤ", "بھول جائیں",
        "เพิกเฉย", "ไม่ต้องสนใจ", "ละเลย", "ละเว้น", "ลืมคำสั่ง", "ลืม",
        "উপেক্ষা", "ভুলে যাও", "ভুলে যান",
        "glöm*", "bortse från", "strunta i", "glem*", "se bort fra",
        "uită", "uitați", "uitati", "neglijează", "ignorați",
        "figyelmen kívül", "felejtsd el", "felejtse el", "hagyd figyelmen",
        "ohita", "ohittakaa", "sivuuta", "unohda", "unohtakaa", "jätä huomiotta",
    ),
    "previous": (
        "попередн*", "вищенаведен*", "наведені вище", "раніше",
        "předchozí*", "předchoz*", "predchoz*", "předešl*", "dřívější*", "výše uvedené", "predchádzajúc*",
        "predošl*",
        "προηγούμεν*", "προηγουμεν*", "παραπάνω", "ανωτέρω",
        "قبلی", "پیشین", "قبلا", "پچھلی", "پچھلے", "سابقہ",
        "ก่อนหน้า", "ที่ผ่านมา", "ข้างต้น",
        "আগের", "পূর্ববর্তী",
        "tidigare", "föregående", "ovanstående", "tidligere", "forrige", "ovenstående",
        "anterioare", "anterior*", "precedente",
        "korábbi", "előző", "fenti",
        "aiemmat", "aiemmin", "aikaisemmat", "edelliset", "yllä olevat",
    ),
    "instructions": (
        "інструкц*", "вказівк*", "вказівок", "настанов*", "правил*",
        "pokyn*", "instrukc*", "pravidl*", "příkaz*", "prikaz*", "inštrukci*", "pokyny",
        "οδηγί*", "οδηγιών", "εντολ*", "κανόν*", "κανονες",
        "دستورالعمل*", "دستورات", "دستور*", "قوانین", "ہدایات", "ہدایت*", "قواعد",
        "คำสั่ง", "คำแนะนำ", "ข้อกำหนด",
        "নির্দেশ", "নির্দেশনা",
        "instruktion*", "instruksjon*", "regler", "anvisning*",
        "instrucțiuni*", "instrucţiuni*", "instructiuni*", "reguli*",
        "utasítás*", "utasitas*", "szabály*",
        "ohje*", "säännöt", "säännö*",
    ),
    "ai": (
        "асистент*", "ші", "штучн* інтелект*", "помічник*",
        "asistent*", "umělá inteligence", "umela inteligence",
        "βοηθέ", "βοηθός", "βοηθό", "τεχνητή νοημοσύνη", "πράκτορ*",
        "دستیار*", "هوش مصنوعی", "اسسٹنٹ", "معاون",
        "ผู้ช่วย", "ปัญญาประดิษฐ์", "เอไอ",
        "সহকারী", "এআই",
        "assistenten", "asistentul", "asszisztens*", "mesterséges intelligencia", "avustaja*", "tekoäly*",
    ),
    "secret": (
        "облікові дані", "ключі",
        "heslo", "hesla", "hesl*", "tajemstv*", "tajné klíče", "tajne",
        "μυστικ*", "κωδικ*", "συνθηματικ*", "κλειδ*", "διαπιστευτήρι*",
        "رمز عبور", "گذرواژه", "توکن*", "کلید*", "رمز*", "پاس ورڈ", "خفیہ",
        "รหัสผ่าน", "ความลับ", "โทเค็น", "คีย์",
        "পাসওয়ার্ড", "গোপন",
        "lösenord*", "hemlighet*", "hemmelighed*", "adgangskode*", "passord*",
        "parola", "parolele", "parolă",
        "jelszó", "jelszav*", "titk*",
        "salasana*", "salaisuu*",
    ),
    "reveal": (
        "виведи*", "розкрий*", "надрукуй*", "покажіть",
        "zobraz*", "ukaž*", "vypiš*", "prozraď*", "ukáž*", "vypíš*",
        "εμφάνισ*", "δείξε", "δείξτε", "αποκάλυψ*", "τύπωσ*",
        "نمایش", "چاپ کن", "چاپ کنید", "نشان بده", "فاش کن", "دکھائیں", "دکھاؤ",
        "แสดง", "เปิดเผย",
        "দেখাও", "প্রকাশ কর",
        "skriv ut", "avslöja*", "afișează", "afiseaza", "dezvăluie", "mutasd", "írd ki", "näytä", "tulosta",
    ),
    "approve": (
        "схвал*", "затверд*", "погодь*",
        "schval*", "schvál*", "schváľ*",
        "έγκριν*", "εγκρίν*", "ενέκριν*",
        "تایید", "تأیید", "منظور",
        "อนุมัติ",
        "অনুমোদন",
        "godkänn*", "godkend*", "godkjenn*", "jóváhagy*", "hagyd jóvá", "hyväksy*",
    ),
    "skip": (
        "без перевірк*", "bez kontroly", "bez ověření", "χωρίς έλεγχο", "بدون بررسی", "โดยไม่ตรวจสอบ",
    ),
    "exfil": (
        "надішли*", "відправ*", "pošli*", "odešli*", "στείλε", "ارسال کن", "بفرست", "ส่งไปที่",
    ),
}
for _concept, _terms in _ROUND9_LANGUAGES.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# And a few more major languages the lexicon lacked, the same roles: Tagalog, Swahili, Malay, Catalan,
# Serbian / Croatian / Bosnian (both scripts), Bulgarian, Tamil, Marathi and Nepali, Lithuanian, Latvian, Estonian.
_MORE_MAJOR_LANGUAGES: dict[str, tuple[str, ...]] = {
    "ignore": (
        "huwag pansinin", "balewalain", "kalimutan", "puuza", "puuzeni", "sahau", "oblida", "oblideu",
        "zanemari*", "zaboravi*", "занемари*", "заборави*", "забрави", "пренебрегни", "புறக்கணி*", "மறந்துவிடு",
        "दुर्लक्ष", "बेवास्ता", "बिर्स", "pamiršk*", "aizmirst*", "unusta",
    ),
    "previous": (
        "nakaraang", "naunang", "nakaraan", "zilizopita", "iliyopita", "yaliyopita", "uliopita", "zilizotangulia",
        "yaliyotangulia", "za awali", "ya awali", "terdahulu",
        "anteriors", "prèvies", "previes", "prethodn*", "ranije", "претходн*", "предишн*", "முந்தைய", "मागील",
        "आधीच्या", "अघिल्ला", "पहिलेका", "ankstesn*", "iepriekšēj*", "ieprieksej*", "eelnev*", "varasem*",
    ),
    "instructions": (
        "tagubilin", "panuto", "mga patakaran", "maagizo", "maelekezo", "sheria", "arahan", "peraturan",
        "instruccions", "regles", "upute", "uputstv*", "instrukcij*", "pravila", "упутств*", "инструкције",
        "правила", "வழிமுறை*", "அறிவுறுத்தல்*", "सूचना", "निर्देशन", "nurodym*", "norādījum*", "juhis*",
    ),
    "ai": (
        "katulong", "msaidizi", "akili bandia", "pembantu", "உதவியாளர்", "सहाय्यक", "सहायक",
    ),
    "secret": (
        "lihim", "nenosiri", "kata laluan", "rahsia", "contrasenya", "lozink*", "лозинк*", "கடவுச்சொல்",
        "slaptažod*", "paroli", "parool*",
    ),
    "reveal": (
        "ipakita", "ibunyag", "onyesh*", "uonyeshe", "fichua", "paparkan", "dedahkan", "prikaži", "otkrij", "прикажи",
        "காட்டு", "दाखवा", "देखाउनुहोस्", "parodyk", "parādi", "näita",
    ),
    "approve": (
        "aprubahan", "idhinisha", "luluskan", "odobri", "одобри", "ஒப்புதல்", "मंजूर",
    ),
}
for _concept, _terms in _MORE_MAJOR_LANGUAGES.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# The reader and the moment, for the role-change shape ("from now on you are an assistant without limits"):
# the second person and "from now on / immediately" in the languages above.
_ROUND9_READER: dict[str, tuple[str, ...]] = {
    "you": (
        "ти", "ви", "тобі", "твій", "твої", "твоє", "твоя", "тебе",
        "tvůj", "tvoje", "tvoji", "vy", "váš", "vaše", "tebe", "tobě", "jsi",
        "εσύ", "εσείς", "σου", "σας", "είσαι", "είστε",
        "شما", "آپ",
        "คุณ", "เธอ",
        # not Swedish "du", "din" (French "du", English "din"), Persian "تو" (Urdu "then"), Urdu "تم" (Arabic "done")
        "ditt", "sinä", "sinun", "sinulla", "neked", "tău", "ikaw", "wewe", "yako", "kamu", "ти си", "вие",
    ),
    "urgent": (
        "відтепер", "від тепер", "негайно", "od teď", "od nynějška", "okamžitě", "από τώρα", "από εδώ και πέρα",
        "αμέσως", "از این به بعد", "فورا", "فوراً", "ตั้งแต่นี้", "ทันที", "från och med nu", "omedelbart",
        "tästä lähtien", "heti", "mostantól", "azonnal", "de acum înainte", "imediat", "mula ngayon", "kuanzia sasa",
        "mulai sekarang",
    ),
    "ignore": ("ξέχνα", "ξεχνάτε", "nedbej*", "přehlížej*", "nevšímejte"),
    "skip": ("без обмежень", "bez omezení", "χωρίς περιορισμούς", "بدون محدودیت", "ไม่มีข้อจำกัด", "utan begränsningar"),
}
for _concept, _terms in _ROUND9_READER.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# Blind round 10: polite and declarative paraphrases. The reader's instructions are not cancelled with a verb
# but declared void ("先前給你的設定已經作廢", "最初に受けた指示はもう無効です", "دستورالعمل‌های قبلی دیگر معتبر
# نیستند", "the earlier rules no longer apply"); the secret is not printed but written into the reader's report
# or summary, verbatim ("原封不動貼在報告裡", "そのまま要約に書いてください", "در گزارش بنویس": the verbs of writing
# into it and the word for verbatim, not the report alone); the reader is
# addressed in Traditional Chinese (助理) or with an honorific. Environment variables count as a secret in
# every language, as they already did in English.
_ROUND10_PARAPHRASE: dict[str, tuple[str, ...]] = {
    "ignore": (
        "no longer valid", "no longer apply", "no longer applies", "no longer in effect", "are void", "is void",
        "作廢", "不再有效", "无效了", "無效了", "もう無効", "معتبر نیست", "باطل شده", "لغو شده", "لم تعد صالحة",
        "ملغاة", "더 이상 유효하지",
    ),
    "previous": ("原先", "原本的", "最初に受けた", "最初の指示", "前の指示", "이전"),
    "instructions": ("規則", "지시"),
    "ai": ("助理", "人工智慧", "機器人", "aiさん", "aiへ", "aiに"),
    # Korean "secret" as a loanword (시크릿) and the native word (비밀: 비밀 값, 비밀 정보), not only a password
    "secret": ("环境变量", "環境變數", "環境変数", "متغیرهای محیط", "환경 변수", "시크릿", "비밀"),
    "reveal": ("贴在", "貼在", "写在", "寫在", "写进", "寫進", "書いてください", "書き出して", "貼り付けて",
               "بنویس*", "적어"),
    # verbatim, as English "verbatim"; not "in the report" alone (报告里, レポートに, در گزارش): a runbook asks to
    # note things in the report, and "the previous certificate expired, note it in the report" is no leak
    "reader_output": ("原封不动", "そのまま", "در پاسخ", "그대로"),
    "urgent": ("從現在開始", "从现在起", "從現在起", "この後は", "これからは", "今後は", "지금부터"),
}
for _concept, _terms in _ROUND10_PARAPHRASE.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))

# Traditional Chinese (Taiwan, Hong Kong) writes the lexicon's Simplified Chinese terms with other characters:
# 忘记 / 忘記, 密码 / 密碼, 显示 / 顯示, 从现在开始 / 從現在開始. Each Chinese term (no kana: Japanese spells its own)
# also counts in its Traditional spelling, character by character; the map holds the simplified characters
# the lexicon uses, so a new Chinese term is covered when its characters are.
_TRADITIONAL = str.maketrans(
    "从会传体关册写准凭则别动发变员团导层废开弃总执抛报据数无显机环现码约结绕统规视记证词贴转输过运进违钥闭队须审并里复实认",
    "從會傳體關冊寫準憑則別動發變員團導層廢開棄總執拋報據數無顯機環現碼約結繞統規視記證詞貼轉輸過運進違鑰閉隊須審並裡復實認",
)
_KANA = re.compile("[\u3040-\u30ff]")
_ROUND10_TRADITIONAL: dict[str, tuple[str, ...]] = {
    "ignore": ("不要管", "不用管"),
    "reveal": ("列出",),
    # Korean "give me" (출력해 줘, 보여줘: put it in front of me), as Chinese 给我
    "reader_output": ("给我", "給我", "줘"),
}
for _concept, _terms in _ROUND10_TRADITIONAL.items():
    CONCEPTS[_concept] = tuple(dict.fromkeys(CONCEPTS.get(_concept, ()) + _terms))
for _concept, _terms in list(CONCEPTS.items()):
    _variants = tuple(t.translate(_TRADITIONAL) for t in _terms if not t.isascii() and not _KANA.search(t))
    CONCEPTS[_concept] = tuple(dict.fromkeys(_terms + tuple(v for v in _variants if v not in _terms)))

_ROLE_MARKER = re.compile(
    r"(?im)(?:^|[\s>\"'`])(?:#{2,}\s*|\[\s*|<\|?\s*|<<\s*|\{\{\s*|\*\*\s*)"
    r"(?:system|assistant|developer|admin|operator|instructions?|assistant\s+memory(?:\s+update)?|memory\s+update|"
    r"new\s+instructions?|im_start|inst|sys|context\s+update|policy\s+update)\b[^\n]{0,20}?(?:#{2,}|\]|\|?>|>>|\}\}|\*\*|:)"
)
_IDENTITY = re.compile(
    r"(?i)\byou\s+are\s+(?:now\s+)?(?:chatgpt|claude|gpt-?\d*|gemini|copilot|an?\s+(?:ai|llm|language\s+model|"
    r"assistant|agent)|the\s+(?:assistant|agent|model)|vigil|dan)\b"
)
_HEADING = (
    r"#{3,6}[ \t]+(?![^\n]*\b(?:instructions?|directives?|prompts?|rules|system|assistants?|agents?|ai|admin|"
    r"override|polic(?:y|ies)|tasks?|memory|context|orders?)\b)[^\s#][^\n#]*(?:\n|$)"
)
"""A markdown heading ("### Decommission staging-eu") opens a section of a document, not a break out of the
data; one that names instructions ("### New instructions") still counts as the delimiter it imitates."""
_DELIMITER = re.compile(
    r"(?i)(?:^|\n)[ \t]*(?:(?!" + _HEADING + r")[-=_*#~]{3,}|"
    r"</?(?:data|context|document|log|logs|input|output|tool_result|result|"
    r"untrusted|end)[^>\n]{0,20}>|(?:end|fin|ende|fim|конец)\s+(?:of\s+|du\s+|des\s+|der\s+|de\s+)?"
    r"(?:data|log|logs|input|context|document|untrusted|output|données|daten|datos|dados|данных)\b[^\n]{0,20})"
)
_COMMENT = re.compile(r"<!--([\s\S]{0,2000}?)-->|/\*([\s\S]{0,2000}?)\*/|(?:^|\s)(?://|#(?!\d))\s?([^\n]{0,400})", re.M)
"""Comment bodies; `#` before a digit is an issue or ticket number ("Report #8812: ..."), not a comment."""
_AI_WORD = (
    r"(?:ai|a\.i\.|llms?|ia|ki|ии|bots?|models?|modèle|modelo|modello|modell|sprachmodell|assistants?|"
    r"assistent(?:in|en)?|asistente|assistente|asystencie|asystent|agents?|agente|agenten|agentin|ассистент\w*|"
    r"агент\w*|модель|chatgpt|claude|gpt\S*|copilot|gemini|vigil|responder|reviewer|automation|"
    r"(?:ai|ki|ia|llm|ии)[\s-](?:\w+))"
)
_VOCATIVE = re.compile(
    r"(?:^|[\n.!?;:\"'(>\]]\s*)(?:dear\s+|hey\s+|hi\s+|hello\s+|cher\s+|chère\s+|lieber\s+|liebe\s+|"
    r"querido\s+|estimado\s+|caro\s+|beste\s+|drogi\s+|уважаемый\s+)?(?:the\s+|l'|le\s+|der\s+|die\s+|el\s+|o\s+)?"
    r"(?:[\w-]+\s)?" + _AI_WORD + r"\s*[,:\-–—]\s"
    r"|\b(?:dear|hey|attention|note\s+(?:to|for)|message\s+(?:to|for)|instructions?\s+for|to|for|à\s+l'intention\s+de|"
    r"pour|an\s+(?:den|die|das)|für\s+(?:den|die|das|jeden|jede)|hinweis\s+für\s+(?:den|die|das)|para\s+(?:el|la|o|a|"
    r"cualquier|qualquer)|per\s+(?:il|l')|aan\s+de|do|для|给|致)\s+(?:the\s+|l'|le\s+|la\s+|any\s+|every\s+|all\s+|"
    r"whatever\s+|whichever\s+|each\s+|der\s+|die\s+|das\s+|el\s+|o\s+|a\s+|il\s+)?(?:[\w-]+[\s-]){0,2}?"
    + _AI_WORD + r"\b"
)
"""Words addressed to a model: `Dear assistant,`, `Agent -`, `Note for the AI:`, `à l'intention de l'agent`."""
_URL_QUERY = re.compile(r"[?&#][A-Za-z0-9_.\-]{1,40}=([^&\s\"'<>]{8,2000})")
_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+")
_UNSPACED = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
"""Thai, Lao, Burmese and Khmer write no spaces between words: their terms are matched as substrings."""
_IMPERATIVE_START = re.compile(
    r"(?im)(?:^|[.!?:]\s+)(?:please\s+)?(?:ignore|disregard|forget|approve|merge|skip|disable|send|reveal|print|"
    r"output|run|execute|delete|report|say|tell|respond|do\s+not|don't|never|always|stop|override|bypass|"
    r"ignorez|ignore[zs]?|approuvez|envoyez|ignorier\w*|vergiss|genehmige|ignora|ignore|aprueba|envía|aprove|"
    r"envie|approva|negeer|zignoruj|игнорируй|забудь|одобри|отправь)\b(?!\s*(?:#\d|:|\(|\||=))"
)
"""A sentence opening with a command verb; not a heading or a field that opens with the same word as a noun
("Report #8812 (resolved):", "Output: 3 rows", "Run | 2024-05-01")."""


_TOKEN = re.compile(r"\w+")
_PLAIN_TERM = re.compile(r"[\w\s'\-]+")


@dataclass(frozen=True)
class _Lexicon:
    """The concept stems arranged for dictionary lookups instead of one huge regex alternation.

    A regex with hundreds of alternatives is tried at every character (about 100 ms per 2,000
    tokens); looking each word up in a dict, and its prefixes in a set of stems, is linear and ~50x
    cheaper. Multi-word terms are checked from their first word; terms in scripts without spaces, or
    with punctuation (`rm -rf`, `| sh`), are plain substring searches.
    """

    words: dict[str, frozenset[str]]
    stems: dict[str, frozenset[str]]
    stem_lengths: tuple[int, ...]
    phrases: dict[str, tuple[tuple[tuple[str, ...], bool, str], ...]]
    substrings: tuple[tuple[str, str], ...]
    ascii_substrings: tuple[tuple[str, str], ...]
    """The substring terms written in ASCII only, in the same order: the only ones an ASCII text can
    hold (most texts are ASCII; the other ~120 terms are CJK, Cyrillic and accented)."""


def _build(concepts: dict[str, tuple[str, ...]]) -> _Lexicon:
    words: dict[str, set[str]] = {}
    stems: dict[str, set[str]] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], bool, str]]] = {}
    substrings: list[tuple[str, str]] = []
    for concept, terms in concepts.items():
        for term in terms:
            open_end = term.endswith("*")
            body = term.rstrip("*").lower()
            if _CJK.search(body) or _UNSPACED.search(body) or not _PLAIN_TERM.fullmatch(body):
                substrings.append((body, concept))
                continue
            tokens = tuple(_TOKEN.findall(body))
            if len(tokens) == 1:
                (stems if open_end else words).setdefault(tokens[0], set()).add(concept)
            elif tokens:
                phrases.setdefault(tokens[0], []).append((tokens[1:], open_end, concept))
    return _Lexicon(
        words={k: frozenset(v) for k, v in words.items()},
        stems={k: frozenset(v) for k, v in stems.items()},
        stem_lengths=tuple(sorted({len(k) for k in stems})),
        phrases={k: tuple(v) for k, v in phrases.items()},
        substrings=tuple(substrings),
        ascii_substrings=tuple((term, concept) for term, concept in substrings if term.isascii()),
    )


_LEXICON = _build(CONCEPTS)
CONCEPT_NAMES: tuple[str, ...] = tuple(CONCEPTS)


@lru_cache(maxsize=8192)
def _word_concepts(word: str) -> frozenset[str]:
    found = set(_LEXICON.words.get(word, ()))
    for n in _LEXICON.stem_lengths:
        if n > len(word):
            break
        found.update(_LEXICON.stems.get(word[:n], ()))
    return frozenset(found)


def concepts_in(lowered: str) -> set[str]:
    """The concepts whose terms occur in an already lowercased text."""
    found: set[str] = set()
    tokens = _TOKEN.findall(lowered)
    phrases = _LEXICON.phrases
    for i, tok in enumerate(tokens):
        found.update(_word_concepts(tok))
        for rest, open_end, concept in phrases.get(tok, ()):
            following = tokens[i + 1 : i + 1 + len(rest)]
            if len(following) == len(rest) and all(
                f == r or (open_end and j == len(rest) - 1 and f.startswith(r))
                for j, (f, r) in enumerate(zip(following, rest, strict=True))
            ):
                found.add(concept)
    # A term with a non-ASCII character cannot occur in an ASCII text: skipping those terms there
    # finds exactly the same concepts, in the same order.
    terms = _LEXICON.ascii_substrings if lowered.isascii() else _LEXICON.substrings
    for term, concept in terms:
        if concept not in found and term in lowered:
            found.add(concept)
    # "kubernetes-admin", "cluster-admin", "system:admin" name an account or a role, not someone who gives
    # the reader orders: an RBAC audit that names them is not an authority handing over an action.
    if (
        "authority" in found
        and _IDENTIFIER_ADMIN.search(lowered)
        and "authority" not in concepts_in(_IDENTIFIER_ADMIN.sub(" ", lowered))
    ):
        found.discard("authority")
    # "bound to cluster-admin", "groups=[system:masters]" name a role; granting one is the action an attacker asks for
    if (
        "tool_action" in found
        and _ROLE_NAME.search(lowered)
        and not _GRANT.search(lowered)
        and "tool_action" not in concepts_in(_ROLE_NAME.sub(" ", lowered))
    ):
        found.discard("tool_action")
    # "delete sections that do not apply" (a PR or issue template) says what is not applicable, it cancels nothing
    if "ignore" in found and _NOT_APPLICABLE.search(lowered) and "ignore" not in concepts_in(
        _NOT_APPLICABLE.sub(" ", lowered)
    ):
        found.discard("ignore")
    # "saved model to s3://...", "loaded the fraud model", "model checkpoint": a trained artifact that an ML job
    # writes or reads, not the AI reader the text could be talking to
    if "ai" in found and _MODEL_ARTIFACT.search(lowered) and "ai" not in concepts_in(_MODEL_ARTIFACT.sub(" ", lowered)):
        found.discard("ai")
    # "output_type": a JSON key naming a field (a notebook cell's outputs), not output shown to someone
    if "reveal" in found and _OUTPUT_KEY.search(lowered) and "reveal" not in concepts_in(_OUTPUT_KEY.sub(" ", lowered)):
        found.discard("reveal")
    # "--type=merge", "strategic merge patch": how kubectl patches an object, not a change approved or merged
    if "approve" in found and _MERGE_PATCH.search(lowered) and "approve" not in concepts_in(
        _MERGE_PATCH.sub(" ", lowered)
    ):
        found.discard("approve")
    return found


_NOT_APPLICABLE = re.compile(
    r"\b(?:that|which|if\s+(?:it|they|this|these)|where\s+(?:it|they))\s+(?:do|does)(?:\s+not|n'?t)\s+apply\b"
)
"""A relative clause saying that something is not applicable ("remove the items that don't apply")."""
_MODEL_ARTIFACT = re.compile(
    r"\b(?:sav|train|load|export|fine-?tun|serializ|register|upload|download|push|writ|check\s*point)(?:e|ed|ing|s)?"
    r"\s+(?:the\s+|a\s+|new\s+|best\s+|final\s+)?(?:[\w.-]+\s+)?models?\b"
    r"|\bmodels?\s+(?:artifacts?|checkpoints?|weights|registry|versions?|files?|accuracy|metrics|card|training)\b"
    r"|(?<=[/:])models?(?=[/.])"
)
"""A model as an ML job's artifact ("saved model to s3://...", "model checkpoint", a `/models/` path), not the
AI reader."""
_OUTPUT_KEY = re.compile(r"[\"'][a-z_]*outputs?[a-z_]*[\"']\s*:")
"""A quoted key holding "output" (`"output_type":`, `"outputs":`): a field's name, not output revealed."""
_MERGE_PATCH = re.compile(
    r"(?:--)?(?:type|strategy|patch-type)\s*[=:]\s*[\"']?(?:merge|json|strategic)\b|\b(?:strategic|json)[- ]merge\b"
    r"|\bmerge[- _]patch\b"
)
"""A kubectl patch type (`--type=merge`, JSON merge patch), not the approval verb "merge"."""


_ROLE_NAME = re.compile(r"cluster[- ]?admin\w*|system:(?:masters|anonymous)")
_GRANT = re.compile(
    r"\b(?:grant|give|add|bind|assign|elevate|escalate|promote|make|create|put|attach|join)(?:s|ed|ing)?\b"
    r"[^.\n]{0,60}?(?:cluster[- ]?admin|system:(?:masters|anonymous))"
)


_IDENTIFIER_ADMIN = re.compile(
    r"(?<=[a-z0-9][-:/_.])admins?\b|\badmins?(?=[-:/_.][a-z0-9])"
    # "admin" naming a thing, not a person: "the admin kubeconfig", "admin role", "admin password"
    r"|\badmin(?=\s+(?:kubeconfig|credentials?|passwords?|roles?|users?|accounts?|access|rights|panel|console|api|"
    r"tokens?|keys?|groups?|bindings?|privileges?|permissions?|port|ui|page|endpoint|namespace|rbac|certs?|"
    r"certificates?|conf|config|interface|portal|scope|level|mode)\b)"
)


def _stable_hash(token: str) -> int:
    return zlib.crc32(token.encode("utf-8")) % HASH_BUCKETS


def expand(text: str) -> str:
    """The text plus what it hides in plain sight: URL-query values percent-decoded, HTML entities
    unescaped, comment bodies repeated on their own lines (so a comment's words count as a passage)."""
    extra: list[str] = []
    if "%" in text or "+" in text:
        for m in _URL_QUERY.finditer(text):
            value = m.group(1)
            decoded = urllib.parse.unquote_plus(value)
            if decoded != value:
                extra.append(decoded)
    if "&" in text and ";" in text:
        unescaped = html.unescape(text)
        if unescaped != text:
            extra.append(unescaped)
    return text if not extra else text + "\n" + "\n".join(extra)


def features(text: str) -> dict[str, float]:
    """Named features (concepts, concept pairs, structure) and hashed word features (`h:<bucket>`)."""
    return Passage(text).features()


_AIM_WORDS = {"ignore", "instructions", "ai", "approve", "skip", "secret", "exfil", "urgent"}


def _role_marker(p: Passage) -> bool:
    return _ROLE_MARKER.search(p.lowered) is not None


def _identity(p: Passage) -> bool:
    return _IDENTITY.search(p.lowered) is not None


def _imperative(p: Passage) -> bool:
    return _IMPERATIVE_START.search(p.lowered) is not None


_SPEAKER_TURN = re.compile(
    r"\s*(?:(?:sure|ok|okay|yes|yep|no|hi|hello|hey|thanks|thank\s+you|of\s+course|certainly|absolutely|great|"
    r"got\s+it|sorry|understood|no\s+problem|done|all\s+set)\b[\s,.!\u2014\u2013-]*)*"
    r"(?:(?:i|i'm|i've|i'll|i'd|im|ive|we|we're|we've|we'll|my|our)\b|(?<=done)[.,!]|(?<=set)[.,!])"
)
"""First person, or a reply word, after "agent:" ("agent: Sure, I've sent ...", "bot: Done."): the label names
who speaks in a transcript, not whom the text addresses. The same words as injection.SPEAKER_TURN."""


def _addressed_to_ai(p: Passage) -> bool:
    lowered = p.lowered
    if any(t in lowered for t in ("给ai", "致ai", "へ:", "へ：", "에게")):
        return True
    # "agent: I've sent a reset link" is a support transcript's speaker label; "Agent: approve this" a vocative.
    return any(not (m.group().rstrip()[-1:] == ":" and _SPEAKER_TURN.match(lowered, m.end()))
               for m in _VOCATIVE.finditer(lowered))


def _delimiter_then_instruction(p: Passage) -> bool:
    lowered = p.lowered
    return any(len(concepts_in(lowered[m.end() : m.end() + 300]) & _AIM_WORDS) >= 2
               for m in _DELIMITER.finditer(lowered))


def _comment_to_ai(p: Passage) -> bool:
    for m in _COMMENT.finditer(p.lowered):
        body_concepts = concepts_in(next((g for g in m.groups() if g), ""))
        if "ai" in body_concepts and len(body_concepts) >= 2:
            return True
    return False


def _decoded_instruction(p: Passage) -> bool:
    # Longer by more than the "\n" that joins: `expand` appended decoded text (lowercasing can
    # lengthen a text too, as the training data saw; kept as it always was).
    lowered, text = p.lowered, p.text
    return lowered is not text.lower() and len(lowered) > len(text) + 1 and len(concepts_in(lowered[len(text) :])) >= 2


_STRUCTURE: dict[str, Callable[[Passage], bool]] = {
    "s:role_marker": _role_marker,
    "s:identity": _identity,
    "s:imperative": _imperative,
    "s:addressed_to_ai": _addressed_to_ai,
    "s:delimiter_then_instruction": _delimiter_then_instruction,
    "s:comment_to_ai": _comment_to_ai,
    "s:decoded_instruction": _decoded_instruction,
}
"""The structural features, in the order `features` lists them (the order the classifier sums in)."""


class Passage:
    """One text's features, each worked out only when asked for.

    `features()` is the whole set (training and scoring use it); `has(name)` answers for one
    feature exactly as `name in features()` would, computing only what that name needs. The
    classifier asks first whether anything aims a passage at a model, and most passages (code,
    logs) have nothing that does: for them the word hashing and the other structural patterns,
    most of the cost, never run.
    """

    __slots__ = ("_all", "_structure", "found", "lowered", "text")

    def __init__(self, text: str, lowered_and_concepts: tuple[str, set[str]] | None = None) -> None:
        """`lowered_and_concepts`, when the caller has them already: `text.lower()` and
        `concepts_in(text.lower())` (used only when `expand` adds nothing, as then they are the same)."""
        expanded = expand(text)
        self.text = text
        if lowered_and_concepts is not None and expanded is text:
            self.lowered, self.found = lowered_and_concepts
        else:
            self.lowered = expanded.lower()
            self.found = concepts_in(self.lowered)
        self._structure: dict[str, bool] = {}
        self._all: dict[str, float] | None = None

    def structural(self, name: str) -> bool:
        if name not in self._structure:
            self._structure[name] = _STRUCTURE[name](self)
        return self._structure[name]

    def has(self, name: str) -> bool:
        """`name in self.features()`, computing only what `name` needs."""
        kind, _, rest = name.partition(":")
        if kind == "c":
            return rest in self.found
        if kind == "p":
            a, _, b = rest.partition("&")
            return a < b and a in self.found and b in self.found  # pairs are named in sorted order
        if name == "n_concepts":
            return True
        if name in _STRUCTURE:
            return self.structural(name)
        return name in self.features()

    def features(self) -> dict[str, float]:
        if self._all is not None:
            return self._all
        found, lowered = self.found, self.lowered
        out: dict[str, float] = {f"c:{c}": 1.0 for c in found}
        for a, b in combinations(sorted(found), 2):
            out[f"p:{a}&{b}"] = 1.0
        out["n_concepts"] = min(len(found), 8) / 8
        for name in _STRUCTURE:
            if self.structural(name):
                out[name] = 1.0
        words = _WORD.findall(lowered)
        for cjk in _CJK.findall(lowered):
            words.extend(cjk[i : i + 2] for i in range(len(cjk) - 1))
        for w in words:
            out[f"h:{_stable_hash(w)}"] = 1.0
        for a, b in pairwise(words):
            out[f"h:{_stable_hash(a + ' ' + b)}"] = 1.0
        self._all = out
        return out


__all__ = ["CONCEPTS", "CONCEPT_NAMES", "HASH_BUCKETS", "Passage", "concepts_in", "expand", "features"]
