"""The review cache: a review read back from it is the review computed afresh, any change to what
the review depends on validates the data again, and a chapter's outputs are the same either way."""

import dataclasses
import math
import os
import re
import time
import pickle
import shutil
import subprocess
import sys
import warnings

import nbformat
import pandas as pd
import pytest

from rtxreview import cache, certainty, digest, report
from rtxreview import review as review_module
from rtxreview.notebooks import execute
from rtxreview.validate import DataValidationError
from conftest import DATA_DIR, REPO

LOOKUPS = ("audit", "rows", "checks", "pooled", "_rows_by_id", "_checks_by_id", "_studies_by_id")


def entries(folder):
    return sorted(folder.glob("review-*.pickle"))


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


@pytest.fixture
def validations(monkeypatch):
    """Counts the data package's validations (each computed review validates it once)."""
    calls = []
    real = review_module.validate_package

    def counting(data_dir):
        calls.append(data_dir)
        return real(data_dir)

    monkeypatch.setattr(review_module, "validate_package", counting)
    return calls


def assert_same(cached, fresh, where="review"):
    """Equal all the way down: frames with their dtypes, dicts, lists and numbers (NaN equal to NaN)."""
    if isinstance(fresh, pd.DataFrame):
        pd.testing.assert_frame_equal(cached, fresh, obj=where)
    elif isinstance(fresh, dict):
        assert list(cached) == list(fresh), where
        for key in fresh:
            assert_same(cached[key], fresh[key], f"{where}[{key!r}]")
    elif isinstance(fresh, (list, tuple)):
        assert type(cached) is type(fresh) and len(cached) == len(fresh), where
        for i, (a, b) in enumerate(zip(cached, fresh)):
            assert_same(a, b, f"{where}[{i}]")
    elif dataclasses.is_dataclass(fresh):  # a GRADE finding and its domains
        assert type(cached) is type(fresh), where
        assert_same(vars(cached), vars(fresh), f"{where}.{type(fresh).__name__}")
    elif isinstance(fresh, float) and math.isnan(fresh):
        assert isinstance(cached, float) and math.isnan(cached), where
    else:
        assert type(cached) is type(fresh) and cached == fresh, where


def test_a_cached_review_is_the_review_computed_afresh(cache_folder, validations):
    report.load_review(DATA_DIR)
    cached = report.load_review(DATA_DIR)
    assert len(validations) == 1, "the second load should read the cache, not validate again"
    assert len(entries(cache_folder)) == 1

    fresh = report.Review(DATA_DIR)   # built directly, not through the cache's code
    for name in LOOKUPS:
        getattr(fresh, name)
    certainty.findings(fresh)          # the GRADE ratings the cache keeps too
    assert_same(vars(cached), vars(fresh))


