"""The application around the statistics: settings, the report registry and the schedules built from it,
the command line's errors and version, the package's structure (no tangles), and an installed wheel
running the whole main job in an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from cs_toolkit.errors import ConfigError, CSToolkitError, MissingColumnError
from cs_toolkit.reports.registry import REPORTS, prefect_yaml, schedules
from cs_toolkit.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_settings_come_from_flags_then_environment_then_toml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("CS_TOOLKIT_")]:
        monkeypatch.delenv(name)
    defaults = load_settings()
    assert defaults.root == tmp_path and defaults.store_url == f"duckdb:///{tmp_path / 'data' / 'cs_toolkit.duckdb'}"
    assert defaults.inbox == tmp_path / "data" / "inbox" and defaults.language == "zh"
    (tmp_path / "cs_toolkit.toml").write_text('timezone = "Europe/London"\nreports = "out/reports"\n'
                                              'language = "en"\n', encoding="utf-8")
    from_file = load_settings()
    assert (from_file.timezone, from_file.reports, from_file.language) == (
        "Europe/London", tmp_path / "out" / "reports", "en")
    monkeypatch.setenv("CS_TOOLKIT_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("CS_TOOLKIT_STORE", "postgresql://cs@db/cs")
    from_env = load_settings()
    assert from_env.timezone == "Asia/Tokyo" and from_env.store_url == "postgresql://cs@db/cs"
    assert from_env.language == "en"  # the file still fills what the environment does not say
    from_flags = load_settings(timezone="Asia/Shanghai", store=None)
    assert from_flags.timezone == "Asia/Shanghai" and from_flags.store_url == "postgresql://cs@db/cs"
    monkeypatch.setenv("CS_TOOLKIT_LANGUAGE", "fr")
    with pytest.raises(ConfigError, match="language") as info:
        load_settings()
    assert info.value.key == ["language"]


def test_prefect_yaml_and_serve_come_from_the_registry():
    committed = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    default_timezone = Settings.model_fields["timezone"].default
    assert committed == prefect_yaml(default_timezone), "regenerate: cs-toolkit deployments --write prefect.yaml"
    from cs_toolkit.flows.serve import deployments

    served = deployments(Settings(timezone=default_timezone))
    from_yaml = [(d["name"], d["entrypoint"].rsplit(".", 1)[1], d["schedules"][0]["cron"], d["schedules"][0]["timezone"])
                 for d in committed["deployments"]]
    from_serve = [(d.name, d.entrypoint.rsplit(":", 1)[1], d.schedules[0].schedule.cron, d.schedules[0].schedule.timezone)
                  for d in served]
    assert from_serve == from_yaml
    assert {name for name, _, _ in schedules()} >= {spec.deployment for spec in REPORTS.values()}
    for d in committed["deployments"]:  # module entrypoints that import from an installed package
        module, _, function = d["entrypoint"].rpartition(".")
        assert hasattr(__import__(module, fromlist=[function]), function)


def test_every_registered_report_has_a_template_with_its_parameters():
    import nbformat

    for spec in REPORTS.values():
        nb = nbformat.read(spec.template(), as_version=4)
        params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        for name in ("period", "store", "output_dir", "language", "timezone", *spec.settings):
            assert f"{name} = " in params.source, (spec.name, name)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), "notebooks are stored clean"


def test_errors_carry_fields_and_survive_pickling():
    import pickle

    from cs_toolkit.io.tables import RawTable

    raw = RawTable(Path("export.csv"), pd.DataFrame(columns=["编号", "满意"]), pd.DataFrame())
    with pytest.raises(MissingColumnError) as info:
        raw.require(["编号", "满意度"])
    err = info.value
    assert (err.path, err.missing, err.suggestions) == ("export.csv", ["满意度"], {"满意度": "满意"})
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is MissingColumnError and copy.missing == ["满意度"] and str(copy) == str(err)


def test_categorise_refuses_unknown_input_with_the_toolkits_errors():
    from cs_toolkit.complaints import categorise, load_taxonomy

    frame = pd.DataFrame({"内容": ["漏水"]})
    with pytest.raises(MissingColumnError, match="did you mean"):
        categorise(frame, "内容x", taxonomy=load_taxonomy())
    with pytest.raises(ConfigError, match="exactly one"):
        categorise(frame, "内容")
    with pytest.raises(ConfigError, match="DataFrame"):
        categorise(["漏水"], "内容", taxonomy=load_taxonomy())


def test_the_command_line_prints_errors_without_a_traceback(tmp_path):
    cli = str(Path(sys.executable).with_name("cs-toolkit"))
    version = subprocess.run([cli, "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and version.stdout.startswith("cs-toolkit ")
    (tmp_path / "c.csv").write_text("id,text\n1,漏水\n", encoding="utf-8")
    bad = subprocess.run([cli, "complaints", "predict", str(tmp_path / "c.csv"), "--text", "txt", "--out",
                          str(tmp_path / "o.csv"), "--taxonomy", "default"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "c.csv" in bad.stderr and "'txt'" in bad.stderr and "did you mean 'text'" in bad.stderr
    debug = subprocess.run([cli, "--debug", "complaints", "predict", str(tmp_path / "c.csv"), "--text", "txt",
                            "--out", str(tmp_path / "o.csv"), "--taxonomy", "default"], capture_output=True, text=True)
    assert "Traceback" in debug.stderr and "MissingColumnError" in debug.stderr


@pytest.mark.slow
def test_ctrl_c_stops_serve_cleanly_and_its_server_with_it(tmp_path):
    import signal
    import time

    cli = str(Path(sys.executable).with_name("cs-toolkit"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CS_TOOLKIT_"))}
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        # its own process group, as a terminal's foreground job: Ctrl-C reaches every process in it
        proc = subprocess.Popen([cli, "serve"], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, env=env,
                                process_group=0)
        try:
            deadline = time.monotonic() + 300
            while "prefect deployment run" not in log.read_text() and time.monotonic() < deadline:
                assert proc.poll() is None, log.read_text()[-3000:]
                time.sleep(1)
            server = _server_pids(tmp_path)
            assert server, "no ephemeral server found for this folder"
            # Outside the terminal's process group, Ctrl-C cannot stop the server before the runner has
            # paused its deployments (in the group, whether it did was a race, lost on a loaded machine).
            assert all(os.getpgid(pid) != proc.pid for pid in server)
            time.sleep(10)  # the runner's event websocket is connected by now
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    printed = log.read_text()
    assert "All deployments have been paused" in printed, printed[-3000:]
    assert "Traceback" not in printed and "error:" not in printed, printed[-3000:]
    time.sleep(1)
    assert not [pid for pid in server if Path(f"/proc/{pid}").exists()]


def _server_pids(root: Path) -> list[int]:
    """Uvicorn processes whose PREFECT_HOME is inside ``root``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        home = f"PREFECT_HOME={root.resolve()}".encode()
        if b"uvicorn" in cmd and any(e.startswith(home) for e in environ):
            found.append(int(proc.name))
    return found


