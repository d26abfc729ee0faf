"""Secrets printed by the tools made to print them, found by each tool's documented output shape.

Why a module of its own: a value a secret manager prints has no key in front of it. `gcloud secrets
versions access latest --secret=x` writes the bare secret on the next line, `aws ecr get-login-password`
a bare token, `kubectl get secret ... | base64 -d` the decoded value, `terraform console` the value of
`nonsensitive(var.db_password)`, GitHub Actions' debug log `Result: '...'` after `Evaluating:
secrets.X`. Only the command in front says what the value is, so the rule reads the command:
- a command line (optionally behind a prompt: `$ `, `+ `, `> `, `PS C:\\> `) whose command is one whose
  documented stdout is a secret, followed by its output lines: each single-token output line is the secret;
- a literal piped into a command that reads a secret from stdin (`echo X | docker login
  --password-stdin`, `printf X | docker secret create name -`, `... | chpasswd`, `gh secret set`);
- the JSON a secret store returns for a secret (`az keyvault secret show`: the `value` beside a
  `.vault.azure.net/secrets/` id);
- a debug trace that evaluates a secret expression and prints its result (GitHub Actions).
Returned spans carry either a kind (the command says "secret") or the key the command names
(`terraform output -raw db_password`, `vault kv get -field=api_key`), which redaction.py judges.
"""

from __future__ import annotations

import re

from guardrails.regex_trie import trie_pattern

_PROMPT = (r"(?:(?:[$#%❯+>]|\d{1,6}[ \t]|PS [^>\n]{0,80}>|[\w.@\-]{1,64}[:~][^\n$#]{0,80}[$#]"
           r"|\[[\w.@\-]{1,64}[ \t:][^\]\n]{1,80}\][$#])[ \t]*)?")
"""A prompt (`$ `, `user@host:~$ `, RHEL's `[user@host dir]$ `), or the entry number `history` prints before
each command it lists (`  19  kubectl ...`)."""
_STAMP = r"(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z?[ \t]+)?"
"""The timestamp CI runners put before every log line (GitHub Actions, Azure Pipelines, GitLab with timestamps)."""
_TRANSFORM = (r"(?:[ \t]*\|[ \t]*(?:rev|base64(?:[ \t]+-w[ \t]*0)?|xxd(?:[ \t]+-p)?|od[ \t]+-\w+|tr[ \t][^\n|]{1,40}|"
              r"sed[ \t][^\n|]{1,80}|cut[ \t][^\n|]{1,40}|fold(?:[ \t]+-\w+)?|awk[ \t][^\n|]{1,80}))")
"""Filters that print their input reshaped: echoing a masked secret through them defeats the CI's mask, and
what they print is still the secret (reversed, encoded, split)."""
_OPTION = (r"(?:-s|--stack|-C|--cwd|--config-file|-a|--app|-r|--remote|--profile|--region|--location|--project)"
           r"(?:[ \t]+|=)[^\s\-][^\s]{0,127}[ \t]+|--(?:path|json|show-secrets|global|local|system|plain|raw)[ \t]+")
