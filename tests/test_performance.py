"""The fast paths of the audit, checks and pooling give what the plain per-row functions give.

The audit indexes the per-patient table once (``audit._Context``) instead of filtering it per
derivation; these tests hold the indexed lookups to ``rtxreview.ipd``'s own functions, on the real
data and on a synthetic package large enough to exercise every study.
"""

import itertools

import pytest

from rtxreview import audit as audit_module
from rtxreview import ipd
from rtxreview.checks import run_checks, side_total
from rtxreview.synthetic import generate
from rtxreview.validate import validate_package

from conftest import DATA_DIR


@pytest.fixture(scope="module")
def synthetic_tables(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, rows=3_000, studies=30, seed=7)
    return validate_package(out)


@pytest.fixture(scope="module")
def real_tables():
    return validate_package(DATA_DIR)


@pytest.mark.parametrize("which", ["real_tables", "synthetic_tables"])
def test_indexed_patient_lookups_equal_ipd(which, request):
    tables = request.getfixturevalue(which)
    patients = tables["patients"]
    context = audit_module._Context(tables)
    studies = sorted(set(patients["study_id"]))
    assert studies, "no per-patient data to compare"
    compared = 0
    for study in studies:
        ids = sorted(set(patients.loc[patients["study_id"] == study, "patient"].astype(int)))
        for month, category in itertools.product(ipd.MONTHS, ("CR", "PR", "OR", "NR")):
            assert context.responders(study, ids, month, category) == ipd.responders(patients, study, ids, month,
                                                                                      category)
            compared += 1
        for measure in sorted(set(patients.loc[patients["study_id"] == study, "measure"])):
            assert context.measure_values(study, measure, ids[:3]) == ipd.measure_values(patients, study, measure,
                                                                                         ids[:3])
    assert compared >= 16


@pytest.mark.parametrize("which", ["real_tables", "synthetic_tables"])
def test_check_totals_equal_side_total(which, request):
    tables = request.getfixturevalue(which)
    checks = run_checks(tables)
    indexed = tables["evidence"].set_index("evidence_id")
    assert len(checks) == len(tables["checks"]) > 0
    for row, result in zip(tables["checks"].itertuples(), checks.itertuples()):
        assert result.observed == side_total(indexed, row.parts)
        assert result.expected == side_total(indexed, row.total)


def test_synthetic_package_is_valid_and_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    generate(first, rows=1_000, studies=10, seed=3)
    generate(second, rows=1_000, studies=10, seed=3)
    for path in sorted(first.iterdir()):
        assert path.read_bytes() == (second / path.name).read_bytes(), path.name
    tables = validate_package(first)
    assert len(tables["evidence"]) == 1_000 and len(tables["studies"]) == 10
