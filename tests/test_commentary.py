"""Commentary tied to its rows: shown while they are unchanged, marked when they change, left out
when they are gone, and never able to quote a row it does not declare."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from conftest import DATA_DIR
from rtxreview import commentary
from rtxreview.report import Review

ROW = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).iloc[0]


def piece_text(rows, body, digest=""):
    return f"---\nchapter: itp\nsection: results\nrows: [{', '.join(rows)}]\ndigest: \"{digest}\"\n---\n{body}\n"


@pytest.fixture()
def setup(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    folder = tmp_path / "commentary"
    folder.mkdir()
    return data, folder


def write_piece(folder, name, rows, body, digest=""):
    (folder / f"{name}.md").write_text(piece_text(rows, body, digest), encoding="utf-8")


def status_of(data, folder, name):
    frame = commentary.statuses(data, folder).set_index("piece")
    return frame.at[name, "status"]


def test_a_new_piece_is_changed_until_accepted_then_current(setup):
    data, folder = setup
    write_piece(folder, "note", [ROW.evidence_id], 'It printed {{ printed("%s") }}.' % ROW.evidence_id)
    assert status_of(data, folder, "note") == "changed"
    digest = commentary.accept(data, "note", folder)
    assert len(digest) == 64 and f"digest: {digest}" in (folder / "note.md").read_text(encoding="utf-8")
    assert status_of(data, folder, "note") == "current"


def test_a_changed_row_marks_the_piece_and_a_removed_row_leaves_it_out(setup):
    data, folder = setup
    write_piece(folder, "note", [ROW.evidence_id], "Text.")
    commentary.accept(data, "note", folder)
    evidence = pd.read_csv(data / "evidence.csv", dtype=str, keep_default_na=False)
    evidence.loc[0, "location"] = evidence.loc[0, "location"] + " (moved)"
    evidence.to_csv(data / "evidence.csv", index=False)
    assert status_of(data, folder, "note") == "changed"
    evidence.iloc[1:].to_csv(data / "evidence.csv", index=False)
    frame = commentary.statuses(data, folder).set_index("piece")
    assert frame.at["note", "status"] == "absent" and frame.at["note", "missing"] == ROW.evidence_id
    with pytest.raises(commentary.CommentaryError, match="not in"):
        commentary.accept(data, "note", folder)


def test_shown_pieces_render_from_their_rows_and_mark_a_change(setup, monkeypatch):
    data, folder = setup
    other = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).iloc[1]
    write_piece(folder, "current", [ROW.evidence_id], 'Printed {{ printed("%s") }}.' % ROW.evidence_id)
    write_piece(folder, "stale", [other.evidence_id], "Old words.", digest="0" * 64)  # read against other rows
    write_piece(folder, "new", [other.evidence_id], "New words.")  # never read by a reviewer
    commentary.accept(data, "current", folder)
    review = Review(data)
    shown = {s.piece.name: s for s in commentary.pieces_for(review, "itp", "results", folder)}
    assert shown["current"].markdown() == f"Printed {review.printed(ROW.evidence_id)}."
    assert shown["stale"].status == "changed" and commentary.CHANGED_MARK in shown["stale"].markdown()
    assert shown["new"].status == "changed" and commentary.NOT_YET_REVIEWED in shown["new"].markdown()
    assert commentary.pieces_for(review, "itp", "findings", folder) == []


def test_a_piece_cannot_use_a_row_it_does_not_declare(setup):
    data, folder = setup
    other = pd.read_csv(DATA_DIR / "evidence.csv", dtype=str, keep_default_na=False).iloc[1]
    write_piece(folder, "sly", [ROW.evidence_id], 'Also {{ count("%s") }}.' % other.evidence_id)
    piece = commentary.read_piece(folder / "sly.md")
    with pytest.raises(commentary.CommentaryError, match="does not declare"):
        commentary.render(Review(data), piece)


def test_text_from_the_data_is_escaped(setup):
    data, folder = setup
    evidence = pd.read_csv(data / "evidence.csv", dtype=str, keep_default_na=False)
    evidence.loc[0, "location"] = "<script>alert(1)</script> *bold*"
    evidence.to_csv(data / "evidence.csv", index=False)
    write_piece(folder, "note", [ROW.evidence_id], 'At {{ row("%s").location }}.' % ROW.evidence_id)
    text = commentary.render(Review(data), commentary.read_piece(folder / "note.md"))
    assert "<script>" not in text and "&lt;script&gt;" in text and "\\*bold\\*" in text


def test_a_malformed_piece_is_named(tmp_path):
    (tmp_path / "bad.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(commentary.CommentaryError, match="bad.md"):
        commentary.read_piece(tmp_path / "bad.md")
    (tmp_path / "bad.md").write_text(piece_text(["x"], "t").replace("results", "nowhere"), encoding="utf-8")
    with pytest.raises(commentary.CommentaryError, match="section 'nowhere'"):
        commentary.read_piece(tmp_path / "bad.md")


def test_every_piece_of_the_book_is_current_on_the_data():
    """A reviewer has read every piece against the rows it discusses (the build warns otherwise)."""
    frame = commentary.statuses(DATA_DIR, DATA_DIR.parent / commentary.FOLDER)
    assert len(frame) and (frame["status"] == "current").all(), frame[frame["status"] != "current"]


def test_a_commentary_edit_makes_the_chapters_stale(tmp_path):
    """The chapters' skip digest covers the commentary, so `make book` re-executes them after an edit."""
    import nbformat
    from rtxreview.notebooks import inputs_digest
    shutil.copytree(DATA_DIR, tmp_path / "data")
    folder = tmp_path / "book" / "commentary"
    folder.mkdir(parents=True)
    write_piece(folder, "note", [ROW.evidence_id], "First words.")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    before = inputs_digest(notebook, tmp_path / "data")
    write_piece(folder, "note", [ROW.evidence_id], "Other words.")
    assert inputs_digest(notebook, tmp_path / "data") != before


def test_a_claim_about_every_source_is_marked_when_a_study_is_added(setup):
    """A piece saying "no source …" (scope: all sources) is stale once the sources change; a piece about
    its own rows is not."""
    data, folder = setup
    write_piece(folder, "rows", [ROW.evidence_id], "About this row.")
    (folder / "every.md").write_text(piece_text([ROW.evidence_id], "No source does this.").replace(
        "---\nchapter", "---\nscope: all sources\nchapter", 1), encoding="utf-8")
    for name in ("rows", "every"):
        commentary.accept(data, name, folder)
    studies = pd.read_csv(data / "studies.csv", dtype=str, keep_default_na=False)
    pd.concat([studies, studies.iloc[[0]].assign(study_id="added_2026", source_document="added.pdf")]).to_csv(
        data / "studies.csv", index=False)
    assert status_of(data, folder, "rows") == "current" and status_of(data, folder, "every") == "changed"


def test_every_piece_has_a_place_in_its_chapter():
    """A piece's chapter shows its section: no piece is counted in a chapter's table yet never shown."""
    import nbformat
    book = DATA_DIR.parent / "book"
    for piece in commentary.read_pieces(book / "commentary"):
        code = "\n".join(c.source for c in nbformat.read(book / f"{piece.chapter}.ipynb", as_version=4).cells
                         if c.cell_type == "code")
        shown = (f'CHAPTER = "{piece.chapter}"' in code and f'show_commentary(review, CHAPTER, "{piece.section}")' in code) \
            or f'show_commentary(review, "{piece.chapter}", "{piece.section}")' in code
        assert shown, f"{piece.name}: chapter {piece.chapter} does not show section {piece.section!r}"
