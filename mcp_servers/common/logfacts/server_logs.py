"""Logs of servers with a layout of their own: Apache httpd's and lighttpd's error logs, PHP's error log, Squid's
access log.

Apache httpd 2.4 writes `[Sat Dec 05 17:21:22.804647 2026] [proxy:error] [pid 8863:tid 8892] (111)Connection
refused: [client 10.0.0.9:54276] AH00957: message, referer: ...` (2.2 omits the module and the pid). The
`(errno)text` is the operating system's (or APR's: `(70007)The timeout specified has expired`, `(EAI 2)Name or
service not known`) reason, which is often the only word of what failed; `[client ADDR]` is the browser or the
proxy in front, never a dependency, so it goes to a field of its own and not into the message where it would be
read as the upstream; `AHnnnnn` is the message's stable number.

PHP writes `[05-Dec-2026 17:21:23 UTC] PHP Fatal error:  Uncaught RuntimeException: msg in /var/www/a.php:3`, its
level inside the message (`PHP Warning:`, `PHP Notice:`, `PHP Parse error:`...); PHP-FPM's own log is `[05-Dec-2026
17:21:34] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it`, and a worker's
output relayed through it reads `... [pool www] child 12 said into stderr: "NOTICE: PHP message: PHP Fatal error:
..."`. ` in FILE on line N` is where the script failed: kept as `source`, out of the message.

lighttpd writes `2026-12-05 17:39:56: (gw_backend.c.274) establishing connection failed: socket:
tcp:127.0.0.1:18999: Connection refused`: no level, the source position in parentheses (kept as `source`).

Squid's native access log is `1733400000.123   5 10.0.0.9 TCP_MISS/503 3492 GET http://orders:8080/x - HIER_DIRECT/
10.0.4.7 text/html`: its result code and the HTTP status, then the hierarchy code and the server it went to (`-`
when none was reached). An operator's `logformat` often appends `%err_code/%err_detail` (`ERR_CONNECT_FAIL/
WITH_SERVER`), Squid's own name for what failed; the status alone says only that the proxy answered 5xx.
"""

from __future__ import annotations

import re

from mcp_servers.common.logfacts.lines import Line, guess_severity, level_severity
from mcp_servers.common.logfacts.models import Severity

_APACHE = re.compile(
    r"^\[((?:[A-Z][a-z]{2} ){2}\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})\] "
    r"\[(?:([\w\-]+):)?(emerg|alert|crit|error|warn|notice|info|debug|trace\d)\] "
    r"(?:\[pid \d+(?::tid \d+)?\] )?(.*)$")
_APACHE_OS = re.compile(r"^\(((?:EAI )?-?\d+)\)([^:\[]{1,120}): ")
_APACHE_PEER = re.compile(r"\[(client|remote) ([^\]]+)\] ")
_APACHE_CODE = re.compile(r"^(AH\d{5}): ")
_REFERER = re.compile(r", referer: \S*$")


def parse_apache_error(text: str) -> Line | None:
    """An Apache httpd error log line: level from `[module:level]`, the OS reason after the message."""
    m = _APACHE.match(text)
    if not m:
        return None
    ts, module, level, rest = m.groups()
    fields: dict[str, str] = {}
    if module:
        fields["module"] = module
    os_reason = ""
    if o := _APACHE_OS.match(rest):
        os_reason = f"({o.group(1)}){o.group(2).strip()}"
        rest = rest[o.end():]
    for kind, addr in _APACHE_PEER.findall(rest):
        fields.setdefault(kind, addr)  # the client served (or the peer before a proxy): not an upstream
    rest = _REFERER.sub("", _APACHE_PEER.sub("", rest)).strip()
    if c := _APACHE_CODE.match(rest):
        fields["apache_code"] = c.group(1)
    message = f"{rest}: {os_reason}" if os_reason else rest
    severity = level_severity(level) or ("info" if level.startswith("trace") else "unknown")
    return Line("apache_error", severity, message, ts, fields)


_PHP_TS = r"\[(\d{2}-[A-Z][a-z]{2}-\d{4} \d{2}:\d{2}:\d{2}(?: [\w/+\-]+)?)\]\s+"
_PHP = re.compile(r"^(?:" + _PHP_TS + r")?(?:.{0,160}?PHP message: )?PHP ((?:Recoverable |Catchable )?[Ff]atal error|"
                  r"Parse error|Warning|Notice|Deprecated|Strict Standards|Core (?:Error|Warning)|"
                  r"Compile (?:Error|Warning)|User (?:Error|Warning|Notice|Deprecated)):\s+(.*?)\"?$")
