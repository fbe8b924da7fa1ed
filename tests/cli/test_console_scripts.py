"""The installed commands (pyproject's [project.scripts]) run from any folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COMMANDS = ("amnn-train", "amnn-predict", "amnn-score", "amnn-baselines", "amnn-extract",
            "amnn-demo", "amnn-segment")


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_from_another_folder(command, tmp_path):
    path = shutil.which(command, path=str(Path(sys.executable).parent))
    if path is None:
        pytest.skip(f"{command} is not installed here (pip install . installs it)")
    done = subprocess.run([path, "--help"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: ")
    if command not in ("amnn-score", "amnn-segment"):  # these never load TensorFlow
        assert "--verbose" in done.stdout
    assert "tensorflow" not in done.stderr.lower()


def test_the_package_imports_from_another_folder_without_tensorflow(tmp_path):
    code = ("import sys, amnn, amnn.cli.train, amnn.cli.predict, amnn.cli.score; "
            "print(amnn.__version__); assert 'tensorflow' not in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == __import__("amnn").__version__
