"""Reports (layer 5): the end-to-end pipeline and how its results are shown.

* :mod:`~pyqgd.report.pipeline` — ``analyze(model)`` → ``AnalysisReport`` (summary with the bottom line first, JSON,
  HTML view in Jupyter, ``to_dataframe()``, ``figures()`` / ``show()`` / ``plots(dir)``);
* :mod:`~pyqgd.report.render` — the bottom line, the classical wall time with its per-step overhead (docs/math.md
  Eq. (15)), HTML and DataFrame views;
* :mod:`~pyqgd.report.plots` — talk-ready matplotlib Figures (never touching the global backend), 300-dpi PNG + SVG,
  the QDK space–time frontier.

``from pyqgd.report import analyze, AnalysisReport`` works too.
"""

from pyqgd.report.pipeline import AnalysisReport, analyze

__all__ = ["analyze", "AnalysisReport"]
