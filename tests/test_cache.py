"""The review cache: a review read back from it is the review computed afresh, any change to what
the review depends on validates the data again, and a chapter's outputs are the same either way."""

import math
import os
import pickle
import shutil

import nbformat
import pandas as pd
import pytest

from rtxreview import cache, digest, report
from rtxreview.notebooks import execute
from rtxreview.validate import DataValidationError
from conftest import DATA_DIR, REPO

LOOKUPS = ("audit", "rows", "checks", "pooled", "_rows_by_id", "_checks_by_id", "_studies_by_id")


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    return folder


@pytest.fixture
def validations(monkeypatch):
    """Counts the data package's validations (each computed review validates it once)."""
    calls = []
    real = report.validate_package

    def counting(data_dir):
        calls.append(data_dir)
        return real(data_dir)

    monkeypatch.setattr(report, "validate_package", counting)
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
    elif isinstance(fresh, float) and math.isnan(fresh):
        assert isinstance(cached, float) and math.isnan(cached), where
    else:
        assert type(cached) is type(fresh) and cached == fresh, where


def test_a_cached_review_is_the_review_computed_afresh(cache_folder, validations):
    report.load_review(DATA_DIR)
    cached = report.load_review(DATA_DIR)
    assert len(validations) == 1, "the second load should read the cache, not validate again"
    assert len(list(cache_folder.glob("*.pickle"))) == 1

    fresh = report.Review(DATA_DIR)   # built directly, not through the cache's code
    for name in LOOKUPS:
        getattr(fresh, name)
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


def test_a_data_file_in_a_subfolder_is_part_of_the_key(cache_folder, validations, data_copy):
    """The Data Package standard lets a resource live in a subfolder; its bytes are in the key too."""
    descriptor = data_copy / "datapackage.json"
    descriptor.write_text(descriptor.read_text(encoding="utf-8").replace('"studies.csv"', '"tables/studies.csv"'),
                          encoding="utf-8")
    (data_copy / "tables").mkdir()
    (data_copy / "studies.csv").rename(data_copy / "tables" / "studies.csv")
    first = report.load_review(data_copy)
    moved = data_copy / "tables" / "studies.csv"
    moved.write_text(moved.read_text(encoding="utf-8").replace("Zhang 2021", "Zhang et al. 2021"), encoding="utf-8")
    second = report.load_review(data_copy)
    assert len(validations) == 2
    assert first.study_label("zhang_2021") != second.study_label("zhang_2021")


def test_a_change_while_the_review_is_computed_is_not_cached(cache_folder, validations, data_copy, monkeypatch):
    """The key is taken before validation reads the files; if they change meanwhile, nothing is stored
    under the old key (the review computed may be of either version)."""
    real = report.validate_package

    def validate_then_edit(data_dir):
        tables = real(data_dir)
        notes = data_copy / "notes.txt"
        notes.write_text(notes.read_text() + "x" if notes.exists() else "x")
        return tables

    monkeypatch.setattr(report, "validate_package", validate_then_edit)
    report.load_review(data_copy)
    assert not list(cache_folder.glob("*.pickle"))


def test_options_are_part_of_the_key(cache_folder, validations):
    beta = report.load_review(DATA_DIR)
    wilson = report.load_review(DATA_DIR, ci_method="wilson")
    dl = report.load_review(DATA_DIR, estimator="DL")
    assert len(validations) == 3
    assert (beta.ci_method, wilson.ci_method, dl.estimator) == ("beta", "wilson", "DL")
    analysis = "itp-complete-response"
    assert beta.pooled[analysis]["pooled"] != dl.pooled[analysis]["pooled"]


def test_the_package_and_the_libraries_are_part_of_the_key(cache_folder, validations, monkeypatch):
    report.load_review(DATA_DIR)
    monkeypatch.setattr(report, "installed_distributions", lambda: digest.installed_distributions() + "; x-1")
    report.load_review(DATA_DIR)
    monkeypatch.setattr(report, "PACKAGE_SHA256", "0" * 64)
    report.load_review(DATA_DIR)
    assert len(validations) == 3


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
    (entry,) = cache_folder.glob("*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.raises(cache.CacheError, match=f"{entry}: cannot be read back"):
        report.load_review(DATA_DIR)


def test_only_the_most_recently_used_entries_are_kept(cache_folder):
    cache_folder.mkdir()
    for i in range(cache.KEEP + 3):   # entries last used i seconds after the epoch
        (cache_folder / f"k{i}.pickle").write_bytes(pickle.dumps(i))
        os.utime(cache_folder / f"k{i}.pickle", ns=(i * 10**9, i * 10**9))
    cache.load_or_compute("k0", lambda: "not computed: read back", lambda: "k0")   # a hit: now most recent
    cache._prune(cache_folder)
    kept = {p.stem for p in cache_folder.glob("*.pickle")}
    assert len(kept) == cache.KEEP and "k0" in kept and "k1" not in kept
    assert pickle.loads((cache_folder / "k0.pickle").read_bytes()) == 0


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
    an empty cache, it computes the review and then reads it back; both times its outputs are the
    stored ones (execute returns 'unchanged' only if the whole notebook is byte-identical)."""
    (tmp_path / "data").symlink_to(DATA_DIR)
    (tmp_path / "book").mkdir()
    chapter = tmp_path / "book" / "relapse.ipynb"
    shutil.copy(REPO / "book" / "relapse.ipynb", chapter)
    assert execute(chapter, tmp_path / "data", force=True) == "unchanged"
    (entry,) = cache_folder.glob("*.pickle")
    written = entry.stat().st_ino
    assert execute(chapter, tmp_path / "data", force=True) == "unchanged"
    assert entry.stat().st_ino == written, "the second run should read the entry, not write a new one"
    assert nbformat.read(chapter, as_version=4) == nbformat.read(REPO / "book" / "relapse.ipynb", as_version=4)
