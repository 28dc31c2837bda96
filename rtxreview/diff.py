"""What changed between two versions of the data package (``python -m rtxreview diff``, the book's
"What changed" page).

Two validated reviews are compared: studies added, removed or changed; evidence rows added, removed
or changed (matched by ``evidence_id``, one line per changed column); audit verdicts that changed;
pooled analyses that moved, became pooled or stopped being pooled; arithmetic checks that started
or stopped failing. The result is one long table, the same for every output format.

The previous committed version of a data folder comes from git history (``previous_version``).
Comparing tables key by key is written by hand: pandas' ``DataFrame.compare`` needs frames with the
same rows and columns, and datacompy/deepdiff report neither the review's verdicts nor its pooling.
"""

from __future__ import annotations

import contextlib
import html
import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pandas as pd
from IPython.display import HTML

from rtxreview import tables
from rtxreview import text as fmt
from rtxreview.review import load_review
from rtxreview.pooling import PoolingError
from rtxreview.review import Review
from rtxreview.validate import DataValidationError

COLUMNS = ["change", "id", "study_id", "field", "old", "new", "detail"]
# Every kind of change, in the order the output lists them, with the words a summary uses.
CHANGES = {
    "study_added": ("study added", "studies added"),
    "study_removed": ("study removed", "studies removed"),
    "study_changed": ("study changed", "studies changed"),
    "row_added": ("evidence row added", "evidence rows added"),
    "row_removed": ("evidence row removed", "evidence rows removed"),
    "row_changed": ("evidence row changed", "evidence rows changed"),
    "verdict_changed": ("verdict changed", "verdicts changed"),
    "pooled_moved": ("pooled estimate moved", "pooled estimates moved"),
    "became_pooled": ("analysis became pooled", "analyses became pooled"),
    "became_not_pooled": ("analysis no longer pooled", "analyses no longer pooled"),
    "analysis_added": ("pooled analysis added", "pooled analyses added"),
    "analysis_removed": ("pooled analysis removed", "pooled analyses removed"),
    "check_started_failing": ("check started failing", "checks started failing"),
    "check_stopped_failing": ("check stopped failing", "checks stopped failing"),
}
SECTIONS = {
    "studies": ("study_added", "study_removed", "study_changed"),
    "evidence": ("row_added", "row_removed", "row_changed"),
    "verdicts": ("verdict_changed",),
    "pooled": ("pooled_moved", "became_pooled", "became_not_pooled", "analysis_added", "analysis_removed"),
    "checks": ("check_started_failing", "check_stopped_failing"),
}

NOTHING = {
    "studies": "No study was added, removed or changed.",
    "evidence": "No evidence row was added, removed or changed.",
    "verdicts": "No verdict changed.",
    "pooled": "No pooled analysis was added, removed or moved, or became pooled or not pooled.",
    "checks": "No check started or stopped failing.",
}


# --- comparing two reviews ---------------------------------------------------------------------

def compare(old: Review, new: Review) -> pd.DataFrame:
    """Every change from ``old`` to ``new``, one row each (columns ``COLUMNS``), in ``CHANGES`` order."""
    parts = [
        *_keyed_changes(old.tables["studies"], new.tables["studies"], "study_id", "study",
                        value=lambda row: row["short_label"], detail=lambda row: row["title"]),
        *_keyed_changes(old.tables["evidence"], new.tables["evidence"], "evidence_id", "row",
                        value=tables.printed_value, detail=tables.finding_text),
        _verdict_changes(old.audit, new.audit),
        _pooled_changes(old.pooled, new.pooled),
        _check_changes(old.checks, new.checks),
    ]
    found = [p for p in parts if len(p)]
    if not found:
        return no_changes()
    frame = pd.concat(found, ignore_index=True)
    order = {kind: i for i, kind in enumerate(CHANGES)}
    return frame.sort_values("change", key=lambda s: s.map(order), kind="stable", ignore_index=True)[COLUMNS]


