"""Outputs under faults: racing writers, killed runs and a full disk never cost a user a file.

Every program that writes a user's file publishes it with `amnn.atomic_files`: complete or
not at all, and never over an existing file without --overwrite, not even one that another
run wrote a moment before. These tests race writers (threads, processes, and two real
scripts/predict.py or result_accuracy.py runs), kill a real predict.py at seeded random
points, and fill the disk; each checks what was left behind and that the next run succeeds.

The seeds and counts below are fixed, so a failure replays; each test prints its tally
(`pytest -s`).
"""

import collections
import errno
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from amnn import atomic_files
from amnn.atomic_files import atomic_output
from amnn.errors import OutputExistsError

REPO = Path(__file__).resolve().parents[2]
RACES = 150          # seeded in-process races of the publish step, per file system kind
PROCESS_ROUNDS = 40  # rounds of 3 forked processes racing for one file
SCORE_RACES = 2      # pairs of real result_accuracy.py runs on one metrics file
KILLS = 3            # real predict.py runs killed at a seeded random point
CHUNK = 20           # --chunk-size of the killed runs: a progress line per 20 posts


def _no_temporaries(folder: Path, *kept: str) -> list[str]:
    """The names in `folder` other than `kept` (temporary files, partial outputs)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in kept)


@pytest.mark.parametrize("links", [True, False], ids=["hard-links", "no-hard-links"])
def test_writers_racing_for_one_file_leave_one_winner_and_keep_a_users_file(
        tmp_path, monkeypatch, links):
    if not links:  # a file system without hard links (FAT, some shares): the O_EXCL claim
        def refused(*args, **kwargs):
            raise OSError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(atomic_files.os, "link", refused)
    rng = random.Random(25)
    tally = collections.Counter()
    for attempt in range(RACES):
        folder = tmp_path / f"race{attempt:03d}"
        target = folder / "pred.csv"
        writers = rng.randint(2, 4)
        users = rng.random() < 0.2  # a file of the user's is there: nobody may replace it
        if users:
            folder.mkdir()
            target.write_text("the user's own file\n")
        texts = [f"writer {i}\n" + "x" * rng.randint(0, 50_000) + "\nend\n"
                 for i in range(writers)]
        delays = [rng.random() * 0.002 for _ in range(writers)]
        barrier, results = threading.Barrier(writers), [None] * writers

        def write(i):
            try:
                with atomic_output(target, replace=False, flag="--out") as tmp:
                    tmp.write_text(texts[i])
                    barrier.wait(timeout=30)  # every file is ready: now they race
                    time.sleep(delays[i])
                results[i] = "won"
            except Exception as error:  # noqa: BLE001 - any other error fails below
                results[i] = error

        threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [i for i, result in enumerate(results) if result == "won"]
        losers = [result for result in results if result != "won"]
        assert all(isinstance(lost, OutputExistsError) for lost in losers), losers
        assert all(str(target) in str(lost) and "--overwrite" in str(lost)
                   and "--out" in str(lost) for lost in losers)
        assert len(winners) == (0 if users else 1), results
        assert target.read_text() == ("the user's own file\n" if users
                                      else texts[winners[0]])  # complete, the winner's
        assert _no_temporaries(folder, "pred.csv") == []
        tally["user's file kept" if users else f"{writers} writers, one won"] += 1
    print(f"{RACES} races ({'link' if links else 'O_EXCL claim'}): {dict(tally)}; "
          "left behind: the one file, no temporary")


PROCESS_RACE = r"""
import json, multiprocessing, random, sys, time
from pathlib import Path
from amnn.atomic_files import atomic_output
from amnn.errors import OutputExistsError

folder, rounds, writers = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def write(index, barrier, results):
    rng = random.Random(1000 + index)
    for round_ in range(rounds):
        text = f"writer {index} round {round_}\n" + "x" * rng.randint(0, 100_000) + "\nend\n"
        try:
            with atomic_output(folder / f"round{round_:03d}.csv", replace=False) as tmp:
                tmp.write_text(text)
                barrier.wait(timeout=60)
                time.sleep(rng.random() * 0.002)
            results.put((round_, index, text))
        except OutputExistsError:
            results.put((round_, index, None))

