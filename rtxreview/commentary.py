"""Editorial commentary about particular studies, kept apart from chapter code and tied to its rows.

A piece of commentary is a Markdown file in ``book/commentary/`` with YAML front matter::

    ---
    chapter: itp                 # the chapter that shows it
    scope: rows                  # optional; "all sources" for a claim about every source ("no source …"):
                                 # its digest then covers studies.csv, so a study added or removed marks it
    section: results             # where in the chapter (see SECTIONS)
    rows: [evidence ids it discusses]
    checks: [check ids it discusses]          # optional
    patients: [study ids whose per-patient table it uses]   # optional
    digest: <sha256 of those rows when the piece was last read against them>
    ---
    Text. Every number comes from the declared rows through the template functions
    ({{ count("…") }}, {{ printed("…") }}, {{ row("…").reported }} …), never typed.

The body is a Jinja template (a maintained engine; only the row lookups and the digest are written
here). A lookup of a row the piece does not declare is an error, so a piece cannot quote a row it is
not tied to. When a chapter is built:

- every declared row present and unchanged: the piece is shown;
- a declared row absent (a study removed, ids renamed): the piece is left out, and the build lists it;
- a declared row changed since the digest was recorded: the piece is shown under a visible mark
  ("the evidence changed since this note was written") and the build warns, until a reviewer re-reads
  it and accepts it again (``python -m rtxreview commentary accept NAME``).
"""

from __future__ import annotations

import hashlib
import functools
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
import pandas as pd
import yaml

SECTIONS = ("bottom-line", "sources", "patients", "results", "pooled", "per-patient", "findings")
FOLDER = Path("book") / "commentary"
SCOPES = ("rows", "all sources")
NOT_YET_REVIEWED = "A reviewer has not yet read this note against the rows it discusses"
CHANGED_MARK = ("The evidence changed since this note was written: a reviewer has not yet re-read it "
                "against the rows it discusses")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n(.*)\Z", re.S)


class CommentaryError(ValueError):
    """A commentary file that cannot be read, or a template that fails on its rows."""


@dataclass(frozen=True)
class Piece:
    path: Path
    chapter: str
    section: str
    rows: list[str]
    checks: list[str] = field(default_factory=list)
    patients: list[str] = field(default_factory=list)
    digest: str = ""
    body: str = ""
    scope: str = "rows"  # "all sources": a claim about every source (its digest covers studies.csv)

    @property
    def name(self) -> str:
        return self.path.stem


def commentary_folder() -> Path:
    """The book's ``book/commentary``, from here upwards (chapters run from ``book/`` and from the
    repository root), else the source checkout's. The book's commentary applies to whatever data a
    chapter reads: pieces whose rows that data lacks are left out."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / FOLDER).is_dir():
            return folder / FOLDER
    # A chapter run from a copy outside the book (papermill into another folder) uses the
    # commentary of the source checkout this package belongs to, if it is one.
    return Path(__file__).resolve().parent.parent / FOLDER


# libyaml's safe loader when PyYAML was built with it: the pure-Python one took most of a chapter's
# commentary time (every chapter reads every piece's front matter).
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_piece(path: Path) -> Piece:
    text = path.read_text(encoding="utf-8")
    match = _FRONT_MATTER.match(text)
    if not match:
        raise CommentaryError(f"{path}: no YAML front matter between '---' lines")
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        raise CommentaryError(f"{path}: front matter is not YAML: {exc}") from None
    missing = [key for key in ("chapter", "section", "rows") if key not in meta]
    if missing:
        raise CommentaryError(f"{path}: front matter lacks {', '.join(missing)}")
    if meta.get("scope", "rows") not in SCOPES:
        raise CommentaryError(f"{path}: scope {meta['scope']!r} is not one of {', '.join(SCOPES)}")
    if meta["section"] not in SECTIONS:
        raise CommentaryError(f"{path}: section {meta['section']!r} is not one of {', '.join(SECTIONS)}")
    return Piece(path=path, chapter=str(meta["chapter"]), section=meta["section"],
                 rows=[str(r) for r in meta["rows"] or []], checks=[str(c) for c in meta.get("checks") or []],
                 patients=[str(p) for p in meta.get("patients") or []], digest=str(meta.get("digest") or ""),
                 body=match.group(2), scope=str(meta.get("scope") or "rows"))


def read_pieces(folder: Path) -> list[Piece]:
    return [_read_unchanged(path, path.stat().st_mtime_ns, path.stat().st_size)
            for path in sorted(Path(folder).glob("*.md"))]


@functools.lru_cache(maxsize=4096)
def _read_unchanged(path: Path, mtime_ns: int, size: int) -> Piece:
    """A piece read once per process while its file is unchanged (a chapter reads the folder for each
    of its sections; an edited piece has a new modification time or size and is read again)."""
    return read_piece(path)


class RowTexts:
    """The data files as printed text (no parsing), indexed for digests: a digest changes only when a
    declared row's text changes, whatever the validator or the audit make of it."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)

    def _table(self, name: str, key: str) -> dict[str, str]:
        path = self.data_dir / f"{name}.csv"
        if not path.is_file():
            return {}
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return {k: json.dumps(r, sort_keys=True, ensure_ascii=False)
                for k, r in zip(frame[key], frame.to_dict("records"))}

    @cached_property
    def evidence(self) -> dict[str, str]:
        return self._table("evidence", "evidence_id")

    @cached_property
    def studies(self) -> dict[str, str]:
        return self._table("studies", "study_id")

    @cached_property
    def checks(self) -> dict[str, str]:
        return self._table("checks", "check_id")

    @cached_property
    def patients(self) -> dict[str, str]:
        path = self.data_dir / "patients.csv"
        if not path.is_file():
            return {}
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return {study: frame[frame["study_id"] == study].to_csv(index=False) for study in frame["study_id"].unique()}

    def missing(self, piece: Piece) -> list[str]:
        return ([r for r in piece.rows if r not in self.evidence] + [c for c in piece.checks if c not in self.checks]
                + [p for p in piece.patients if p not in self.patients])

    def digest(self, piece: Piece) -> str:
        parts = ([self.evidence[r] for r in piece.rows] + [self.checks[c] for c in piece.checks]
                 + [self.patients[p] for p in piece.patients])
        if piece.scope == "all sources":  # a study added or removed changes what "no source" means
            parts += sorted(self.studies.values())
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()

    def status(self, piece: Piece) -> str:
        """'current', 'changed' or 'absent' (some declared row is not in the data)."""
        if self.missing(piece):
            return "absent"
        return "current" if self.digest(piece) == piece.digest else "changed"