def test_package_structure_has_no_tangles():
    code = ("import sys, cs_toolkit.demo.complaints, cs_toolkit.io.tables; "
            "print(sorted(m for m in sys.modules if m.startswith('cs_toolkit')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr  # the demo package imports on its own (no circular import)
    loaded = eval(out.stdout)
    assert not any(m.startswith(("cs_toolkit.survey", "cs_toolkit.reports")) for m in loaded), loaded
    io_sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "cs_toolkit" / "io").glob("*.py"))
    assert "import cs_toolkit.survey" not in io_sources and "from cs_toolkit.survey" not in io_sources  # io reads tables; survey validation lives with survey
    package = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "cs_toolkit").rglob("*.py")
                      if "flows" not in p.parts)
    assert "sys.path.insert" not in package and "runpy" not in package
    for path in (ROOT / "cs_toolkit").rglob("*.py"):  # exceptions live in errors.py
        if path.name != "errors.py":
            text = path.read_text(encoding="utf-8")
            assert "(CSToolkitError)" not in text and "Error(Exception)" not in text, path
    assert issubclass(MissingColumnError, CSToolkitError)


@pytest.mark.slow
def test_an_installed_wheel_runs_the_main_job_in_an_empty_folder(tmp_path):
    uv = Path(sys.executable).with_name("uv")
    if not uv.exists():
        pytest.skip("uv is installed by ./dev.sh setup; run the suite through ./dev.sh test")
    dist = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "CS_TOOLKIT_", "VIRTUAL_ENV"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    build = subprocess.run([str(uv), "build", "--wheel", "--out-dir", str(dist), str(ROOT)], capture_output=True,
                           text=True, env=env, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next(dist.glob("cs_toolkit-*.whl"))
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "cs_toolkit/templates/weekly_satisfaction.ipynb" in names and "cs_toolkit/flows/report_flows.py" in names
    venv = tmp_path / "venv"
    subprocess.run([str(uv), "venv", "-q", "--python", sys.executable, str(venv)], check=True, env=env)
    install = subprocess.run([str(uv), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                              "--constraint", str(_constraints(tmp_path)), str(wheel)],
                             capture_output=True, text=True, env=env, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    empty = tmp_path / "empty"
    empty.mkdir()
    run = subprocess.run([str(venv / "bin" / "cs-toolkit"), "demo", "--out", "job"], cwd=empty, capture_output=True,
                         text=True, env=env, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert len(list((empty / "job" / "reports").glob("*/*/*.html"))) == 2
    assert not list((empty / "job" / "reports").glob("*/failed/*"))


def _constraints(tmp_path: Path) -> Path:
    """The locked versions, so the wheel installs what the tests ran against (and from the local cache)."""
    frozen = subprocess.run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True,
                            text=True).stdout
    if not frozen.strip():
        frozen = subprocess.run([str(Path(sys.executable).with_name("uv")), "pip", "freeze", "--python",
                                 sys.executable], capture_output=True, text=True).stdout
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(line for line in frozen.splitlines() if "cs_toolkit" not in line and "cs-toolkit" not in line),
                    encoding="utf-8")
    return path