def no_changes() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _records(change: str | None, rows: list[dict]) -> pd.DataFrame:
    """Changes of one kind (or each naming its own, when ``change`` is None); absent values are ''."""
    return pd.DataFrame([{c: "" for c in COLUMNS} | ({"change": change} if change else {}) | row for row in rows],
                        columns=COLUMNS)


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as the text the data file holds ('' for an empty cell), so values compare exactly."""
    return frame.astype("string").fillna("").astype(object)


def _keyed_changes(old: pd.DataFrame, new: pd.DataFrame, key: str, noun: str, value, detail) -> list[pd.DataFrame]:
    """Rows of one table added, removed, and changed column by column (columns both versions have)."""
    old_rows, new_rows = _as_text(old).set_index(key, drop=False), _as_text(new).set_index(key, drop=False)
    added = new_rows[~new_rows.index.isin(old_rows.index)]
    removed = old_rows[~old_rows.index.isin(new_rows.index)]
    kept = new_rows.index[new_rows.index.isin(old_rows.index)]
    columns = [c for c in new_rows.columns if c in old_rows.columns and c != key]
    before, after = old_rows.loc[kept, columns], new_rows.loc[kept, columns]
    differs = before.ne(after).stack()
    differs = differs[differs]
    changed = [{"id": i, "study_id": after.at[i, "study_id"] if "study_id" in columns else i, "field": column,
                "old": before.at[i, column], "new": after.at[i, column], "detail": detail(new_rows.loc[i])}
               for i, column in differs.index]

    def listed(rows: pd.DataFrame, side: str) -> list[dict]:
        return [{"id": row[key], "study_id": row.get("study_id", row[key]), side: value(row), "detail": detail(row)}
                for _, row in rows.iterrows()]

    return [_records(f"{noun}_added", listed(added, "new")), _records(f"{noun}_removed", listed(removed, "old")),
            _records(f"{noun}_changed", changed)]


def _verdict_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    both = new[["evidence_id", "study_id", "verdict", "explanation"]].merge(old[["evidence_id", "verdict"]],
                                                                            on="evidence_id", suffixes=("_new", "_old"))
    moved = both[both["verdict_old"] != both["verdict_new"]]
    return _records("verdict_changed", [
        {"id": r.evidence_id, "study_id": r.study_id, "field": "verdict", "old": r.verdict_old, "new": r.verdict_new,
         "detail": r.explanation} for r in moved.itertuples()])


def pooled_figures(result: dict) -> dict:
    """What the diff reads of one pooled analysis (``Review.pooled`` values): the only place that knows
    its fields, so a change to the pooling result is adapted to here.

    Read: ``title``; ``k`` (else the number of ``rows``); ``pooled`` (None when not pooled) with its
    ``estimate``, ``ci_low``, ``ci_high`` and ``k``; the reason it was not pooled from
    ``not_pooled_reason`` or, failing that, ``reason``.
    """
    pooled = result.get("pooled") or None
    rows = result.get("rows")
    k = result.get("k", len(rows) if rows is not None else None)
    figures = {"title": result.get("title", ""), "pooled": pooled is not None, "k": k}
    if pooled is None:
        return dict(figures, reason=result.get("not_pooled_reason") or result.get("reason") or "not pooled")
    return dict(figures, k=pooled.get("k", k), estimate=pooled.get("estimate"), ci_low=pooled.get("ci_low"),
                ci_high=pooled.get("ci_high"))


def pooled_text(figures: dict) -> str:
    """'60.9% (95% CI 24.3% to 88.3%; k = 2)', or 'not pooled: <why> (k = 1)'."""
    if not figures["pooled"]:
        return f"not pooled: {figures['reason']} (k = {figures['k']})"
    interval = ("" if figures["ci_low"] is None or figures["ci_high"] is None
                else f"95% CI {fmt.ci_text(figures['ci_low'], figures['ci_high'])}; ")
    return f"{fmt.pct(figures['estimate'])} ({interval}k = {figures['k']})"


def _pooled_changes(old: dict[str, dict], new: dict[str, dict]) -> pd.DataFrame:
    """Analyses added, removed, pooled in one version only, or pooled in both with figures that print
    differently (estimate and CI to one decimal place, or k): a move below what the page prints is not one."""
    rows = []
    for analysis_id in [*new, *(a for a in old if a not in new)]:
        before = pooled_figures(old[analysis_id]) if analysis_id in old else None
        after = pooled_figures(new[analysis_id]) if analysis_id in new else None
        if before is None:
            change = "analysis_added"
        elif after is None:
            change = "analysis_removed"
        elif before["pooled"] != after["pooled"]:
            change = "became_pooled" if after["pooled"] else "became_not_pooled"
        elif after["pooled"] and pooled_text(before) != pooled_text(after):
            change = "pooled_moved"
        else:
            continue
        rows.append({"change": change, "id": analysis_id, "field": "pooled",
                     "old": pooled_text(before) if before else "", "new": pooled_text(after) if after else "",
                     "detail": (after or before)["title"]})
    return _records(None, rows)


def _check_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Checks that fail now and did not (or are new), and checks that failed and pass now (or are gone)."""
    columns = ["check_id", "study_id", "status", "description", "expected", "observed"]
    before, after = old[columns].set_index("check_id"), new[columns].set_index("check_id")
    rows = []
    for check_id in [*after.index, *before.index.difference(after.index, sort=False)]:
        was = before.loc[check_id] if check_id in before.index else None
        now = after.loc[check_id] if check_id in after.index else None
        if _fails(was) == _fails(now):
            continue
        shown = was if now is None else now  # a removed check is described as it was
        gone = "new check: " if was is None else "check removed: " if now is None else ""
        rows.append({"change": "check_started_failing" if _fails(now) else "check_stopped_failing",
                     "id": check_id, "study_id": shown["study_id"], "field": "status",
                     "old": "" if was is None else was["status"], "new": "" if now is None else now["status"],
                     "detail": f"{gone}{shown['description']}: parts {_number(shown['observed'])}, "
                               f"total {_number(shown['expected'])}"})
    return _records(None, rows)


