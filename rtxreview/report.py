"""An index of what the chapters call, kept for code written against it (re-executed notebooks of
earlier versions, scripts). The functions live by concern:

* :mod:`rtxreview.review`: the validated, audited review (:func:`load_review`);
* :mod:`rtxreview.tables`: the book's tables and the cell texts they share;
* :mod:`rtxreview.pages`: glued prose, the pooled-analysis sentence and the page charts;
* :mod:`rtxreview.text`: every number and word as a reader sees it;
* :mod:`rtxreview.selection`: which rows each chapter shows;
* :mod:`rtxreview.bottom_line` and :mod:`rtxreview.chapters`: each chapter's bottom line and sections.
"""

from rtxreview.pages import (audit_scatter, forest, glue_markdown, pooled_sentence, response_chart,  # noqa: F401
                             response_counts_long, show_chart, trajectory_chart)
from rtxreview.review import Review, find_data_dir, load_review  # noqa: F401
from rtxreview.tables import *  # noqa: F401,F403
from rtxreview.tables import (_bullet_list, _evidence_row, _rows_within, _source_cell)  # noqa: F401
from rtxreview.text import NUMBER_WORDS, ci_text, fixed, markdown_text, number_word, pct, plural  # noqa: F401