"""Options a settings command takes before the name it prints (`pulumi config get --stack prod db:password`,
`heroku config:get -a app DATABASE_URL`): with a value (the stack, the app) or as a switch."""
_SECRET_COMMAND = re.compile(
    r"(?i)[ \t]*" + _STAMP + _PROMPT + r"(?:sudo[ \t]+)?(?P<cmd>"
    r"gcloud[ \t]+(?:beta[ \t]+)?secrets[ \t]+versions[ \t]+access\b[^\n]{0,300}"
    r"|gcloud[ \t]+auth[ \t]+(?:application-default[ \t]+)?print-(?:access|identity)-token\b[^\n]{0,300}"
    r"|aws[ \t]+(?:ecr|ecr-public)[ \t]+get-login-password\b[^\n]{0,300}"
    r"|aws[ \t]+(?:secretsmanager[ \t]+get-secret-value|ssm[ \t]+get-parameters?|codeartifact[ \t]+"
    r"get-authorization-token)\b[^\n]{0,300}--output[ \t=]+text\b[^\n]{0,300}"
    r"|az[ \t]+(?:keyvault[ \t]+secret[ \t]+show|account[ \t]+get-access-token)\b[^\n]{0,300}"
    r"-o(?:utput)?[ \t=]+tsv\b[^\n]{0,300}"
    r"|kubectl[ \t][^\n]{0,300}\bsecrets?\b[^\n]{0,300}(?:\|[ \t]*base64[ \t]+(?:-d|--decode|-D)\b|base64decode|b64dec)"
    r"[^\n]{0,300}"
    r"|kubectl[ \t]+view-secret\b[^\n]{0,300}"
    # a bound service-account token (TokenRequest API): kubectl and oc print the bare JWT
    r"|(?:kubectl|oc)[ \t][^\n]{0,300}\bcreate[ \t]+token\b[^\n]{0,300}|oc[ \t]+(?:whoami[ \t]+(?:-t|--show-token)"
    r"|sa[ \t]+(?:get|new)-token)\b[^\n]{0,300}"
    # SOPS decrypting one value: `--extract '["db"]["password"]'` prints it bare, judged by its last key
    r"|sops[ \t][^\n]{0,300}--extract[ \t=]+[\"']?(?:\[[^\]\n]{1,128}\]){0,8}\[[\"']?(?P<sops>[\w.\-]{1,64})[\"']?\]"
    r"[\"']?[^\n]{0,300}"
    r"|[^\n]{0,300}\|[ \t]*jq[ \t][^\n]{0,300}@base64d[^\n]{0,300}"
    r"|vault[ \t]+(?:kv[ \t]+get|read|write|token[ \t]+create)\b[^\n]{0,300}"
    r"-field[ \t=]+(?P<field>[\w.\-]+)[^\n]{0,300}"
    r"|vault[ \t]+print[ \t]+token\b[^\n]{0,300}"
    r"|op[ \t]+read[ \t][^\n]{0,300}|op[ \t]+item[ \t]+get[ \t][^\n]{0,300}--fields?[ \t=]+[^\n]{0,300}"
    r"|bw[ \t]+get[ \t]+(?:password|totp|notes)\b[^\n]{0,300}|(?:pass|gopass)[ \t]+show\b[^\n]{0,300}"
    r"|doppler[ \t]+secrets[ \t]+get\b[^\n]{0,300}--plain\b[^\n]{0,300}"
    r"|infisical[ \t]+secrets[ \t]+get\b[^\n]{0,300}--plain\b[^\n]{0,300}"
    r"|security[ \t]+find-(?:generic|internet)-password\b[^\n]{0,300}[ \t]-w\b[^\n]{0,300}"
    r"|secret-tool[ \t]+lookup\b[^\n]{0,300}"
    r"|(?:heroku[ \t]+auth:token|gh[ \t]+auth[ \t]+token|glab[ \t]+auth[ \t]+token|vercel[ \t]+tokens?[ \t]+create"
    r"|kubeadm[ \t]+token[ \t]+create|consul[ \t]+keygen"
    r"|nomad[ \t]+operator[ \t]+(?:gossip[ \t]+)?keyring[ \t]+generate"
    r"|nomad[ \t]+operator[ \t]+keygen|wg[ \t]+genkey|yc[ \t]+iam[ \t]+create-token|mmctl[ \t]+token[ \t]+generate"
    r"|openssl[ \t]+rand\b|pwgen\b|rails[ \t]+secret|(?:bin/)?rake[ \t]+secret|mix[ \t]+phx\.gen\.secret"
    r"|django-admin[ \t]+generate_secret_key|php[ \t]+artisan[ \t]+key:generate\b[^\n]{0,200}--show"
    r"|bitcoin-cli\b[^\n]{0,200}\bdumpprivkey\b)[^\n]{0,300}"
    r"|terraform[ \t]+output[ \t]+(?:-raw[ \t]+|-json[ \t]+)?(?P<tfout>[\w\-]+)[ \t]*"
    r"|pulumi[ \t]+config[ \t]+get[ \t]+" + r"(?:" + _OPTION + r")*[\"']?(?P<pulumi>[\w:.\-]+)[\"']?[^\n]{0,300}"
    # commands that print one named setting: judged by the name (`aws configure get aws_secret_access_key`)
    r"|(?:aws[ \t]+configure[ \t]+get|heroku[ \t]+config:get|(?:npm|yarn|pnpm)[ \t]+config[ \t]+get|"
    r"git[ \t]+config[ \t]+(?:--\w+[ \t]+)*|printenv)[ \t]+" + r"(?:" + _OPTION + r")*"
    r"[\"']?(?P<named>[\w:./\-]{1,128})[\"']?"
    r"(?:[ \t]+-[^\n]{0,100})?[ \t]*"
    r"|echo[ \t]+[\"']?\$\{?(?P<echoed>[A-Za-z_]\w{0,63})\}?[\"']?" + _TRANSFORM + r"{0,4}[ \t]*"
    r"|kubectl[ \t][^\n]{0,300}\bsecrets?\b[^\n]{0,300}\{\.data\.(?P<k8skey>[\w.\-]{1,64})\}[^\n|]{0,100}"
    r"|cat[ \t]+(?P<file>[^\s|;&]*(?:key|token|secret|passw|credential|\.pem|\.creds)[^\s|;&]*)[ \t]*"
    # a credentials file named for what reads it: OpenVPN's `auth-user-pass` file (`auth.txt`: the user, then
    # the password), curl's and fetchmail's `.netrc`-like `auth.conf`
    r"|cat[ \t]+(?P<authfile>[^\s|;&]*/?auth(?:[_\-][\w\-]{1,24})?\.(?:txt|conf|cfg|creds))[ \t]*"
    r")(?=\r?\n|$)"
)
_BEFORE_COMMAND = re.compile(r"[ \t]*" + _STAMP + _PROMPT + r"(?:sudo[ \t]+)?")
"""What may stand before a command word on its line: blanks, a prompt, `sudo`."""
_COMMAND_WORD = re.compile(trie_pattern({
    "gcloud", "aws ", "az ", "kubectl", "@base64d", "vault ", "op read", "op item", "bw get", "pass show", "doppler",
    "infisical", "find-generic", "find-internet", "secret-tool", "heroku", "gh auth", "glab", "vercel", "kubeadm",
    "consul", "nomad", "wg ", "yc ", "mmctl", "openssl", "pwgen", "rails", "rake", "mix ", "django-admin",
    "terraform", "pulumi", "cat ", "bitcoin-cli", "npm ", "yarn ", "pnpm ", "git ", "printenv",
    "echo ", "oc create", "oc whoami", "oc sa ", "sops", "php artisan",
}))
"""A cheap first look: the command words of `_SECRET_COMMAND`, so that most texts skip it."""
_PROMPT_START = re.compile(
    r"[ \t]*" + _STAMP + r"(?:[$#%❯+>]|[\w.@\-]{1,64}[:~][^\n$#]{0,80}[$#]|PS [^>\n]{0,80}>)[ \t]+(?:sudo[ \t]+)?")