if __name__ == "__main__":
    context = multiprocessing.get_context("fork")  # a fresh process: no threads to fork
    barrier, results = context.Barrier(writers), context.Queue()
    children = [context.Process(target=write, args=(i, barrier, results))
                for i in range(writers)]
    for child in children:
        child.start()
    outcome = {}
    for _ in range(rounds * writers):
        round_, index, text = results.get(timeout=120)
        outcome.setdefault(round_, []).append((index, text))
    for child in children:
        child.join(60)
    report = []
    for round_, entries in sorted(outcome.items()):
        won = [(index, text) for index, text in entries if text is not None]
        written = (folder / f"round{round_:03d}.csv").read_text()
        report.append({"winners": [index for index, _ in won],
                       "complete": len(won) == 1 and written == won[0][1]})
    print(json.dumps(report))
"""


def test_processes_racing_for_one_file_leave_one_complete_winner(tmp_path):
    done = subprocess.run([sys.executable, "-c", PROCESS_RACE, str(tmp_path),
                           str(PROCESS_ROUNDS), "3"], capture_output=True, text=True,
                          cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert len(report) == PROCESS_ROUNDS
    assert all(len(entry["winners"]) == 1 and entry["complete"] for entry in report), report
    assert _no_temporaries(tmp_path, *(f"round{r:03d}.csv" for r in range(PROCESS_ROUNDS))) \
        == []
    wins = collections.Counter(entry["winners"][0] for entry in report)
    print(f"{PROCESS_ROUNDS} rounds of 3 processes: wins by writer {dict(wins)}; "
          "left behind: one complete file a round, no temporary")


def test_a_killed_writers_temporary_goes_with_the_next_write_a_live_ones_stays(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a process id that no longer runs, as after SIGKILL
    host = atomic_files._process_tag().rsplit("-", 1)[0]
    stale = tmp_path / f".pred.csv.{host}-{gone.pid}.abcd1234.partial"
    live = tmp_path / f".pred.csv.{host}-{os.getpid()}.efgh5678.partial"
    elsewhere = tmp_path / f".pred.csv.{host}x-{gone.pid}.ijkl9012.partial"  # another machine
    for path in (stale, live, elsewhere):
        path.write_text("half a file")
    with atomic_output(tmp_path / "pred.csv", suffix=".partial", replace=False) as tmp:
        tmp.write_text("done")
    assert not stale.exists() and live.exists() and elsewhere.exists()
    assert (tmp_path / "pred.csv").read_text() == "done"


# --- a full disk ------------------------------------------------------------------------

def _disk_fills_after_a_few_bytes(monkeypatch):
    """Make every DataFrame.to_csv write a little, then fail as a full disk does."""
    def full(frame, path_or_buf=None, *args, **kwargs):
        if hasattr(path_or_buf, "write"):
            path_or_buf.write("a half-written row")
        else:
            Path(path_or_buf).write_text("a half-written row")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pd.DataFrame, "to_csv", full)


def test_a_full_disk_keeps_the_old_predictions_and_says_so_in_one_line(tmp_path, monkeypatch,
                                                                        capsys):
    from amnn.cli import baselines

    train = tmp_path / "train.csv"
    train.write_text("tweets,hashtags\nrain in nyc,nyc rain\nsun,sun\n")
    out = tmp_path / "runs" / "pred.csv"
    out.parent.mkdir()
    out.write_text("the user's old predictions\n")
    _disk_fills_after_a_few_bytes(monkeypatch)
    assert baselines.main(["--train", str(train), "--data", str(train), "--out", str(out),
                           "--method", "popular", "--overwrite", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {out}: cannot be written (No "
                                                   "space left on device); the old file is kept")
    assert out.read_text() == "the user's old predictions\n"
    assert _no_temporaries(out.parent, "pred.csv") == []


def test_a_full_disk_keeps_the_old_metrics(tmp_path, monkeypatch, capsys):
    from amnn.cli import score

    pred = tmp_path / "pred.csv"
    pred.write_text("hashtags,predicted_hashtags\nsea,sea sun\n")
    assert score.main([str(pred), "--top-k", "2"]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.glob("pred_metrics.*")}
    assert len(before) == 3
    capsys.readouterr()
    _disk_fills_after_a_few_bytes(monkeypatch)
    assert score.main([str(pred), "--top-k", "1", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pred_metrics.csv: cannot be written" in err \
        and "free some space or choose another --csv" in err
    assert {p.name: p.read_bytes() for p in tmp_path.glob("pred_metrics.*")} == before
    assert _no_temporaries(tmp_path, "pred.csv", *before) == []


FULL_TMPFS = """
set -u
mount -t tmpfs -o size=1m tmpfs "$DISK" || exit 97
cp "$PRED" "$DISK/pred.csv"
"$PY" "$REPO/scripts/result_accuracy.py" "$DISK/pred.csv" --top-k 3 >/dev/null || exit 98
sha256sum "$DISK"/pred_metrics.* > "$OUT/before"
head -c 4m /dev/zero > "$DISK/filler" 2>/dev/null  # the disk is full now
"$PY" "$REPO/scripts/result_accuracy.py" "$DISK/pred.csv" --top-k 5 --overwrite \
    >/dev/null 2>"$OUT/full.err"