def _fails(check: pd.Series | None) -> bool:
    return check is not None and check["status"] == "fail"


def _number(value) -> str:
    return "" if pd.isna(value) else str(int(value))


def summary(changes: pd.DataFrame) -> str:
    """'2 evidence rows changed, 1 verdict changed, ...': things changed of each kind (a row with three
    changed columns counts once)."""
    counts = changes.drop_duplicates(["change", "id"])["change"].value_counts()
    parts = [f"{counts[kind]} {words[int(counts[kind] != 1)]}" for kind, words in CHANGES.items() if kind in counts]
    return ", ".join(parts) if parts else "no changes"


# --- the previous committed version -----------------------------------------------------------

@dataclass(frozen=True)
class Version:
    """A committed version of a data folder, materialised in ``path``."""

    commit: str
    committed: datetime  # the commit's committer date, in UTC
    path: Path

    @property
    def short(self) -> str:
        return self.commit[:7]

    @property
    def date_text(self) -> str:
        return self.committed.strftime("%Y-%m-%d %H:%M UTC")


def _git(folder: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, check=True).stdout


def _repository(folder: Path) -> Path | None:
    """The top folder of the git work tree holding ``folder``, if git is installed and it has a commit."""
    try:
        top = _git(folder, "rev-parse", "--show-toplevel").decode().strip()
        _git(folder, "rev-parse", "--verify", "HEAD")
    except (OSError, subprocess.CalledProcessError):  # no git, not a repository (or not a folder), no commit
        return None
    return Path(top)


def _differs_from_working_tree(folder: Path, commit: str) -> bool:
    """Whether the folder's files in ``commit`` differ from those on disk (untracked ones included)."""
    changed = subprocess.run(["git", "diff", "--quiet", "--no-ext-diff", "--no-textconv", commit, "--", "."],
                             cwd=folder, capture_output=True)
    if changed.returncode not in (0, 1):
        raise subprocess.CalledProcessError(changed.returncode, changed.args, stderr=changed.stderr)
    return changed.returncode == 1 or bool(_git(folder, "ls-files", "--others", "--exclude-standard", "--", "."))