"""A line's explicit prompt (`$ `, `+ `, `user@host:~$ `, `PS C:\\> `): the line is a command someone ran."""
_CREDENTIAL_WORD = r"(?:password|passwd|passphrase|secret|token|api[_\-]?key)"
_TRAILING_OPTIONS = r"(?:[ \t]+-{1,2}[A-Za-z][\w\-]{0,31}(?:[ \t=]+[^\s\-|;&<>][^\s|;&<>]{0,63})?){0,4}[ \t]*"
"""Up to four options after a command's last word (`-n argocd`, `--format=json`), then the line's end."""
_NAMED_END = re.compile(_CREDENTIAL_WORD + r"(?=" + _TRAILING_OPTIONS + r"\r?\n)")
"""Run on the lowercased text: a credential word that ends a line's last argument, options aside; only the lines
that hold one are matched against `_NAMED_COMMAND`."""
_NAMED_COMMAND = re.compile(
    r"[\w./\-]{1,64}(?:[ \t]+[^\s|;&<>]{1,160}){0,6}?[ \t]+"
    r"(?P<name>(?!-)[\w.:/\-]{0,96}?" + _CREDENTIAL_WORD + r")" + _TRAILING_OPTIONS + r"(?=\r?\n)",
    re.IGNORECASE,
)
"""Any command behind a prompt whose last word (its options aside) names a credential: a subcommand or a setting
that prints one (`argocd admin initial-password -n argocd`, `elasticsearch-keystore show x.secure_password`,
`rabbitmqctl eval ... get_password`). The name after the last `/`, `.` or `:` judges each single-token line it
prints, as it would judge the value after `name:`; a listing (`NAME  TYPE  AGE`) is no single-token line."""
_NAMED_PROMPTS = ("$ ", "# ", "+ ", "❯ ", "PS ")
_LINE_PROMPTS = ("> ", "% ")
"""Prompts that are also common inside lines (`=> `, `50% `): only at a line's start do they gate the scan."""
_NEXT_PROMPT_LINE = re.compile(r"(?m)^[ \t]*(?:[$#%❯>]|\+ )")
_INTRODUCED = re.compile(r":[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*(?P<v>[^\s\"'<>$`/~]\S{7,511})[ \t]*\r?(?=\n|$)")
_INTRO_NOUN = re.compile(
    r"(?P<noun>password|passphrase|token|secret|api[ _\-]?key)(?![\w\-])[^\n:]{0,80}(?=:[ \t]*\r?\n)")
"""A sentence that introduces the credential a tool made, then the value alone on a line, one blank line between
at most (Jenkins' `Please use the following password to proceed to installation:`, an installer's `Your new
API token:`). The noun judges the value. `_INTRODUCED` finds a colon that ends a line above a lone value,
`_INTRO_NOUN` the noun that line holds before it (in the lowercased text, same positions): the nouns are looked
for first, as they are rarer than colons."""
_CREATE_COMMAND = re.compile(
    r"(?:(?:api[_\-.]?key|token|secret|access[_\-]key|credential)s?[ ._\-](?:create|add|new|generate|issue)"
    r"|(?:create|add|new|generate|issue)[ ._\-](?:api[_\-.]?key|token|secret|access[_\-]key|credential))(?![\w\-])"
)
"""Run on the lowercased text, on a line behind a prompt (`_PROMPT_START`): a command that makes a credential
(`midclt call api_key.create`, `pveum user token add`, `create-token`): its result is the new credential, so
the bare members of the JSON it prints (`"key"`, `"token"`, `"secret"`, `"value"`) are judged as that
credential, not as a message key or a setting's value."""
_RESULT_MEMBER = re.compile(r'"(?:key|token|secret|value)"[ \t]*:[ \t]*"(?P<v>[^"\\\r\n]{8,1024})"')
_COMMAND_REACH = 1200
"""The longest stretch of a command line before its credential word that `_prompt_line` looks back over."""
_RESULT_KEYS = ('"key"', '"token"', '"secret"', '"value"')
_RESULT_REACH = 2048
"""How far after the command its printed result is read."""
_CONSOLE_EXPR = re.compile(r"(?m)^>[ \t]*(?P<expr>(?:nonsensitive|sensitive)?\(?[\w.\[\]\"'\-]{1,128}\)?)[ \t]*$")
_OUTPUT_LINE = re.compile(r"""[ \t]*""" + _STAMP
                          + r"""(?P<v>"[^"\n]{1,4096}"|'[^'\n]{1,4096}'|[^\s"']{6,8192})(?::[ \t][^\n]*)?[ \t]*""")
