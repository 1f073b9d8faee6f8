"""Packaging (issue 10): the wheel carries the Alembic scripts, so an installed roombot migrates without its source.

The wheel is built from a copy of the working tree (building in the checkout would leave build/ and egg-info
behind, and setuptools' build/lib can ship files deleted since the last build), with build isolation so that
pyproject.toml's own build-system requirement is what builds it; pip takes setuptools from its configured
index or cache.  It is installed with --no-deps into a fresh virtual environment whose only view of the test
environment is a .pth line naming its site-packages, for the dependencies: the roombot there must be the
wheel's, never the checkout's, and the tests check that it is.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from alembic.config import Config

from bot.config_errors import ConfigError
from bot.store import migrate

REPO = Path(__file__).resolve().parents[2]
NOT_BUILD_INPUTS = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", "*.py[cod]", ".pytest_cache",
    ".hypothesis", ".ruff_cache", "*.sqlite3", "*.db", "tests", "bench",
)
OUR_PREFIXES = ("SLACK_", "ZOOM_", "ROOMBOT_", "DATABASE_URL", "PORT")
NOT_INHERITED = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}


def _outside_env(**values: str) -> dict[str, str]:
    """The environment without roombot's variables and without anything that would put the checkout on sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES) and k not in NOT_INHERITED}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", **values)
    return env


def _run(*command: str | Path, cwd: Path, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=_outside_env(**env), capture_output=True,
                          text=True, timeout=timeout)


def _checked(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_BUILD_INPUTS, symlinks=False)
    _checked(_run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", work / "dist", ".",
                  cwd=source, timeout=300))
    (built,) = (work / "dist").glob("roombot-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed (and the test environment's packages visible)."""
    root = tmp_path_factory.mktemp("fresh") / "venv"
    _checked(_run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent))
    python = root / "bin" / "python"
    site = _checked(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root))
    ours = sysconfig.get_paths()
    lines = dict.fromkeys([ours["purelib"], ours["platlib"]])  # the dependencies (and pip); not their .pth files
    (Path(site.stdout.strip()) / "test-environment.pth").write_text("".join(f"{line}\n" for line in lines))
    # --ignore-installed: the roombot seen through the .pth is the test environment's; leave it alone.
    _checked(_run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "--quiet",
                  wheel, cwd=root))
    return root


def test_every_package_under_bot_is_listed_for_the_wheel() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    on_disk = {".".join(init.parent.relative_to(REPO).parts) for init in (REPO / "bot").rglob("__init__.py")}
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"] == {"bot._migrations": "migrations"}
    assert {"bot._migrations", "bot._migrations.versions"} <= listed


def test_wheel_carries_the_code_and_the_migrations_as_bot_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    scripts = sorted((REPO / "migrations" / "versions").glob("*.py"))
    assert scripts
    expected = {"bot/_migrations/env.py", "bot/_migrations/script.py.mako"}
    expected |= {f"bot/_migrations/versions/{script.name}" for script in scripts}
    assert expected - names == set()
    sources = {path.relative_to(REPO).as_posix() for path in (REPO / "bot").rglob("*")
               if path.is_file() and path.suffix in (".py", ".json") and "__pycache__" not in path.parts}
    assert sources - names == set()
    assert not [name for name in names if name.startswith("migrations/") or "__pycache__" in name]
    assert "roombot-0.1.0.dist-info/entry_points.txt" in names


def test_installed_wheel_finds_its_own_migrations(venv: Path) -> None:
    probe = ("import json, sys, bot, bot.store.migrate as m; "
             "print(json.dumps([bot.__file__, str(m.migrations_directory()), sys.path]))")
    bot_file, directory, path = json.loads(_checked(_run(venv / "bin" / "python", "-c", probe, cwd=venv)).stdout)
    assert Path(bot_file).is_relative_to(venv) and Path(directory).is_relative_to(venv), (bot_file, directory)
    assert Path(directory).name == "_migrations" and (Path(directory) / "env.py").is_file()
    assert str(REPO) not in path


def test_installed_wheel_migrates_a_new_database_to_head(venv: Path) -> None:
    database = venv.parent / "installed.sqlite3"
    url = f"sqlite:///{database}"
    roombot = venv / "bin" / "roombot"

    checked = _run(roombot, "migrate", "--check", cwd=venv.parent, DATABASE_URL=url)
    assert checked.returncode == 1 and "roombot migrate" in checked.stderr, checked.stderr
    result = _checked(_run(roombot, "migrate", cwd=venv.parent, DATABASE_URL=url))
    assert "upgraded from an empty database" in result.stdout
    _checked(_run(roombot, "migrate", "--check", cwd=venv.parent, DATABASE_URL=url))

    with sqlite3.connect(database) as connection:
        versions = {row[0] for row in connection.execute("SELECT version_num FROM alembic_version")}
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert versions == set(migrate.head_revisions())  # the checkout's heads
    assert {"rooms", "dispatches", "bookings", "occurrences"} <= tables


def test_installed_wheel_runs_parse_link_and_the_demo(venv: Path) -> None:
    roombot = venv / "bin" / "roombot"
    parsed = _checked(_run(roombot, "parse-link", "https://zoom.us/j/93456789012", cwd=venv.parent))
    assert json.loads(parsed.stdout)["meeting_id"] == "93456789012"

    demo = _checked(_run(roombot, "demo", cwd=venv.parent, timeout=120))
    assert re.search(r"^roombot demo: all \d+ steps went as expected", demo.stdout, flags=re.M), demo.stdout
    assert "Traceback" not in demo.stdout + demo.stderr


def test_alembic_command_in_the_checkout_uses_the_same_scripts(tmp_path: Path) -> None:
    ini = Config(str(REPO / "alembic.ini"))
    assert Path(ini.get_main_option("script_location") or "") == migrate.migrations_directory() == REPO / "migrations"

    url = f"sqlite:///{tmp_path / 'alembic.sqlite3'}"
    _checked(_run(sys.executable, "-m", "alembic", "-c", "alembic.ini", "upgrade", "head", cwd=REPO, DATABASE_URL=url))
    assert migrate.current_revision(url) == ",".join(migrate.head_revisions())


def test_migrations_directory_prefers_the_variable_then_the_wheel_then_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    packaged, checkout, explicit = (tmp_path / name for name in ("_migrations", "migrations", "elsewhere"))
    monkeypatch.setattr(migrate, "PACKAGED_MIGRATIONS", packaged)
    monkeypatch.setattr(migrate, "CHECKOUT_MIGRATIONS", checkout)
    monkeypatch.delenv(migrate.MIGRATIONS_DIR_VARIABLE, raising=False)

    with pytest.raises(ConfigError) as caught:
        migrate.migrations_directory()
    assert str(caught.value).startswith(migrate.MIGRATIONS_DIR_VARIABLE) and str(packaged) in str(caught.value)

    for directory in (checkout, packaged, explicit):
        directory.mkdir()
        (directory / "env.py").write_text("")
    assert migrate.migrations_directory() == packaged
    (packaged / "env.py").unlink()
    assert migrate.migrations_directory() == checkout
    monkeypatch.setenv(migrate.MIGRATIONS_DIR_VARIABLE, str(explicit))
    assert migrate.migrations_directory() == explicit
