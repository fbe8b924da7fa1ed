"""Fault injection into training: a new training never damages an old model, and Ctrl-C,
SIGTERM and SIGKILL are normal ways to stop it.

- Real `scripts/train.py` runs on a tiny text-only config of the embedded demo are stopped by
  SIGINT, SIGTERM and SIGKILL at seeded random points, in a chain per seed: (a) a first
  run, then whatever the user would run next; (b) `--overwrite` over that good model; (c)
  `--resume` of the interrupted overwrite; then a final `--resume` that must succeed. Each
  signal stops one of the three cases (a seeded permutation). A kill point is an anchor
  (the program's start, or the stdout line of epoch N) plus a seeded random delay, so the
  kills land in start-up, data preparation, the epochs, the memory, the saving and the swap.
  After each kill: the old model is byte for byte unchanged while the working folder
  exists, and loads and predicts; SIGINT/SIGTERM exit with 130/143 and one line, no
  traceback, that names the command to go on with (a signal after the run's last line
  may end it as the signal, which a shell reports as the same 130 or 143, never with a
  traceback). Each kill's record (signal, point, exit status, the line, what was left) is
  printed and written to `kills.json` in the test's folder. The suite runs one seed;
  `AMNN_FAULT_SEEDS="1 2 3"` runs more (about 100 s each).
- A real SIGKILL after each step of the swap (`amnn.model.folder_swap`), then the next load
  or training finishes it.
- A model folder with each of its files truncated in turn is refused with one line.
"""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from amnn.cli.runner import cli_main, on_interrupt
from amnn.cli.train import main as train_main
from amnn.model.folder_names import BACKUP_DIR, MANIFEST, MODEL_FILE, WORK_DIR
from amnn.model.folder_swap import (
    aside_folder,
    deferred_interrupts,
    finish_interrupted_swap,
    working_folder,
)

REPO = Path(__file__).resolve().parents[2]
TINY = ["--data", REPO / "dataset", "--epochs", "3", "--val-fraction", "0", "--no-image",
        "--decoder-units", "16", "--batch-size", "32", "--quiet"]
SEEDS = [int(s) for s in os.environ.get("AMNN_FAULT_SEEDS", "0").split()]
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -signal.SIGKILL}
ANCHORS = ("start", "epoch 1/", "epoch 2/", "epoch 3/")


# ---- the swap, killed after each of its steps (no TensorFlow: a second or so each) ----

def _fake_model(folder: Path, content: str) -> None:
    """A folder that read_manifest accepts: one file and a manifest with its checksum."""
    folder.mkdir(parents=True)
    (folder / MODEL_FILE).write_text(content)
    digest = hashlib.sha256(content.encode()).hexdigest()
    (folder / MANIFEST).write_text(json.dumps({"format_version": 1,
                                               "files": {MODEL_FILE: digest}}))


SWAP_CHILD = textwrap.dedent("""
    import os, shutil, signal, sys
    from amnn.model import folder_swap

    steps, crash_at = 0, int(sys.argv[3])

    def crash_after(function):  # SIGKILL ourselves right after the crash_at-th step
        def step(*args, **kwargs):
            global steps
            function(*args, **kwargs)
            steps += 1
            if steps == crash_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return step

    os.rename, shutil.rmtree = crash_after(os.rename), crash_after(shutil.rmtree)
    folder_swap.replace_folder(sys.argv[1], sys.argv[2])
""")


@pytest.mark.parametrize("crash_at", [1, 2, 3])  # rename aside, rename in, a deletion
def test_a_swap_killed_after_any_step_is_finished_by_the_next_load(tmp_path, crash_at):
    from amnn.model.folder import read_manifest

    out = tmp_path / "demo"
    _fake_model(out, "old")
    _fake_model(working_folder(out), "new")
    (working_folder(out) / WORK_DIR).mkdir()  # the finished training's checkpoints
    done = subprocess.run([sys.executable, "-c", SWAP_CHILD, working_folder(out), out,
                           str(crash_at)], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert aside_folder(out).exists()  # it really stopped half-way
    read_manifest(out)  # what load_model_folder does first
    assert (out / MODEL_FILE).read_text() == "new"  # committed at the first rename
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, MODEL_FILE]