_NEXT_PROMPT = re.compile(r"[ \t]*(?:[$#%❯>]|PS [^>\n]{0,80}>|\+ )")
_STDIN_PIPE = re.compile(
    r"""\b(?:echo|printf)(?:[ \t]+-[neE]{1,3})*(?:[ \t]+(?:'%s[^'\n%]{0,8}'|"%s[^"\n%]{0,8}"|%s(?=[ \t])))?"""
    r"""[ \t]+(?P<v>'[^'\n]{1,512}'|"[^"\n]{1,512}"|[^\s|;&'"]{1,512})"""
    # the pipe, or the next line of a shell trace: `set -x` prints each command of a pipeline on its own `+ `
    # line (`+ echo X` then `+ docker login ... --password-stdin`)
    r"""(?:[ \t]*\|[ \t]*|[ \t]*\r?\n\+{1,3}[ \t]+)(?:sudo[ \t]+)?[^\n|;&]{0,200}?"""
    r"""(?:--password-stdin|--token-stdin|--with-token|"""
    r"""\bsecrets?[ \t]+(?:create|set|put)\b|\bchpasswd\b|\bpasswd[ \t]+--stdin\b|=?/dev/stdin\b|"""
    r"""\b(?:vault|docker|podman|helm|oras|buildah|skopeo)[ \t]+login\b[^\n|;&]{0,120}?[ \t]-(?:[ \t]|$)|"""
    # Kerberos and Samba read the password from a pipe: `echo P | kinit princ`, `smbpasswd -s`; htpasswd -i,
    # vncpasswd -f
    r"""(?<![\w./\-])kinit(?![\w.\-])|\bsmbpasswd\b[^\n|;&]{0,60}?[ \t]-[a-z]*s\b|"""
    r"""\bhtpasswd\b[^\n|;&]{0,100}?[ \t]-[a-zA-Z]*i\b|"""
    r"""\bvncpasswd[ \t]+-f\b)"""
)
_KEYTAB_KEY = re.compile(
    # `klist -k -K` / `ktutil list -k`: a key listed in parentheses after its principal (and enctype)
    r"(?m)^[^\n]{0,300}@[^\n]{0,300}?\(0x(?P<v>[0-9a-fA-F]{32,128})\)[ \t]*\r?$"
)
_KERBEROS_KEY = re.compile(
    # mimikatz `sekurlsa::ekeys` / `lsadump::dcsync`, impacket secretsdump: `aes256_hmac  <hex>`,
    # `user:aes256-cts-hmac-sha1-96:<hex>`, `Hash NTLM: <hex>`
    r"(?i)(?:aes(?:256|128)[_-](?:cts[_-])?hmac(?:[_-]sha1(?:[_-]96)?)?|rc4[_-]hmac(?:[_-](?:nt|old|md5))?|"
    r"des[_-]cbc[_-](?:md5|crc)|hash[ \t]+ntlm)[ \t]*(?:\(\d{1,6}\))?[ \t]*:?[ \t]*"
    r"(?P<v>[0-9a-fA-F]{32}(?:[0-9a-fA-F]{32})?)\b"
)
_KIRBI = re.compile(r"(?<![A-Za-z0-9+/])doI[A-Za-z0-9+/]{60,65536}={0,2}(?![A-Za-z0-9+/=])")
"""A Kerberos ticket as base64 KRB-CRED (`.kirbi`: ASN.1 application tag 22, so its base64 always starts
`doI`), as Rubeus, mimikatz and kekeo print it: pass-the-ticket usable by anyone who reads it."""
_FILE_CONTENT = re.compile(
    r"""content["']?[ \t]*[:=][ \t]*(?P<vq>["'])(?P<v>(?:[^"'\\\r\n]|\\.){4,4096})(?P=vq)""")
_FILE_PATH = re.compile(
    r"""["']?(?:dest|path|filename|file)["']?[ \t]*[:=][ \t]*["']?(?P<p>[^\s"',]{1,512})""")
