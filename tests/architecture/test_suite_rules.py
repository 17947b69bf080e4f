"""Rules the test suite keeps so that one stuck child cannot stall a whole CI run: every
subprocess call has a timeout, and nothing waits without one (wait(), communicate(), join())."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
SUBPROCESS_CALLS = {"run", "call", "check_call", "check_output"}
WAITS = {"wait", "communicate", "join"}


def _offences(source: str, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        called, owner = node.func.attr, ast.unparse(node.func.value)
        keywords = {keyword.arg for keyword in node.keywords}
        where = f"{name}:{node.lineno} {ast.unparse(node.func)}"
        if owner == "subprocess" and called in SUBPROCESS_CALLS and "timeout" not in keywords:
            found.append(f"{where}(...) without timeout=")
        elif called in WAITS and not node.args and not keywords:
            found.append(f"{where}() waits for ever")
    return found


def test_no_subprocess_call_or_wait_in_the_tests_is_without_a_deadline():
    offences = [
        line
        for path in sorted(TESTS.rglob("*.py"))
        for line in _offences(path.read_text(encoding="utf-8"), str(path.relative_to(TESTS)))
    ]
    assert offences == []


def test_the_rule_sees_what_it_is_meant_to():
    sample = (
        "import subprocess\n"
        "subprocess.run(['true'])\n"
        "subprocess.run(['true'], timeout=5)\n"
        "proc.wait()\n"
        "proc.wait(30)\n"
        "proc.communicate(timeout=9)\n"
        "thread.join()\n"
    )
    assert [line.split(" ", 1)[0] for line in _offences(sample, "sample.py")] == [
        "sample.py:2",
        "sample.py:4",
        "sample.py:7",
    ]
