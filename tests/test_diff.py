"""`python -m rtxreview diff` and the "What changed" page: changes made by code to copies of data/, and
the previous committed version of a data folder found in a git repository built here."""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA_DIR, REPO
from rtxreview import cli, diff
from rtxreview.report import load_review

ADDED_STUDY = "added_study"
ADDED_LABEL = "Added <b>study</b> & co"


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")


def referenced_ids(folder: Path) -> set[str]:
    """Evidence ids that checks, derivations or pooled analyses name: rows safe to edit are the others."""
    text = "".join((folder / f"{name}.csv").read_text(encoding="utf-8")
                   for name in ("checks", "derivations", "pooling"))
    return set(re.findall(r"[a-z][a-z0-9_]*-[0-9]{3}", text))


COMPARABLE = {"definition": "the fixture's definition", "definition_source": "",
              "timepoint": "end of rituximab", "analysis_set": "intention to treat"}


def make_comparable(folder: Path, analysis_ids: list[str]) -> None:
    """Make the analyses pass the comparability rule, so that they are pooled: every member gets the same
    known definition, analysis set and time point (a time point that is not a visit, written into its
    evidence row too, as the rule requires). None of the declared analyses of the real data is pooled."""
    pooling, evidence = read(folder, "pooling"), read(folder, "evidence")
    chosen = pooling["analysis_id"].isin(analysis_ids)
    for column, value in COMPARABLE.items():
        pooling.loc[chosen, column] = value
    evidence.loc[evidence["evidence_id"].isin(pooling.loc[chosen, "evidence_id"]), "timepoint"] = COMPARABLE["timepoint"]
    write(folder, "pooling", pooling)
    write(folder, "evidence", evidence)


