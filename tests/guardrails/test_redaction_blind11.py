"""Redaction of the secret classes blind round 11 exposed, each checked on shapes the corpus does not hold.

The corpus (`tests/guardrails_text/corpus/secrets_blind11.jsonl`) was written blind; first contact scored
line recall 0.878 and benign kept 0.965. No corpus line is used here: every class is exercised with other
software's output of the same class and freshly generated values, beside benign twins (the same layout
holding a public key, a name, a placeholder, a masked value) that must survive unchanged.

All values are generated for the test; none is a live credential.
"""

from __future__ import annotations

import random
import string

import pytest

from guardrails.redaction import redact_text

_RNG = random.Random(1111)
_ALNUM = string.ascii_letters + string.digits
_HEX = "0123456789abcdef"


def _rand(n: int, alphabet: str = _ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


def _pw(n: int = 16) -> str:
    """A human-made password: both cases, digits and symbols."""
    return "Q" + _rand(n - 4, _ALNUM + "!#%^*~+=") + "7x!"


def _gone(text: str, *secrets: str) -> None:
    out = redact_text(text).text
    for s in secrets:
        assert s not in out, (s, out)


def _kept(text: str) -> None:
    assert redact_text(text).text == text


# --------------------------------------------------------------------------- secret-named keys in more languages

_FOREIGN_PW, _FOREIGN_TOKEN = _pw(), _rand(32)


@pytest.mark.parametrize("text, secret", [
    (f"MDP_ADMIN={_FOREIGN_PW}", _FOREIGN_PW),                          # French `mot de passe` abbreviated
    (f"bdd:\n  utilisateur: app\n  mdp_bdd: '{_FOREIGN_PW}'", _FOREIGN_PW),
    (f'llave_secreta = "{_FOREIGN_TOKEN}"', _FOREIGN_TOKEN),            # Spanish (Latin America) `llave`
    (f'{{"cheie_api": "{_FOREIGN_TOKEN}"}}', _FOREIGN_TOKEN),           # Romanian `cheie`
    (f"KLJUC_PRISTUPA={_FOREIGN_TOKEN}", _FOREIGN_TOKEN),               # Croatian / Serbian `ključ`
])
def test_foreign_credential_words(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    "mdp: true",                                  # alone the abbreviation is ambiguous (a Markov decision process)
    "llave: primaria",
    'llave_api_nombre = "pagos-produccion"',      # a name property of the key, not the key
    "MDP_SOLVER=value_iteration",
    f'cheie_publica = "{_rand(40)}"',             # Romanian public key: public material
])
def test_foreign_credential_words_twins(text: str) -> None:
    _kept(text)


# ------------------------------------------------------------- triple-quoted values closed on the value line

_TQ = _rand(40)


@pytest.mark.parametrize("text", [
    f'[auth]\ntoken = """\n{_TQ}"""\n',                                  # TOML multi-line basic string
    f"[auth]\nsecret_key = '''\n{_TQ}'''\n",                            # TOML multi-line literal string
    f'API_TOKEN = """\n{_TQ}"""',                                       # Python triple-quoted
])
def test_triple_quoted_value_closed_on_its_line(text: str) -> None:
    _gone(text, _TQ)


@pytest.mark.parametrize("text", [
    'description = """\nA token is needed to call the API"""',
    'token = """\n${REGISTRY_TOKEN}"""',
    'public_key = """\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"""',
])
def test_triple_quoted_twins(text: str) -> None:
    _kept(text)


# ------------------------------------------------- URL user info: token as the user, long passwords, Go DSNs

_URL_TOKEN, _LONG = _rand(40, _HEX), _rand(1100)


@pytest.mark.parametrize("text, secret", [
    (f"git remote add origin https://{_URL_TOKEN}@git.example.org/team/app.git", _URL_TOKEN),
    (f"pip install --index-url https://{_URL_TOKEN}:@pypi.example.io/acme/ widget", _URL_TOKEN),
    (f"npm install https://{_URL_TOKEN}:@npm.pkg.example.net/acme/widget.tgz", _URL_TOKEN),
    (f"extra-index-url = https://aws:{_LONG}@acme-1.d.codeartifact.us-east-1.amazonaws.com/pypi/r/simple/", _LONG),
    (f'db, err := sql.Open("mysql", "svc:{_FOREIGN_PW}@tcp(10.0.0.5:3306)/orders")', _FOREIGN_PW),
    (f"clickhouse dsn: default:{_FOREIGN_PW}@unix(/var/run/ch.sock)/logs", _FOREIGN_PW),
])
def test_url_user_info(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    "git clone https://git@github.com/acme/app.git",
    "https://jane.doe.example@example.com/profile",
    "ssh://administrator@vsphere.local@vcenter.example.com",
    "root:@tcp(127.0.0.1:3306)/test",                       # empty password: nothing to hide
    "app:${DB_PASSWORD}@tcp(db:3306)/app",                  # a reference
])
def test_url_user_info_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- collector URLs whose path is the token