def test_a_changed_data_file_is_validated_again(cache_folder, validations, data_copy):
    report.load_review(data_copy)
    studies = data_copy / "studies.csv"
    text = studies.read_text(encoding="utf-8")
    studies.write_text(text.replace("zhang_2021,", "zhang_2021 ,", 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match="studies.csv"):
        report.load_review(data_copy)
    assert len(validations) == 2

    studies.write_text(text, encoding="utf-8")   # back to the validated bytes: read from the cache
    report.load_review(data_copy)
    assert len(validations) == 2


def test_a_new_data_file_is_part_of_the_key_and_a_hidden_one_is_not(cache_folder, validations, data_copy):
    """Editors leave hidden files in the data folder (.ipynb_checkpoints, .DS_Store): they are not data."""
    report.load_review(data_copy)
    (data_copy / ".ipynb_checkpoints").mkdir()
    (data_copy / ".ipynb_checkpoints" / "studies-checkpoint.csv").write_text("x", encoding="utf-8")
    (data_copy / ".DS_Store").write_bytes(b"\x00")
    report.load_review(data_copy)
    assert len(validations) == 1
    (data_copy / "notes.txt").write_text("x", encoding="utf-8")
    report.load_review(data_copy)
    assert len(validations) == 2


def test_a_change_while_the_review_is_computed_is_not_cached(cache_folder, validations, data_copy, monkeypatch):
    """The key is taken before validation reads the files; if they change meanwhile, nothing is stored
    under the old key (the review computed may be of either version)."""
    real = review_module.validate_package

    def validate_then_edit(data_dir):
        tables = real(data_dir)
        notes = data_copy / "notes.txt"
        notes.write_text(notes.read_text() + "x" if notes.exists() else "x")
        return tables

    monkeypatch.setattr(review_module, "validate_package", validate_then_edit)
    report.load_review(data_copy)
    assert not entries(cache_folder)


def test_options_are_part_of_the_key(cache_folder, validations):
    beta = report.load_review(DATA_DIR)
    wilson = report.load_review(DATA_DIR, ci_method="wilson")
    dl = report.load_review(DATA_DIR, estimator="DL")
    assert len(validations) == 3
    assert (beta.ci_method, wilson.ci_method, dl.estimator) == ("beta", "wilson", "DL")
    analysis = "itp-complete-response"
    assert (beta.pooled[analysis]["estimator"], dl.pooled[analysis]["estimator"]) == ("PM", "DL")


def test_other_libraries_or_modules_make_another_entry(cache_folder, validations, monkeypatch):
    report.load_review(DATA_DIR)
    other = digest.DISTRIBUTIONS + "; stray-1.0.dist-info"
    monkeypatch.setattr(digest, "DISTRIBUTIONS", other)
    monkeypatch.setattr(digest, "installed_distributions", lambda: other)
    report.load_review(DATA_DIR)
    monkeypatch.setattr(digest, "PACKAGE_SHA256", "0" * 64)
    monkeypatch.setattr(digest, "unchanged_since_import", lambda: True)
    report.load_review(DATA_DIR)
    assert len(validations) == 3 and len(entries(cache_folder)) == 3


@pytest.mark.parametrize("snapshot", ["PACKAGE_SHA256", "DISTRIBUTIONS"])
def test_a_kernel_whose_modules_or_libraries_changed_on_disk_neither_reads_nor_writes_the_cache(
        snapshot, cache_folder, validations, monkeypatch):
    report.load_review(DATA_DIR)
    monkeypatch.setattr(digest, snapshot, "as imported, before an edit or an upgrade on disk")
    report.load_review(DATA_DIR)
    report.load_review(DATA_DIR)
    assert len(validations) == 3 and len(entries(cache_folder)) == 1


def test_reloading_the_digest_module_keeps_the_first_snapshot(monkeypatch):
    """%autoreload may reload rtxreview.digest after a module was edited: the snapshot must still be of
    the code the kernel imported first, or the edited code's review would be stored under its key."""
    import importlib
    monkeypatch.setattr(digest, "PACKAGE_SHA256", "first")
    monkeypatch.setattr(digest, "DISTRIBUTIONS", "first")
    importlib.reload(digest)
    assert (digest.PACKAGE_SHA256, digest.DISTRIBUTIONS) == ("first", "first")


def test_a_reloaded_module_computes_the_review_with_its_new_code(tmp_path):
    """As %autoreload does: edit a module of a running kernel's package and reload it. The kernel must
    compute with the new code, not read the review the old code stored; a new kernel stores anew."""
    package = tmp_path / "pkg"
    shutil.copytree(REPO / "rtxreview", package / "rtxreview", ignore=shutil.ignore_patterns("__pycache__"))
    script = tmp_path / "reload.py"
    script.write_text(
        "import importlib, pathlib, sys\n"
        "from rtxreview import review\n"
        "review.load_review(sys.argv[1])\n"
        "module = pathlib.Path(review.__file__)\n"
        "module.write_text(module.read_text().replace('    return review\\n', "
        "'    review.edited = True\\n    return review\\n', 1))\n"
        "importlib.reload(review)\n"
        "print(getattr(review.load_review(sys.argv[1]), 'edited', False))\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package), cache.ENV: str(tmp_path / "cache")}
    run = subprocess.run([sys.executable, str(script), str(DATA_DIR)], env=env, cwd=tmp_path, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True"]
    assert len(entries(tmp_path / "cache")) == 1          # only the old code's review, under the old code's key
    fresh = subprocess.run([sys.executable, "-c", "import sys; from rtxreview import review; "
                            "print(getattr(review.load_review(sys.argv[1]), 'edited', False))", str(DATA_DIR)],
                           env=env, cwd=tmp_path, capture_output=True, text=True)
    assert fresh.stdout.split() == ["True"], fresh.stderr
    assert len(entries(tmp_path / "cache")) == 2


def test_installed_distributions_name_each_with_its_version():
    installed = digest.installed_distributions().split("; ")
    assert installed[0].startswith("python-3.")
    for name in ("pandas", "pandera", "statsmodels", "scipy", "numpy"):
        module = __import__(name)
        assert f"{name}-{module.__version__}.dist-info" in installed


def test_the_working_folder_is_not_part_of_the_key(tmp_path, monkeypatch):
    """A chapter runs from book/, a reviewer's papermill from the root: both must find the same entry."""
    (tmp_path / "stray-1.0.dist-info").mkdir()
    before = digest.installed_distributions()
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert digest.installed_distributions() == before


def test_an_unreadable_entry_stops_with_its_path(cache_folder, validations):
    report.load_review(DATA_DIR)
    (entry,) = entries(cache_folder)
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.raises(cache.CacheError, match=f"{entry}: cannot be read back"):
        report.load_review(DATA_DIR)


def test_only_the_most_recently_used_entries_are_kept(cache_folder):
    cache_folder.mkdir()
    keys = [f"{i:064x}" for i in range(cache.KEEP + 3)]
    for i, key in enumerate(keys):   # entries last used i seconds after the epoch
        (cache_folder / f"review-{key}.pickle").write_bytes(pickle.dumps((i, [])))
        os.utime(cache_folder / f"review-{key}.pickle", ns=(i * 10**9, i * 10**9))
    others = ["model.pickle", f"review-{'z' * 64}.pickle", "notes.txt"]
    for name in others:
        (cache_folder / name).write_bytes(b"not the cache's")
        os.utime(cache_folder / name, ns=(0, 0))
    abandoned, writing = (f".review-{key}.pickle.x1y2.tmp" for key in keys[:2])
    for name, age in ((abandoned, 2 * 86_400), (writing, 60)):   # left by a killed writer; being written now
        (cache_folder / name).write_bytes(b"partial")
        os.utime(cache_folder / name, (time.time() - age, time.time() - age))
    assert cache.load_or_compute(lambda: keys[0], lambda: "not computed") == 0   # a hit: now the most recent
    cache._prune(cache_folder)
    kept = {p.name for p in cache_folder.iterdir()}
    assert kept == {*others, writing, *(f"review-{key}.pickle" for key in [keys[0], *keys[-(cache.KEEP - 1):]])}


def warning_compute():
    for _ in range(3):
        warnings.warn("precision loss", RuntimeWarning)   # one location: shown once, as by default
    warnings.warn("small sample", UserWarning)
    return 42


def shown_warnings(compute=warning_compute, *filters):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for f in filters:
            warnings.filterwarnings(*f)
        assert cache.load_or_compute(lambda: "a" * 64, compute) == 42
    return [(str(w.message), w.category, w.filename, w.lineno) for w in caught]


def test_warnings_raised_while_computing_are_shown_on_every_load(cache_folder, monkeypatch):
    """A chapter prints the same whether its review was computed, read back or computed uncached."""
    computed, read_back = shown_warnings(), shown_warnings()
    assert [(m, c) for m, c, _, _ in computed] == [("precision loss", RuntimeWarning), ("small sample", UserWarning)]
    assert read_back == computed and len(entries(cache_folder)) == 1
    monkeypatch.setenv(cache.ENV, "off")
    assert shown_warnings() == computed


@pytest.mark.parametrize("cached", [True, False])
def test_warning_filters_by_module_still_apply(cached, cache_folder, monkeypatch):
    """filterwarnings("ignore", module="scipy") must keep working for warnings raised inside the review."""
    if not cached:
        monkeypatch.setenv(cache.ENV, "off")
    ignore = ("ignore", "", RuntimeWarning, re.escape(warning_compute.__module__))
    for _ in range(2):   # computed, then read back
        assert [m for m, *_ in shown_warnings(warning_compute, ignore)] == ["small sample"]


def test_warnings_are_shown_when_the_computation_fails(cache_folder):
    def failing():
        warnings.warn("before the failure", UserWarning)
        raise ValueError("the failure")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        with pytest.raises(ValueError, match="the failure"):
            cache.load_or_compute(lambda: "b" * 64, failing)
    assert [str(w.message) for w in caught] == ["before the failure"]
    assert not entries(cache_folder)


def test_an_unusable_cache_setting_stops_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV, "relative/folder")
    with pytest.raises(cache.CacheError, match="give an absolute folder"):
        report.load_review(DATA_DIR)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    monkeypatch.setenv(cache.ENV, str(a_file))
    with pytest.raises(cache.CacheError, match=f"{a_file}/review-[0-9a-f]+.pickle: cannot be read"):
        report.load_review(DATA_DIR)


@pytest.mark.parametrize("setting", ["off", "OFF", "0", "false"])
def test_no_cache_when_turned_off(setting, tmp_path, validations, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(cache.ENV, setting)
    assert cache.cache_dir() is None
    report.load_review(DATA_DIR)
    report.load_review(DATA_DIR)
    assert len(validations) == 2
    assert not list(tmp_path.iterdir())


def test_the_default_cache_is_in_the_checkout_build_folder(monkeypatch):
    monkeypatch.delenv(cache.ENV)
    assert cache.cache_dir() == REPO / "_build" / "review-cache"


def test_a_chapter_makes_its_stored_outputs_from_a_computed_and_from_a_cached_review(cache_folder, tmp_path):
    """relapse.ipynb uses rows, checks, pooled analyses and the per-patient table. Executed twice with
    an empty cache, it computes the review and then reads it back; both times every code cell's
    outputs are the stored ones. (Notebook metadata is not compared: it names the kernel's Python
    version, which differs between this machine and a fresh install.)"""
    (tmp_path / "data").symlink_to(DATA_DIR)
    (tmp_path / "book").mkdir()
    chapter = tmp_path / "book" / "relapse.ipynb"
    stored = nbformat.read(REPO / "book" / "relapse.ipynb", as_version=4)

    def outputs(notebook):
        return [(cell.execution_count, cell.outputs) for cell in notebook.cells if cell.cell_type == "code"]

    shutil.copy(REPO / "book" / "relapse.ipynb", chapter)
    execute(chapter, tmp_path / "data", force=True)
    assert outputs(nbformat.read(chapter, as_version=4)) == outputs(stored)
    (entry,) = entries(cache_folder)
    written = entry.stat().st_ino

    shutil.copy(REPO / "book" / "relapse.ipynb", chapter)
    execute(chapter, tmp_path / "data", force=True)
    assert entries(cache_folder) == [entry] and entry.stat().st_ino == written, "the second run should read the entry"
    assert outputs(nbformat.read(chapter, as_version=4)) == outputs(stored)