def _previous_commit(folder: Path, skip: int = 0) -> tuple[str, datetime] | None:
    """The newest commit on the first-parent line of HEAD (HEAD included, for uncommitted changes) whose
    version of ``folder`` differs from the working tree's, with its committer date; with ``skip``, the
    one that many differing commits older; None if none."""
    log = _git(folder, "log", "--first-parent", "--format=%H %cI", "HEAD", "--", ".").decode().split("\n")
    for line in filter(None, log):
        commit, date = line.split(" ")
        if _differs_from_working_tree(folder, commit):
            if skip == 0:
                return commit, datetime.fromisoformat(date).astimezone(timezone.utc)
            skip -= 1
    return None


@contextlib.contextmanager
def previous_version(data_dir: str | Path, skip: int = 0) -> Iterator[Version | None]:
    """The previous committed version of ``data_dir``, extracted from git into a temporary folder that
    is removed on leaving the ``with`` block; None when there is none: no git, a folder outside a
    repository, no commit whose version differs (a first version, or a shallow clone cut before it).

    The same repository state gives the same version: the first-parent history of HEAD is walked from
    the newest commit, so after a merge the previous version is the one the main line had.
    """
    folder = Path(data_dir).resolve()
    top = _repository(folder)
    found = _previous_commit(folder, skip) if top is not None else None
    if found is None:
        yield None
        return
    commit, committed = found
    prefix = _git(folder, "rev-parse", "--show-prefix").decode().strip().rstrip("/")
    archive = _git(top, "archive", "--format=tar", f"{commit}:{prefix}" if prefix else commit)
    with tempfile.TemporaryDirectory(prefix="rtxreview-previous-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        yield Version(commit, committed, Path(tmp))


# --- the book's page ---------------------------------------------------------------------------

@dataclass
class Comparison:
    """The data folder against its previous committed version (None when there is none)."""

    previous: Version | None
    changes: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)  # study_id -> short label, either version
    skipped: int = 0  # newer versions passed over because they do not validate with this library


MAX_SKIPPED = 20  # versions passed over before the page says there is none to compare with


def compare_with_previous(data_dir: str | Path | None = None, ci_method: str = "beta",
                          estimator: str = "PM") -> Comparison:
    """What the "What changed" page shows: the review of ``data_dir`` against its previous version."""
    new = load_review(data_dir, ci_method=ci_method, estimator=estimator)
    for skip in range(MAX_SKIPPED + 1):
        with previous_version(new.data_dir, skip) as previous:
            if previous is None:
                return Comparison(None, no_changes(), _labels(new), skip)
            # Not load_review: its cache key holds the folder's path, and a temporary folder's entry
            # would never be read again while it pushed a chapter's entry out of the cache.
            try:
                old = Review(previous.path, ci_method=ci_method, estimator=estimator)
                old.pooled  # computed here, while the folder exists
            except (DataValidationError, PoolingError):
                continue  # a version committed half-way through a change: compare with an earlier one
            return Comparison(previous, compare(old, new), {**_labels(old), **_labels(new)}, skip)
    return Comparison(None, no_changes(), _labels(new), MAX_SKIPPED + 1)


def _labels(review: Review) -> dict[str, str]:
    studies = review.tables["studies"]
    return dict(zip(studies["study_id"], studies["short_label"]))


def versions_markdown(comparison: Comparison) -> str:
    """Which two versions are compared, and what changed in a sentence (Markdown)."""
    previous = comparison.previous
    if previous is None:
        return ("There is no earlier committed version of the data to compare with: the data folder is not "
                "in a git repository, or its history holds no earlier version of it (a first version, a copy "
                "or a shallow clone).")
    what = summary(comparison.changes)
    if what == "no changes":
        what = "the files differ, but no study, evidence row, verdict, pooled analysis or check changed"
    passed = ("" if not comparison.skipped else
              f" ({comparison.skipped} newer {'version' if comparison.skipped == 1 else 'versions'} committed "
              f"half-way through a change, which this library cannot read, passed over)")
    return (f"The data this page is built from, compared with their previous committed version: commit "
            f"`{previous.short}` of {previous.date_text} (the newest commit whose data differ{passed}). "
            f"Since then: {fmt.markdown_text(what)}.")


