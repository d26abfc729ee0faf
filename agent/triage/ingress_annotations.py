"""An ingress controller setting, written as an Ingress annotation, that produces the very errors clients see.

Ingress controllers take per-Ingress settings from annotations: ingress-nginx's
`nginx.ingress.kubernetes.io/proxy-read-timeout` (seconds to wait for the upstream's response
header), `proxy-send-timeout`, `proxy-connect-timeout`, `proxy-body-size` (largest request body),
`limit-rps`/`limit-rpm`/`limit-connections`; the HAProxy Kubernetes Ingress Controller's
`haproxy.org/timeout-server`, `haproxy.org/timeout-connect` and `haproxy.org/rate-limit-requests`
(and haproxy-ingress's `haproxy-ingress.github.io/timeout-server`). Each one, set too low, makes
the controller answer a status of its own while the backend is healthy, only slow or busy:

* a timeout: 504 after exactly the timeout (ingress-nginx's `request_time` equals the value and its
  error log says "upstream timed out (110: ...) while reading response header from upstream"; which
  phase it names picks read, send or connect);
* a body size: 413 ("client intended to send too large body");
* a rate or connection limit: 503 (ingress-nginx's default `limit-req-status-code`) or 429 with
  "limiting requests, excess: ..." / "limiting connections by zone";
* an HTTPS redirect (ingress-nginx's `force-ssl-redirect`/`ssl-redirect`, 308 by default; HAProxy's
  `haproxy.org/ssl-redirect`, 302 by default) behind a load balancer that terminates TLS and forwards
  plain HTTP (an L4 NLB sets no X-Forwarded-Proto): the controller sees every request as http, so it
  answers even the requests clients already sent over https with the redirect, a redirect loop. No log
  words mark it; the sign is the share: once the redirects start, nearly every request gets one, where
  a working redirect answers only the odd plain-http client and the rest are served;
* a mandatory client certificate (ingress-nginx's `auth-tls-verify-client: on`, was `optional` or unset): the
  controller answers every client that presents no certificate `400 No required SSL certificate was sent` itself
  (no upstream address in its access line; its error log may say "client sent no required SSL certificate"), so
  webhook senders and partners without mTLS are refused while the backend sees nothing;
* a read (tunnel) timeout on long-lived connections: a WebSocket (`101 Switching Protocols`) stays open
  only while one side speaks within the timeout, so a read timeout shorter than the application's
  heartbeat (ping interval) closes every quiet socket at exactly the value. The access line, written when
  the tunnel ends, then says 101 with `request_time` at the value (HAProxy: 101 with a `cD`/`sD` data-phase
  timeout flag and Ta at its `timeout-tunnel`), and ingress-nginx's error log says "upstream timed out
  ... while reading upstream" (or "while proxying upgraded connection"). No 504 is ever answered: the
  status was 101 when the socket opened. Sockets that end at many different ages are clients leaving, not
  the setting: most upgraded connections since the first cut must end at the value.

The survey reads the Ingresses of the subject's namespace that carry such an annotation, and the
controller pods' lines about their backends (the `[namespace-service-port]` upstream name and the
hosts). An annotation whose symptom the lines show is the suspect, with its value, the share of
requests it failed, and the Ingress's last write (managedFields time and manager) before the alert.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.triage.facts import Facts, Ref, parse_time
from agent.triage.kube_reads import get_yaml

CHECK = "ingress.annotation_symptom"
WEIGHT = 0.9
"""A controller setting whose own error the clients get is the cause; the slow backend behind it is not."""
READS = "ingress_annotations"
LEAD = timedelta(hours=24)
"""An Ingress write this long before the alert is reported as its trigger."""
MAX_INGRESSES = 4
MAX_CONTROLLER_PODS = 2
MIN_FAILED = 3
"""Lines showing the symptom before an annotation is blamed: one odd request is no pattern."""
CONTROLLER_POD = re.compile(r"ingress-nginx|nginx-ingress|ingress-controller|haproxy|traefik|kubernetes-ingress")
"""Pod names of the common ingress controllers' charts."""