_PATH = _rand(70, _ALNUM + "_-")
_LOGGLY = f"{_rand(8, _HEX)}-{_rand(4, _HEX)}-4{_rand(3, _HEX)}-a{_rand(3, _HEX)}-{_rand(12, _HEX)}"


@pytest.mark.parametrize("text, secret", [
    (f"https://endpoint2.collection.us2.sumologic.com/receiver/v1/otlp/{_PATH}/v1/logs", _PATH),
    (f"curl -d @events.json https://logs-01.loggly.com/inputs/{_LOGGLY}/tag/http/", _LOGGLY),
])
def test_collector_path_token(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    "https://endpoint4.collection.sumologic.com/receiver/v1/http/",
    "https://api.example.com/v2/inputs/temperature-sensor-north/readings",
])
def test_collector_path_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- vendor keys and OTLP header lists

_OR = "sk-or-v1-" + _rand(64, _HEX)
_HC = "hcaik_" + _rand(58, string.ascii_lowercase + string.digits)
_LD = f"mob-{_rand(8, _HEX)}-{_rand(4, _HEX)}-{_rand(4, _HEX)}-{_rand(4, _HEX)}-{_rand(12, _HEX)}"


@pytest.mark.parametrize("text, secret", [
    (f'{{"provider": "openrouter", "apiKey": "{_OR}"}}', _OR),
    (f"export OPENAI_API_KEY={_OR}", _OR),
    (f"honeycomb:\n  api_key: {_HC}", _HC),
    (f"OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-team={_HC},x-honeycomb-dataset=web", _HC),
    (f"let client = LDClient(mobileKey: \"{_LD}\")", _LD),
    (f"OTEL_EXPORTER_OTLP_HEADERS=api-key={_FOREIGN_TOKEN}", _FOREIGN_TOKEN),
])
def test_vendor_keys_and_otlp_headers(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    f"image: registry.example.com/aws-sdk-{_LD[4:]}",        # a uuid after a longer word: not LaunchDarkly's
    "OTEL_EXPORTER_OTLP_HEADERS=x-honeycomb-dataset=payments-api-production",
    "launchdarkly-server-sdk-python==9.8.0",
])
def test_vendor_keys_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- what a command printed

_PRINTED = _rand(40)


@pytest.mark.parametrize("text", [
    f'$ echo "publishing with token $NPM_TOKEN"\npublishing with token {_PRINTED}\n$ npm publish',      # GitLab CI
    f"+ echo 'key=${{SIGNING_KEY}};'\nkey={_PRINTED};",                                               # Jenkins sh -x
    f"  88  vault kv get -field=api_key secret/ci\n{_PRINTED}",                                     # `history` listing
    f"1042  kubectl get secret app -o jsonpath='{{.data.token}}' | base64 --decode\n{_PRINTED}",
])
def test_printed_by_a_command(text: str) -> None:
    _gone(text, _PRINTED)


@pytest.mark.parametrize("text", [
    '$ echo "deploying $APP_NAME to production"\ndeploying payments-api to production',   # not a credential variable
    '+ echo "using key $DEPLOY_KEY"\nusing key ****',                                     # the CI masked it
    "  12  kubectl get pods -n web\nweb-7d9f8c6b5-x2x9q",
])
def test_printed_by_a_command_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- persistent-login cookies

_COOKIE = _rand(48, _ALNUM + "-_")


@pytest.mark.parametrize("text", [
    f"Set-Cookie: remember-me={_COOKIE}; Max-Age=1209600; Path=/; HttpOnly",             # Spring Security
    f"Cookie: remember_web_{_rand(40, _HEX)}={_COOKIE}; XSRF-TOKEN=abc",                  # Laravel
    f"Cookie: rememberMe={_COOKIE}",                                                      # Apache Shiro
])
def test_remember_me_cookies(text: str) -> None:
    _gone(text, _COOKIE)


@pytest.mark.parametrize("text", [
    "Set-Cookie: remember-me=; Max-Age=0; Path=/",                                        # the logout clears it
    "Cookie: remember_locale=de_DE; theme=dark",
])
def test_remember_me_cookie_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- multi-word credential flags

