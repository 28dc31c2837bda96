"""Tests for rtxreview.stats, the index of the statistics modules.

Each topic has its own tests file: test_intervals.py, test_meta_analysis.py, test_pvalues.py
and test_summary_stats.py.
"""

from __future__ import annotations

import importlib

import pytest

from rtxreview import stats

TOPICS = ("intervals", "meta_analysis", "pvalues", "summary_stats")


def test_every_name_of_the_index_is_the_topic_modules_own_object():
    owners = {}
    for topic in TOPICS:
        module = importlib.import_module(f"rtxreview.{topic}")
        for name in module.__all__:
            assert name not in owners, f"{name} is exported by {owners.get(name)} and {topic}"
            owners[name] = topic
            assert getattr(stats, name) is getattr(module, name), name
    assert sorted(stats.__all__) == sorted(owners)


@pytest.mark.parametrize("topic", TOPICS)
def test_each_topic_module_documents_its_references(topic):
    module = importlib.import_module(f"rtxreview.{topic}")
    assert "References\n----------" in module.__doc__
