"""README tells the truth: it documents every configuration key, and CI runs the test command it gives."""
import re
from pathlib import Path

from provider.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_documents_every_configuration_key():
    missing = [s.name for s in SETTINGS if f"`OAI_{s.name}`" not in README]
    assert not missing


def test_ci_runs_exactly_the_readme_test_command():
    commands = re.findall(r"^(python3 -m venv .*)$", README.split("```")[1], re.M)
    assert len(commands) == 2, "README opens with the run command and the test command"
    test_command = commands[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines
