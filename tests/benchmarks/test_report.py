"""The benchmark report helpers: aggregation over seeds, the goal check, marked blocks."""

from pathlib import Path

import pytest

from amnn.evaluate.metrics import metrics_at_k
from benchmarks.common.report import flat_metrics, markdown_table, mean_and_spread, replace_block
from benchmarks.quality.report import goal_check, summarise


def _record(data_set, method, seed, predictions, truths, epochs=None):
    return {"data_set": data_set, "method": method, "seed": seed, "seconds": 1.0,
            "table": metrics_at_k(predictions, truths, 5).to_dict(),
            "details": {} if epochs is None else {"epochs_run": epochs}}


TRUTHS = [["a"], ["b"]]


def test_flat_metrics_reads_each_cut_off():
    values = flat_metrics(metrics_at_k([["a", "x", "y"], ["z", "b"]], TRUTHS, 5))
    assert values["P@1"] == 0.5 and values["R@3"] == 1.0 and values["A@1"] == 0.5
    assert values["P@5"] == pytest.approx(0.2)


def test_mean_and_spread_over_seeds():
    mean, spread = mean_and_spread([{"R@5": 0.2}, {"R@5": 0.4}, {"R@5": 0.6}])
    assert mean == {"R@5": 0.4} and spread == {"R@5": 0.2}


def test_summary_and_goal_check_compare_amnn_with_the_best_baseline():
    records = [_record("mediaeval", "popular", 0, [["a"], ["a"]], TRUTHS),
               _record("mediaeval", "text-knn", 0, [["x", "a"], ["b"]], TRUTHS),
               _record("mediaeval", "AMNN", 1, [["a"], ["b"]], TRUTHS, epochs=3),
               _record("mediaeval", "AMNN", 2, [["a"], ["x"]], TRUTHS, epochs=4)]
    summary = summarise(records)
    amnn = summary["mediaeval"]["AMNN"]
    assert amnn["mean"]["P@1"] == 0.75 and amnn["epochs"] == [3, 4] and amnn["seeds"] == [1, 2]
    checks = {c["metric"]: c for c in goal_check(summary)}
    assert set(checks) == {"P@1", "R@5", "A@5"}
    assert checks["P@1"]["best_baseline"] == "popular" and checks["P@1"]["met"]  # 0.75 > 0.5
    assert checks["P@1"]["lead"] == 0.5  # relative: 0.75 / 0.5 - 1
    assert not checks["A@5"]["met"]  # text-knn hits both posts; AMNN misses one on seed 2


def test_the_ceiling_is_shown_beside_the_goal_but_never_counts_as_a_baseline():
    records = [_record("mediaeval", "popular", 0, [["a"], ["a"]], TRUTHS),
               _record("mediaeval", "ceiling", 0, [["a"], ["b"]], TRUTHS),
               _record("mediaeval", "AMNN", 1, [["a"], ["x"]], TRUTHS, epochs=3)]
    checks = {c["metric"]: c for c in goal_check(summarise(records))}
    assert checks["P@1"]["best_baseline"] == "popular" and checks["P@1"]["met"]  # level
    assert checks["P@1"]["needed"] == pytest.approx(0.5)
    assert checks["P@1"]["ceiling"] == 1.0 and checks["R@5"]["ceiling"] == 1.0


def test_ceiling_hits_every_true_tag_that_training_has():
    from amnn.data.posts import Posts
    from benchmarks.quality.runs import score_ceiling

    train = Posts.from_rows("t.csv", ["tweets", "hashtags"], [["x", "a b c"]], [2])
    new = Posts.from_rows("v.csv", ["tweets", "hashtags"],
                          [["y", "z a"], ["y", "q"], ["y", "a b c"]], [2, 3, 4])
    run = score_ceiling(train, new)
    assert run.method == "ceiling" and run.table.accuracy[0] == pytest.approx(2 / 3)
    assert run.table.recall[4] == pytest.approx((0.5 + 0 + 1) / 3)
    assert run.table.precision[1] == pytest.approx((0.5 + 0 + 1) / 3)


def test_level_is_met_and_below_is_not():
    truths = [["a"]] * 100
    popular = _record("tweeteval", "popular", 0, [["a"]] * 50 + [["x"]] * 50, truths)
    level = _record("tweeteval", "AMNN", 1, [["a"]] * 50 + [["x"]] * 50, truths)
    below = _record("tweeteval", "AMNN", 1, [["a"]] * 49 + [["x"]] * 51, truths)
    assert {c["metric"]: c for c in goal_check(summarise([popular, level]))}["P@1"]["met"]
    assert not {c["metric"]: c for c in goal_check(summarise([popular, below]))}["P@1"]["met"]


def test_the_network_alone_must_beat_popular_except_where_one_tag_dominates():
    from benchmarks.quality.report import network_check

    truths = [["a"]] * 10
    for data_set, met in (("mediaeval", False), ("korean", True)):
        records = [_record(data_set, "popular", 0, [["a"]] * 5 + [["x"]] * 5, truths),
                   _record(data_set, "AMNN · memory off", 1, [["a"]] * 5 + [["x"]] * 5,
                           truths)]
        checks = {c["metric"]: c for c in network_check(summarise(records))}
        assert checks["P@1"]["met"] is met  # a tie: enough on korean only


def test_markdown_table_shows_mean_and_spread():
    text = markdown_table([{"method": "m", "mean": {"P@1": 0.25}, "spread": {"P@1": 0.0},
                            "note": "1 run"}], ["P@1"])
    assert "| m | 0.250 ± 0.000 | 1 run |" in text


def test_replace_block_keeps_everything_else(tmp_path: Path):
    doc = tmp_path / "BENCHMARKS.md"
    doc.write_text("# Notes written by hand\n\nwhat we tried\n", encoding="utf-8")
    replace_block(doc, "quality", "table v1")
    replace_block(doc, "speed", "speed v1")
    replace_block(doc, "quality", "table v2")
    text = doc.read_text(encoding="utf-8")
    assert "what we tried" in text and "speed v1" in text and "table v2" in text
    assert "table v1" not in text and text.count("<!-- quality:begin -->") == 1