Call = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Setting:
    """What one annotation controls, and the symptom it produces when too tight."""

    annotation: str
    kind: str
    """timeout, size, limit or redirect."""
    statuses: tuple[int, ...]
    words: str
    """The controller's own log wording for this setting's failure (a regex)."""
    what: str
    tunnel: bool = False
    """It also bounds the silence of an upgraded (WebSocket) connection: a 101 ending at the value is its cut."""


SETTINGS = (
    Setting("nginx.ingress.kubernetes.io/proxy-read-timeout", "timeout", (504,),
            r"upstream timed out .{0,40}while (?:reading (?:response header|upstream)|proxying upgraded connection)",
            "the upstream's response wait", tunnel=True),
    Setting("nginx.ingress.kubernetes.io/proxy-send-timeout", "timeout", (504,),
            r"upstream timed out .{0,40}while sending (?:request|to upstream)", "the request send to the upstream"),
    Setting("nginx.ingress.kubernetes.io/proxy-connect-timeout", "timeout", (504,),
            r"upstream timed out .{0,40}while connecting to upstream", "the upstream connect"),
    Setting("nginx.ingress.kubernetes.io/proxy-body-size", "size", (413,),
            r"client intended to send too large body", "the largest request body"),
    Setting("nginx.ingress.kubernetes.io/limit-rps", "limit", (503, 429), r"limiting requests, excess",
            "requests per second per client"),
    Setting("nginx.ingress.kubernetes.io/limit-rpm", "limit", (503, 429), r"limiting requests, excess",
            "requests per minute per client"),
    Setting("nginx.ingress.kubernetes.io/limit-connections", "limit", (503, 429), r"limiting connections by zone",
            "concurrent connections per client"),
    Setting("haproxy.org/timeout-server", "timeout", (504,), r"\bsH--|\bsH\b", "the server response wait"),
    Setting("haproxy.org/timeout-tunnel", "timeout", (), r"\b[cs]D--|\b[cs]D\b", "an upgraded connection's silence",
            tunnel=True),
    Setting("haproxy.org/timeout-connect", "timeout", (503,), r"\bsC--|\bsC\b", "the server connect"),
    Setting("haproxy.org/rate-limit-requests", "limit", (403, 429), r"rate.?limit", "requests per period"),
    Setting("haproxy-ingress.github.io/timeout-server", "timeout", (504,), r"\bsH--|\bsH\b",
            "the server response wait"),
    Setting("nginx.ingress.kubernetes.io/force-ssl-redirect", "redirect", (308, 301, 302, 307), r"$^",
            "plain-http requests to https"),
    Setting("nginx.ingress.kubernetes.io/ssl-redirect", "redirect", (308, 301, 302, 307), r"$^",
            "plain-http requests to https"),
    Setting("haproxy.org/ssl-redirect", "redirect", (302, 301, 307, 308), r"$^", "plain-http requests to https"),
    Setting("nginx.ingress.kubernetes.io/auth-tls-verify-client", "client_cert", (400,),
            r"no required SSL certificate|client sent no required|SSL certificate error|"
            r"client SSL certificate verify error", "which clients may connect: only those presenting a certificate"),
)
CERT_REQUIRED = {"on"}
"""The auth-tls-verify-client value that makes a client certificate mandatory; `optional`, `optional_no_ca` and
`off` let certificate-less clients through (the backend may then decide)."""
LOOP_SHARE = 0.8
"""Share of requests, from the first redirect on, answered with it before it reads as a loop: a working redirect
answers only plain-http clients, who then come back on https and are served."""
_WHEN = re.compile(r"\[(\d{2})/(\w{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})")
"""The request time both ingress-nginx (`[25/Nov/2026:10:04:00 +0000]`) and HAProxy (`[25/Nov/2026:10:04:00.123]`)
print."""
UPGRADED = 101
"""The status of a WebSocket (upgraded) connection; its access line is written when the tunnel closes."""
CUT_SHARE = 0.5
"""Share of upgraded connections, from the first cut at the value on, that must end at the value: clients closing
sockets at their own pace end at many different ages."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_NGINX_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) \d+ "[^"]*" "[^"]*" \d+ '
                           r"(?P<time>[\d.]+) \[(?P<upstream>[^\]]*)\](?: \[[^\]]*\] (?P<addr>\S+))?")
"""ingress-nginx's default access line: status, `request_time`, `[proxy_upstream_name]`, and `upstream_addr` (`-`
when the controller answered the request itself, never passing it to a backend)."""
_HAPROXY = re.compile(r" (?P<backend>\S+)/\S+ -?\d+/-?\d+/-?\d+/-?\d+/(?P<ta>-?\d+) (?P<status>\d{3}) \d+ \S+ \S+ "
                      r"(?P<flags>\S{4}) ")
"""HAProxy's `option httplog` line: backend, Ta (total ms), status, termination flags."""