_SECRET_FILE = re.compile(
    r"(?i)(?:\.(?:psk|key|secret|secrets|token|pass|passwd|password|pwd|htpasswd|keytab)|_rsa|_ed25519|_ecdsa|"
    r"password|passwd|secret|token|psk|apikey|api_key|credentials?)(?:\.txt|\.conf|\.cfg)?$")
_PUBLIC_FILE = re.compile(r"(?i)\.(?:pub|crt|cer|csr|pem\.pub)$|public")
_GHA_EVAL = re.compile(
    r"(?m)Evaluating:[ \t]*(?P<expr>[\w.\[\]'\-]{1,128})[ \t]*\r?\n[^\n]{0,40}Result:[ \t]*"
    r"(?P<v>'[^'\n]{1,1024}'|\"[^\"\n]{1,1024}\"|[^\s'\"]{1,1024})"
)
_AZ_SECRET = re.compile(
    r'"id"\s*:\s*"https://[\w\-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)/secrets/[^"]*"'
)
_CLI_PAIR = re.compile(r'(?m)^[ \t]*\d{1,4}\) "(?P<k>[\w.\-]{1,64})"\r?\n[ \t]*\d{1,4}\) "(?P<v>[^"\r\n]{1,512})"')
"""A name/value pair of a reply array (`redis-cli CONFIG GET requirepass` prints `1) "requirepass"`
then `2) "<value>"`), judged by the name."""
_CI_LOG_STAMP = re.compile(r"[ \t]*" + _STAMP + r"##\[")
"""A runner's own log line (`##[endgroup]`, `##[section]`) between a command and its output."""
_VSO_SETVARIABLE = re.compile(
    r"(?i)##vso\[task\.setvariable(?P<attrs>[^\]\r\n]{1,400})\](?P<v>[^\r\n]{1,4096}?)[ \t]*(?=\r?\n|$)"
)
"""Azure Pipelines' logging command that sets a variable: `##vso[task.setvariable variable=X;issecret=true]V`.
`issecret=true` says V is a secret; otherwise the variable's name is judged."""
_VSO_NAME = re.compile(r"(?i)(?:^|;|[ \t])variable=(?P<n>[\w.\-]{1,128})")
_SET_OUTPUT = re.compile(r"""::set-(?:output|env)[ \t]+name=(?P<n>[\w.\-]{1,128})::(?P<v>[^\s"'`]{1,4096})""")
"""GitHub Actions' older workflow commands `::set-output name=X::V` / `::set-env name=X::V`: judged by X."""
_TEAMCITY_PARAM = re.compile(
    r"##teamcity\[setParameter[ \t]+name='(?P<n>[^'\r\n]{1,128})'[ \t]+value='(?P<v>(?:[^'|\r\n]|\|.){1,4096})'[ \t]*\]"
)
"""TeamCity's service message that sets a build parameter (`env.DB_PASSWORD`): judged by the parameter's name."""
_ADD_MASK = re.compile(r"::add-mask::(?P<v>[^\s\"'`]{3,4096})")
_SECRET_OBJECT = re.compile(
    r'(?i)"id"\s*:\s*"https://[\w\-]+\.vault\.(?:azure\.net|azure\.cn|usgovcloudapi\.net)/secrets/[^"]*"'
    r'|"type"\s*:\s*"(?:SecureString|CONCEALED)"|"sensitive"\s*:\s*true|"purpose"\s*:\s*"PASSWORD"'
    r'|"keyName"\s*:\s*"[^"]{1,64}"\s*,\s*"permissions"'
    r'|"keyMaterialType"\s*:\s*"(?:SYMMETRIC|ASYMMETRIC_PRIVATE)"'
)
"""Markers of an object that holds a secret in its `value`: an Azure Key Vault secret bundle, an SSM
SecureString parameter, a 1Password concealed field, a sensitive Terraform output or variable, an Azure
storage / service key listing (`az storage account keys list`: `keyName`, `permissions`, `value`), a Tink
keyset's symmetric or private key data."""
_JSON_VALUE = re.compile(r'(?i)"value"\s*:\s*"(?P<v>(?:[^"\\\r\n]|\\.){1,4096})"')
_ECHO_TEMPLATE = re.compile(
    r"(?m)^[ \t]*" + _STAMP + _PROMPT + r"""echo[ \t]+(?P<q>["']?)(?P<pre>[^"'$`\n]{0,120})"""
    r"""\$\{?(?P<var>[A-Za-z_]\w{0,63})\}?(?P<post>[^"'$`\n]{0,120})(?P=q)[ \t]*\r?$"""
)
"""`echo "deploying with $DEPLOY_KEY"` as a CI log shows it (CircleCI, GitLab, Jenkins print each command
before its output): the next lines hold the same text with the variable's value in its place."""
_REG_VALUE = re.compile(
    r"(?m)^[ \t]+(?P<k>[^\s\\]{1,64})[ \t]+REG_(?:SZ|EXPAND_SZ|MULTI_SZ)[ \t]+(?P<v>[^\s%][^\r\n]{0,1023}?)[ \t]*\r?$"
)
"""A string value as `reg query` (and `reg.exe` in scripts) lists it: `    DefaultPassword    REG_SZ    <value>`
under its key path; the value's name judges it (Winlogon AutoAdminLogon, VNC and service settings). A value
that starts with `%` expands an environment variable (`%APPDATA%\\...`): a reference, not a secret."""
_WORDS = re.compile(r"(?i)^(?:error|warning|usage|done|ok|true|false|null|none|updated|created|deleted|success\w*)\b")