def add_study(folder: Path, pooling: pd.DataFrame, analysis_id: str) -> str:
    """A study with one evidence row (a copy of a row of ``analysis_id``, printed as a count of half its
    patients: fewer than all of them); returns its row's id."""
    studies, evidence = read(folder, "studies"), read(folder, "evidence")
    study = studies.iloc[[0]].assign(study_id=ADDED_STUDY, short_label=ADDED_LABEL, citation="", doi="",
                                     source_document="009_0123456789abcdef.txt")
    members = evidence[evidence["evidence_id"].isin(pooling.loc[pooling["analysis_id"] == analysis_id, "evidence_id"])]
    member = members[members["denominator"].map(lambda n: n.isdigit() and int(n) >= 2)].iloc[[0]]
    events = str(int(member["denominator"].iloc[0]) // 2)
    row_id = f"{ADDED_STUDY}-001"
    row = member.assign(evidence_id=row_id, study_id=ADDED_STUDY, statistic="count", numerator=events,
                        reported=events, qualifier="", unit="patients")
    write(folder, "studies", pd.concat([studies, study]))
    write(folder, "evidence", pd.concat([evidence, row]))
    return row_id


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """An old copy of data/ and a new one where a study was added (with a row pooled in one analysis),
    a row removed, a count changed so its verdict changes, a check made to fail and an analysis left
    with one study; and the (change, id) pairs the diff must report."""
    root = tmp_path_factory.mktemp("versions")
    old, new = root / "old", root / "new"
    shutil.copytree(DATA_DIR, old)
    pooling = read(old, "pooling")
    two_studies = [a for a, rows in pooling.groupby("analysis_id", sort=False)
                   if rows["evidence_id"].str.rsplit("-", n=1).str[0].nunique() == 2]
    grown, shrunk = two_studies[0], two_studies[1]
    make_comparable(old, [grown, shrunk])  # both versions: pooled in the old one
    shutil.copytree(old, new)
    review = load_review(old)
    assert review.pooled[grown]["pooled"] is not None and review.pooled[shrunk]["pooled"] is not None
    free = read(new, "evidence")
    free = free[~free["evidence_id"].isin(referenced_ids(new))]

    pooling = read(new, "pooling")
    added_row = add_study(new, pooling, grown)
    member = pooling[pooling["analysis_id"] == grown].iloc[0]
    pooling = pd.concat([pooling, pooling.iloc[[member.name]].assign(evidence_id=added_row, label="Added study")])
    dropped_study = pooling[pooling["analysis_id"] == shrunk].iloc[-1]["evidence_id"].rsplit("-", 1)[0]
    dropped = (pooling["analysis_id"] == shrunk) & pooling["evidence_id"].str.startswith(dropped_study + "-")
    pooling = pooling[~dropped]
    write(new, "pooling", pooling)

    audit = review.audit.set_index("evidence_id")
    evidence = read(new, "evidence")
    recount = next(r.evidence_id for r in free.itertuples() if r.statistic == "percent" and r.numerator
                   and r.denominator and int(r.numerator) < int(r.denominator)
                   and audit.at[r.evidence_id, "verdict"] == "consistent")
    removed = free.iloc[-1]["evidence_id"]
    assert removed != recount
    evidence.loc[evidence["evidence_id"] == recount, "numerator"] = str(
        int(evidence.loc[evidence["evidence_id"] == recount, "numerator"].iloc[0]) + 1)
    write(new, "evidence", evidence[evidence["evidence_id"] != removed])

    checks = read(new, "checks")
    passing = set(review.checks.loc[review.checks["status"] == "pass", "check_id"])
    broken = next(c.check_id for c in checks.itertuples() if c.check_id in passing and c.kind == "equals"
                  and len(c.parts.split()) >= 2 and review.row(c.parts.split()[-1].split(":")[0])["numerator"] > 0
                  and ":" not in c.parts.split()[-1])
    checks.loc[checks["check_id"] == broken, "parts"] = checks.loc[checks["check_id"] == broken, "parts"].map(
        lambda parts: " ".join(parts.split()[:-1]))
    new_check = pd.DataFrame([{"check_id": "added-01", "study_id": ADDED_STUDY, "kind": "equals", "parts": added_row,
                               "total": f"{added_row}:denominator", "description": "Responders are every patient"}])
    write(new, "checks", pd.concat([checks, new_check]))

    expected = {("study_added", ADDED_STUDY), ("row_added", added_row), ("row_removed", removed),
                ("row_changed", recount), ("verdict_changed", recount), ("pooled_moved", grown),
                ("became_not_pooled", shrunk), ("check_started_failing", broken), ("check_started_failing", "added-01")}
    return {"old": old, "new": new, "expected": expected, "recount": recount, "grown": grown, "broken": broken,
            "old_review": review, "new_review": load_review(new)}


def pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["change"], frame["id"]))


def reverse(expected: set[tuple[str, str]]) -> set[tuple[str, str]]:
    opposite = {"study_added": "study_removed", "row_added": "row_removed", "row_removed": "row_added",
                "became_not_pooled": "became_pooled", "check_started_failing": "check_stopped_failing"}
    return {(opposite.get(change, change), i) for change, i in expected}


def test_each_change_is_found_and_nothing_else(versions):
    changes = diff.compare(versions["old_review"], versions["new_review"])
    assert pairs(changes) == versions["expected"]
    assert list(changes.columns) == diff.COLUMNS
    assert changes["change"].map(list(diff.CHANGES).index).is_monotonic_increasing


def test_changes_name_the_column_and_both_values(versions):
    changes = diff.compare(versions["old_review"], versions["new_review"]).set_index(["change", "id"])
    recount = versions["recount"]
    old_count = int(versions["old_review"].row(recount)["numerator"])
    row = changes.loc[("row_changed", recount)]
    assert (row["field"], row["old"], row["new"]) == ("numerator", str(old_count), str(old_count + 1))
    verdict = changes.loc[("verdict_changed", recount)]
    new_verdict = versions["new_review"].row(recount)["verdict"]
    assert (verdict["old"], verdict["new"]) == ("consistent", new_verdict) and new_verdict != "consistent"
    moved = changes.loc[("pooled_moved", versions["grown"])]
    k = versions["old_review"].pooled[versions["grown"]]["k"]
    assert f"k = {k})" in moved["old"] and f"k = {k + 1})" in moved["new"]
    failing = changes.loc[("check_started_failing", versions["broken"])]
    assert (failing["old"], failing["new"]) == ("pass", "fail")
    added = changes.loc[("check_started_failing", "added-01")]
    assert (added["old"], added["new"]) == ("", "fail") and added["detail"].startswith("new check: Responders")


