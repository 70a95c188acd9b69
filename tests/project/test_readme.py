"""The README's two commands are the ones CI runs, word for word."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_readmes_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"two commands\n.*?```bash\n(.*?)```", readme, re.S).group(1)
    commands = block.strip().splitlines()
    assert commands[0] == "pip install . && python -m skdnn"  # the demo needs no extra
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci, command
