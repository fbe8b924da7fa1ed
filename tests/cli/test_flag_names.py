"""One name per concept in every program's flags (issue 26), and the old names kept a release.

The programs are pyproject.toml's [project.scripts], so a new program is checked as soon
as it is installable. Flags renamed keep their old name for one release, hidden from
--help (`amnn.cli.flag_names.add_old_name`); only the names a user sees are checked here.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from pathlib import Path

import pytest

from amnn.cli.flag_names import OldName, package_version

REPO = Path(__file__).resolve().parents[2]


def _programs() -> dict[str, str]:
    """Console-script name -> its module, e.g. 'amnn-train' -> 'amnn.cli.train'."""
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    return {name: target.split(":")[0] for name, target in scripts.items()}


PROGRAMS = _programs()

# Each concept's names, and the spellings of it that no program may show.
CONCEPTS = [
    ("hashtags per post: recommended, or counted by P@k, R@k, A@k", ("--top-k",),
     ("--k", "--topk", "--num-tags", "--num-hashtags", "--n-tags", "--tags-per-post")),
    ("neighbors that vote: the k-NN baselines', the model's memory's",
     ("--neighbors", "--memory-neighbors"),
     ("--neighbours", "--memory-neighbours", "--n-neighbors", "--num-neighbors", "--knn")),
    ("the posts a program reads; beside them, the posts it learns from", ("--data", "--train"),
     ("--learn-from", "--train-data", "--training", "--input", "--posts", "--dataset",
      "--data-dir")),
    ("a batch, named by what it batches (--batch-size: train.py's training batch)",
     ("--batch-size", "--predict-batch-size", "--extract-batch-size"),
     ("--batch", "--bs", "--predict-batch", "--extract-batch", "--encoder-batch-size")),
]
# What to write instead of each forbidden spelling.
INSTEAD = {other: " or ".join(names) for _, names, others in CONCEPTS for other in others}


def _parser(program: str):
    return importlib.import_module(PROGRAMS[program]).build_parser()


def _flags(parser) -> set[str]:
    """The option strings a user sees; old names kept for a release are not counted."""
    return {option for action in parser._actions if not isinstance(action, OldName)
            for option in action.option_strings}


def test_the_programs_are_every_cli_module_with_a_parser():
    with_parser = {f"amnn.cli.{path.stem}" for path in (REPO / "amnn" / "cli").glob("*.py")
                   if "def build_parser(" in path.read_text(encoding="utf-8")}
    assert with_parser == set(PROGRAMS.values())


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_no_flag_spells_a_concept_another_way(program):
    wrong = {flag: INSTEAD[flag] for flag in _flags(_parser(program)) if flag in INSTEAD}
    assert not wrong, f"{program}: use {wrong}"


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_flags_are_lower_case_words_joined_by_hyphens(program):
    odd = [flag for flag in _flags(_parser(program))
           if flag != "-h" and not re.fullmatch(r"--[a-z0-9]+(-[a-z0-9]+)*", flag)]
    assert not odd, f"{program}: {odd}"


def test_a_bare_batch_size_is_the_training_batch_alone():
    with_it = {program for program in PROGRAMS if "--batch-size" in _flags(_parser(program))}
    assert with_it == {"amnn-train"}


def test_train_names_the_posts_learned_from_only_beside_data():
    for program in PROGRAMS:
        flags = _flags(_parser(program))
        assert "--train" not in flags or "--data" in flags, program


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_help_spells_neighbors_one_way(program):
    assert "neighbour" not in _parser(program).format_help().lower()


@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_every_program_says_its_version(program, capsys):
    with pytest.raises(SystemExit) as done:
        _parser(program).parse_args(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out == f"{program} {package_version()}\n"


PREDICT = ["--model", "m", "--data", "d", "--out", "p.csv"]
BASELINES = ["--train", "t", "--data", "d", "--out", "p.csv", "--method", "popular"]
# (program, its other arguments, old name, new name, value given, attribute, value parsed)
OLD_NAMES = [
    ("amnn-score", ["p.csv"], "--k", "--top-k", "3", "top_k", 3),
    ("amnn-baselines", BASELINES, "--k", "--top-k", "3", "top_k", 3),
    ("amnn-predict", PREDICT, "--batch-size", "--predict-batch-size", "8",
     "predict_batch_size", 8),
    ("amnn-extract", ["--data", "d"], "--batch-size", "--extract-batch-size", "8",
     "extract_batch_size", 8),
    ("amnn-segment", ["sandy"], "--learn-from", "--train", "t", "train", Path("t")),
]
NOTE = "note: {old} is deprecated; use {new} (the old name goes in the next release)\n"


@pytest.mark.parametrize("program, args, old, new, given, attribute, value", OLD_NAMES)
def test_an_old_name_still_works_and_says_the_new_one_once(program, args, old, new, given,
                                                           attribute, value, capsys):
    parser = _parser(program)
    assert getattr(parser.parse_args([*args, old, given]), attribute) == value
    assert capsys.readouterr().err == NOTE.format(old=old, new=new)
    assert getattr(parser.parse_args([*args, old, "1", old, given]), attribute) == value
    assert capsys.readouterr().err == NOTE.format(old=old, new=new)  # given twice: one note
    assert getattr(parser.parse_args([*args, new, given]), attribute) == value
    assert capsys.readouterr().err == ""
    assert not re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", parser.format_help())


def test_an_old_name_checks_its_value_as_the_new_one_does(capsys):
    with pytest.raises(SystemExit):
        _parser("amnn-score").parse_args(["p.csv", "--k", "0"])
    assert "argument --k: must be an integer >= 1, received 0" in capsys.readouterr().err


def test_predict_batch_size_given_by_its_old_name_reaches_the_config(capsys):
    from amnn.cli.args import config_from_args

    args = _parser("amnn-predict").parse_args([*PREDICT, "--batch-size", "8"])
    assert config_from_args(args, script="predict").predict_batch_size == 8


def test_the_demo_takes_predict_flags_but_those_a_page_cannot_use():
    from amnn.cli.demo import NOT_FOR_THE_PAGE

    predict, demo = _flags(_parser("amnn-predict")), _flags(_parser("amnn-demo"))
    assert predict - demo == set(NOT_FOR_THE_PAGE)
    assert demo - predict == {"--port", "--examples"}