echo $? > "$OUT/full.rc"
sha256sum "$DISK"/pred_metrics.* > "$OUT/after"
ls -A "$DISK" > "$OUT/listing"
rm "$DISK/filler"
"$PY" "$REPO/scripts/result_accuracy.py" "$DISK/pred.csv" --top-k 5 --overwrite >/dev/null
echo $? > "$OUT/freed.rc"
"""


def test_a_really_full_disk_keeps_the_old_metrics(tmp_path):
    """A 1 MiB tmpfs filled to the brim, mounted in a user namespace (no root needed)."""
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-rm", "true"], capture_output=True).returncode != 0:
        pytest.skip("unprivileged user namespaces (unshare -rm) are not available here")
    (tmp_path / "disk").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "pred.csv").write_text("hashtags,predicted_hashtags\n" +
                                       "sea sun,sea sun\n" * 50)
    env = dict(os.environ, DISK=str(tmp_path / "disk"), OUT=str(tmp_path / "out"),
               PRED=str(tmp_path / "pred.csv"), PY=sys.executable, REPO=str(REPO))
    done = subprocess.run(["unshare", "-rm", "sh", "-c", FULL_TMPFS], env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode == 97:
        pytest.skip(f"cannot mount a tmpfs in a user namespace: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    out = tmp_path / "out"
    err = (out / "full.err").read_text()
    assert (out / "full.rc").read_text().strip() == "2"
    assert err.count("\n") == 1 and "pred_metrics.csv: cannot be written (No space left on " \
        "device); the old file is kept" in err, err
    assert (out / "after").read_text() == (out / "before").read_text()  # old files intact
    assert sorted((out / "listing").read_text().split()) == [
        "filler", "pred.csv", "pred_metrics.csv", "pred_metrics.json", "pred_metrics.png"]
    assert (out / "freed.rc").read_text().strip() == "0"  # room again: the next run works


# --- real programs racing and killed ------------------------------------------------------

def _start(script: str, *args, cache: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ)
    if cache is not None:
        env["AMNN_CACHE_DIR"] = str(cache)
    return subprocess.Popen([sys.executable, str(REPO / "scripts" / script), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=REPO)


def _together(count: int, script: str, *args, cache: Path | None = None) -> list:
    """Run `count` copies of one command at once; (exit status, stderr) of each."""
    children = [_start(script, *args, cache=cache) for _ in range(count)]
    errors = [child.communicate(timeout=600)[1] for child in children]
    return [(child.returncode, err) for child, err in zip(children, errors)]


def test_two_result_accuracy_runs_on_one_metrics_file(tmp_path):
    rows = "".join(f"tag{i % 7} tag{i % 3},tag{i % 7} tag{i % 5} tag{i % 3}\n"
                   for i in range(20_000))  # a second of scoring, so the runs overlap
    kinds = collections.Counter()
    for number in range(SCORE_RACES):
        folder = tmp_path / f"race{number}"
        folder.mkdir()
        pred = folder / "pred.csv"
        pred.write_text("hashtags,predicted_hashtags\n" + rows)
        done = _together(2, "result_accuracy.py", pred, "--top-k", "3")
        assert sorted(code for code, _ in done) == [0, 2], done
        lost = next(err for code, err in done if code == 2)
        assert lost.count("\n") == 1 and lost.startswith(f"error: {folder}/pred_metrics.csv") \
            and "--overwrite" in lost, lost
        kinds["found it at the start" if " exists;" in lost else "lost the publish"] += 1
        assert _no_temporaries(folder, "pred.csv", "pred_metrics.csv", "pred_metrics.json",
                               "pred_metrics.png") == []
        assert len(pd.read_csv(folder / "pred_metrics.csv")) == 3
        assert json.loads((folder / "pred_metrics.json").read_text())["n_posts"] == 20_000
        Image.open(folder / "pred_metrics.png").verify()  # the winner's files are complete
    print(f"{SCORE_RACES} result_accuracy.py races: the loser {dict(kinds)}")


def _posts() -> int:
    return len(pd.read_csv(REPO / "dataset" / "image_text_tag.csv", dtype=str,
                           keep_default_na=False))


def _complete(out: Path) -> bool:
    written = pd.read_csv(out, dtype=str, keep_default_na=False)
    return len(written) == _posts() and all(cell.split() for cell in
                                            written["predicted_hashtags"])


class _Progress:
    """Reads a child's stderr on a thread; `wait(n)` returns once n progress lines came
    (or the child closed its stderr)."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self.ended = False
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self.ended = True
            self._changed.notify_all()

    def wait(self, count: int, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self.ended or sum(
                line.startswith("predicted ") for line in self.lines) >= count, timeout)


