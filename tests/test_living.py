"""A living review: every chapter executes, and reads true, on any extraction that validates.

Each fixture is made by code from ``data/``: one study alone, no per-patient table, no pooled
analyses, every study and evidence id renamed, and a study added. Every chapter is executed on
each (all chapters of a fixture in one kernel, so the test stays fast), and the added study must
appear where it should.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from conftest import DATA_DIR
from rtxreview.validate import validate_package

BOOK = Path(__file__).resolve().parent.parent / "book"
CHAPTERS = sorted(p for p in BOOK.glob("*.ipynb"))


def read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


def write(folder: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(folder / f"{name}.csv", index=False)


def copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def keep_studies(folder: Path, studies: set[str]) -> None:
    """Only ``studies``' rows, in every table, with the references between them kept whole."""
    evidence = read(folder, "evidence")
    evidence = evidence[evidence["study_id"].isin(studies)]
    kept = set(evidence["evidence_id"])
    write(folder, "evidence", evidence)
    for name in ("studies", "patients", "checks", "appraisal", "definitions", "certainty_judgements"):
        if (folder / f"{name}.csv").is_file():
            frame = read(folder, name)
            write(folder, name, frame[frame["study_id"].isin(studies) | frame["study_id"].eq("")])
    derivations = read(folder, "derivations")
    linked = derivations[["evidence_id", "group_a", "group_b"]].apply(
        lambda col: col.eq("") | col.isin(kept)).all(axis=1)
    write(folder, "derivations", derivations[linked])
    for name in ("pooling", "counting"):
        frame = read(folder, name)
        write(folder, name, frame[frame["evidence_id"].isin(kept)])


def rename_ids(folder: Path) -> dict[str, str]:
    """Every study id (and so every evidence id) and every check id renamed, in every file."""
    studies = read(folder, "studies")["study_id"].tolist()
    names = {s: f"renamed{i}" for i, s in enumerate(studies)}
    checks = {c: f"chk-{i:02d}" for i, c in enumerate(read(folder, "checks")["check_id"])}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, [*names, *checks])) + r")\b")
    for path in folder.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        path.write_text(pattern.sub(lambda m: names.get(m.group(1)) or checks[m.group(1)], text), encoding="utf-8")
    return names


def add_study(folder: Path) -> tuple[str, str]:
    """A sixth study: a copy of the study with a per-patient table, under a new id and label, pooled
    with the others in every analysis its original takes part in."""
    patients = read(folder, "patients")
    original = patients["study_id"].iloc[0]
    new, label = "added_2026", "Added study 2026, 8 pts"
    studies = read(folder, "studies")
    row = studies[studies["study_id"] == original].assign(study_id=new, short_label=label,
                                                          source_document="https://doi.org/10.0000/added")
    write(folder, "studies", pd.concat([studies, row]))
    evidence = read(folder, "evidence")
    copied = evidence[evidence["study_id"] == original].copy()
    copied["evidence_id"] = copied["evidence_id"].str.replace(original, new, regex=False)
    copied["study_id"] = new
    write(folder, "evidence", pd.concat([evidence, copied]))
    write(folder, "patients", pd.concat([patients, patients[patients["study_id"] == original].assign(study_id=new)]))
    pooling = read(folder, "pooling")
    theirs = pooling[pooling["evidence_id"].str.startswith(original + "-")].copy()
    theirs["evidence_id"] = theirs["evidence_id"].str.replace(original, new, regex=False)
    theirs["label"] = "Added study: " + theirs["label"].str.slice(0, 60)
    write(folder, "pooling", pd.concat([pooling, theirs]))
    return new, label


def fixture(kind: str, tmp_path: Path) -> tuple[Path, dict]:
    folder = copy_data(tmp_path)
    info: dict = {}
    if kind == "one study":
        keep_studies(folder, {read(folder, "studies")["study_id"].iloc[0]})
    elif kind == "no per-patient data":
        write(folder, "patients", read(folder, "patients").iloc[0:0])
        derivations = read(folder, "derivations")
        write(folder, "derivations", derivations[derivations["method"] == "two_by_two"])  # the rest read the table
    elif kind == "no pooled analyses":
        write(folder, "pooling", read(folder, "pooling").iloc[0:0])
    elif kind == "ids renamed":
        info["names"] = rename_ids(folder)
    elif kind == "study added":
        info["study"] = add_study(folder)
    validate_package(folder)  # every fixture is a valid package
    return folder, info


