"""``make test-unit`` selects no test that needs the broker, a running system, the real
model, a browser or Docker, wherever such a test lives (tests/tiers.py)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

NEEDS_MORE_THAN_UNIT = frozenset(
    {
        "embedded_broker",
        "fresh_broker",
        "apache_kafka",
        "fresh_apache_kafka",
        "docker_mongodb_uri",
        "mongodb_uri",
        "running_system",
        "running_system_on_kafka_and_mongodb",
        "browser",
    }
)
"""The fixtures that start the broker, the system, Docker containers or a browser."""

STARTED_BY_HAND = {
    "EmbeddedBroker(": "broker",
    "SentenceTransformerEmbedder(": "model",
    "export_model(": "model",
    "sync_playwright(": "browser",
}
"""What a test module would contain if it started one of those without a fixture."""

RECORDER = """
import json, os

def pytest_collection_finish(session):
    with open(os.environ["TIER_RECORD"], "w") as out:
        json.dump(
            [
                {
                    "nodeid": item.nodeid,
                    "path": str(item.path),
                    "fixtures": sorted(getattr(item, "fixturenames", ())),
                    "markers": sorted({mark.name for mark in item.iter_markers()}),
                }
                for item in session.items
            ],
            out,
        )
"""


def unit_marker_expression() -> str:
    """The ``-m`` expression of the Makefile's ``test-unit`` recipe."""
    recipe = re.search(r"^test-unit:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe, "the Makefile has a test-unit target"
    for line in recipe.group(1).splitlines():
        words = shlex.split(line)
        if "pytest" in words:
            options = words[words.index("pytest") :]
            if "-m" in options:
                return options[options.index("-m") + 1]
    raise AssertionError("make test-unit runs pytest with -m")


def pytest_run(
    tmp_path: Path, args: list[str], *, cwd: Path = ROOT
) -> tuple[subprocess.CompletedProcess[str], list[dict[str, list[str] | str]]]:
    """pytest in a process of its own, recording the tests it selected."""
    (tmp_path / "tier_recorder.py").write_text(RECORDER)
    record = tmp_path / "selected.json"
    env = {
        **os.environ,
        "TIER_RECORD": str(record),
        "PYTHONPATH": os.pathsep.join(
            [str(tmp_path), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "tier_recorder",
            *args,
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert record.exists(), result.stdout + result.stderr
    return result, json.loads(record.read_text())


def described(item: pytest.Item) -> dict[str, list[str] | str]:
    """What the recorder writes about a test, for a test of this session."""
    return {
        "nodeid": item.nodeid,
        "path": str(item.path),
        "fixtures": sorted(getattr(item, "fixturenames", ())),
        "markers": sorted({mark.name for mark in item.iter_markers()}),
    }


def selected_by_make_test_unit(
    request: pytest.FixtureRequest, tmp_path: Path
) -> list[dict[str, list[str] | str]]:
    """The tests ``make test-unit`` selects: this session's, when it is that command
    (which spares it a second collection), else those of a collection of its own."""
    config = request.config
    if (
        config.args_source == pytest.Config.ArgsSource.TESTPATHS
        and config.option.markexpr == unit_marker_expression()
        and not config.option.keyword
        and not config.option.deselect
        and not config.option.ignore
    ):
        return [described(item) for item in request.session.items]
    result, selected = pytest_run(
        tmp_path, ["--collect-only", "-m", unit_marker_expression(), "tests"]
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return selected


def test_make_test_unit_selects_no_test_that_needs_the_broker_or_more(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    selected = selected_by_make_test_unit(request, tmp_path)
    assert len(selected) > 500, "the unit tier keeps the fast tests"
    for item in selected:
        assert not NEEDS_MORE_THAN_UNIT.intersection(item["fixtures"]), item["nodeid"]
        assert not {"broker", "server", "model", "browser", "docker", "slow"}.intersection(
            item["markers"]
        ), item["nodeid"]
    for path in sorted({str(item["path"]) for item in selected} - {__file__}):
        source = Path(path).read_text()
        started = [needs for text, needs in STARTED_BY_HAND.items() if text in source]
        assert not started, f"{path} starts a {started[0]} itself: mark its tests"


def test_the_tier_follows_the_fixtures_a_test_uses_wherever_it_lives(tmp_path: Path) -> None:
    """A tree of its own: stand-ins for the shared fixtures, tests in any folder."""
    tree = tmp_path / "tree"
    (tree / "anywhere" / "unit").mkdir(parents=True)
    markers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"][
        "markers"
    ]
    (tree / "pytest.ini").write_text("[pytest]\nmarkers =\n    " + "\n    ".join(markers) + "\n")
    (tree / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            from tests.tiers import (
                pytest_collection_modifyitems,
                pytest_fixture_setup,
                pytest_runtest_protocol,
            )

            @pytest.fixture(scope="session")
            def embedded_broker():
                return "a stand-in: no broker starts here"

            @pytest.fixture
            def browser():
                return "a stand-in"
            """
        )
    )
    (tree / "anywhere" / "unit" / "test_tiers_of.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture
            def service(embedded_broker):
                return embedded_broker

            def test_plain():
                pass

            def test_through_a_fixture_of_a_fixture(service):
                pass

            def test_with_the_browser(browser):
                pass

            @pytest.mark.model
            def test_marked_by_hand():
                pass

            def test_asking_for_the_broker_at_run_time(request):
                request.getfixturevalue("embedded_broker")
            """
        )
    )
    report = tmp_path / "report.xml"
    result, selected = pytest_run(
        tmp_path, ["-m", unit_marker_expression(), f"--junit-xml={report}", "."], cwd=tree
    )

    assert sorted(str(item["nodeid"]).split("::")[1] for item in selected) == [
        "test_asking_for_the_broker_at_run_time",
        "test_plain",
    ], result.stdout + result.stderr
    outcomes = {
        case.get("name"): [child.tag for child in case]
        for case in ET.parse(report).getroot().iter("testcase")
    }
    assert outcomes == {"test_plain": [], "test_asking_for_the_broker_at_run_time": ["failure"]}
    assert "is in the unit tier but sets up embedded_broker" in result.stdout