_FLAG_PW = _pw(18)


@pytest.mark.parametrize("text", [
    f"az sql server create -n s1 -g rg --admin-user sqladmin --admin-password '{_FLAG_PW}'",
    f"gcloud sql users set-password root --instance=db1 --new-root-user-password={_FLAG_PW}",
    f"aws docdb create-db-cluster --db-cluster-identifier d1 --master-user-password {_FLAG_PW} --engine docdb",
])
def test_multi_word_password_flags(text: str) -> None:
    _gone(text, _FLAG_PW)


@pytest.mark.parametrize("text", [
    "aws rds create-db-instance --manage-master-user-password --db-instance-identifier orders",
    'aws rds modify-db-cluster --master-user-password "$MASTER_PASSWORD" --apply-immediately',
])
def test_multi_word_password_flag_twins(text: str) -> None:
    _kept(text)


# --------------------------------------------------------------------------- registry values as reg query lists them

_REG = _pw(14)


@pytest.mark.parametrize("text", [
    f"HKEY_LOCAL_MACHINE\\SOFTWARE\\TightVNC\\Server\n    Password    REG_SZ    {_REG}\n",
    f"HKEY_CURRENT_USER\\Software\\SimonTatham\\PuTTY\\Sessions\\db\n    ProxyPassword    REG_SZ    {_REG}",
])
def test_registry_values(text: str) -> None:
    _gone(text, _REG)


@pytest.mark.parametrize("text", [
    "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon\n"
    "    DefaultUserName    REG_SZ    svc_kiosk\n    PasswordExpiryWarning    REG_DWORD    0xe",
    "    ApiToken    REG_EXPAND_SZ    %APPDATA%\\vendor\\token.bin",
])
def test_registry_value_twins(text: str) -> None:
    _kept(text)


# ------------------------------------------- XML: elements named by an attribute, key-named elements

_XML_PW, _XML_KEY = _pw(15), _rand(20)


@pytest.mark.parametrize("text, secret", [
    (f'<Configuration><Properties><Property name="smtpPassword">{_XML_PW}</Property></Properties>', _XML_PW),
    (f'<properties>\n  <entry key="db.password">{_XML_PW}</entry>\n</properties>', _XML_PW),  # java.util.Properties
    (f"<gateway><signingKey>{_XML_KEY}</signingKey></gateway>", _XML_KEY),
    (f"<ns1:hmacKey>{_XML_KEY}</ns1:hmacKey>", _XML_KEY),
])
def test_xml_credentials(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    '<property name="hibernate.connection.username">claims</property>',
    '<entry key="password.min.length">12</entry>',
    '<property name="password">${db.password}</property>',
    "<primaryKey>customer_id</primaryKey><cacheKey>orders:v2:by-customer</cacheKey>",
    "<publicKey>MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE</publicKey>",
    "<UserSecretsId>3f2c8a1e-7b4d-4c9e-a2f1-0d6e5b8c9a71</UserSecretsId>",   # .NET's folder name for user secrets
    "<PasswordHistoryCount>24</PasswordHistoryCount>",
])
def test_xml_credential_twins(text: str) -> None:
    _kept(text)


# ------------------------------------------- (user, password) positionally; header pairs

_POS_PW, _POS_KEY = _pw(16), _rand(32, _HEX)


@pytest.mark.parametrize("text, secret", [
    (f'auth = PasswordAuthenticator("app", "{_POS_PW}")', _POS_PW),                  # Couchbase Python SDK
    (f"r = requests.get(url, auth=HTTPDigestAuth('ops', '{_POS_PW}'))", _POS_PW),
    (f"session = aiohttp.ClientSession(auth=aiohttp.BasicAuth('svc', '{_POS_PW}'))", _POS_PW),
    (f"stripe-like call: auth=('{_POS_KEY}', '')", _POS_KEY),                        # the key as the user name
    (f"headers = [\n    ('X-Api-Key', '{_XML_KEY}'),\n    ('Accept', 'application/json'),\n]", _XML_KEY),
    (f"':path', '/v1/orders'\n'x-auth-token', '{_XML_KEY}'", _XML_KEY),              # Envoy header dump
])
def test_positional_credentials(text: str, secret: str) -> None:
    _gone(text, secret)


@pytest.mark.parametrize("text", [
    "requests.get(u, auth=('alice', ''))",                          # a user name with no password
    'es = Elasticsearch(hosts, basic_auth=("elastic", os.environ["ES_PW"]))',
    "auth=('user', '${PASSWORD}')",
    "'password', 'confirm_password'",                               # two field names, not a pair
    "':authority', 'api.internal'\n'x-request-id', '9b2f0c1e-6d4a-4f8b-b1c3-2e7a9d5f0c84'",
])
def test_positional_credential_twins(text: str) -> None:
    _kept(text)


