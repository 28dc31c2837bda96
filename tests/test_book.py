"""The book's chapters: structure, hand-typed numbers, freshness of stored outputs, papermill runs.
(nbval re-executes every chapter and compares it with its stored outputs: see pyproject.toml.)"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import DATA_DIR, REPO
from rtxreview.notebooks import METADATA_KEY, inputs_digest

BOOK = REPO / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`[^`]+`")


def toc_files() -> list[str]:
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        for key in ("chapters", "parts", "sections"):
            for child in node.get(key, []):
                if "file" in child:
                    files.append(child["file"])
                walk(child)
    walk(toc)
    return files


def test_every_chapter_is_in_the_table_of_contents():
    listed = set(toc_files())
    assert {f"book/{p.stem}" for p in CHAPTERS} <= listed
    for name in listed:
        assert any((REPO / f"{name}{ext}").is_file() for ext in (".md", ".ipynb")), name


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_papermill_parameters(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert re.search(r"^data_dir = None", code[0].source, re.M)
    assert re.search(r"^ci_method = \"beta\"", code[0].source, re.M)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_hand_typed_numbers_in_prose(path):
    """Numbers in a chapter's prose come from the data through glue, never typed by hand."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            prose = GLUE_ROLE.sub("", cell.source)
            typed = re.findall(r"[^\s]*\d[^\s]*", prose)
            assert not typed, f"{path.name}: numbers typed into prose: {typed}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_outputs_are_fresh(path):
    """Stored outputs were produced from the current code, data and library (make book refreshes them)."""
    notebook = nbformat.read(path, as_version=4)
    stored = notebook.metadata.get(METADATA_KEY, {}).get("inputs_sha256")
    assert stored == inputs_digest(notebook, DATA_DIR), f"{path.name}: outputs are stale; run make book"
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert all(output.output_type != "error" for output in cell.outputs)


def test_chapter_runs_with_papermill_from_the_root_on_another_extraction(tmp_path):
    """A reviewer re-runs a chapter on their own extraction: here a copy where one count changed."""
    other = tmp_path / "other-data"
    shutil.copytree(DATA_DIR, other)
    evidence = (other / "evidence.csv").read_text(encoding="utf-8")
    row = next(line for line in evidence.splitlines() if line.startswith("zhang_2021-092,"))
    changed = row.replace(",6,8,stated,75.0,", ",5,8,stated,62.5,")
    assert changed != row
    (other / "evidence.csv").write_text(evidence.replace(row, changed), encoding="utf-8")
    out = tmp_path / "itp.ipynb"
    subprocess.run([sys.executable, "-m", "papermill", "book/itp.ipynb", str(out), "-p", "data_dir", str(other),
                    "-k", "python3", "--no-progress-bar"], cwd=REPO, check=True, capture_output=True)
    text = out.read_text(encoding="utf-8")
    original = (BOOK / "itp.ipynb").read_text(encoding="utf-8")
    assert "5 of 8" in text and "5 of 8" not in original


def test_a_changed_evidence_row_makes_every_chapter_stale(tmp_path):
    """The skip key covers the data: one edited quote, and no chapter counts as up to date."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    notebooks = [nbformat.read(path, as_version=4) for path in CHAPTERS]
    before = [inputs_digest(notebook, data) for notebook in notebooks]
    evidence = data / "evidence.csv"
    text = evidence.read_text(encoding="utf-8")
    evidence.write_text(text.replace("147 patients", "148 patients", 1), encoding="utf-8")
    assert evidence.read_text(encoding="utf-8") != text
    after = [inputs_digest(notebook, data) for notebook in notebooks]
    assert all(b != a for b, a in zip(before, after))


def test_a_changed_pin_makes_every_chapter_stale_and_a_hidden_file_none(tmp_path, monkeypatch):
    """The skip key covers the pinned requirements (a library upgrade); hidden files that editors leave
    in the data folder do not count, so the stored digests hold on a fresh clone."""
    from rtxreview import digest
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    notebooks = [nbformat.read(path, as_version=4) for path in CHAPTERS]
    before = [inputs_digest(notebook, data) for notebook in notebooks]
    (data / ".ipynb_checkpoints").mkdir()
    (data / ".ipynb_checkpoints" / "evidence-checkpoint.csv").write_text("a\n1\n", encoding="utf-8")
    (data / ".DS_Store").write_bytes(b"\x00")
    assert [inputs_digest(notebook, data) for notebook in notebooks] == before
    pins = tmp_path / "requirements.txt"
    pins.write_text(digest.REQUIREMENTS.read_text(encoding="utf-8").replace("statsmodels==", "statsmodels==9"),
                    encoding="utf-8")
    monkeypatch.setattr(digest, "REQUIREMENTS", pins)
    assert all(b != inputs_digest(notebook, data) for b, notebook in zip(before, notebooks))
