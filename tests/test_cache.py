"""The review cache: a review read back from it is the review computed afresh, and any change to
what the review depends on (a data byte, an option, a library's version) validates the data again."""

import math
import shutil

import pandas as pd
import pytest

from rtxreview import digest, report
from rtxreview.validate import DataValidationError
from conftest import DATA_DIR


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv(report.CACHE_ENV, str(folder))
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


def test_a_cached_review_is_the_review_computed_afresh(cache, validations, monkeypatch):
    first = report.load_review(DATA_DIR)
    cached = report.load_review(DATA_DIR)
    assert len(validations) == 1, "the second load should read the cache, not validate again"
    assert any(cache.rglob("output.pkl"))

    monkeypatch.setenv(report.CACHE_ENV, "off")
    fresh = report.load_review(DATA_DIR)
    assert len(validations) == 2
    for review in (first, cached):
        assert_same(vars(review), vars(fresh))
    # What chapters call on a cached review gives what they get from a fresh one.
    assert_same(cached.row("zhang_2021-088").to_dict(), fresh.row("zhang_2021-088").to_dict())
    assert_same(cached.check("retro-13").to_dict(), fresh.check("retro-13").to_dict())
    assert cached.study_label("zhang_2021") == fresh.study_label("zhang_2021")


def test_a_changed_data_file_is_validated_again(cache, validations, data_copy):
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


def test_a_new_data_file_changes_the_key(cache, validations, data_copy):
    report.load_review(data_copy)
    shutil.copy(data_copy / "studies.csv", data_copy / "notes.txt")
    report.load_review(data_copy)
    assert len(validations) == 2


def test_options_are_part_of_the_key(cache, validations):
    beta = report.load_review(DATA_DIR)
    wilson = report.load_review(DATA_DIR, ci_method="wilson")
    dl = report.load_review(DATA_DIR, estimator="DL")
    assert len(validations) == 3
    assert (beta.ci_method, wilson.ci_method, dl.estimator) == ("beta", "wilson", "DL")
    analysis = "itp-complete-response"
    assert beta.pooled[analysis]["pooled"] != dl.pooled[analysis]["pooled"]


def test_a_library_version_changes_the_key(cache, validations, monkeypatch):
    report.load_review(DATA_DIR)
    real = digest.version
    monkeypatch.setattr(digest, "version", lambda name: real(name) + ".post1" if name == "statsmodels" else real(name))
    report.load_review(DATA_DIR)
    assert len(validations) == 2


def test_no_cache_when_turned_off(tmp_path, validations, monkeypatch):
    monkeypatch.setenv(report.CACHE_ENV, "off")
    assert report.cache_dir() is None
    report.load_review(DATA_DIR)
    report.load_review(DATA_DIR)
    assert len(validations) == 2


def test_the_default_cache_is_in_the_checkout_build_folder(monkeypatch):
    monkeypatch.delenv(report.CACHE_ENV)
    assert report.cache_dir() == DATA_DIR.parent / "_build" / "review-cache"
