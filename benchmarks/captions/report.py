"""The `captions` block of docs/BENCHMARKS.md, from benchmark.py's results.

Example:
    >>> row = {"scores": {"BLEU-1": .2, "BLEU-4": .01, "ROUGE-L F": .15,
    ...                   "METEOR (exact+stem, no WordNet synonyms)": .1}, "runs": 1}
    >>> print(markdown({"demo": {"rows": {"frequent": row}, "chosen": {"beam": 1},
    ...                          "examples": [], "val_posts": 5, "train_posts": 9,
    ...                          "seconds": 1.0, "command": "python -m benchmarks.captions"}},
    ...                ("demo",)).splitlines()[4])
    | demo | frequent | 0.200 | 0.010 | 0.150 | 0.100 | – | – | 1 |
"""

from __future__ import annotations

COLUMNS = ("BLEU-1", "BLEU-4", "ROUGE-L F", "METEOR (exact+stem, no WordNet synonyms)")


def _cell(row: dict, column: str) -> str:
    value = f"{row['scores'][column]:.3f}"
    spread = row.get("spread", {}).get(column)
    return f"{value} ± {spread:.3f}" if spread is not None and row["runs"] > 1 else value


def markdown(results: dict, sets) -> str:
    """Tables of every set's rows, the fold choices, timings and example captions."""
    lines = ["Scores on val (mean ± spread over seeds where runs > 1); words compared as "
             "the model writes them (lower case, punctuation and URLs aside). The model rows "
             "use the defaults (train.py --task caption, then predict.py with no other flag: "
             "a beam of 3, hashtags read whole), set from the folds below; \"shipped\" is "
             "what predict.py answers with (the writer or the retriever train.py chose on its "
             "held-out posts), \"writer\" the same folders' writer alone. Nothing is "
             "chosen on val.", "",
             "| set | method | " + " | ".join(COLUMNS) + " | distinct per input | "
             "repeat a content word | runs |",
             "|" + "---|" * (len(COLUMNS) + 5)]
    names = [name for name in sets if name in results]
    for name in names:
        for method, row in results[name]["rows"].items():
            shown = method + (f" ({_ships(row['ships'])})" if row.get("ships") else "")
            measures = row.get("measures") or {}
            lines.append(f"| {name} | {shown} | "
                         + " | ".join(_cell(row, c) for c in COLUMNS)
                         + f" | {_share(measures.get('distinct'))}"
                         f" | {_share(measures.get('repeats'))} | {row['runs']} |")
    lines += ["", "\"Most distinct\": the share of val's distinct inputs that stay distinct "
              "when a model reads them (the photo and the hashtags seen in training; an unseen "
              "tag reads as nothing), the most that the writer or a retriever by whole tags can reach "
              "(retrieval-tags-meaning reads an unseen tag by its pieces).", "",
              "| set | train / val posts | most distinct | chosen on the folds (objective: mean "
              "of BLEU-1 and ROUGE-L F) | model epochs | training s | run s |",
              "|---|---|---|---|---|---|---|"]
    for name in names:
        r = results[name]
        chosen = r["chosen"]
        choice = f"beam {chosen['beam']} ({_objectives(chosen.get('beam_objective'))})"
        if "hashtag_words_objective" in chosen:
            choice += "; hashtags as words " \
                      f"({_objectives(chosen['hashtag_words_objective'])})"
        if "alpha" in chosen:
            choice += f"; retrieval alpha {chosen['alpha']} " \
                      f"({_objectives(chosen.get('alpha_objective'))})"
        model = next((row for method, row in r["rows"].items()
                      if method.startswith("shipped from")), {})
        lines.append(f"| {name} | {r['train_posts']} / {r['val_posts']} | "
                     f"{_share(r.get('distinct_ceiling'))} | {choice} | "
                     f"{model.get('epochs_run', '')} | {model.get('train_seconds', '')} | "
                     f"{r['seconds']} |")
    for name in names:
        examples = results[name].get("examples") or []
        if not examples:
            continue
        lines += ["", f"Shipped captions on {name} val (the model from both inputs, or "
                  "from hashtags where there are no photos, seed 1): the three best and the "
                  "three worst by ROUGE-L F.", "",
                  "| ROUGE-L F | hashtags | true caption | shipped caption |",
                  "|---|---|---|---|"]
        for e in examples:
            lines.append(f"| {e['rouge_l']:.2f} | {_cell_text(e['hashtags'])} | "
                         f"{_cell_text(e['true'])} | {_cell_text(e['written'])} |")
    commands = dict.fromkeys(results[name]["command"] for name in names)
    return "\n".join(lines + [""] + [f"Command: `{c}`" for c in commands] + [""])


def _share(value) -> str:
    """A share as a percentage, or a dash where it was not measured."""
    return "–" if value is None else f"{value:.0%}"


def _ships(methods) -> str:
    """What the seeds' folders shipped, e.g. 'ships writer x2, retrieval-photo'.

    Example:
        >>> _ships(["writer", "writer", "retrieval-photo"])
        'ships writer x2, retrieval-photo'
    """
    counts = {m: methods.count(m) for m in dict.fromkeys(methods)}
    return "ships " + ", ".join(m + (f" x{n}" if n > 1 else "") for m, n in counts.items())


def _objectives(values) -> str:
    return ", ".join(f"{k}: {v:.3f}" for k, v in (values or {}).items())


def _cell_text(text: str, limit: int = 110) -> str:
    """Text safe in one markdown table cell."""
    text = " ".join(str(text).replace("|", "/").replace("\\n", " ").split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
