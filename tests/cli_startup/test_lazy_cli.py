"""The lazy `vigil` command tree: it imports only what a command uses, and looks exactly as before.

What is checked is behaviour, never a time (the figures live in benchmarks/cli/bench_startup.py):
which modules a real `vigil` process has imported when it finishes, and that every command and its
`--help` are the same as an eagerly built tree of the same sub-apps would give.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from agent.cli import app
from agent.cli.mounts import MCP_SERVERS, ROOT, Mount, load_target

ROOT_DIR = Path(__file__).resolve().parents[2]

# Packages that cost tenths of a second each to import, and that a listing or a version never needs.
HEAVY = ("mcp", "mcp_types", "kubernetes", "openai", "anthropic", "networkx", "tree_sitter",
         "tree_sitter_language_pack", "httpx", "requests", "jsonschema", "pydantic", "yaml", "starlette", "uvicorn",
         "opentelemetry", "drain3", "matplotlib", "slack_bolt", "sqlalchemy", "psycopg", "anyio")
# Vigil's own areas: `--help` lists them from the mount table without importing one.
AREAS = ("agent.config", "agent.runtime", "agent.gitops", "agent.runbooks", "agent.llm", "agent.server",
         "agent.queue", "guardrails", "mcp_servers")


def imported_by(*args: str) -> set[str]:
    """The modules a fresh `vigil ARGS` process has imported by the time the command returns."""
    code = ("import json, sys\n"
            f"sys.argv = ['vigil', *{list(args)!r}]\n"
            "from agent.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "sys.stdout.flush()\nsys.stderr.write('\\nMODULES ' + json.dumps(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT_DIR, timeout=120)
    marker = proc.stderr.rfind("MODULES ")
    assert marker >= 0, proc.stderr
    return set(json.loads(proc.stderr[marker + len("MODULES "):]))


def loaded(modules: set[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["mcp", "--help"], []])
def test_help_and_version_import_no_heavy_module_and_no_area(args: list[str]) -> None:
    modules = imported_by(*args)
    assert "agent.cli.mounts" in modules  # the probe ran the real entry point
    # Running a group's callback (`vigil mcp ...` runs vigil's) makes typer coerce its options with pydantic.
    allowed = ("pydantic",) if args[:1] == ["mcp"] else ()
    assert loaded(modules, tuple(h for h in HEAVY if h not in allowed)) == []
    assert loaded(modules, AREAS) == []
    assert loaded(modules, ("rich.table", "rich.markdown", "rich.syntax", "rich.progress")) == []


def test_a_command_imports_its_own_area_and_not_the_others() -> None:
    code_help = imported_by("code", "--help")
    assert "mcp_servers.codegraph.cli" in code_help
    assert loaded(code_help, ("kubernetes", "openai", "anthropic", "agent.gitops", "agent.runbooks", "agent.llm",
                              "mcp_servers.kubernetes", "mcp_servers.prometheus", "mcp_servers.loki")) == []
    runbooks = imported_by("runbooks", "--help")
    assert "agent.cli.runbooks" in runbooks
    assert loaded(runbooks, ("kubernetes", "openai", "anthropic", "networkx", "mcp_servers.codegraph")) == []


@pytest.mark.slow
@pytest.mark.parametrize("server", sorted(MCP_SERVERS))
def test_an_mcp_servers_help_loads_no_other_server_and_no_model_sdk(server: str) -> None:
    modules = imported_by("mcp", server, "--help")
    own = MCP_SERVERS[server].target.partition(":")[0]
    assert own in modules
    other_clis = tuple({m.target.partition(":")[0] for m in MCP_SERVERS.values()} - {own})
    assert loaded(modules, other_clis) == []
    if server != "investigate":  # the whole investigation may call a model; no single-purpose server does
        assert loaded(modules, ("openai", "anthropic", "agent.llm")) == []


@pytest.mark.slow
def test_no_commands_help_imports_the_mcp_sdk_the_kubernetes_client_or_a_model_sdk() -> None:
    """Every command module keeps those imports inside its command functions (`index` and `code` need the graph)."""
    for name in ROOT:
        modules = imported_by(name, "--help")
        assert loaded(modules, ("mcp", "mcp_types", "kubernetes", "openai", "anthropic")) == [], name


def eager_reference() -> typer.Typer:
    """The tree as it was built before it was lazy: every sub-app added up front."""
    reference = typer.Typer(name="vigil", help=app.info.help, no_args_is_help=True, pretty_exceptions_enable=False,
                            rich_markup_mode=None)
    reference.callback()(app.registered_callback.callback)  # type: ignore[union-attr,type-var]
    mcp = typer.Typer(help=ROOT["mcp"].summary, no_args_is_help=True)
    for name, mount in MCP_SERVERS.items():
        mcp.add_typer(load_target(mount.target), name=name)
    for name, mount in ROOT.items():
        target = mcp if name == "mcp" else load_target(mount.target)
        if isinstance(target, typer.Typer):
            reference.add_typer(target, name=name)
        else:
            reference.command(name)(target)
    return reference


def first_paragraph(text: str | None) -> str:
    return " ".join((text or "").split("\n\n")[0].split())


def command_paths() -> list[list[str]]:
    paths: list[list[str]] = [[], ["mcp"]]
    paths += [[name] for name in ROOT] + [["mcp", name] for name in MCP_SERVERS]
    return paths


def test_every_help_page_is_the_same_as_the_eagerly_built_tree() -> None:
    runner = CliRunner()
    reference = eager_reference()
    for path in command_paths():
        lazy = runner.invoke(app, [*path, "--help"], terminal_width=100)
        eager = runner.invoke(reference, [*path, "--help"], terminal_width=100)
        assert lazy.exit_code == eager.exit_code == 0, (path, lazy.output)
        assert lazy.output == eager.output, path


@pytest.mark.parametrize(("table", "group"), [(ROOT, []), (MCP_SERVERS, ["mcp"])])
def test_each_summary_in_the_mount_table_is_its_commands_help(table: dict[str, Mount], group: list[str]) -> None:
    root = typer.main.get_command(app)
    ctx = typer.main.get_command(app).make_context("vigil", [*group, "--help"], resilient_parsing=True)
    parent = root.get_command(ctx, group[0]) if group else root  # type: ignore[attr-defined]
    for name, mount in table.items():
        command = parent.get_command(ctx, name)  # type: ignore[union-attr]
        assert command is not None, name
        assert first_paragraph(command.help) == mount.summary, f"{name}: update its summary in agent/cli/mounts.py"


def test_a_typo_is_matched_against_every_command_loaded_or_not() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["investigat"])
    assert result.exit_code == 2 and "Did you mean 'investigate'?" in result.output
    result = runner.invoke(app, ["mcp", "kubernetez"])
    assert result.exit_code == 2 and "Did you mean 'kubernetes'?" in result.output
    result = runner.invoke(app, ["nosuchthing"])
    assert result.exit_code == 2 and "No such command 'nosuchthing'." in result.output


def test_a_lazy_command_runs_and_reports_errors_as_before(tmp_path: Path) -> None:
    broken = tmp_path / "vigil.yaml"
    broken.write_text("llm:\n  provider: nosuch\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "check", "--config", str(broken)])
    assert result.exit_code == 1 and "llm.provider" in result.output
    result = CliRunner().invoke(app, ["policy", "check", "--actor", "alice", "--tool", "k8s_logs", "--args", "[1]"])
    assert result.exit_code == 2 and "--args must be a JSON object" in result.output


def test_shell_completion_offers_every_mounted_name_with_its_summary() -> None:
    runner = CliRunner()
    bash = runner.invoke(app, [], prog_name="vigil",
                         env={"_VIGIL_COMPLETE": "complete_bash", "COMP_WORDS": "vigil mcp k", "COMP_CWORD": "2"})
    assert bash.exit_code == 0 and bash.output.split() == ["kubernetes"]
    zsh = runner.invoke(app, [], prog_name="vigil", env={"_VIGIL_COMPLETE": "complete_zsh",
                                                        "_TYPER_COMPLETE_ARGS": "vigil in"})
    assert zsh.exit_code == 0
    assert '"investigate":"Investigate a question or an alert and..."' in zsh.output and '"index":' in zsh.output
