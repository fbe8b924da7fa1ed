"""The `scale` block of docs/BENCHMARKS.md and the goals, from benchmark.py's measured figures."""

from __future__ import annotations

import datetime

RSS_GOAL_MIB = 2048  # peak RSS of training at the largest size
SPEED_GOAL = 0.7  # training samples/s at the largest size, as a share of the smallest's


def goal_status(sizes: list[dict]) -> dict:
    """The issue's two goals on the largest size against the smallest.

    Example:
        >>> goals = goal_status([{"photos": 1000, "train_samples_per_s": 300.0},
        ...     {"photos": 50000, "train_samples_per_s": 240.0, "train_peak_rss_mib": 1900.0}])
        >>> goals["train_speed_share"]["value"], goals["train_peak_rss_mib"]["met"]
        (0.8, True)
    """
    small, large = sizes[0], sizes[-1]
    share = round(large["train_samples_per_s"] / small["train_samples_per_s"], 2)
    rss = large["train_peak_rss_mib"]
    return {"train_peak_rss_mib": {"value": rss, "goal": f"< {RSS_GOAL_MIB}",
                                   "photos": large["photos"], "met": rss < RSS_GOAL_MIB},
            "train_speed_share": {"value": share, "goal": f">= {SPEED_GOAL}",
                                  "photos": [small["photos"], large["photos"]],
                                  "met": share >= SPEED_GOAL}}


def _met(check: dict) -> str:
    return "met" if check["met"] else "**missed**"


def scale_markdown(report: dict) -> str:
    """A table of every size, the goals, and the largest run's stages.

    Example:
        >>> stage = {"seconds": 1.0, "rss_mib": 700, "peak_mib": 700}
        >>> row = {"photos": 1000, "posts": 20000, "feature_cache_gib": 0.12,
        ...        "photo_table": "ndarray", "train_samples_per_s": 300.0,
        ...        "train_peak_rss_mib": 1400.0, "predict_posts_per_s": 900.0,
        ...        "predict_peak_rss_mib": 1300.0, "distinct_photos_per_batch": 40.0,
        ...        "tag_vocab": 1900, "word_vocab": 5000, "stages": {"prepare": stage}}
        >>> report = {"machine": "m", "minutes": 3.0, "command": "c", "steps": 100,
        ...           "batch_size": 64, "sizes": [row],
        ...           "goals": goal_status([row])}
        >>> "| 1,000 | 20,000 |" in scale_markdown(report)
        True
    """
    r, sizes = report, report["sizes"]
    table = {"ndarray": "memory", "CachedFeatureRows": "streamed"}
    lines = [f"Measured {datetime.date.today().isoformat()} on {r['machine']} by "
             f"`{r['command']}` in {r['minutes']:.0f} min, on synthetic posts and random "
             f"photo features (no photo encoded). Training: {r['steps']} timed steps of "
             f"{r['batch_size']} posts after a warm-up (the best of {r.get('rounds', 1)} "
             "rounds), as train.py prepares them "
             "(--photo-features auto); predict.py: the first "
             f"{sizes[0].get('predict_posts', 0):,} posts of each set, one model for all. "
             "Peak RSS: each run's own process (`ru_maxrss`).", "",
             "| photos | posts | features on disk | photo table (auto) | distinct photos per "
             "batch | train samples/s | train peak RSS | predict.py posts/s | predict.py "
             "peak RSS |",
             "|---|---|---|---|---|---|---|---|---|"]
    for s in sizes:
        lines.append(
            f"| {s['photos']:,} | {s['posts']:,} | {s['feature_cache_gib']:.2f} GiB | "
            f"{table.get(s['photo_table'], s['photo_table'])} | "
            f"{s['distinct_photos_per_batch']:.0f} of {r['batch_size']} | "
            f"{s['train_samples_per_s']:.0f} | {s['train_peak_rss_mib']:.0f} MiB | "
            f"{s['predict_posts_per_s']:.0f} | {s['predict_peak_rss_mib']:.0f} MiB |")
    goals = r["goals"]
    rss, share = goals["train_peak_rss_mib"], goals["train_speed_share"]
    lines += ["", f"- Goal: training peak RSS at {rss['photos']:,} photos < 2 GiB: "
                  f"{rss['value']:.0f} MiB, {_met(rss)}.",
              f"- Goal: training samples/s at {share['photos'][1]:,} photos within 30 % of "
              f"{share['photos'][0]:,}: {share['value']:.2f} of it, {_met(share)}."]
    other = sizes[0].get("train_other_mode")
    if other:
        lines.append(f"- At {sizes[0]['photos']:,} photos with the table "
                     f"{table.get(other['photo_table'], other['photo_table'])} instead "
                     f"(--photo-features {other['photo_features']}): "
                     f"{other['train_samples_per_s']:.0f} samples/s, peak RSS "
                     f"{other['train_peak_rss_mib']:.0f} MiB.")
    vocab = ", ".join(f"{s['tag_vocab']:,}/{s['word_vocab']:,}" for s in sizes)
    lines.append(f"- Hashtag/word vocabularies, smallest to largest: {vocab}.")
    stages = sizes[-1]["stages"]
    lines += ["", f"Training at {sizes[-1]['photos']:,} photos, stage by stage (resident "
                  "memory after each, and the peak so far):", "",
              "| stage | seconds | RSS after | peak so far |", "|---|---|---|---|"]
    lines += [f"| {name} | {v['seconds']:.1f} | {v['rss_mib']:,} MiB | {v['peak_mib']:,} MiB |"
              for name, v in stages.items()]
    return "\n".join(lines)