@dataclass
class AnnotationFit:
    """An Ingress annotation whose symptom the controller's lines show."""

    ingress: Ref
    setting: Setting
    value: str
    failed: int
    total: int
    at_value: int
    """Failed requests that ended at the setting's value (a timeout), out of `failed`."""
    said: str
    written: str
    """"updated N min before the alert (event Sync ...)" or ""."""
    backends: list[Ref]
    evidence: list[str]
    cut: int = 0
    """Upgraded (WebSocket) connections closed at the value, out of `failed`."""


def _reads(facts: Facts) -> dict[str, Any]:
    return facts.reads.setdefault(READS, {})


def _known(obj: dict[str, Any]) -> dict[str, str]:
    notes = (obj.get("metadata") or {}).get("annotations") or {}
    return {s.annotation: str(notes[s.annotation]) for s in SETTINGS if s.annotation in notes}


def _backends(obj: dict[str, Any]) -> list[tuple[str, str]]:
    """(service, port) of every path of the Ingress and its default backend."""
    spec = obj.get("spec") or {}
    found = [spec.get("defaultBackend") or {}] + [p.get("backend") or {} for r in spec.get("rules") or []
                                                  for p in (r.get("http") or {}).get("paths") or []]
    out = []
    for b in found:
        svc = b.get("service") or {}
        port = svc.get("port") or {}
        if svc.get("name"):
            out.append((str(svc["name"]), str(port.get("number") or port.get("name") or "")))
    return list(dict.fromkeys(out))


def _controller_hints(obj: dict[str, Any]) -> set[str]:
    """Words a pod name of the Ingress's controller holds: its class name, and the vendor of its annotations."""
    meta = obj.get("metadata") or {}
    cls = (obj.get("spec") or {}).get("ingressClassName") or (meta.get("annotations") or {}).get(
        "kubernetes.io/ingress.class")
    vendors = {"nginx" if "nginx" in a else "haproxy" for a in _known(obj)}
    return {str(cls)} | vendors if cls else vendors


def _namespaces(facts: Facts) -> list[str]:
    out: list[str] = []
    for data, _ in facts.topologies:
        ref = Ref.of(data.get("subject"))
        if ref is not None and ref.namespace:
            out.append(ref.namespace)
    for f in facts.findings():
        ref = Ref.of(f.get("object"))
        if ref is not None and ref.kind == "Ingress" and ref.namespace:
            out.append(ref.namespace)
    out += [log.namespace for log in facts.logs if log.namespace]
    return list(dict.fromkeys(out))[:2]