def statuses(data_dir: Path, folder: Path | None = None) -> pd.DataFrame:
    """One row per piece: name, chapter, section, status and the rows it misses."""
    texts = RowTexts(data_dir)
    pieces = read_pieces(folder or commentary_folder())
    return pd.DataFrame([{"piece": p.name, "chapter": p.chapter, "section": p.section, "status": texts.status(p),
                          "missing": " ".join(texts.missing(p))} for p in pieces],
                        columns=["piece", "chapter", "section", "status", "missing"])


def accept(data_dir: Path, name: str, folder: Path | None = None) -> str:
    """Record the current digest of piece ``name`` after a reviewer has re-read it; return it."""
    folder = folder or commentary_folder()
    path = Path(folder) / f"{name}.md"
    if not path.is_file():
        raise CommentaryError(f"no commentary piece {path}")
    piece = read_piece(path)
    texts = RowTexts(data_dir)
    missing = texts.missing(piece)
    if missing:
        raise CommentaryError(f"{path}: rows {', '.join(missing)} are not in {data_dir}; edit the piece first")
    new = texts.digest(piece)
    text = path.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    if re.search(r"^digest:.*$", head, flags=re.M):
        head = re.sub(r"^digest:.*$", f"digest: {new}", head, count=1, flags=re.M)
    else:
        head += f"\ndigest: {new}"
    path.write_text(f"{head}\n---\n{body}", encoding="utf-8")
    return new


# --- rendering --------------------------------------------------------------------------------

def _environment() -> jinja2.Environment:
    from rtxreview import tables
    from rtxreview.percent import compatible_numerators

    def safe(value):
        # Every printed expression that is text is escaped like every other glued text (HTML escaped,
        # Markdown made literal), however it was made (a filter, a join); the template's own text is not.
        return value if isinstance(value, _Code) else fmt.markdown_text(value) if isinstance(value, str) else value

    # Sandboxed: a template reaches only the functions it is given, not the review behind them.
    env = SandboxedEnvironment(undefined=jinja2.StrictUndefined, finalize=safe, keep_trailing_newline=False,
                               autoescape=False)
    from rtxreview import text as fmt
    env.globals.update(code=_code, number_word=fmt.number_word, pct=fmt.pct, ci_text=fmt.ci_text, plural=fmt.plural,
                       signed_points=fmt.signed_points, fixed=fmt.fixed,
                       not_a_count_of=tables.not_a_count_of, compatible_numerators=compatible_numerators,
                       int=int, len=len, sum=sum, sorted=sorted, str=str, min=min, max=max, abs=abs,
                       range=range, list=list, zip=zip)
    return env


class _Code(str):
    """An identifier shown as code: Markdown escapes do not apply inside a code span."""


def _code(value) -> _Code:
    return _Code("`" + str(value).replace("`", "") + "`")