def test_a_swap_killed_before_it_began_waits_for_resume(tmp_path, capsys):
    out = tmp_path / "demo"
    _fake_model(out, "old")
    _fake_model(working_folder(out), "new")  # finished, not yet put in place
    assert finish_interrupted_swap(out) is None
    assert (out / MODEL_FILE).read_text() == "old"  # the old model is still the model
    # --resume finishes it without training (and without loading TensorFlow).
    assert train_main(["--data", str(REPO / "dataset"), "--out", str(out), "--resume"]) == 0
    assert (out / MODEL_FILE).read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]
    assert "had finished" in capsys.readouterr().err


def test_an_old_model_set_aside_comes_back_when_there_is_nothing_to_put_in(tmp_path):
    out = tmp_path / "demo"
    _fake_model(aside_folder(out), "old")  # the working folder was removed by hand
    assert "restored" in finish_interrupted_swap(out)
    assert (out / MODEL_FILE).read_text() == "old"


def test_ctrl_c_and_sigterm_wait_until_the_swap_is_done():
    order = []
    # Python's own Ctrl-C handler, even where the test runner started with SIGINT ignored
    # (a background job of a non-interactive shell, e.g. `nohup ... &`).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupts():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.2)  # Python runs a handler at the next bytecode: it had its chance
                order.append("swapped")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert order == ["swapped"]


def test_a_log_row_cut_by_a_kill_is_dropped_before_a_resumed_run_appends(tmp_path):
    from amnn.train.checkpoints import trim_log

    log = tmp_path / "training_log.csv"
    log.write_text("epoch,loss\n0,1.5\n1,1.2\n2,1.")  # killed while writing epoch 3's row
    trim_log(log, 2)  # the backup holds 2 epochs
    assert log.read_text() == "epoch,loss\n0,1.5\n1,1.2\n"
    log.write_text("epo")  # killed while writing the header
    trim_log(log, 0)
    assert not log.exists()


# ---- which folders train.py refuses, before TensorFlow loads ----