# ------------------------------------------- schemas, masks, adjacent literals, list labels

@pytest.mark.parametrize("text", [
    '{"type": "object", "properties": {"password": {"type": "string", "minLength": 12}}}',   # JSON Schema
    "components:\n  schemas:\n    Login:\n      properties:\n        password: {type: string, format: password}",
    "trufflehog: Found verified result Detector Type: Github Raw result: ghp_****************************wXyZ",
    "Secret=AKIA…7QXA Rule=aws-access-token",
    "api_key=sk-live-****-****-1a2b",
])
def test_schema_and_mask_twins(text: str) -> None:
    _kept(text)


def test_a_mask_beside_a_long_token_is_not_a_mask() -> None:
    token = _rand(28)
    _gone(f"api_token={token}***", token)


_PART_A, _PART_B = _rand(14), _rand(14)


@pytest.mark.parametrize("text", [
    f'static const char *kApiToken = "{_PART_A}" "{_PART_B}";',          # C adjacency
    f'SECRET_KEY = "{_PART_A}" "{_PART_B}"',                              # Python adjacency on one line
])
def test_adjacent_literals(text: str) -> None:
    _gone(text, _PART_A, _PART_B)


def test_adjacent_literal_twin() -> None:
    _kept('labels: "app" "web"\nprintf("%s" "\\n", name);')


@pytest.mark.parametrize("text", [
    f"api_keys:\n  - owner: ci\n    key: {_XML_KEY}\n",
    f"signing_secrets:\n  - id: v1\n    key: {_XML_KEY}\n",
])
def test_bare_key_in_a_credential_list(text: str) -> None:
    _gone(text, _XML_KEY)


@pytest.mark.parametrize("text", [
    "spec:\n  tolerations:\n  - effect: NoSchedule\n    key: node-role.kubernetes.io/control-plane\n",
    "api_keys:\n  - owner: web\n    key: ${WEB_KEY}\n",
    "items:\n  - name: cache\n    key: orders-by-customer\n",
])
def test_bare_key_in_a_list_twins(text: str) -> None:
    _kept(text)


def test_pulumi_secret_envelope() -> None:
    value = _rand(30)
    text = ('{"type": "pulumi:pulumi:Stack", "outputs": {"dbPassword": {"4dabf18193072939515e22adb298388d": '
            f'"1b47061264138c4ac30d75fd1eb44270", "plaintext": "\\"{value}\\""}}}}}}')
    _gone(text, value)
    _kept('{"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", '
          '"ciphertext": "v1:abc:def"}')


# ------------------------------------------------ an API gateway's key credential; fake-provider stores

_GW = _rand(32)


@pytest.mark.parametrize("text", [
    f'{{"consumer": {{"id": "c0ffee00-1111-4222-8333-444455556666"}}, "created_at": 1796000000, "key": "{_GW}"}}',
    f'{{"next": null, "data": [{{"key": "{_GW}", "tags": null, "consumer": {{"username": "mobile"}}, "ttl": 0}}]}}',
])
def test_gateway_key_credential(text: str) -> None:
    _gone(text, _GW)


@pytest.mark.parametrize("text", [
    '{"key": "partner-acme-readonly", "consumer": {"id": "c1"}}',      # a chosen word, not a random key
    f'{{"consumer": "orders", "records": [{{"key": "{_GW}", "partition": 3}}]}}',   # a message key elsewhere
    f'{{"key": "{_GW}", "partition": 3, "offset": 42}}',
])
def test_gateway_key_credential_twins(text: str) -> None:
    _kept(text)


def test_fake_provider_store_values() -> None:
    secret = _pw(20)
    text = ("apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata:\n  name: e2e\nspec:\n  provider:\n"
            f"    fake:\n      data:\n      - key: smtp\n        value: '{secret}'\n        version: v2\n"
            "  refreshInterval: 1h\n")
    _gone(text, secret)


def test_fake_provider_twins() -> None:
    _kept("apiVersion: external-secrets.io/v1\nkind: SecretStore\nspec:\n  provider:\n    fake:\n      data:\n"
          "      - key: smtp\n        value: '{{ .smtp }}'\n  conditions:\n  - value: ready\n")
    _kept("kind: ExternalSecret\nspec:\n  data:\n  - secretKey: smtp\n    remoteRef:\n      key: /smtp/password\n")
