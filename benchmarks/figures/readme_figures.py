"""The README's measured figures, written from `benchmarks/results/*.json` and nowhere else.

The README holds three marked blocks, `<!-- readme-quality:begin -->` ... `end`,
`readme-speed` and `readme-captions`. This module renders them from the results that
`python -m benchmarks.quality`, `benchmarks.speed` and `benchmarks.captions` wrote, so a figure in the
README is always the one measured last; `tests/benchmarks/test_readme_figures.py` fails when
the README and the results disagree (run this module to bring them back together).

Usage:

    python -m benchmarks.readme_figures          # rewrite the blocks of README.md
    python -m benchmarks.readme_figures --check  # write nothing; exit 1 if a block is stale

Example:
    >>> _figure({"mean": {"P@1": 0.7104}, "spread": {"P@1": 0.062}}, "P@1", seeds=3)
    '0.710 ± 0.062'
"""

from __future__ import annotations

import argparse
import json
import sys

from benchmarks.common.paths import REPO, RESULTS
from benchmarks.common.report import replace_block

README = REPO / "README.md"
COLUMNS = ("P@1", "R@5", "A@5")
# (row label, method key in quality.json); the baselines' best is added per column.
QUALITY_ROWS = (
    ("**AMNN, the defaults** (the mix each model chose)", "AMNN"),
    ("the same models, the vote alone", "AMNN · vote alone"),
    ("the same models, `--memory off` (the network alone)", "AMNN · memory off"),
    ("popular (the most frequent tags)", "popular"),
)
BASELINES = ("popular", "text-knn", "image-knn", "multimodal-knn")


def _figure(entry: dict, column: str, seeds: int) -> str:
    """One cell: the mean, with ± the spread over seeds when there were several."""
    mean = f"{entry['mean'][column]:.3f}"
    return f"{mean} ± {entry['spread'][column]:.3f}" if seeds > 1 else mean


def quality_block(quality: dict) -> str:
    """The README's quality table: per set, the defaults, their two parts, and the best baseline."""
    lines = [f"Val, mean ± spread over seeds {quality['seeds'][0]}–{quality['seeds'][-1]} "
             f"(`{quality['command']}`, {quality['minutes']:.0f} minutes on "
             f"{quality['machine']}):", "",
             "| data set | method | " + " | ".join(COLUMNS) + " |",
             "|---|---|" + "---|" * len(COLUMNS)]
    for data_set, methods in sorted(quality["results"].items(), key=lambda kv: kv[0] != "mediaeval"):
        for label, key in QUALITY_ROWS:
            if key in methods:
                entry = methods[key]
                cells = [_figure(entry, c, len(entry["seeds"])) for c in COLUMNS]
                lines.append(f"| {data_set} | {label} | " + " | ".join(cells) + " |")
        best = []
        for column in COLUMNS:
            name = max((m for m in BASELINES if m in methods),
                       key=lambda m: methods[m]["mean"][column])
            best.append(f"{methods[name]['mean'][column]:.3f} ({name})")
        lines.append(f"| {data_set} | best baseline of each column | " + " | ".join(best) + " |")
    return "\n".join(lines)


def folds_line(tune: dict) -> str:
    """What the network alone scores against popular on the folds of each set's training posts."""
    parts = []
    for data_set, entry in sorted(tune.items()):
        objective = {c["method"]: c["objective"] for c in entry["candidates"]}
        if "AMNN memory off" in objective and "popular" in objective:
            parts.append(f"{data_set} {objective['AMNN memory off']:.3f} against "
                         f"{objective['popular']:.3f}")
    return ("On folds of the training posts (`python -m benchmarks.tune`; mean of P@1, R@5 "
            "and A@5), the network alone against popular: " + ", ".join(parts) + ".")


