"""The README's measured figures are the ones in benchmarks/results/*.json."""

from benchmarks.figures import readme_figures


def test_readme_blocks_match_the_results():
    """Fails when a benchmark reran but the README kept the old figures (or was edited by hand).

    Fix: `python -m benchmarks.readme_figures`.
    """
    readme = readme_figures.README.read_text(encoding="utf-8")
    for name, text in readme_figures.blocks().items():
        block = f"<!-- {name}:begin -->\n{text.strip()}\n<!-- {name}:end -->"
        assert block in readme, f"README's {name} block differs from benchmarks/results; " \
                                "run python -m benchmarks.readme_figures"