class _Lookups:
    """Template functions restricted to the rows a piece declares."""

    def __init__(self, review, piece: Piece):
        self.review, self.piece = review, piece

    def _allowed(self, kind: str, key: str, declared: list[str]) -> str:
        if key not in declared:
            raise CommentaryError(f"{self.piece.path}: uses {kind} {key!r}, which its front matter does not declare")
        return key

    def row(self, evidence_id: str):
        return self.review.row(self._allowed("row", evidence_id, self.piece.rows)).to_dict()

    def count(self, evidence_id: str) -> int:
        return self.review.count(self._allowed("row", evidence_id, self.piece.rows))

    def printed(self, evidence_id: str) -> str:
        return self.review.printed(self._allowed("row", evidence_id, self.piece.rows))

    def check(self, check_id: str):
        return {"name": check_id, **self.review.check(self._allowed("check", check_id, self.piece.checks)).to_dict()}

    def estimate(self, evidence_id: str):
        self._allowed("row", evidence_id, self.piece.rows)
        return self.review.estimates([evidence_id]).iloc[0].to_dict()

    def responses(self, study_id: str) -> pd.DataFrame:
        return self.review.responses(self._allowed("per-patient table", study_id, self.piece.patients))

    def split(self, groups: dict, complete_row: str):
        """The reconstruction of a series' per-group counts (``rtxreview.reconstruct``)."""
        from rtxreview.reconstruct import series_split
        for cr_row, enrolled, relapse_row in groups.values():
            for evidence_id in [cr_row, *enrolled, relapse_row, complete_row]:
                self._allowed("row", evidence_id, self.piece.rows)
        return series_split(self.review, groups, complete_row)

    def difference(self, row_b: str, row_a: str) -> dict:
        """Proportion of row_b minus that of row_a, with its Newcombe 95% CI (``rtxreview.intervals``)."""
        from rtxreview.intervals import difference_interval
        b, a = self.row(row_b), self.row(row_a)
        diff, low, high = difference_interval(int(b["numerator"]), int(b["denominator"]), int(a["numerator"]),
                                              int(a["denominator"]))
        return {"diff": diff, "low": low, "high": high}

    def functions(self) -> dict:
        return {name: getattr(self, name) for name in ("row", "count", "printed", "check", "estimate",
                                                       "responses", "split", "difference")}


@functools.lru_cache(maxsize=None)
def _template(body: str) -> jinja2.Template:
    """A piece's compiled template (compiled once per process: a chapter renders several pieces)."""
    return _ENVIRONMENT().from_string(body)


_ENVIRONMENT = functools.lru_cache(maxsize=1)(_environment)


def render(review, piece: Piece) -> str:
    try:
        template = _template(piece.body)
        return template.render(**_Lookups(review, piece).functions()).strip()
    except CommentaryError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the piece whose template failed
        raise CommentaryError(f"{piece.path}: {type(exc).__name__}: {exc}") from exc


@dataclass
class Shown:
    piece: Piece
    status: str
    text: str

    def markdown(self) -> str:
        if self.status == "changed":
            mark = CHANGED_MARK if self.piece.digest else NOT_YET_REVIEWED
            return f"```{{admonition}} {mark}\n:class: warning rtx-stale\n{self.text}\n```"
        return self.text


def pieces_for(review, chapter: str, section: str, folder: Path | None = None) -> list[Shown]:
    """The chapter section's pieces whose rows are all present, rendered, with their status."""
    folder = folder or commentary_folder()
    texts = _row_texts(review)
    shown = []
    for piece in read_pieces(folder):
        if piece.chapter != chapter or piece.section != section:
            continue
        status = texts.status(piece)
        if status == "current":
            shown.append(Shown(piece, status, render(review, piece)))
        elif status == "changed":
            try:
                text = render(review, piece)
            except CommentaryError as exc:  # the changed rows no longer support the template: say so
                text = (f"This note could not be written from the changed rows "
                        f"({rr_markdown(str(exc))}); it is left out until a reviewer revises it.")
            shown.append(Shown(piece, status, text))
    return shown


def rr_markdown(text: str) -> str:
    from rtxreview.text import markdown_text
    return markdown_text(text)


def cited_rows(review, chapter: str, folder: Path | None = None) -> list[str]:
    """Every row that the chapter's shown pieces discuss (they belong in its table)."""
    folder = folder or commentary_folder()
    texts = _row_texts(review)
    return [r for p in read_pieces(folder) if p.chapter == chapter and texts.status(p) != "absent" for r in p.rows]


def _row_texts(review) -> RowTexts:
    texts = getattr(review, "_commentary_texts", None)
    if texts is None or texts.data_dir != Path(review.data_dir):
        texts = RowTexts(review.data_dir)
        review._commentary_texts = texts
    return texts