def test_the_reverse_diff_reports_the_opposite_changes(versions):
    changes = diff.compare(versions["new_review"], versions["old_review"])
    assert pairs(changes) == reverse(versions["expected"])
    removed = changes.set_index(["change", "id"]).loc[("check_stopped_failing", "added-01")]
    assert (removed["old"], removed["new"]) == ("fail", "") and removed["detail"].startswith("check removed: ")


def test_a_review_against_itself_has_no_changes(versions):
    changes = diff.compare(versions["old_review"], versions["old_review"])
    assert changes.empty and diff.summary(changes) == "no changes"


def run_cli(capsys, *args: str) -> str:
    assert cli.main(["diff", *map(str, args)]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json", "table"])
def test_every_format_lists_every_change(versions, capsys, fmt):
    out = run_cli(capsys, versions["old"], versions["new"], "--format", fmt)
    if fmt == "csv":
        found = pairs(pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False))
    elif fmt == "json":
        found = {(r["change"], r["id"]) for r in json.loads(out)}
    else:
        lines = out.splitlines()
        assert lines[-1] == diff.summary(diff.compare(versions["old_review"], versions["new_review"]))
        found = {(change, i) for change, i in versions["expected"]
                 if any(re.search(rf"^\s*{change}\s+{re.escape(i)}\s", line) for line in lines)}
    assert found >= versions["expected"]


def test_the_table_of_no_changes_says_so(versions, capsys):
    assert run_cli(capsys, versions["old"], versions["old"]).strip() == "no changes"