async def read(facts: Facts, call: Call) -> None:
    """Reading only: the subject's namespaces' Ingresses with a controller annotation, and the controller
    pods' log lines about their backends and hosts."""
    store = _reads(facts)
    ingresses: list[tuple[dict[str, Any], str]] = store.setdefault("ingresses", [])
    for ns in _namespaces(facts):
        listed = await call("k8s_list", {"kind": "Ingress", "namespace": ns}, f"survey-ingress-{ns}")
        rows = (listed.data or {}).get("rows") or [] if listed is not None and listed.ok else []
        for row in rows[:MAX_INGRESSES]:
            name = str(row.get("name") or "") if isinstance(row, dict) else ""
            got = await get_yaml(call, "Ingress", name, ns, f"survey-ingress-{name}") if name else None
            if got is not None and got[0].get("kind") == "Ingress" and _known(got[0]):
                ingresses.append(got)
    if not ingresses:
        return
    events = store.setdefault("events", [])
    for obj, _ in ingresses:
        meta = obj.get("metadata") or {}
        got_events = await call("k8s_events", {"namespace": meta.get("namespace"), "kind": "Ingress",
                                               "name": meta.get("name")}, f"survey-ingress-events-{meta.get('name')}")
        if got_events is not None and got_events.ok and isinstance(got_events.data, dict):
            events.append((got_events.data, got_events.evidence_id))
    pods = await call("k8s_list", {"kind": "pods"}, "survey-ingress-controllers")
    rows = (pods.data or {}).get("rows") or [] if pods is not None and pods.ok else []
    controllers = [r for r in rows if isinstance(r, dict) and CONTROLLER_POD.search(str(r.get("name") or ""))]
    hints = {h for obj, _ in ingresses for h in _controller_hints(obj)}
    controllers.sort(key=lambda r: not any(h in str(r.get("name") or "") for h in hints))  # the Ingress's own first
    words: list[str] = []
    for obj, _ in ingresses:
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        words += [svc for svc, _ in _backends(obj)]  # ingress-nginx `[ns-svc-port]`, HAProxy `ns_svc_port` backends
        words += [str(r["host"]) for r in (obj.get("spec") or {}).get("rules") or [] if r.get("host")]
    lines = store.setdefault("lines", [])
    for row in controllers[:MAX_CONTROLLER_PODS]:
        for word in list(dict.fromkeys(words))[:4]:
            outcome = await call("k8s_logs", {"name": row.get("name"), "namespace": row.get("namespace"), "grep": word,
                                              "tail": 5000, "budget_tokens": 3000},
                                 f"survey-ingress-logs-{row.get('name')}")
            if outcome is not None and outcome.ok:
                kept = [ln for ln in str(outcome.full_text or outcome.text).splitlines()
                        if word in ln and not ln.startswith(("repeated ", "["))]  # lines, not the answer's patterns
                lines.append(({"pod": row.get("name"), "word": word, "lines": kept}, outcome.evidence_id))


def _seconds(value: str) -> float | None:
    """An annotation's duration in seconds: ingress-nginx takes plain seconds, HAProxy `5s`, `500ms`, `1m`."""
    m = re.fullmatch(r"\s*([\d.]+)\s*(ms|s|m|h)?\s*", value)
    if not m:
        return None
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m.group(2) or "s"]
    return float(m.group(1)) * scale


def _written(facts: Facts, ingress: Ref) -> str:
    """The Ingress's last write before the alert within LEAD: from the change timeline (managedFields), else from
    its controller's events (ingress-nginx records `Sync` "Scheduled for sync" on every create and update)."""
    now = facts.at
    for change in facts.change_list():
        target, t = Ref.of(change.get("object")), parse_time(change.get("at"))
        if target is not None and target.same_object(ingress) and t is not None and now - LEAD <= t <= now:
            who = str(change.get("summary") or "").split(":")[0].replace(str(ingress), "").strip()
            return f"{who or 'written'} {int((now - t).total_seconds() // 60)} min before the alert"
    times: list[tuple[datetime, str]] = []
    for data, _ in _reads(facts).get("events") or []:
        for e in data.get("events") or []:
            if not isinstance(e, dict) or e.get("name") != ingress.name or e.get("type") == "Warning":
                continue
            t = parse_time(e.get("last_seen") or e.get("first_seen"))
            if t is not None and now - LEAD <= t <= now:
                times.append((t, f"{e.get('reason')} '{str(e.get('message') or '')[:60]}'"))
    if not times:
        return ""
    t, said = max(times)
    return f"updated {int((now - t).total_seconds() // 60)} min before the alert, event {said}"


