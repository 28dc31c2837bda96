"""Sphinx extension: publish the data package and the audit's results with the site.

Pages inline at most a few hundred rows of a table (the page-weight budget of a living review);
every row stays one click away in ``_static/data/`` (the data package as it is in ``data/``) and
``_static/results/`` (what ``python -m rtxreview audit|checks|ipd --format csv`` and ``pool --format
csv`` print). Written when the HTML build finishes, from the same library calls as the CLI, so the
files equal its output and change only when the data or the library do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DATA_FOLDER = "_static/data"
RESULTS_FOLDER = "_static/results"


def publish(data_dir: Path, outdir: Path) -> list[Path]:
    """Copy the data package and write the results CSVs under ``outdir``; return the files written."""
    from rtxreview.audit import audit
    from rtxreview.checks import run_checks
    from rtxreview.cli import csv_text, pooled_csv_text
    from rtxreview.ipd import all_responses
    from rtxreview.pooling import pooled_analyses, pooled_summary
    from rtxreview.validate import validate_package

    tables = validate_package(data_dir)
    audited = audit(tables)
    results = {
        "audit.csv": csv_text(audited),
        "checks.csv": csv_text(run_checks(tables)),
        "ipd.csv": csv_text(all_responses(tables["patients"])),
        "pool.csv": pooled_csv_text(pooled_summary(pooled_analyses(tables, audited))),
    }
    written = []
    data_out, results_out = outdir / DATA_FOLDER, outdir / RESULTS_FOLDER
    for folder in (data_out, results_out):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for path in sorted([*data_dir.glob("*.csv"), data_dir / "datapackage.json"]):
        written.append(Path(shutil.copyfile(path, data_out / path.name)))
    for name, text in results.items():
        (results_out / name).write_text(text, encoding="utf-8")
        written.append(results_out / name)
    return written


def _on_build_finished(app, exception) -> None:
    if exception is None and app.builder.format == "html":
        publish(Path(app.srcdir) / "data", Path(app.outdir))


def setup(app):
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