def _refused(capsys, *args) -> str:
    assert train_main(["--data", str(REPO / "dataset"), *map(str, args)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    return err


def test_train_refuses_an_interrupted_or_finished_folder_without_resume_or_overwrite(
        tmp_path, capsys):
    out = tmp_path / "demo"
    assert "holds no interrupted training" in _refused(capsys, "--out", out, "--resume")
    (working_folder(out) / WORK_DIR).mkdir(parents=True)
    err = _refused(capsys, "--out", out)
    assert "interrupted training" in err and "--resume" in err and "--overwrite" in err
    shutil.rmtree(working_folder(out))
    _fake_model(out, "old")
    assert "already holds a trained model" in _refused(capsys, "--out", out)
    (out / MANIFEST).unlink()  # an earlier AMNN's interrupted training, inside the folder
    (out / WORK_DIR).mkdir()
    err = _refused(capsys, "--out", out)
    assert "interrupted training" in err and "--resume" in err and "--overwrite" in err
    (out / "notes.txt").write_text("mine")  # replacing the folder would delete it
    assert "notes.txt" in _refused(capsys, "--out", out, "--overwrite")


# ---- the one line of an interrupted program ----

def test_an_interrupt_ends_a_program_with_its_own_line_and_the_signals_status(capsys):
    if signal.getsignal(signal.SIGTERM) != signal.SIG_DFL or \
            signal.getsignal(signal.SIGINT) != signal.default_int_handler:
        pytest.skip("the test runner handles the signals itself")  # our kill would reach it
    @cli_main
    def program(argv=None, stop=None):
        on_interrupt(lambda: "interrupted; out.csv was not written")
        stop()

    def sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before

    def encode_loop_sigterm():  # amnn.features.encode_loop's own SIGTERM interrupt
        raise KeyboardInterrupt(f"signal {int(signal.SIGTERM)}")

    def ctrl_c():
        raise KeyboardInterrupt

    def swallowed_ctrl_c():  # as Keras' bare `except:` does while it traces a step
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        except:  # noqa: E722
            pass
        raise ValueError("None values not supported.")

    class Finalized:
        def __del__(self):  # as TensorFlow's functions: Python ignores what it raises
            os.kill(os.getpid(), signal.SIGTERM)
            sum(range(1000))  # the handler runs here, inside the finalizer

    def sigterm_in_a_finalizer():
        Finalized()
        time.sleep(5)  # the stop, given back once the finalizer is done, ends this

    stops = ((ctrl_c, 130), (sigterm, 143), (encode_loop_sigterm, 143),
             (swallowed_ctrl_c, 130), (sigterm_in_a_finalizer, 143))
    for stop, status in stops:
        assert program([], stop=stop) == status
        assert capsys.readouterr().err == "interrupted; out.csv was not written\n"
    # Given back afterwards.
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) == signal.default_int_handler


# ---- real train.py runs, killed ----

def _run(out: Path, *extra, cache: Path) -> subprocess.Popen:
    env = dict(os.environ, AMNN_CACHE_DIR=str(cache), PYTHONUNBUFFERED="1")
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.Popen([sys.executable, str(REPO / "scripts" / "train.py"),
                             *map(str, TINY), "--out", str(out), *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished(out: Path, *extra, cache: Path) -> None:
    process = _run(out, *extra, cache=cache)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]


def _hashes(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.iterdir()) if p.is_file()}


def _loads_and_predicts(out: Path) -> None:
    from amnn.data.posts import read_posts
    from amnn.model.folder import load_model_folder
    from amnn.serve.predictor import HashtagPredictor

    posts = read_posts(REPO / "test_dataset", require_hashtags=False)
    tags = HashtagPredictor(load_model_folder(out), progress=False).predict(posts, top_k=3)
    assert len(tags) == len(posts) and all(len(t) == 3 for t in tags)


def _left(out: Path, old: dict | None) -> dict:
    """What a kill left: the model folder, the working folder (epochs kept), the aside."""
    from amnn.train.checkpoints import read_backup

    work = working_folder(out)
    if not out.exists():
        model = "absent"
    elif old is not None and _hashes(out) == old:
        model = "old model, unchanged"
    else:
        model = "new model" if (out / MANIFEST).is_file() else "incomplete"
    left = {"model": model, "working folder": None, "aside": aside_folder(out).exists()}
    if work.is_dir():
        backup = read_backup(work / WORK_DIR / BACKUP_DIR)
        left["working folder"] = "complete" if (work / MANIFEST).is_file() else \
            f"{backup['epoch']} epochs{' (stopped)' if backup['stopped'] else ''}" \
            if backup else "no epoch yet"
    return left


def _anchors(out: Path, extra: list) -> tuple:
    """The lines this run will print: a resumed run only those of the epochs left."""
    from amnn.train.checkpoints import read_backup

    if "--resume" not in extra:
        return ANCHORS
    backup = read_backup(working_folder(out) / WORK_DIR / BACKUP_DIR) or {"epoch": 0}
    done = len(ANCHORS) - 1 if backup.get("stopped") else backup["epoch"]
    return ("start",) + ANCHORS[1 + done:]


def _killed(out: Path, extra: list, signum, rng: random.Random, cache: Path,
            old: dict | None, anchor: str | None = None) -> dict:
    """One train.py run stopped by `signum` at a seeded random point; its record."""
    anchor = anchor or rng.choice(_anchors(out, extra))
    # From the start: in start-up, data preparation, the first epoch (tracing), or a
    # resumed run's memory and saving. After an epoch's line (an epoch after the first
    # takes about a second): the next epoch, or after the last one the memory, the saving
    # and the swap.
    delay = rng.uniform(1.5, 12.0) if anchor == "start" else rng.uniform(0.0, 1.0)
    process = _run(out, *extra, cache=cache)
    if anchor != "start":
        for line in process.stdout:
            if line.startswith(anchor):
                break
    time.sleep(delay)
    process.send_signal(signum)
    _, err = process.communicate(timeout=600)
    lines = [line for line in err.splitlines() if line.strip()]
    record = {"run": " ".join(["train.py", *extra]), "signal": signal.Signals(signum).name,
              "point": f"{anchor} + {delay:.2f} s", "status": process.returncode,
              "line": lines[-1] if lines else "", "left": _left(out, old)}
    if f"model: {out}" in err:  # its last line: the signal came after the work was done
        assert process.returncode in (0, -signum) and "Traceback" not in err, err[-3000:]
        record["left"]["note"] = "finished before the signal" if process.returncode == 0 \
            else "finished; the signal came while the interpreter shut down"
        return record
    assert process.returncode == STATUS[signum], err[-3000:]
    if signum != signal.SIGKILL:  # one line, no traceback, saying how to go on
        assert "Traceback" not in err and record["line"].startswith("interrupted"), err[-3000:]
        assert sum("interrupted" in line for line in lines) == 1, err[-3000:]
        if working_folder(out).is_dir():
            assert "--resume" in record["line"] and str(out) in record["line"]
        if old is not None and record["left"]["model"] == "old model, unchanged":
            assert f"{out} is unchanged" in record["line"]
    return record


def _old_model_survived(out: Path, old: dict, record: dict) -> None:
    """Until the new model is finished, the old one is untouched; a model always loads."""
    if working_folder(out).is_dir() and not (working_folder(out) / MANIFEST).is_file():
        assert record["left"]["model"] == "old model, unchanged", record
    _loads_and_predicts(out)  # (a kill after the swap was committed: the new one)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_kills_at_random_points_never_lose_a_model_and_the_next_run_succeeds(tmp_path, seed):
    rng, cache, out, records = random.Random(seed), tmp_path / "cache", tmp_path / "demo", []
    signals = rng.sample(list(STATUS), 3)  # each signal stops one of the three cases
    try:
        # (a) a first run; then what the user runs next, unless it got as far as the model.
        records.append(_killed(out, [], signals[0], rng, cache, None))
        if not (out / MANIFEST).is_file():
            _finished(out, *(["--resume"] if working_folder(out).is_dir() else []),
                      cache=cache)
        _loads_and_predicts(out)
        # (b) --overwrite over that good model.
        old = _hashes(out)
        records.append(_killed(out, ["--overwrite"], signals[1], rng, cache, old))
        _old_model_survived(out, old, records[-1])
        # (c) --resume of an interrupted overwrite (made first if (b) left none).
        if not working_folder(out).is_dir():
            records.append(_killed(out, ["--overwrite"], signal.SIGKILL, rng, cache,
                                   _hashes(out), anchor="epoch 1/"))
            _loads_and_predicts(out)
        if working_folder(out).is_dir():
            old = _hashes(out)
            records.append(_killed(out, ["--resume"], signals[2], rng, cache, old))
            _old_model_survived(out, old, records[-1])
        # The next run succeeds and leaves only the model folder.
        if working_folder(out).is_dir():
            _finished(out, "--resume", cache=cache)
        _loads_and_predicts(out)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        assert not (out / WORK_DIR).exists()
    finally:
        (tmp_path / "kills.json").write_text(json.dumps(records, indent=1))
        print(json.dumps(records, indent=1))


# ---- an earlier AMNN's layout ----

@pytest.mark.slow
def test_an_earlier_amnns_interrupted_training_inside_the_folder_resumes(tmp_path,
                                                                         monkeypatch):
    import amnn.train.fitting as training
    from amnn.model.folder import load_model_folder
    from tests.model.test_folder import _prepared
    from tests.stop_after import StopAfter

    out = tmp_path / "m"
    original = training._callbacks
    monkeypatch.setattr(training, "_callbacks", lambda *a: original(*a) + [StopAfter(2)])
    with pytest.raises(KeyboardInterrupt):
        training.train_model(_prepared(), out)
    monkeypatch.setattr(training, "_callbacks", original)
    # As AMNN left it before working folders: training/ inside the model folder, with
    # Keras' BackupAndRestore files.
    os.rename(working_folder(out), out)
    backup = out / WORK_DIR / BACKUP_DIR
    os.rename(backup / "epoch-0002.weights.h5", backup / "latest.weights.h5")
    (backup / "training_metadata.json").write_text(json.dumps({"epoch": 2, "batch": 0}))
    summary = training.train_model(_prepared(), out, resume=True)
    assert summary["epochs_run"] == 2  # epochs 3 and 4 of 4
    load_model_folder(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    assert not (out / WORK_DIR).exists()


# ---- a damaged model folder ----

@pytest.mark.slow
def test_each_file_of_a_model_folder_cut_short_is_refused_with_one_line(demo_model, tmp_path):
    from amnn.errors import ModelFolderError
    from amnn.model.folder import load_model_folder

    _, _, model = demo_model
    listed = set(json.loads((model / MANIFEST).read_text())["files"]) | {MANIFEST}
    names = sorted(p.name for p in model.iterdir() if p.is_file())
    assert {MODEL_FILE, "neighbours.npz", "memory_posts.json"} <= listed
    for name in names:
        copy = tmp_path / name
        shutil.copytree(model, copy)
        size = (copy / name).stat().st_size
        with open(copy / name, "r+b") as handle:
            handle.truncate(size // 2)
        if name not in listed:  # the log and the curves: a record, not part of the model
            load_model_folder(copy)
            continue
        with pytest.raises(ModelFolderError) as refused:
            load_model_folder(copy)
        message = str(refused.value)
        assert "\n" not in message and str(copy / name) in message, message
        assert "copy the whole model folder again, or retrain it" in message, message