def _cell(value) -> str:
    return f"<td>{html.escape(str(value))}</td>"


def _study_cell(comparison: Comparison, study_id: str) -> str:
    return _cell(comparison.labels.get(study_id, study_id))


def _badge(kind: str, value: str) -> str:
    """A verdict or check status as the other chapters show it; text otherwise (or for an unknown value)."""
    if kind == "verdict_changed" and value in tables.VERDICT_LABELS:
        return tables.verdict_badge(value)
    if kind.startswith("check_") and value in ("pass", "fail"):
        return tables.status_badge(value)
    return html.escape(value) if value else "–"


def _change_cell(rows: pd.DataFrame) -> str:
    """'column: old → new' for each change of one thing (several lines for a row with several columns)."""
    lines = []
    for r in rows.itertuples():
        arrow = f"{_badge(r.change, r.old)} → {_badge(r.change, r.new)}"
        named = r.change.endswith("_changed") and r.change != "verdict_changed"
        lines.append(f"<code>{html.escape(r.field)}</code>: {arrow}" if named else arrow)
    return f"<td>{'<br>'.join(lines)}</td>"


HEADERS = {
    "studies": ("Change", "Study", "Before → now", "Title"),
    "evidence": ("Change", "Study", "Evidence", "Finding", "Before → now"),
    "verdicts": ("Study", "Evidence", "Before → now", "The audit now says"),
    "pooled": ("Change", "Analysis", "Before → now"),
    "checks": ("Change", "Study", "Check", "Before → now", "What must hold, now or when last seen"),
}


def _row_html(section: str, comparison: Comparison, rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    change = _cell(CHANGES[first["change"]][0])
    cells = {
        "studies": lambda: [change, _study_cell(comparison, first["id"]), _change_cell(rows), _cell(first["detail"])],
        "evidence": lambda: [change, _study_cell(comparison, first["study_id"]), _cell(first["id"]),
                             _cell(first["detail"]), _change_cell(rows)],
        "verdicts": lambda: [_study_cell(comparison, first["study_id"]), _cell(first["id"]), _change_cell(rows),
                             _cell(first["detail"])],
        "pooled": lambda: [change, _cell(first["detail"]), _change_cell(rows)],
        "checks": lambda: [change, _study_cell(comparison, first["study_id"]), _cell(first["id"]), _change_cell(rows),
                           _cell(first["detail"])],
    }[section]()
    return f"<tr>{''.join(cells)}</tr>"


def section_html(comparison: Comparison, section: str, max_bytes: int | None = tables.TABLE_BYTES) -> HTML:
    """One section of the page (``SECTIONS``): a table, one row per changed thing, or a line saying
    there is nothing to show. Rows past ``max_bytes`` of HTML are left out, with a note saying how many."""
    if comparison.previous is None:
        return HTML('<p class="rtx-legend">No earlier version to compare with.</p>')
    rows = comparison.changes[comparison.changes["change"].isin(SECTIONS[section])]
    if not len(rows):
        return HTML(f'<p class="rtx-legend">{NOTHING[section]}</p>')
    groups = [group for _, group in rows.groupby(["change", "id"], sort=False)]
    body = tables._rows_within((_row_html(section, comparison, group) for group in groups), max_bytes)
    head = "".join(f"<th>{h}</th>" for h in HEADERS[section])
    note = ("" if len(body) == len(groups) else
            f'<p class="rtx-legend rtx-left-out">The first {len(body)} of {len(groups)} changes are shown here; '
            f"<code>python -m rtxreview diff OLD_DATA_DIR NEW_DATA_DIR</code> lists them all.</p>")
    return HTML(f'<div class="rtx-table-wrap"><table class="rtx-evidence"><thead><tr>{head}</tr></thead>'
                f"<tbody>{''.join(body)}</tbody></table></div>{note}")