def _strip(value: str) -> tuple[str, int]:
    if value[:1] in "'\"" and value[-1:] == value[:1] and len(value) >= 2:
        return value[1:-1], 1
    return value, 0


def _key_of(expr: str) -> str:
    """The last name of an expression: `var.db_password` -> `db_password`, `secrets['API_KEY']` -> `API_KEY`."""
    names = re.findall(r"[A-Za-z_][\w\-]*", expr)
    return names[-1] if names else expr


def tool_output_spans(text: str, lowered: str | None = None) -> list[tuple[int, int, str, str | None]]:
    """(start, end, kind, key) for each secret a secret-printing tool wrote; `key` is None when the
    command itself says the value is a secret, else the name the command asked for (to be judged).
    `lowered`: `text.lower()` when the caller has it."""
    out: list[tuple[int, int, str, str | None]] = []
    if lowered is None:
        lowered = text.lower()
    if "\n" in text:
        seen: set[int] = set()
        for w in _COMMAND_WORD.finditer(lowered):
            lo = max(0, w.start() - 120)  # a prompt and `sudo` stand before the command word, not more
            line_start = text.rfind("\n", lo, w.start()) + 1
            if line_start == 0 and lo > 0:
                continue
            if line_start in seen:
                continue
            if w.group() != "@base64d" and not _BEFORE_COMMAND.fullmatch(text, line_start, w.start()):
                continue  # the word is not the line's command (prose, an argument): spare the long match
            seen.add(line_start)
            m = _SECRET_COMMAND.match(text, line_start)
            if m is None:
                continue
            key = (m.group("field") or m.group("tfout") or m.group("pulumi") or m.group("named")
                   or m.group("echoed") or m.group("k8skey") or m.group("sops"))
            out.extend(_output_lines(text, m.end(), "tool_printed_secret", key))
    if "\n" in text and (any(p in text for p in _NAMED_PROMPTS) or text.startswith(_LINE_PROMPTS)
                         or any("\n" + p in text for p in _LINE_PROMPTS)):
        out.extend(_named_command_output(text, lowered))
        if any(k in lowered for k in _RESULT_KEYS):
            out.extend(_created_credentials(text, lowered))
    if ":\n" in text or ":\r\n" in text:
        for noun in _INTRO_NOUN.finditer(lowered):
            if _inside_name(lowered, noun.start()):
                continue  # inside a longer name (`access_token:`, `client-secret:`): a key, read by the keyed rules
            m = _INTRODUCED.match(text, noun.end())
            if m is None or "://" in m.group("v") or _WORDS.match(m.group("v")):
                continue
            out.append((m.start("v"), m.end("v"), "tool_printed_secret", noun.group("noun").replace(" ", "_")))
    if "\n" in text and (text.startswith(">") or "\n>" in text):
        for m in _CONSOLE_EXPR.finditer(text):
            expr = m.group("expr")
            key = None if expr.startswith("nonsensitive") else _key_of(expr)
            out.extend(_output_lines(text, m.end(), "tool_printed_secret", key, limit=1))
    if "\n" in text and "echo" in lowered and "$" in text:
        out.extend(_echoed_templates(text))
    if ("|" in text or "\n+" in text) and ("echo" in lowered or "printf" in lowered):
        for m in _STDIN_PIPE.finditer(text):
            value, q = _strip(m.group("v"))
            if len(value) >= 4 and not value.startswith("$"):
                out.append((m.start("v") + q, m.end("v") - q, "stdin_secret", None))
    out.extend(_kerberos_spans(text, lowered))
    if "content" in lowered:
        out.extend(_file_content_spans(text))
    if "evaluating:" in lowered:
        for m in _GHA_EVAL.finditer(text):
            value, q = _strip(m.group("v"))
            expr = m.group("expr")
            key = None if expr.startswith("secrets.") or expr.startswith("secrets[") else _key_of(expr)
            if value:
                out.append((m.start("v") + q, m.end("v") - q, "ci_debug_secret", key))
    if "reg_" in lowered and ("reg_sz" in lowered or "reg_expand_sz" in lowered or "reg_multi_sz" in lowered):
        for m in _REG_VALUE.finditer(text):
            out.append((m.start("v"), m.end("v"), "tool_printed_secret", m.group("k")))
    if ') "' in text:
        for m in _CLI_PAIR.finditer(text):
            out.append((m.start("v"), m.end("v"), "tool_printed_secret", m.group("k")))
    if "##vso[" in lowered:
        for m in _VSO_SETVARIABLE.finditer(text):
            attrs = m.group("attrs").lower().replace(" ", "")
            name = _VSO_NAME.search(m.group("attrs"))
            if m.group("v").startswith("$"):
                continue
            if "issecret=true" in attrs:
                out.append((m.start("v"), m.end("v"), "ci_debug_secret", None))
            elif name is not None:
                out.append((m.start("v"), m.end("v"), "ci_debug_secret", name.group("n")))
    if "::set-" in text:
        for m in _SET_OUTPUT.finditer(text):
            if not m.group("v").startswith("$"):
                out.append((m.start("v"), m.end("v"), "ci_debug_secret", m.group("n")))
    if "##teamcity[" in text:
        for m in _TEAMCITY_PARAM.finditer(text):
            param = m.group("n").rsplit(".", 1)[-1]  # `env.DB_PASSWORD`, `system.api_token`: the name after the scope
            if not m.group("v").startswith(("%", "$")):
                out.append((m.start("v"), m.end("v"), "ci_debug_secret", param))
    if "::add-mask::" in text:
        for m in _ADD_MASK.finditer(text):
            if not m.group("v").startswith("$"):
                out.append((m.start("v"), m.end("v"), "ci_debug_secret", None))
    if '"' in text and ("vault.azure" in lowered or "securestring" in lowered or "concealed" in lowered
                        or '"sensitive"' in lowered or '"purpose"' in lowered or '"keyname"' in lowered
                        or "keymaterialtype" in lowered):
        for m in _SECRET_OBJECT.finditer(text):
            lo, hi = _enclosing_object(text, m.start())
            for v in _JSON_VALUE.finditer(text, lo, hi):
                out.append((v.start("v"), v.end("v"), "key_vault_secret", None))
    return out