def chapter_code(path: Path, data_dir: Path) -> list[str]:
    """A chapter's code cells, with its parameters set to ``data_dir``."""
    notebook = nbformat.read(path, as_version=4)
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "parameters" in cell.metadata.get("tags", []):
            cells.append(cell.source + f"\ndata_dir = {str(data_dir)!r}")
        else:
            cells.append(cell.source)
    return cells


def execute_book(data_dir: Path) -> dict[str, str]:
    """Every chapter's code in one kernel (from book/); the text of each chapter's outputs."""
    notebook = nbformat.v4.new_notebook()
    owners = []
    for path in CHAPTERS:
        for source in chapter_code(path, data_dir):
            notebook.cells.append(nbformat.v4.new_code_cell(source))
            owners.append(path.stem)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(BOOK)}}).execute()
    texts: dict[str, list[str]] = {}
    for owner, cell in zip(owners, notebook.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts.setdefault(owner, []).append(data.get("text/markdown", "") + data.get("text/html", ""))
    return {owner: "\n".join(parts) for owner, parts in texts.items()}


KINDS = ["one study", "no per-patient data", "no pooled analyses", "ids renamed", "study added"]


_EXECUTED: dict[str, tuple] = {}  # each fixture's book is executed once per test session


def executed(kind: str, tmp_path_factory) -> tuple:
    if kind not in _EXECUTED:
        folder, info = fixture(kind, tmp_path_factory.mktemp(kind.replace(" ", "-")))
        _EXECUTED[kind] = (kind, folder, info, execute_book(folder))
    return _EXECUTED[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_every_chapter_executes(kind, tmp_path_factory):
    kind, folder, info, texts = executed(kind, tmp_path_factory)
    assert set(texts) >= {p.stem for p in CHAPTERS if p.stem != "changes"}


def test_added_study_appears_where_it_should(tmp_path_factory):
    kind, folder, info, texts = executed("study added", tmp_path_factory)
    new, label = info["study"]
    assert label in texts["studies"] and label in texts["intro"]
    assert label in texts["itp"]  # its per-patient charts, results and sources
    # the sources sentence counts the six sources and the four on ITP, not the five and three of data/
    assert "Four of the six sources report on immune thrombocytopenia" in texts["itp"]
    assert "Three of the five" not in texts["itp"]
    assert "Added study:" in texts["itp"]  # its row in the forest plot of the analysis it joined


def test_one_study_reads_as_one(tmp_path_factory):
    kind, folder, info, texts = executed("one study", tmp_path_factory)
    text = " ".join(texts.values())
    for wrong in ("all one", "All one", "1 sources", "One uncontrolled sources", "They are shown side by side"):
        assert wrong not in text
    assert "The only source reports on" in text


def test_renamed_ids_leave_no_commentary_behind(tmp_path_factory):
    kind, folder, info, texts = executed("ids renamed", tmp_path_factory)
    for old in info["names"]:
        assert old not in " ".join(texts.values())


def test_chapter_code_names_no_study_or_evidence_id():
    """Chapters select from the data: their code names no study, evidence or check id of any source."""
    ids = set(read(DATA_DIR, "studies")["study_id"]) | set(read(DATA_DIR, "evidence")["evidence_id"]) \
        | set(read(DATA_DIR, "checks")["check_id"])
    for path in CHAPTERS:
        for source in chapter_code(path, DATA_DIR):
            strings = [n.value for n in ast.walk(ast.parse(source.replace("%", "#")))
                       if isinstance(n, ast.Constant) and isinstance(n.value, str)]
            named = [s for s in strings for i in ids if i in s]
            assert not named, f"{path.name} names {named}"


def test_every_row_a_chapter_text_cites_is_in_its_table():
    """A row named in a chapter's sentences or commentary is listed in that chapter's table of numbers."""
    ids = set(read(DATA_DIR, "evidence")["evidence_id"])
    pattern = re.compile("|".join(sorted(map(re.escape, ids), key=len, reverse=True)))
    checked = 0
    for path in CHAPTERS:
        notebook = nbformat.read(path, as_version=4)
        outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]
        tables = [o["data"]["text/html"] for o in outputs
                  if "text/html" in o.get("data", {}) and "rtx-all-rows" in o["data"]["text/html"]]
        if not tables:
            continue
        cited = {m for o in outputs for m in pattern.findall(o.get("data", {}).get("text/markdown", ""))}
        listed = set(pattern.findall(tables[0]))
        assert cited <= listed, f"{path.name} cites rows its table does not list: {sorted(cited - listed)}"
        checked += bool(cited)
    assert checked >= 3  # chapters whose text cites rows (the test must not pass on empty outputs)