def fits(facts: Facts) -> list[AnnotationFit]:
    """Each read Ingress annotation whose symptom the controller's lines about that Ingress show."""
    store = _reads(facts)
    out: list[AnnotationFit] = []
    for obj, evidence_id in store.get("ingresses") or []:
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        mine = {f"{ns}-{svc}-{port}" for svc, port in _backends(obj)}
        hosts = {str(r["host"]) for r in (obj.get("spec") or {}).get("rules") or [] if r.get("host")}
        services = {svc for svc, _ in _backends(obj)}
        entries = [(d, e) for d, e in store.get("lines") or [] if d.get("word") in services | hosts]
        lines = list(dict.fromkeys(ln for d, _ in entries for ln in d.get("lines") or []))
        if not lines:
            continue
        requests = [m for m in (_NGINX_ACCESS.search(ln) for ln in lines) if m and m.group("upstream") in mine]
        haproxy = [m for m in (_HAPROXY.search(ln) for ln in lines)
                   if m and ns in m.group("backend") and any(svc in m.group("backend") for svc in services)]
        for annotation, value in _known(obj).items():
            setting = next(s for s in SETTINGS if s.annotation == annotation)
            cut = _cut(setting, value, requests, haproxy)
            fit = _fit(setting, value, lines, requests, haproxy, cut)
            if fit is None:
                continue
            failed, total, at_value, said = fit
            written = _written(facts, Ref("Ingress", ns, name))
            if setting.kind == "client_cert" and not written:
                continue  # a certificate long required: clients without one were always refused, not the change
            out.append(AnnotationFit(Ref("Ingress", ns, name), setting, value, failed, total, at_value, said,
                                     written,
                                     [Ref("Service", ns, s) for s, _ in _backends(obj)],
                                     [evidence_id, *dict.fromkeys(e for _, e in entries)], len(cut)))
    return _strongest_per_ingress(out)


def _fit(setting: Setting, value: str, lines: list[str], requests: list[re.Match[str]],
         haproxy: list[re.Match[str]], cut: list[re.Match[str]]) -> tuple[int, int, int, str] | None:
    """(failed, total, failed at the value, the controller's words) when the lines show the setting's symptom;
    `cut` is what `_cut` found for the setting, counted among the failures at the value."""
    hit = next((m for m in (re.search(setting.words, ln, re.I) for ln in lines) if m), None)
    said = hit.string[max(0, hit.start() - 40):][:220] if hit else ""  # the controller's words, a little before
    failed = [m for m in requests if int(m.group("status")) in setting.statuses]
    failed_hp = [m for m in haproxy if int(m.group("status")) in setting.statuses
                 and (setting.kind != "timeout" or re.search(setting.words, m.group("flags")))]
    if setting.kind == "redirect":
        return _loop(value, failed + failed_hp, requests + haproxy)
    if setting.kind == "client_cert":
        return _refused_without_cert(value, lines, setting, failed, requests, said)
    limit = _seconds(value) if setting.kind == "timeout" else None
    at_value = 0
    if limit is not None:
        at_value = sum(1 for m in failed if _near(float(m.group("time")), limit))
        at_value += sum(1 for m in failed_hp if _near(int(m.group("ta")) / 1000, limit))
    at_value += len(cut)
    count = len(failed) + len(failed_hp) + len(cut)
    words = sum(1 for ln in lines if re.search(setting.words, ln, re.I))
    if setting.kind == "timeout":
        shown = at_value >= MIN_FAILED or (words >= MIN_FAILED and count >= MIN_FAILED)
    else:
        shown = words >= 1 and count + words >= MIN_FAILED
    if not shown:
        return None
    return max(count, words), len(requests) + len(haproxy), at_value, said