def _kerberos_spans(text: str, lowered: str) -> list[tuple[int, int, str, str | None]]:
    """Kerberos keys and tickets as the tools that extract them print them: keytab keys (`klist -K`,
    `ktutil list -k`), long-term keys and NT hashes (mimikatz, secretsdump), base64 `.kirbi` tickets. Each is
    usable as it is (pass-the-key, pass-the-hash, pass-the-ticket), so a hash here is redacted like a password."""
    out: list[tuple[int, int, str, str | None]] = []
    if "(0x" in lowered and ("klist" in lowered or "keytab" in lowered or "ktutil" in lowered):
        for m in _KEYTAB_KEY.finditer(text):
            out.append((m.start("v"), m.end("v"), "tool_printed_secret", None))
    if "hmac" in lowered or "ntlm" in lowered or "cbc" in lowered:
        for m in _KERBEROS_KEY.finditer(text):
            if len(set(m.group("v").lower())) > 4:  # not a run of zeros (an empty key slot)
                out.append((m.start("v"), m.end("v"), "tool_printed_secret", None))
    if "doI" in text:
        for m in _KIRBI.finditer(text):
            out.append((m.start(), m.end(), "tool_printed_secret", None))
    return out


def _file_content_spans(text: str) -> list[tuple[int, int, str, str | None]]:
    """Content written to a file whose path names a secret: the result Ansible prints for a `copy` task
    (`{"content": "...", "dest": "/etc/zabbix/agent.psk"}`), the task itself, a Terraform `local_file`. The
    path's name judges the value (`agent.psk` a pre-shared key, `db_password.txt` a password, `tls.key` a key)."""
    out: list[tuple[int, int, str, str | None]] = []
    for m in _FILE_CONTENT.finditer(text):
        lo, hi = max(0, m.start() - 400), min(len(text), m.end() + 400)
        for p in _FILE_PATH.finditer(text, lo, hi):
            path = p.group("p").rstrip("\\}")
            base = path.replace("\\", "/").rsplit("/", 1)[-1]
            if _PUBLIC_FILE.search(base) or not _SECRET_FILE.search(base):
                continue
            stem = base.rsplit(".", 1)
            key = f"file_{stem[1]}" if len(stem) == 2 and stem[1].lower() not in ("txt", "conf", "cfg") else stem[0]
            value = m.group("v")
            if not value.startswith(("{{", "${", "$(", "-----BEGIN")) and "lookup(" not in value:
                out.append((m.start("v"), m.end("v"), "tool_printed_secret", key))
            break
    return out


