"""The checkout's config.py: the user's defaults for scripts/*.py, read without importing `config`."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from amnn.cli import train as train_cli
from amnn.cli.args import config_from_args
from amnn.cli.user_defaults import read_user_defaults
from amnn.config import AMNNConfig
from amnn.errors import AMNNError

REPO = Path(__file__).resolve().parents[2]
SETTING_LINE = re.compile(r"^# (\w+) = (.+?)\s+#")


def _listed_settings() -> dict:
    """name -> value of every commented-out `# name = value  # ...` line of config.py."""
    listed = {}
    for line in (REPO / "config.py").read_text(encoding="utf-8").splitlines():
        match = SETTING_LINE.match(line)
        if match:
            listed[match.group(1)] = ast.literal_eval(match.group(2))
    return listed


def test_config_py_lists_every_setting_with_its_real_default():
    defaults = AMNNConfig()
    fields = {f.name for f in dataclasses.fields(AMNNConfig)} - {"extra"}
    listed = _listed_settings()
    assert set(listed) == fields
    assert {name: getattr(defaults, name) for name in listed} == listed


def test_the_checkout_config_py_sets_nothing_by_default():
    assert read_user_defaults(REPO / "config.py") == {}


def test_user_defaults_sit_between_the_built_in_defaults_and_the_flags(tmp_path):
    user = tmp_path / "config.py"
    user.write_text("epochs = 7\nbatch_size = 16\ntop_k = 9\n")
    defaults = read_user_defaults(user)
    parser = train_cli.build_parser()
    config = config_from_args(parser.parse_args(["--data", "d", "--out", "m"]),
                              user_defaults=defaults)
    assert (config.epochs, config.batch_size, config.top_k) == (7, 16, 9)
    flagged = config_from_args(parser.parse_args(["--data", "d", "--out", "m", "--epochs", "2"]),
                               user_defaults=defaults)
    assert flagged.epochs == 2 and flagged.batch_size == 16


def test_prediction_keeps_the_trained_model_settings(tmp_path):
    from amnn.cli import predict as predict_cli

    trained = AMNNConfig(batch_size=8, dropout=0.1)
    args = predict_cli.build_parser().parse_args(["--model", "m", "--data", "d", "--out", "p"])
    config = config_from_args(args, base=trained, script="predict",
                              user_defaults={"batch_size": 64, "top_k": 3, "decode": "rank"})
    assert (config.batch_size, config.dropout) == (8, 0.1)  # how the model was trained
    assert (config.top_k, config.decode) == (3, "rank")     # how the user wants predictions


@pytest.mark.parametrize("text, words", [
    ("epoch = 3\n", "epoch is not a setting"),
    ("dropout = 1.5\n", "dropout must be in [0, 1)"),
    ("epochs = (\n", "cannot read your defaults"),
    ("encoder = 'vgg16'\n", None),  # a name the registry lacks: caught with the flags below
])
def test_a_bad_config_py_is_one_error_naming_the_file(tmp_path, text, words):
    user = tmp_path / "config.py"
    user.write_text(text)
    if words is None:
        with pytest.raises(AMNNError, match="unknown image encoder 'vgg16'"):
            config_from_args(train_cli.build_parser().parse_args(["--data", "d", "--out", "m"]),
                             user_defaults=read_user_defaults(user))
        return
    with pytest.raises(AMNNError) as info:
        read_user_defaults(user)
    assert str(user) in str(info.value) and words in str(info.value)


def test_scripts_read_the_checkout_config_py(tmp_path):
    """A copy of the checkout whose config.py sets --top-k's default; scripts/ uses it."""
    copy = tmp_path / "checkout"
    (copy / "scripts").mkdir(parents=True)
    (copy / "scripts" / "result_accuracy.py").write_text(
        (REPO / "scripts" / "result_accuracy.py").read_text())
    (copy / "config.py").write_text("top_k = 2\n")
    (tmp_path / "pred.csv").write_text("hashtags,predicted_hashtags\nsea,sea sun\n")
    done = subprocess.run([sys.executable, str(copy / "scripts" / "result_accuracy.py"),
                           str(tmp_path / "pred.csv")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [line.split()[0] for line in done.stdout.splitlines()[1:3]] == ["1", "2"]
    assert " 3 " not in done.stdout.splitlines()[3]


@pytest.mark.parametrize("flags, decode", [
    ([], "rank"),                                   # the default, chosen on the folds
    (["--beam", "4"], "sequence"),                  # a beam exists only tag after tag
    (["--min-tags", "1"], "sequence"),              # so does the learned end token
    (["--beam", "4", "--decode", "rank"], "rank"),  # an explicit --decode wins
    (["--decode", "sequence"], "sequence"),
])
def test_prediction_decodes_by_rank_unless_a_sequence_option_asks_otherwise(flags, decode):
    from amnn.cli import predict as predict_cli

    args = predict_cli.build_parser().parse_args(["--model", "m", "--data", "d", "--out", "p",
                                                  *flags])
    assert config_from_args(args, base=AMNNConfig(), script="predict").decode == decode


def test_preset_paper_sits_above_the_defaults_file_and_below_the_flags():
    parser = train_cli.build_parser()
    base = ["--data", "d", "--out", "m"]
    paper = config_from_args(parser.parse_args(base + ["--preset", "paper"]),
                             user_defaults={"memory": True, "decode": "rank"})
    assert (paper.lexical_text, paper.memory, paper.decode) == (False, False, "sequence")
    flagged = config_from_args(parser.parse_args(base + ["--preset", "paper", "--memory", "on"]))
    assert flagged.memory and not flagged.lexical_text
    assert not config_from_args(parser.parse_args(base + ["--no-lexical"])).lexical_text


def test_memory_flags_of_predict(tmp_path):
    from amnn.cli import predict as predict_cli

    parser = predict_cli.build_parser()
    base = ["--model", "m", "--data", "d", "--out", "o.csv"]
    trained = AMNNConfig(memory_weight=0.5)
    config = config_from_args(parser.parse_args(base + ["--memory", "off"]), base=trained,
                              script="predict")
    assert config.memory is False and config.memory_weight == 0.5
    config = config_from_args(parser.parse_args(base + ["--memory-weight", "1",
                                                        "--memory-neighbors", "7"]),
                              base=trained, script="predict")
    assert (config.memory, config.memory_weight, config.memory_neighbors) == (True, 1.0, 7)
    with pytest.raises(SystemExit):
        parser.parse_args(base + ["--memory-weight", "1.5"])


def test_a_misspelt_setting_is_answered_with_the_closest_name_not_the_whole_list(tmp_path):
    user = tmp_path / "config.py"
    user.write_text("epoch = 30\n")
    with pytest.raises(AMNNError) as info:
        read_user_defaults(user)
    message = str(info.value)
    assert message.startswith(f"{user}: epoch is not a setting; did you mean epochs?")
    assert "max_photo_pixels" not in message  # no longer all 52 names on one line
    user.write_text("epoch = 30\ntopk = 3\ncolour = 'red'\n")
    with pytest.raises(AMNNError) as info:
        read_user_defaults(user)
    assert str(info.value).startswith(f"{user}: colour, epoch, topk are not settings; did you "
                                      "mean epochs for epoch, top_k for topk?")


@pytest.mark.parametrize("text, words", [
    ("top_k = 'five'\n", "top_k must be a whole number (e.g. top_k = 5), got 'five' (str)"),
    ("epochs = '30'\n", "epochs must be a whole number or None, got '30' (str)"),
    ("memory = 'off'\n", "memory must be True or False (e.g. memory = True), got 'off' "
                          "(str)"),
    ("dropout = True\n", "dropout must be a number (e.g. dropout = 0.3), got True (bool)"),
    ("cache_dir = 3\n", "cache_dir must be text in quotes or None, got 3 (int)"),
])
def test_a_value_of_the_wrong_type_names_the_type_expected(tmp_path, text, words):
    user = tmp_path / "config.py"
    user.write_text(text)
    with pytest.raises(AMNNError) as info:
        read_user_defaults(user)
    assert str(info.value) == f"{user}: {words}"


def test_each_program_checks_only_the_settings_it_uses(tmp_path, capsys):
    from amnn.cli import score
    from amnn.cli.args import PREDICT_SETTINGS

    user = tmp_path / "config.py"
    user.write_text("epoch = 30\ndropout = 1.5\ntop_k = 2\n")  # two mistakes of training
    with pytest.raises(AMNNError, match="epoch is not a setting; did you mean epochs"):
        read_user_defaults(user)  # train.py uses every setting: it stops
    assert read_user_defaults(user, uses=PREDICT_SETTINGS) == {"top_k": 2}
    capsys.readouterr()
    pred = tmp_path / "pred.csv"
    pred.write_text("hashtags,predicted_hashtags\nsea,sea sun\n")
    assert score.main([str(pred)], defaults_file=user) == 0  # result_accuracy.py scores
    captured = capsys.readouterr()
    assert captured.err == (f"note: {user}: epoch is not a setting; did you mean epochs? "
                            "(ignored here; train.py stops on it)\n")
    assert [line.split()[0] for line in captured.out.splitlines()[1:3]] == ["1", "2"]

    user.write_text("topk = 2\n")  # meant for a setting result_accuracy.py does use
    assert score.main([str(pred), "--overwrite"], defaults_file=user) == 2
    assert "topk is not a setting; did you mean top_k?" in capsys.readouterr().err
