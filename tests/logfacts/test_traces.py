"""Multi-line stack traces in four languages, assembled from their physical lines.

The traces are written for these tests in the shapes each runtime prints: CPython's traceback,
the JVM's `at` frames with `Caused by:` chains and `... N more`, Go's panic with its goroutine dump,
Node's `Error` with `at` frames. Each is surrounded by ordinary log lines that must stay separate.
"""

from __future__ import annotations

from mcp_servers.common.logfacts import extract

PYTHON = """\
2026-03-01T10:00:00.000Z level=info msg="starting worker"
Traceback (most recent call last):
  File "/srv/app/worker.py", line 41, in <module>
    main()
  File "/srv/app/worker.py", line 37, in main
    url = settings.database_url()
  File "/srv/app/settings.py", line 12, in database_url
    return os.environ["DATABASE_URL"]
  File "/usr/lib/python3.12/os.py", line 714, in __getitem__
    raise KeyError(key) from None
KeyError: 'DATABASE_URL'
2026-03-01T10:00:01.000Z level=info msg="worker exiting"
""".splitlines()

JAVA = """\
2026-03-01 10:00:00.000 ERROR 1 --- [main] o.s.boot.SpringApplication : Application run failed
org.springframework.beans.factory.BeanCreationException: Error creating bean with name 'paymentClient'
\tat org.springframework.beans.factory.support.AbstractBeanFactory.getBean(AbstractBeanFactory.java:208)
\tat org.springframework.boot.SpringApplication.run(SpringApplication.java:315)
\tat com.example.shop.ShopApplication.main(ShopApplication.java:12)
Caused by: java.lang.IllegalStateException: could not open connection pool
\tat com.zaxxer.hikari.pool.HikariPool.<init>(HikariPool.java:115)
\t... 12 more
Caused by: java.net.UnknownHostException: payments-db
\tat java.base/java.net.InetAddress$CachedAddresses.get(InetAddress.java:801)
\tat java.base/java.net.InetAddress.getAllByName0(InetAddress.java:1533)
\t... 20 more
2026-03-01 10:00:01.000  INFO 1 --- [main] o.s.b.SpringApplication : shutting down
""".splitlines()

GO = """\
2026/03/01 10:00:00 listening on :8080
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x18 pc=0x6b1f2e]

goroutine 42 [running]:
github.com/example/cart/internal/store.(*Client).Get(0x0, {0x7a3c40, 0xc000128000}, {0xc00012e0a0, 0x8})
\t/src/internal/store/client.go:88 +0x2e
github.com/example/cart/internal/api.(*Handler).cart(0xc0000a2000, {0x7a1e80, 0xc0001b6000}, 0xc0001a4000)
\t/src/internal/api/handler.go:51 +0x9c
net/http.HandlerFunc.ServeHTTP(0xc0000b4000, {0x7a1e80, 0xc0001b6000}, 0xc0001a4000)
\t/usr/local/go/src/net/http/server.go:2136 +0x29

goroutine 1 [IO wait]:
internal/poll.runtime_pollWait(0x7f, 0x72)
\t/usr/local/go/src/runtime/netpoll.go:343 +0x85
exit status 2
""".splitlines()

NODE = """\
{"level":30,"time":1709287200000,"msg":"booting api"}
/app/src/config.js:14
    throw new Error(`Environment variable ${name} is undefined`);
    ^

Error: Environment variable DEPLOY_ENV is undefined
    at requireEnv (/app/src/config.js:14:11)
    at Object.<anonymous> (/app/src/config.js:20:17)
    at Module._compile (node:internal/modules/cjs/loader:1256:14)
    at Module.load (node:internal/modules/cjs/loader:1119:32)

Node.js v20.11.0
""".splitlines()


def test_python_traceback_names_the_exception_frames_and_the_variable() -> None:
    facts = extract(PYTHON)
    (trace,) = facts.traces
    assert trace.language == "python" and trace.exception == "KeyError" and trace.message == "'DATABASE_URL'"
    assert trace.frames[:2] == ["python3.12/os.py:714 __getitem__", "app/settings.py:12 database_url"]
    err = facts.errors[0]
    assert err.error_class == "missing_config" and err.fields["env_var"] == "DATABASE_URL"
    assert err.exception == "KeyError" and err.example == "KeyError: 'DATABASE_URL'"
    assert facts.formats == {"logfmt": 2, "stacktrace": 10}
    assert len(facts.errors) == 1  # the frames are not errors of their own


def test_java_reports_the_innermost_cause() -> None:
    facts = extract(JAVA)
    (trace,) = facts.traces
    assert trace.language == "java"
    assert (trace.exception, trace.message) == ("java.net.UnknownHostException", "payments-db")
    assert trace.frames[0] == "InetAddress.java:801 java.base/java.net.InetAddress$CachedAddresses.get"
    top = facts.errors[0]
    assert top.error_class == "dns_failure" and top.fields["dns_name"] == "payments-db"
    assert top.exception == "java.net.UnknownHostException"
    assert "payments-db" in facts.hosts
    assert facts.formats == {"spring_boot": 2, "stacktrace": 11}


def test_go_panic_with_goroutine_frames() -> None:
    facts = extract(GO)
    (trace,) = facts.traces
    assert trace.language == "go" and trace.exception == "panic"
    assert trace.message == "runtime error: invalid memory address or nil pointer dereference"
    assert trace.frames[0].startswith("store/client.go:88 github.com/example/cart/internal/store.(*Client).Get(")
    assert len(trace.frames) == 3  # only the panicking goroutine
    err = facts.errors[0]
    assert err.severity == "fatal" and err.error_class == "panic" and err.exception == "panic"


def test_node_error_with_at_frames() -> None:
    facts = extract(NODE)
    (trace,) = facts.traces
    assert trace.language == "node" and trace.exception == "Error"
    assert trace.message == "Environment variable DEPLOY_ENV is undefined"
    assert trace.frames[:2] == ["src/config.js:14 requireEnv", "src/config.js:20 Object.<anonymous>"]
    top = facts.errors[0]
    assert top.error_class == "missing_config" and top.fields["env_var"] == "DEPLOY_ENV"
    assert top.message == "Environment variable DEPLOY_ENV is undefined"


def test_trace_inside_a_json_line_and_behind_runtime_timestamps() -> None:
    stack = ("TypeError: Cannot read properties of undefined (reading 'id')\\n"
             "    at handler (/app/routes/cart.js:33:18)\\n    at Layer.handle (/app/node_modules/x/layer.js:95:5)")
    json_line = '{"level":"error","msg":"unhandled","stack":"' + stack + '"}'
    stamped = [f"2026-03-01T10:00:0{i}.000000000Z {line}" for i, line in enumerate(PYTHON[1:11])]
    facts = extract([json_line, *stamped])
    langs = {t.language: t for t in facts.traces}
    assert langs["node"].exception == "TypeError" and langs["node"].frames[0] == "routes/cart.js:33 handler"
    assert langs["python"].exception == "KeyError"
    classes = {e.error_class for e in facts.errors}
    assert classes == {"missing_config", "exception"}
    key_error = next(e for e in facts.errors if e.error_class == "missing_config")
    assert key_error.first_seen == "2026-03-01T10:00:00.000000000Z"


def test_repeated_crashes_count_as_one_trace() -> None:
    facts = extract(PYTHON * 3)
    assert len(facts.traces) == 1 and facts.traces[0].count == 3
    assert facts.errors[0].count == 3
