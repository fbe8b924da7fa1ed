"""Turn the quality benchmark's runs into docs/BENCHMARKS.md, PNG plots and JSON.

The goal checks are computed from the measured means, never written by hand: AMNN with the
defaults must be at least level with the best baseline (a lead of at least `GOAL_LEAD`,
relative) on P@1, R@5 and A@5, on every set; and the network alone must score above the
popular tags (at least level on korean, where one tag is on 8 posts in 10).
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from pathlib import Path

from amnn.jsonio import write_json
from amnn.evaluate.metrics import MetricsTable
from amnn.evaluate.plots import plot_metrics_at_k
from benchmarks.common.report import flat_metrics, markdown_table, mean_and_spread, replace_block

GOALS = {"mediaeval": "AMNN", "tweeteval": "AMNN", "korean": "AMNN"}
GOAL_LEAD = 0.0  # at least level with the best baseline
NETWORK = "AMNN · memory off"  # the network alone must beat the popular tags
NETWORK_MAY_TIE = ("korean",)  # ... or, where one tag dominates, at least tie with them
GOAL_COLUMNS = ("P@1", "R@5", "A@5")
BASELINES = ("popular", "text-knn", "image-knn", "multimodal-knn")
CEILING = "ceiling"  # the row of the most any recommender can score (runs.score_ceiling)


def summarise(records: list[dict]) -> dict[str, dict[str, dict]]:
    """data set -> method -> {mean, spread, seeds, epochs, seconds, table (mean per k)}.

    Example:
        >>> from amnn.evaluate.metrics import metrics_at_k
        >>> t = metrics_at_k([["a"]], [["a"]], 5).to_dict()
        >>> rec = {"data_set": "d", "method": "m", "seed": 1, "table": t, "seconds": 2.0,
        ...        "details": {}}
        >>> summarise([rec])["d"]["m"]["mean"]["P@1"]
        1.0
    """
    grouped = defaultdict(lambda: defaultdict(list))
    for record in records:
        grouped[record["data_set"]][record["method"]].append(record)
    summary: dict = {}
    for data_set, methods in grouped.items():
        summary[data_set] = {}
        for method, runs in methods.items():
            tables = [MetricsTable(**run["table"]) for run in runs]
            mean, spread = mean_and_spread([flat_metrics(table) for table in tables])
            averaged = {name: [statistics.fmean(values) for values in
                               zip(*(getattr(table, name) for table in tables))]
                        for name in ("precision", "recall", "accuracy", "f1")}
            summary[data_set][method] = {
                "mean": mean, "spread": spread, "seeds": [run["seed"] for run in runs],
                "epochs": [run["details"].get("epochs_run") for run in runs
                           if run["details"].get("epochs_run") is not None],
                "seconds": round(statistics.fmean(run["seconds"] for run in runs), 1),
                "settings": runs[0]["details"].get("settings"),
                "mixes": [run["details"]["mix"] for run in runs if run["details"].get("mix")],
                "n_posts": tables[0].n_posts, "n_skipped": tables[0].n_skipped,
                "table": dict(k=tables[0].k, **averaged)}
    return summary


def goal_check(summary: dict) -> list[dict]:
    """For each data set with a goal: AMNN's mean vs the best baseline per goal column."""
    checks = []
    for data_set, amnn in GOALS.items():
        methods = summary.get(data_set, {})
        baselines = [name for name in BASELINES if name in methods]
        if amnn not in methods or not baselines:
            continue
        for column in GOAL_COLUMNS:
            best = max(baselines, key=lambda name: methods[name]["mean"][column])
            ours, theirs = methods[amnn]["mean"][column], methods[best]["mean"][column]
            lead = ours / theirs - 1 if theirs else float("inf")
            ceiling = methods.get(CEILING, {}).get("mean", {}).get(column)
            checks.append({"data_set": data_set, "metric": column, "amnn": ours,
                           "best_baseline": best, "baseline": theirs,
                           "needed": theirs * (1 + GOAL_LEAD), "ceiling": ceiling,
                           "lead": round(lead, 4), "met": lead >= GOAL_LEAD - 1e-12})
    return checks


def network_check(summary: dict) -> list[dict]:
    """Per set and goal column: the network alone against the popular tags.

    Example:
        >>> entry = lambda p: {"mean": {"P@1": p, "R@5": p, "A@5": p}}
        >>> network_check({"korean": {NETWORK: entry(0.8), "popular": entry(0.8)}})[0]["met"]
        True
    """
    checks = []
    for data_set, methods in summary.items():
        if NETWORK not in methods or "popular" not in methods:
            continue
        for column in GOAL_COLUMNS:
            ours, theirs = methods[NETWORK]["mean"][column], methods["popular"]["mean"][column]
            met = ours >= theirs if data_set in NETWORK_MAY_TIE else ours > theirs
            checks.append({"data_set": data_set, "metric": column, "network": ours,
                           "popular": theirs, "met": bool(met)})
    return checks


def _mix_lines(methods: dict) -> list[str]:
    """What train.py chose for each seed's model of the headline row."""
    mixes = methods.get("AMNN", {}).get("mixes") or []
    if not mixes:
        return []
    lines = ["What `train.py` chose for each seed (on its held-out training posts): " + "; ".join(
        f"seed {seed}: network {1 - m['weight']:.2f} + vote {m['weight']:.2f} (words "
        f"{m['text_share']}, photo {m['photo_share']}; {m['neighbors']} neighbours)"
        for seed, m in zip(methods["AMNN"]["seeds"], mixes)), ""]
    return lines