_PHP_FPM = re.compile(r"^" + _PHP_TS + r"(ALERT|ERROR|WARNING|NOTICE|DEBUG): (?:\[pool ([\w.\-]+)\] )?(.*)$")
_PHP_OWN = re.compile(r"^" + _PHP_TS + r"(?![A-Z]+: )(.+)$")
"""A line a script wrote with `error_log()`: PHP's timestamp, then the script's words."""
_PHP_SOURCE = re.compile(r" in (/\S+?)(?: on line |:)(\d+)$")
_PHP_LEVELS = {"warning": "warning", "notice": "info", "deprecated": "info", "strict standards": "info"}


def parse_php(text: str) -> Line | None:
    """A PHP error log line (`PHP Fatal error:  ...`, also relayed by PHP-FPM) or a PHP-FPM master log line."""
    m = _PHP.match(text) if "PHP " in text[:220] else None
    if m:
        ts, level, message = m.groups()
        fields: dict[str, str] = {"php_level": level}
        if src := _PHP_SOURCE.search(message):
            fields["source"] = f"{src.group(1)}:{src.group(2)}"
            message = message[:src.start()]
        word = level.lower().removeprefix("core ").removeprefix("compile ").removeprefix("user ")
        return Line("php", _PHP_LEVELS.get(word, "error"), message.strip(), ts, fields)  # type: ignore[arg-type]
    m = _PHP_FPM.match(text)
    if m:
        ts, level, pool, message = m.groups()
        return Line("php", level_severity(level) or "unknown", message.strip(), ts, {"pool": pool} if pool else {})
    m = _PHP_OWN.match(text)
    if not m:
        return None
    message = m.group(2).strip()  # the script's own error_log(): no level but its words
    return Line("php", guess_severity(message), message, m.group(1))


_SQUID = re.compile(r"^(\d{9,10}\.\d{3})\s+(-?\d+) (\S+) ([A-Z_]+)/(\d{3}) (\d+) ([A-Z]+) (\S+) (\S+) ([A-Z_]+)/(\S+)"
                    r"(?: (\S+))?(?: (ERR_[A-Z_]+|-)/(\S+))?")
_SQUID_ERRORS = {"ERR_CONNECT_FAIL": "connection refused by the server (ERR_CONNECT_FAIL)",
                 "ERR_DNS_FAIL": "DNS lookup failed (ERR_DNS_FAIL)",
                 "ERR_READ_TIMEOUT": "read timed out (ERR_READ_TIMEOUT)",
                 "ERR_LIFETIME_EXP": "connection lifetime timed out (ERR_LIFETIME_EXP)",
                 "ERR_ACCESS_DENIED": "access denied by the proxy's rules (ERR_ACCESS_DENIED)",
                 "ERR_CACHE_ACCESS_DENIED": "proxy authentication required (ERR_CACHE_ACCESS_DENIED)",
                 "ERR_ZERO_SIZE_OBJECT": "the server closed without a reply (ERR_ZERO_SIZE_OBJECT)",
                 "ERR_SECURE_CONNECT_FAIL": "TLS handshake with the server failed (ERR_SECURE_CONNECT_FAIL)"}
"""Squid's error page names (its `errors/templates`) in the words the classes read."""


def parse_squid_access(text: str) -> Line | None:
    """A Squid native access log line, with `%err_code/%err_detail` after it when the operator logs them."""
    m = _SQUID.match(text)
    if not m:
        return None
    ts, _elapsed, _client, result, status, _size, method, url, _user, _hier, peer, _type, err, detail = m.groups()
    fields = {"method": method, "path": url[:200], "status": status, "squid_result": result}
    if peer != "-":
        fields["upstream_host"] = peer
    message = f"{method} {url} {status} {result}"
    if err and err != "-":
        fields["squid_error"] = err if detail in (None, "-") else f"{err}/{detail}"
        message = f"{message}: {_SQUID_ERRORS.get(err, err)}"
    elif result == "TCP_DENIED" and status in ("403", "407"):
        message = f"{message}: access denied by the proxy's rules"
    severity: Severity = "error" if status >= "500" else "warning" if status in ("403", "407", "429") else "info"
    return Line("squid_access", severity, message, ts, fields)


_LIGHTTPD = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)?: \(([\w\-]+\.c)\.(\d+)\) (.*)$")


def parse_lighttpd_error(text: str) -> Line | None:
    """A lighttpd error log line: the time, `(file.c.line)`, the message (its level guessed from the words)."""
    m = _LIGHTTPD.match(text)
    if not m:
        return None
    ts, source, line, message = m.groups()
    return Line("lighttpd_error", guess_severity(message), message.strip(), ts, {"source": f"{source}:{line}"})