def _cut(setting: Setting, value: str, requests: list[re.Match[str]],
         haproxy: list[re.Match[str]]) -> list[re.Match[str]]:
    """Upgraded connections the setting closed: 101s ending at its value (HAProxy: with a data-phase timeout flag),
    when they are most of the upgraded connections from the first such cut on; [] otherwise."""
    limit = _seconds(value)
    if not setting.tunnel or limit is None:
        return []
    upgraded = [(m, float(m.group("time"))) for m in requests if int(m.group("status")) == UPGRADED]
    upgraded += [(m, int(m.group("ta")) / 1000) for m in haproxy if int(m.group("status")) == UPGRADED
                 and re.search(r"[cs]D", m.group("flags"))]
    cut = [m for m, took in upgraded if _near(took, limit)]
    if len(cut) < MIN_FAILED:
        return []
    first = min((_when(m) for m in cut), default=())
    since = [m for m, _ in upgraded if _when(m) >= first]
    return cut if len(cut) / max(len(since), 1) >= CUT_SHARE else []


def _refused_without_cert(value: str, lines: list[str], setting: Setting, failed: list[re.Match[str]],
                          requests: list[re.Match[str]], said: str) -> tuple[int, int, int, str] | None:
    """(refused, requests, 0, words) when a mandatory client certificate shows as the controller's own 400s.

    With `auth-tls-verify-client: on` ingress-nginx checks the certificate during the TLS handshake and answers a
    client without one `400 No required SSL certificate was sent` itself: the access line has no upstream address
    (`-`). A 400 carrying an upstream address is the backend's own verdict on the request, not the setting."""
    if value.strip().strip('"').lower() not in CERT_REQUIRED:
        return None
    own = [m for m in failed if (m.group("addr") or "-") == "-"]
    words = sum(1 for ln in lines if re.search(setting.words, ln, re.I))
    if len(own) < MIN_FAILED and not (words >= 1 and len(own) + words >= MIN_FAILED):
        return None
    return max(len(own), words), len(requests), 0, said


def _near(took: float, limit: float) -> bool:
    """Whether a request's duration ended at the limit (within 10 %, at least half a second): the setting cut it."""
    return abs(took - limit) <= max(0.1 * limit, 0.5)


def _when(m: re.Match[str]) -> tuple[int, ...]:
    """A request line's time as a sortable tuple (year, month, day, h, m, s); () when the line prints none."""
    w = _WHEN.search(m.string)
    if w is None or w.group(2) not in _MONTHS:
        return ()
    return (int(w.group(3)), _MONTHS.index(w.group(2)), int(w.group(1)), *(int(w.group(i)) for i in (4, 5, 6)))


def _loop(value: str, redirected: list[re.Match[str]],
          requests: list[re.Match[str]]) -> tuple[int, int, int, str] | None:
    """(redirected, requests since the first redirect, 0, "") when an enabled HTTPS redirect answers nearly every
    request from its first on: clients that followed it to https were redirected again, a loop."""
    if value.strip().strip('"').lower() != "true" or len(redirected) < MIN_FAILED:
        return None
    first = min((_when(m) for m in redirected), default=())
    since = [m for m in requests if _when(m) >= first]
    if not since or len(redirected) / len(since) < LOOP_SHARE:
        return None
    return len(redirected), len(since), 0, ""


def _strongest_per_ingress(fits_: list[AnnotationFit]) -> list[AnnotationFit]:
    """One setting per Ingress: the one its controller's own words name, then the most failed requests at its value
    (proxy-read and proxy-send timeouts often share a value; the error line says which one fired)."""
    best: dict[Ref, AnnotationFit] = {}
    for f in fits_:
        key = (bool(f.said), f.at_value, f.failed)
        cur = best.get(f.ingress)
        if cur is None or key > (bool(cur.said), cur.at_value, cur.failed):
            best[f.ingress] = f
    return list(best.values())


