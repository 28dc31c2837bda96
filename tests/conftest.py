"""Shared fixtures: the repository's data package and the source texts."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"

# Tests, and the chapters nbval re-executes (their kernels inherit this), validate and audit the data
# themselves rather than read a review cached by an earlier build; tests/test_cache.py tests the cache.
os.environ["RTXREVIEW_CACHE"] = "off"


def sources_dir() -> Path:
    """Source texts: $RTXREVIEW_SOURCES, else ../shared/seeds beside the repository."""
    return Path(os.environ.get("RTXREVIEW_SOURCES", REPO.parent / "shared" / "seeds"))


@pytest.fixture(scope="session")
def sources() -> Path:
    """The source texts; a test needing them skips when they are absent, unless
    RTXREVIEW_REQUIRE_SOURCES=1 (set by .ci/run), where their absence is an error."""
    path = sources_dir()
    if not path.is_dir():
        if os.environ.get("RTXREVIEW_REQUIRE_SOURCES") == "1":
            pytest.fail(f"source texts required but not found at {path}")
        pytest.skip(f"source texts not found at {path} (set RTXREVIEW_SOURCES)")
    return path


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A throw-away copy of the data package to break."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def unavailable(message: str):
    """Skip a test whose tool (Node.js, Chromium, the Vega builds) is missing, except where
    RTXREVIEW_REQUIRE_TOOLS=1 (set by .ci/run): there a missing tool is a failure, not a skip."""
    if os.environ.get("RTXREVIEW_REQUIRE_TOOLS") == "1":
        pytest.fail(f"required for this test: {message}")
    pytest.skip(message)


# CI runs property tests with a fixed seed: a red CI then always means a reproducible failure.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


CHROMIUM = os.environ.get("RTXREVIEW_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def site_browser():
    """One headless Chromium (Debian's, driven by Playwright) for every browser test of the built site."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