def speed_block(speed: dict) -> str:
    """The README's speed table: each figure with its goal, from benchmarks/results/speed.json."""
    goals = speed["goals"]

    def goal(name: str, unit: str = "") -> str:
        return f"{goals[name]['goal']}{unit}: {'met' if goals[name]['met'] else 'not met'}"

    rows = [
        ("greedy decoding, same tags, vs the published way",
         f"**{speed['decode_ratio']:.0f}×** faster ({speed['decode_ours_posts_per_s']:,.0f} vs "
         f"{speed['decode_reference_posts_per_s']} posts/s)", goal("decode_ratio")),
        ("training input memory, one epoch of batches, vs the published way",
         f"**{speed['train_memory_ratio']:.3f}×** ({speed['train_ours']['input_pipeline_peak_mib']:.0f}"
         f" vs {speed['train_published']['input_pipeline_peak_mib']:.0f} MiB)",
         goal("train_memory_ratio")),
        ("training throughput, same network, vs the published way",
         f"**{speed['train_speedup']:.1f}×** ({speed['train_ours']['samples_per_s']:.0f} vs "
         f"{speed['train_published']['samples_per_s']:.0f} samples/s)", goal("train_speedup")),
        ("photo feature cache vs its ceiling", f"**{speed['extract_efficiency']:.2f}**",
         goal("extract_efficiency")),
        (f"`predict.py` on {speed['stream_rows']:,} text-only posts",
         f"{speed['stream_posts_per_s']:,.0f} posts/s, peak {speed['stream_peak_rss_mib']:,.0f} MiB",
         goal("stream_peak_rss_mib", " MiB")),
    ]
    lines = [f"`{speed['command']}`, {speed['minutes']:.0f} minutes on {speed['machine']}:", "",
             "| what | measured | goal |", "|---|---|---|"]
    lines += [f"| {what} | {value} | {target} |" for what, value, target in rows]
    return "\n".join(lines)


def captions_block(captions: dict) -> str:
    """The README's caption table: per set, what train.py --task caption ships, its writer
    alone, the best retrieval baseline on BLEU-1 and on ROUGE-L F, and the posts' own
    captions' repeats."""
    lines = ["Val (`python -m benchmarks.captions`; the model rows are means over their seeds; "
             "distinct: distinct captions per distinct photo and hashtag set; repeats: "
             "captions that repeat a content word):", "",
             "| data set | method | BLEU-1 | ROUGE-L F | distinct | repeats |",
             "|---|---|---|---|---|---|"]
    for data_set, result in captions["results"].items():
        rows = result["rows"]
        shipped = next((k for k in rows if k.startswith("shipped from")), None)
        if shipped is None:  # results of a run before the choice was shipped
            continue
        # The best retrieval baseline on each metric (one row when one leads on both).
        best = {metric: max((k for k in rows if k.startswith("retrieval")),
                            key=lambda k: rows[k]["scores"][metric], default=None)
                for metric in ("BLEU-1", "ROUGE-L F")}
        ships = sorted(set(rows[shipped].get("ships", [])))
        picked = [(f"**{shipped}** (ships {', '.join(ships)})", shipped),
                  (shipped.replace("shipped", "writer"), shipped.replace("shipped", "writer"))]
        if best["BLEU-1"] == best["ROUGE-L F"]:
            picked.append((f"best retrieval baseline: {best['BLEU-1']}", best["BLEU-1"]))
        else:
            picked += [(f"best retrieval baseline on {metric}: {key}", key)
                       for metric, key in best.items()]
        picked.append(("the posts' own captions", "the posts' own captions"))
        for label, key in picked:
            if key not in rows:
                continue
            row, measures = rows[key], rows[key].get("measures", {})
            cells = [f"{row['scores']['BLEU-1']:.3f}", f"{row['scores']['ROUGE-L F']:.3f}",
                     f"{measures['distinct']:.0%}" if "distinct" in measures else "–",
                     f"{measures['repeats']:.0%}" if "repeats" in measures else "–"]
            if key == "the posts' own captions":
                cells[:3] = ["–", "–", "–"]
            lines.append(f"| {data_set} | {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """{block name: text} of every README block, from the results on disk."""
    read = lambda name: json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))  # noqa: E731
    return {"readme-quality": quality_block(read("quality")) + "\n\n" + folds_line(read("tune")),
            "readme-speed": speed_block(read("speed")),
            "readme-captions": captions_block(read("captions"))}


def stale_blocks(readme: str) -> list[str]:
    """The names of the blocks whose text in `readme` is not the one the results give.

    Example:
        >>> stale_blocks("a README without the blocks")
        ['readme-quality', 'readme-speed', 'readme-captions']
    """
    return [name for name, text in blocks().items()
            if f"<!-- {name}:begin -->\n{text.strip()}\n<!-- {name}:end -->" not in readme]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 naming the blocks that differ from the results")
    if parser.parse_args(argv).check:
        stale = stale_blocks(README.read_text(encoding="utf-8"))
        if stale:
            print(f"README.md's {', '.join(stale)} differ from benchmarks/results; run "
                  "python -m benchmarks.readme_figures", file=sys.stderr)
        return 1 if stale else 0
    for name, text in blocks().items():
        replace_block(README, name, text)
    print(f"wrote {', '.join(blocks())} into {README}", file=sys.stderr)
    return 0

