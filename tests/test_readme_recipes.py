"""Run every recipe in README.md, as written there, against a server on a free port.

A recipe is the fenced code block right after a ``<!-- recipe: NAME -->`` line. The only
change made before running one is the base URL: ``http://127.0.0.1:8080`` becomes the
test server's URL. The GitHub Actions recipe is an excerpt of
``examples/github-actions/loyalty-tests.yml``, whose ``run:`` steps are run in order.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.client import EmulatorClient
from emulator.settings import Settings
from emulator.testing import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
WORKFLOW = ROOT / "examples" / "github-actions" / "loyalty-tests.yml"
DEMO_SEED = ROOT / "fixtures" / "demo-site.json"
NODE_DIR = ROOT / "tests" / "node"
README_URL = "http://127.0.0.1:8080"
EXPECTED_RECIPES = {
    "curl": "bash",
    "python-httpx": "python",
    "python-requests": "python",
    "javascript-sdk": "js",
    "github-actions": "yaml",
    "pytest-ini": "toml",
    "pytest": "python",
    "reproduce-bug": "python",
}
MARKER = re.compile(r"^<!-- recipe: (?P<name>[a-z0-9-]+) -->$", re.MULTILINE)
FENCE = re.compile(r"\n```(?P<language>\w+)\n(?P<code>.*?)\n```\n", re.DOTALL)
# Balances of the demo site's accounts in fixtures/demo-site.json.
DEMO_BALANCES = [50, 100, 150, 230, 240, 290, 370, 420, 430, 510]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY")


def read_recipes() -> dict[str, tuple[str, str]]:
    """Return recipe name -> (language, code); fail on a marker without a code block."""
    text = README.read_text(encoding="utf-8")
    recipes: dict[str, tuple[str, str]] = {}
    for marker in MARKER.finditer(text):
        name = marker.group("name")
        fence = FENCE.match(text, marker.end())
        if fence is None:
            pytest.fail(f"README.md: recipe marker {name!r} is not followed by a code block")
        if name in recipes:
            pytest.fail(f"README.md: recipe {name!r} appears twice")
        recipes[name] = (fence.group("language"), fence.group("code"))
    return recipes


def recipe(name: str) -> str:
    """Return the code of one recipe, pointed at the test server by the caller."""
    recipes = read_recipes()
    if name not in recipes:
        pytest.fail(f"README.md has no code block after '<!-- recipe: {name} -->'")
    language, code = recipes[name]
    assert language == EXPECTED_RECIPES[name], f"recipe {name} is marked ```{language}"
    return code


def point_at(code: str, url: str) -> str:
    assert README_URL in code, f"the recipe does not use {README_URL}"
    return code.replace(README_URL, url)


def clean_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without proxy settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    # The settings of scripts/serve: system clock, timed jobs with the default timing.
    with EmulatorServer(Settings()) as running:
        yield running


@pytest.fixture
def demo_site(server: EmulatorServer) -> Iterator[EmulatorClient]:
    """Load the demo site as scripts/serve does, and drop it after the test."""
    seed = json.loads(DEMO_SEED.read_text(encoding="utf-8"))
    with EmulatorClient(server.url) as control:
        control.reset("demo-site")
        control.seed("demo-site", **{k: seed[k] for k in ("contacts", "accounts", "program")})
        yield control
        control.reset("demo-site")


def test_readme_has_every_recipe() -> None:
    recipes = read_recipes()

    assert set(recipes) == set(EXPECTED_RECIPES)
    for name, (language, _) in recipes.items():
        assert language == EXPECTED_RECIPES[name], name


def test_curl_recipe(server: EmulatorServer, demo_site: EmulatorClient) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    code = point_at(recipe("curl"), server.url)

    completed = subprocess.run(
        ["bash", "-c", code], capture_output=True, text=True, timeout=30, env=clean_env()
    )

    assert completed.returncode == 0, completed.stderr
    accounts = json.loads(completed.stdout)["loyaltyAccounts"]
    balances = [account["points"]["balance"] for account in accounts]
    assert len(balances) == 5
    assert all(balance >= 100 for balance in balances), balances


def test_python_httpx_recipe(server: EmulatorServer, demo_site: EmulatorClient) -> None:
    code = point_at(recipe("python-httpx"), server.url)

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=clean_env()
    )

    assert completed.returncode == 0, completed.stderr
    below_200 = sum(1 for balance in DEMO_BALANCES if balance < 200)
    assert completed.stdout.strip() == f"FINISHED {below_200} accounts adjusted"
    with demo_site.api("demo-site") as wix:
        accounts = wix.post("/loyalty-accounts/v1/accounts/query", json={"query": {}}).json()
    balances = sorted(a["points"]["balance"] for a in accounts["loyaltyAccounts"])
    assert balances == sorted(b + 25 if b < 200 else b for b in DEMO_BALANCES)


def test_python_requests_recipe(server: EmulatorServer, demo_site: EmulatorClient) -> None:
    code = point_at(recipe("python-requests"), server.url)

    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, env=clean_env()
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    balances = [int(line.rsplit(" ", 1)[1]) for line in lines]
    assert balances == sorted(DEMO_BALANCES, reverse=True)
    assert lines[0].startswith(_contact_name(510))


def _contact_name(balance: int) -> str:
    seed = json.loads(DEMO_SEED.read_text(encoding="utf-8"))
    names = {contact["id"]: contact.get("name", "") for contact in seed["contacts"]}
    for index, account in enumerate(seed["accounts"]):
        if DEMO_BALANCES[index] == balance:
            return str(names[account["contactId"]])
    raise AssertionError(f"no demo account has balance {balance}")


def _install_node_packages() -> Path:
    """Return tests/node/node_modules, running ``npm ci`` there first if it is missing."""
    modules = NODE_DIR / "node_modules"
    if (modules / "@wix" / "sdk" / "package.json").is_file():
        return modules
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed, and tests/node/node_modules is missing")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_DIR,
        check=True,
        timeout=300,
    )
    # scripts/test-sdk skips its own npm ci when this stamp for the current lock file exists.
    lock_hash = hashlib.sha1((NODE_DIR / "package-lock.json").read_bytes()).hexdigest()[:12]
    (modules / f".npm-ci-{lock_hash}").touch()
    return modules


def test_javascript_sdk_recipe(
    server: EmulatorServer, demo_site: EmulatorClient, tmp_path: Path
) -> None:
    if os.environ.get("SKIP_NODE_TESTS"):
        pytest.skip("SKIP_NODE_TESTS is set")
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    # Node resolves bare imports from the script's folder, so that folder links to the
    # packages that tests/node/package.json pins.
    (tmp_path / "node_modules").symlink_to(_install_node_packages(), target_is_directory=True)
    script = tmp_path / "recipe.mjs"
    script.write_text(point_at(recipe("javascript-sdk"), server.url), encoding="utf-8")

    completed = subprocess.run(
        [node, str(script)], capture_output=True, text=True, timeout=60, env=clean_env()
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert len(lines) == 5, completed.stdout
    for line in lines:
        account_id, balance = line.split(" ")
        assert re.fullmatch(r"[0-9a-f-]{36}", account_id), line
        assert int(balance) >= 100, line


def test_pytest_recipe(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(recipe("pytest-ini") + "\n", encoding="utf-8")
    (tmp_path / "test_recipe.py").write_text(recipe("pytest") + "\n", encoding="utf-8")

    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "1 passed" in completed.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop_background_emulator(pid_file: Path) -> None:
    if not pid_file.is_file():
        return
    pid = int(pid_file.read_text().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return


def test_github_actions_recipe(tmp_path: Path) -> None:
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed; the workflow's wait step uses it")
    workflow_text = WORKFLOW.read_text(encoding="utf-8")
    assert recipe("github-actions") in workflow_text, "the README excerpt differs from the file"
    assert "${{" not in workflow_text, "the workflow uses an expression this test cannot run"
    job = yaml.safe_load(workflow_text)["jobs"]["test"]
    assert job["defaults"]["run"]["shell"] == "bash"
    port = _free_port()
    job_env = {name: str(value) for name, value in job["env"].items()}
    job_env["WIX_EMULATOR_PORT"] = str(port)
    job_env["WIX_EMULATOR_URL"] = job_env["WIX_EMULATOR_URL"].replace("8080", str(port))
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = clean_env(**job_env, RUNNER_TEMP=str(runner_temp), GITHUB_WORKSPACE=str(ROOT), CI="true")

    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    failed: str | None = None
    try:
        for step in job["steps"]:
            if "uses" in step:
                # A GitHub action: checkout is this work tree, setup-python is this venv.
                continue
            name = step["name"]
            if name.startswith("Install"):
                _check_install_step(step)
                continue
            if failed is not None and step.get("if") != "always()":
                continue
            outputs[name] = _run_step(step, env)
            if outputs[name].returncode != 0 and failed is None:
                failed = name
    finally:
        _stop_background_emulator(runner_temp / "emulator.pid")

    assert failed is None, _describe(outputs[failed]) if failed else ""
    assert list(outputs) == [
        "Start the emulator in the background",
        "Wait for the emulator to answer",
        "Run the tests",
        "Stop the emulator and show its log",
    ]
    assert '"status":"ok"' in outputs["Wait for the emulator to answer"].stdout
    assert "2 passed" in outputs["Run the tests"].stdout, _describe(outputs["Run the tests"])
    assert "skipped" not in outputs["Run the tests"].stdout
    assert (
        f"serving on http://127.0.0.1:{port}"
        in outputs["Stop the emulator and show its log"].stdout
    )


def _check_install_step(step: dict[str, Any]) -> None:
    # Running pip here would reinstall into the venv that runs this test, so the step is
    # checked instead: it installs this checkout, which this venv already has installed.
    assert step["run"].strip() == "python -m pip install -e '.[test]'"
    import emulator

    assert Path(emulator.__file__).resolve().is_relative_to(ROOT)


def _run_step(step: dict[str, Any], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # GitHub runs a `shell: bash` step as `bash --noprofile --norc -eo pipefail {0}`
    # (GitHub docs, workflow syntax, jobs.<job_id>.steps[*].shell).
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _describe(completed: subprocess.CompletedProcess[str]) -> str:
    return f"exit {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"


def test_reproduce_bug_recipe(server: EmulatorServer, tmp_path: Path) -> None:
    code = point_at(recipe("reproduce-bug"), server.url)

    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(PYTHONPATH=str(ROOT)),
        cwd=tmp_path,
    )

    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    assert lines == [
        "INITIALIZED",
        "503",
        "FINISHED 1",
        "[True]",
        "200 False",
        "503 True",
        "200 False",
    ]
    snapshot = json.loads((tmp_path / "bug-report-1234.json").read_text(encoding="utf-8"))
    assert list(snapshot["sites"]) == ["bug-report-1234"]