def _command(args) -> str:
    return (f"python -m benchmarks.quality --seeds {' '.join(map(str, args.seeds))} "
            f"--ablation-seeds {' '.join(map(str, args.ablation_seeds))}")


def _note(entry: dict) -> str:
    if not entry["epochs"]:
        return "deterministic, 1 run"
    epochs = ", ".join(str(e) for e in entry["epochs"])
    seeds = ", ".join(str(seed) for seed in entry["seeds"])
    return f"seed{'s' if len(entry['seeds']) > 1 else ''} {seeds}; epochs {epochs}; " \
        f"{entry['seconds']:.0f} s each"


def _settings_lines(methods: dict) -> list[str]:
    lines = []
    for name, entry in methods.items():
        if entry.get("settings") and "·" not in name:
            shown = ", ".join(f"`{key}={value}`" for key, value in entry["settings"].items())
            lines.append(f"- {name}: {shown}")
    return lines + ([""] if lines else [])


def _markdown(summary: dict, checks: list[dict], args, machine: str, seconds: float,
              reused: float) -> str:
    timing = f"in {seconds / 60:.0f} min" + (
        f" ({reused / 60:.0f} min of it runs timed earlier and reused from its run log)"
        if reused >= 30 else "")
    lines = [f"Measured {datetime.date.today().isoformat()} on {machine} by "
             f"`{_command(args)}` {timing}. Mean ± sample standard "
             "deviation over the seeds in each row's last column; the split is fixed "
             "(train → val) and seeds change the initial weights, the shuffling and the "
             "held-out photos early stopping watches. **AMNN** is `train.py --data TRAIN --out M` then "
             "`predict.py --model M` with no other flag: it stops early on a split of the "
             "training posts by photo and chooses its mix of network and neighbours' vote on "
             "that split; each baseline's neighbours and text weight are the ones "
             "`python -m benchmarks.tune` chose on folds of the training posts; val only "
             "scores them. Rows with ` · ` decode the same trained models another way "
             "(`vote alone`: the vote's weight 1 in the chosen similarity; `memory off`: the "
             "network alone); other AMNN rows change the settings listed under each table.",
             ""]
    for data_set, methods in summary.items():
        first = next(iter(methods.values()))
        lines += [f"### {data_set} (train → val, {first['n_posts']} val posts scored"
                  + (f", {first['n_skipped']} without any hashtag left out" if first["n_skipped"] else "")
                  + ")", "",
                  markdown_table([{"method": name, "note": _note(entry), **entry}
                                  for name, entry in methods.items()]), "",
                  *_settings_lines(methods), *_mix_lines(methods),
                  f"![metrics@k on {data_set}](quality_{data_set}.png)", ""]
    if checks:
        lines += ["### Goal check (computed from the means above)", "",
                  "The defaults must be at least level with the best baseline. *Needed* is "
                  "that score; *ceiling* is the `ceiling` row, the "
                  "most any recommender trained on these posts can score (it recommends "
                  "each val post's own true tags that training has: an oracle reading the "
                  "answers, not a method).", "",
                  "| data set | metric | AMNN | best baseline | lead | needed | ceiling | met |",
                  "|---|---|---|---|---|---|---|---|"]
        for c in checks:
            ceiling = "–" if c.get("ceiling") is None else f"{c['ceiling']:.3f}"
            lines.append(f"| {c['data_set']} | {c['metric']} | {c['amnn']:.3f} | "
                         f"{c['best_baseline']} {c['baseline']:.3f} | {c['lead']:+.1%} | "
                         f"{c['needed']:.3f} | {ceiling} | "
                         f"{'yes' if c['met'] else '**no**'} |")
    network = network_check(summary)
    if network:
        lines += ["", f"The network alone (`{NETWORK}`) must score above the popular tags "
                  f"(at least level on {', '.join(NETWORK_MAY_TIE)}):", "",
                  "| data set | metric | network alone | popular | met |", "|---|---|---|---|---|"]
        lines += [f"| {c['data_set']} | {c['metric']} | {c['network']:.3f} | "
                  f"{c['popular']:.3f} | {'yes' if c['met'] else '**no**'} |" for c in network]
    return "\n".join(lines)


def write_outputs(records: list[dict], args, machine: str, seconds: float,
                  reused: float = 0.0) -> dict:
    """Write BENCHMARKS.md's quality block, one PNG per data set and the JSON results.

    `seconds` is the benchmark's whole time, `reused` the part of it that runs reused from
    the run log took when they ran.
    """
    summary = summarise(records)
    checks = goal_check(summary)
    for data_set, methods in summary.items():
        tables = {name: MetricsTable(n_posts=entry["n_posts"], n_skipped=entry["n_skipped"],
                                     **entry["table"]) for name, entry in methods.items()}
        plot_metrics_at_k(tables, Path(args.docs) / f"quality_{data_set}.png",
                          references=(CEILING,))
    replace_block(Path(args.docs) / "BENCHMARKS.md", "quality",
                  _markdown(summary, checks, args, machine, seconds, reused))
    result = {"seeds": args.seeds, "machine": machine, "minutes": round(seconds / 60, 1),
              "minutes_reused": round(reused / 60, 1),
              "command": _command(args),
              "results": summary, "goal_check": checks,
              "network_check": network_check(summary)}
    write_json(Path(args.results), result)
    return result