def test_a_bad_package_stops_with_the_validators_message(tmp_path):
    bad = tmp_path / "bad"
    shutil.copytree(DATA_DIR, bad)
    evidence = read(bad, "evidence")
    evidence.loc[0, "numerator"] = "many"
    write(bad, "evidence", evidence)
    done = subprocess.run([sys.executable, "-m", "rtxreview", "diff", str(DATA_DIR), str(bad)], cwd=REPO,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert str(bad / "evidence.csv") in done.stderr and evidence.loc[0, "evidence_id"] in done.stderr


def test_pooled_figures_read_either_reason_field():
    """The pooling result is read in one place; a result without a pooled figure gives its reason."""
    assert diff.pooled_figures({"title": "t", "k": 1, "pooled": None, "not_pooled_reason": "not comparable"})[
        "reason"] == "not comparable"
    assert diff.pooled_text(diff.pooled_figures({"title": "t", "k": 1, "pooled": None, "reason": "one study"})) == \
        "not pooled: one study (k = 1)"
    pooled = {"title": "t", "k": 3, "pooled": {"estimate": 0.5, "ci_low": 0.25, "ci_high": 0.75, "k": 3}}
    assert diff.pooled_text(diff.pooled_figures(pooled)) == "50.0% (95% CI 25.0% to 75.0%; k = 3)"


# --- the previous committed version -----------------------------------------------------------

def git(repo: Path, *args: str, date: str = "2024-01-02T03:04:05+02:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    done = subprocess.run(["git", "-c", "user.name=Review", "-c", "user.email=review@example.org",
                           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                          cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path):
    """A repository with data/ committed twice (the second time a study relabelled), then a commit
    that leaves data/ alone; returns (repository, first commit, second commit)."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA_DIR, repo / "data")
    git(repo, "init", "-q")
    git(repo, "add", "data")
    git(repo, "commit", "-q", "-m", "first")
    first = git(repo, "rev-parse", "HEAD")
    studies = read(repo / "data", "studies")
    studies.loc[0, "short_label"] = ADDED_LABEL
    write(repo / "data", "studies", studies)
    git(repo, "commit", "-q", "-am", "second", date="2024-02-03T04:05:06+00:00")
    second = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text("elsewhere\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-q", "-m", "third", date="2024-03-04T05:06:07+00:00")
    return repo, first, second


def test_the_previous_version_is_the_newest_commit_whose_data_differ(repo):
    repo, first, _ = repo
    with diff.previous_version(repo / "data") as version:
        assert version.commit == first and version.short == first[:7]
        assert version.committed == datetime(2024, 1, 2, 1, 4, 5, tzinfo=timezone.utc)
        assert version.date_text == "2024-01-02 01:04 UTC"
        assert (version.path / "studies.csv").read_bytes() == (DATA_DIR / "studies.csv").read_bytes()
        assert sorted(p.name for p in version.path.iterdir()) == sorted(p.name for p in DATA_DIR.iterdir())
        folder = version.path
    assert not folder.exists()
    with diff.previous_version(repo / "data") as again:
        assert again.commit == first


def test_uncommitted_and_untracked_changes_make_head_the_previous_version(repo):
    repo, _, second = repo
    (repo / "data" / "extra.txt").write_text("not committed\n")
    with diff.previous_version(repo / "data") as version:
        assert version.commit == second
    (repo / "data" / "extra.txt").unlink()
    evidence = repo / "data" / "evidence.csv"
    evidence.write_text(evidence.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with diff.previous_version(repo / "data") as version:
        assert version.commit == second


@pytest.mark.parametrize("case", ["not a repository", "one version", "shallow clone"])
def test_no_earlier_version_gives_none(tmp_path, repo, case):
    repo, _, _ = repo
    if case == "not a repository":
        folder = tmp_path / "copy"
        shutil.copytree(DATA_DIR, folder)
    elif case == "one version":
        folder = tmp_path / "single" / "data"
        shutil.copytree(DATA_DIR, folder)
        git(folder.parent, "init", "-q")
        git(folder.parent, "add", "data")
        git(folder.parent, "commit", "-q", "-m", "only")
    else:
        git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", "shallow")
        folder = tmp_path / "shallow" / "data"
    with diff.previous_version(folder) as version:
        assert version is None
    comparison = diff.compare_with_previous(folder)
    assert comparison.previous is None and comparison.changes.empty
    assert "no earlier committed version" in diff.versions_markdown(comparison)
    assert "No earlier version" in diff.section_html(comparison, "studies").data


def test_the_page_compares_with_the_previous_version_and_escapes_data_text(repo):
    repo, first, _ = repo
    comparison = diff.compare_with_previous(repo / "data")
    assert comparison.previous.commit == first
    assert pairs(comparison.changes) == {("study_changed", read(repo / "data", "studies").loc[0, "study_id"])}
    text = diff.versions_markdown(comparison)
    assert f"`{first[:7]}` of 2024-01-02 01:04 UTC" in text and "1 study changed" in text
    page = diff.section_html(comparison, "studies").data
    assert "Added &lt;b&gt;study&lt;/b&gt; &amp; co" in page and "<b>study</b>" not in page
    assert diff.section_html(comparison, "checks").data == f'<p class="rtx-legend">{diff.NOTHING["checks"]}</p>'


def test_a_version_that_does_not_validate_is_passed_over(repo):
    """A commit made half-way through a change (its data refused by the validator) is not the page's
    previous version: the newest one that validates is, and the page says how many were passed over."""
    repo, first, second = repo
    evidence = read(repo / "data", "evidence")
    write(repo / "data", "evidence", evidence.assign(outcome=evidence["outcome"].where(evidence.index != 0, "unknown label")))
    git(repo, "commit", "-q", "-am", "broken", date="2024-04-05T06:07:08+00:00")
    write(repo / "data", "evidence", evidence)  # the working tree is valid again (and differs from 'broken')
    comparison = diff.compare_with_previous(repo / "data")
    assert comparison.skipped == 1 and comparison.previous.commit == first
    assert "1 newer version committed half-way through a change" in diff.versions_markdown(comparison)
