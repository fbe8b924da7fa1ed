"""The `speed` block of docs/BENCHMARKS.md, from benchmark.py's measured figures."""

from __future__ import annotations

import datetime


def _goal(report: dict, name: str) -> str:
    check = report["goals"].get(name)
    if check is None:
        return ""
    return f"goal {check['goal']}: {'met' if check['met'] else '**missed**'}"


def speed_markdown(report: dict) -> str:
    """Tables of every speed figure with its goal; `report` is speed.json's content.

    Example:
        >>> text = speed_markdown({"machine": "m", "minutes": 1.0, "goals": {},
        ...     "decode_ratio": 300.0, "decode_ours_posts_per_s": 600.0,
        ...     "decode_reference_posts_per_s": 2.0, "decode_reference_posts": 500,
        ...     "decode_same_tags_share": 1.0, "decode_posts_per_s": 900.0,
        ...     "decode_many_posts": 10000, "decode_10k_seconds": 11.1})
        >>> "**300×**" in text
        True
    """
    r = report
    lines = [f"Measured {datetime.date.today().isoformat()} on {r['machine']} by "
             f"`{r.get('command', 'python -m benchmarks.speed')}` in {r['minutes']:.0f} min; "
             "every ratio compares two runs made side by side in that one run.", "",
             "| what | ours | published way | ratio | goal |", "|---|---|---|---|---|",
             f"| greedy decoding, {r['decode_reference_posts']} mediaeval val posts "
             f"(same tags for {100 * r['decode_same_tags_share']:.1f} % of posts) | "
             f"{r['decode_ours_posts_per_s']:.0f} posts/s | "
             f"{r['decode_reference_posts_per_s']:.2f} posts/s | "
             f"**{r['decode_ratio']:.0f}×** | {_goal(r, 'decode_ratio')} |"]
    if "train_speedup" in r:
        ours, published = r["train_ours"], r["train_published"]
        rounds = len(ours.get("rounds_samples_per_s", [0]))
        lines += [f"| training, samples/s (the best of {r.get('train_processes', 2)} "
                  f"processes x {rounds} rounds of "
                  f"{ours['steps']} steps of {ours['batch_size']}, same network) | "
                  f"{ours['samples_per_s']:.0f} | {published['samples_per_s']:.0f} | "
                  f"**{r['train_speedup']:.1f}×** | {_goal(r, 'train_speedup')} |",
                  "| input-pipeline memory, peak growth over one epoch of batches | "
                  f"{ours['input_pipeline_peak_mib']:.0f} MiB | "
                  f"{published['input_pipeline_peak_mib']:.0f} MiB | "
                  f"**{r['train_memory_ratio']:.3f}** | {_goal(r, 'train_memory_ratio')} |",
                  "| the network alone on 8 batches held in memory (the ceiling of any pipeline) | "
                  f"{ours['model_only_samples_per_s']:.0f} | {published['model_only_samples_per_s']:.0f}"
                  " | | |",
                  "| time to build one epoch of input batches, no model | "
                  f"{ours['input_epoch_seconds']:.1f} s | {published['input_epoch_seconds']:.1f} s"
                  " | | |"]
    lines += ["", "| what | figure | goal |", "|---|---|---|",
              f"| decoding {r['decode_many_posts']:,} posts with cached photo features "
              f"(predict.py's path) | {r['decode_posts_per_s']:.0f} posts/s, "
              f"{r['decode_10k_seconds']:.1f} s per 10,000 posts | {_goal(r, 'decode_10k_seconds')} |"]
    if "extract_efficiency" in r:
        lines.append(f"| feature cache builder vs its ceiling, decoding + raw encoder back to "
                     f"back ({r['extract_images']} photos, batch {r['extract_batch_size']}, "
                     f"{r['extract_encoder']}, median of {r.get('extract_rounds', 1)} rounds) | "
                     f"{r['extract_builder_images_per_s']:.1f} vs "
                     f"{r['extract_ceiling_images_per_s']:.1f} images/s = "
                     f"**{r['extract_efficiency']:.2f}** of the ceiling (decoding alone "
                     f"{r['extract_prepare_images_per_s']:.0f}, the raw encoder alone "
                     f"{r['extract_raw_images_per_s']:.1f} images/s: "
                     f"{r['extract_raw_efficiency']:.2f} of raw) | "
                     f"{_goal(r, 'extract_efficiency')} |")
    if "stream_rows" in r:
        lines.append(f"| predict.py over a {r['stream_rows']:,}-row text-only CSV | "
                     f"{r['stream_posts_per_s']:.0f} posts/s ({r['stream_seconds']:.0f} s), "
                     f"peak RSS **{r['stream_peak_rss_mib']:.0f} MiB** | "
                     f"{_goal(r, 'stream_peak_rss_mib')} (MiB) |")
    return "\n".join(lines)