@pytest.fixture(scope="module")
def fault_model(demo_model, tmp_path_factory):
    """(model, cache): the demo model and a copy of its warm cache, for runs that get killed."""
    _, cache, model = demo_model
    root = tmp_path_factory.mktemp("faults")
    shutil.copytree(cache, root / "cache")
    return model, root / "cache"


@pytest.mark.slow
def test_predict_killed_at_random_points_then_two_runs_race(fault_model, tmp_path):
    model, cache = fault_model
    out = tmp_path / "out" / "pred.csv"
    out.parent.mkdir()
    rng = random.Random(2026)
    chunks = -(-_posts() // CHUNK)
    left = []
    for number in range(KILLS):
        how = (signal.SIGKILL, signal.SIGINT)[number % 2]
        before = _no_temporaries(out.parent)
        child = _start("predict.py", "--model", model, "--data", REPO / "dataset", "--out",
                       out, "--chunk-size", CHUNK, cache=cache)
        progress = _Progress(child.stderr)
        if rng.random() < 0.5:
            point = f"{rng.uniform(1.0, 9.0):.1f} s"
            time.sleep(float(point.split()[0]))
        else:
            point = f"chunk {rng.randint(1, chunks - 1)} of {chunks}"
            progress.wait(int(point.split()[1]), timeout=300)
            time.sleep(rng.uniform(0, 0.2))
        child.send_signal(how)
        child.wait(timeout=120)
        behind = _no_temporaries(out.parent)
        if child.returncode == 0:  # it had finished before the signal came
            assert behind == ["pred.csv"] and _complete(out)
            out.unlink()
        else:
            assert "pred.csv" not in behind  # never a partial output under the real name
        if how == signal.SIGINT:  # Ctrl-C removes its own temporary (a SIGKILL's may stay)
            assert set(behind) - set(before) <= {"pred.csv"}, (before, behind)
        left.append(f"{signal.Signals(how).name} at {point}: exit {child.returncode}, "
                    f"left {behind or 'nothing'}")

    # The next runs, two at once onto the same --out: leftovers do not trip them.
    done = _together(2, "predict.py", "--model", model, "--data", REPO / "dataset", "--out",
                     out, "--quiet", cache=cache)
    assert sorted(code for code, _ in done) == [0, 2], done
    lost = next(err for code, err in done if code == 2)
    assert lost.count("\n") == 1 and lost.startswith(f"error: {out} ") and \
        "--overwrite" in lost and "--out" in lost, lost
    assert _no_temporaries(out.parent) == ["pred.csv"] and _complete(out)
    print(f"{KILLS} kills: " + "; ".join(left) + f". Then two racing runs: exits "
          f"{sorted(code for code, _ in done)}; left only the winner's complete {out.name}")