def finding(f: AnnotationFit) -> dict[str, Any]:
    """The suspect's finding: the annotation and value, the status it produces and how often, the write."""
    short = f.setting.annotation.rsplit("/", 1)[-1]
    status = "/".join(str(s) for s in f.setting.statuses)
    limit = _seconds(f.value) if f.setting.kind == "timeout" else None
    after = f" after {limit:g} s (its value)" if limit is not None and f.at_value else ""
    written = f" ({f.written})" if f.written else ""
    slow = " while the backend is merely slow" if f.setting.kind == "timeout" else ""
    if f.setting.kind == "redirect":
        status = "/".join(str(s) for s in f.setting.statuses[:1])
        message = (f"{f.ingress} sets {f.setting.annotation}: {f.value}{written}: a redirect loop, the controller "
                   f"answers {status} to https for {f.failed} of {f.total} requests since, also those clients sent "
                   "over https: TLS termination happens in front of it (a load balancer offloading TLS forwards "
                   "plain HTTP), so every request looks like http. Revert the annotation, or have the load balancer "
                   "pass the scheme (X-Forwarded-Proto with use-forwarded-headers, or the PROXY protocol)")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Ingress", "namespace": f.ingress.namespace, "name": f.ingress.name},
                "reason": "IngressRedirectLoop", "message": message, "evidence": [],
                "details": {"annotation": f.setting.annotation, "value": f.value, "statuses": list(f.setting.statuses),
                            "failed": f.failed, "requests": f.total, "written": f.written}}
    if f.cut:
        message = (f"{f.ingress} sets {f.setting.annotation}: {f.value}{written}; the controller closes upgraded "
                   f"(WebSocket) connections after {limit:g} s, its value: {f.cut} of {max(f.total, f.failed)} "
                   f"connections ended there. A socket idle longer than the timeout, one whose heartbeat (ping "
                   f"interval) is longer, is cut and its clients reconnect in waves. Raise {short} above the "
                   "heartbeat interval (or revert it)")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Ingress", "namespace": f.ingress.namespace, "name": f.ingress.name},
                "reason": "IngressTunnelTimeout", "message": message, "evidence": [x for x in (f.said,) if x],
                "details": {"annotation": f.setting.annotation, "value": f.value, "cut": f.cut,
                            "requests": f.total, "written": f.written}}
    if f.setting.kind == "client_cert":
        message = (f"{f.ingress} sets {f.setting.annotation}: {f.value}{written}: the controller now requires every "
                   "client to present a TLS client certificate (mTLS) signed by the CA of its auth-tls-secret, and "
                   f"answers 400 ('No required SSL certificate was sent') itself, before the backend, for {f.failed} "
                   f"of {max(f.total, f.failed)} requests: callers that send no client certificate (webhook senders, "
                   "partners, probes) are refused. Set it back to optional, or give those clients a certificate")
        return {"check": CHECK, "severity": "critical",
                "object": {"kind": "Ingress", "namespace": f.ingress.namespace, "name": f.ingress.name},
                "reason": "IngressClientCertRequired", "message": message, "evidence": [x for x in (f.said,) if x],
                "details": {"annotation": f.setting.annotation, "value": f.value, "statuses": [400],
                            "failed": f.failed, "requests": f.total, "written": f.written}}
    fix = {"timeout": f"raise {short} above the slowest legitimate response",
           "size": f"raise {short} to the largest legitimate upload",
           "limit": f"raise {short} to the real per-client peak"}[f.setting.kind]
    message = (f"{f.ingress} sets {f.setting.annotation}: {f.value}{written}; the controller answers {status}{after} "
               f"for {f.failed} of {max(f.total, f.failed)} requests{slow} (it limits {f.setting.what}). "
               f"{fix.capitalize()}, or revert it")
    return {"check": CHECK, "severity": "critical",
            "object": {"kind": "Ingress", "namespace": f.ingress.namespace, "name": f.ingress.name},
            "reason": "IngressAnnotationSymptom", "message": message,
            "evidence": [x for x in (f.said,) if x],
            "details": {"annotation": f.setting.annotation, "value": f.value, "statuses": list(f.setting.statuses),
                        "failed": f.failed, "requests": f.total, "at_value": f.at_value, "written": f.written}}