def _echoed_templates(text: str) -> list[tuple[int, int, str, str | None]]:
    """The value an `echo "text $VAR text"` printed: on one of the next lines, the text around the
    variable repeated with a single token in its place; the variable's name judges it."""
    out: list[tuple[int, int, str, str | None]] = []
    for m in _ECHO_TEMPLATE.finditer(text):
        pre, post = m.group("pre"), m.group("post").rstrip()
        if not pre.strip() and not post.strip():
            continue  # `echo $VAR` alone: the echoed command of `_SECRET_COMMAND` reads it
        pos = m.end() + 1
        for _ in range(3):
            if pos >= len(text):
                break
            nl = text.find("\n", pos)
            line_end = len(text) if nl < 0 else nl
            line = text[pos:line_end].rstrip("\r")
            if line.startswith(pre) and line.endswith(post) and len(line) > len(pre) + len(post):
                value = line[len(pre) : len(line) - len(post)]
                if len(value) >= 6 and not any(c.isspace() for c in value):
                    out.append((pos + len(pre), pos + len(line) - len(post), "tool_printed_secret", m.group("var")))
                break
            pos = line_end + 1
    return out


def _enclosing_object(text: str, pos: int) -> tuple[int, int]:
    """The span of the JSON object around `pos` (its `{` to its `}`), looked for within a few KB."""
    depth, lo = 0, max(0, pos - 2000)
    start = lo
    for i in range(pos - 1, lo - 1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                start = i
                break
            depth -= 1
    depth, hi = 0, min(len(text), pos + 4000)
    end = hi
    for i in range(pos, hi):
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                end = i + 1
                break
            depth -= 1
    return start, end


def _inside_name(lowered: str, pos: int) -> bool:
    """Whether a word found at `pos` continues a longer name (`access_token`, `client-secret`, `x-create-token`)."""
    return pos > 0 and (lowered[pos - 1].isalnum() or lowered[pos - 1] in "_-")


def _prompt_line(text: str, pos: int) -> int:
    """Where the command starts on the line holding `pos` when the line opens with a prompt, else -1."""
    lo = max(0, pos - _COMMAND_REACH)
    line_start = text.rfind("\n", lo, pos) + 1
    if line_start == 0 and lo > 0:
        return -1  # the line starts further back than any command line this reads
    m = _PROMPT_START.match(text, line_start, pos)
    return -1 if m is None else m.end()


def _named_command_output(text: str, lowered: str) -> list[tuple[int, int, str, str | None]]:
    """What a command behind a prompt printed when its last word names a credential (`_NAMED_COMMAND`)."""
    out: list[tuple[int, int, str, str | None]] = []
    done = -1
    for w in _NAMED_END.finditer(lowered):
        if w.start() < done:
            continue
        start = _prompt_line(text, w.start())
        if start < 0:
            continue
        m = _NAMED_COMMAND.match(text, start)
        if m is None:
            continue
        done = m.end()
        key = re.split(r"[/.:]", m.group("name"))[-1]
        printed = _output_lines(text, m.end(), "tool_printed_secret", key)
        out.extend(o for o in printed if _not_a_path(text[o[0] : o[1]]))
    return out


def _created_credentials(text: str, lowered: str) -> list[tuple[int, int, str, str | None]]:
    """The bare members of the JSON a credential-making command printed (`_CREATE_COMMAND`)."""
    out: list[tuple[int, int, str, str | None]] = []
    for c in _CREATE_COMMAND.finditer(lowered):
        if _inside_name(lowered, c.start()) or _prompt_line(text, c.start()) < 0:
            continue
        nl = text.find("\n", c.end())
        if nl < 0:
            break
        stop = _NEXT_PROMPT_LINE.search(text, nl + 1, nl + _RESULT_REACH)
        hi = stop.start() if stop is not None else min(len(text), nl + _RESULT_REACH)
        for v in _RESULT_MEMBER.finditer(text, nl, hi):
            out.append((v.start("v"), v.end("v"), "tool_printed_secret", "api_key"))
    return out


def _not_a_path(value: str) -> bool:
    """A printed value that is no file path or URL (`which passwd` prints `/usr/bin/passwd`)."""
    return not value.startswith(("/", "~", "./", "../")) and "://" not in value and value.count("/") < 2


def _output_lines(
    text: str, pos: int, kind: str, key: str | None, limit: int = 3
) -> list[tuple[int, int, str, str | None]]:
    """The single-token lines a command printed after its command line at `pos` (up to `limit`)."""
    out: list[tuple[int, int, str, str | None]] = []
    if not text.startswith("\n", pos):
        return out
    pos += 1
    for _ in range(limit):
        if pos >= len(text):
            break
        nl = text.find("\n", pos)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end].rstrip("\r")
        if _CI_LOG_STAMP.match(line):
            pos = line_end + 1  # the runner's `##[endgroup]` between the command and what it printed
            continue
        if not line.strip() or _NEXT_PROMPT.match(line) or _WORDS.match(line.strip()):
            break
        m = _OUTPUT_LINE.fullmatch(line)
        if m is None:
            break
        value, q = _strip(m.group("v"))
        if len(value) >= 6:
            out.append((pos + m.start("v") + q, pos + m.end("v") - q, kind, key))
        pos = line_end + 1
    return out


__all__ = ["tool_output_spans"]
