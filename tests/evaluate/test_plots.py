"""amnn/evaluate/plots.py: one line per method, distinct colours, bounds drawn apart."""

from pathlib import Path

import pytest

from amnn.evaluate import plots
from amnn.evaluate.metrics import metrics_at_k


@pytest.fixture
def drawn(monkeypatch):
    """The figures plot_metrics_at_k builds, kept instead of written."""
    figures = []
    monkeypatch.setattr(plots, "save_png", lambda figure, path: figures.append(figure)
                        or Path(path))
    return figures


def test_a_dozen_methods_keep_distinct_colours_and_the_ceiling_is_dashed(drawn, tmp_path):
    table = metrics_at_k([["a", "b"]], [["b"]], max_k=3)
    tables = {f"method {i}": table for i in range(11)} | {"ceiling": table}
    plots.plot_metrics_at_k(tables, tmp_path / "m.png", references=["ceiling"])
    lines = {line.get_label(): line for line in drawn[0].axes[0].get_lines()}
    assert set(lines) == set(tables)
    methods = [lines[f"method {i}"] for i in range(11)]
    assert len({line.get_color() for line in methods}) == 11
    assert lines["ceiling"].get_linestyle() == "--" and lines["ceiling"].get_color() == "black"
    assert all(line.get_linestyle() == "-" for line in methods)
    legend_texts = [text.get_text() for legend in drawn[0].legends for text in legend.get_texts()]
    assert legend_texts == list(tables)  # one legend for the figure, in the tables' order


def test_a_reference_that_is_not_a_method_is_ignored(drawn, tmp_path):
    table = metrics_at_k([["a"]], [["a"]], max_k=2)
    plots.plot_metrics_at_k({"amnn": table}, tmp_path / "m.png", references=["ceiling"])
    assert [line.get_label() for line in drawn[0].axes[0].get_lines()] == ["amnn"]


def test_no_method_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="at least one method"):
        plots.plot_metrics_at_k({}, tmp_path / "m.png")
