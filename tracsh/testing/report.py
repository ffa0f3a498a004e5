"""Test results for people (PASS / FAIL lines, failures with traces) and as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracsh.lang.errors import Diagnostic
from tracsh.testing.coverage import CoverageReport
from tracsh.testing.runner import Failure, TestResult


def text_report(results: list[TestResult]) -> str:
    """One PASS or FAIL line per test; a failure's details under its line."""
    lines: list[str] = []
    for result in results:
        word = "PASS" if result.passed else "FAIL"
        lines.append(f"{word}  {result.name}  ({result.path}:{result.line})")
        if result.error is not None:
            lines.append(f"  error: {result.error}")
        for failure in result.failures:
            lines.extend(_failure(failure))
    return "\n".join(lines)


def _failure(failure: Failure) -> list[str]:
    verdict = failure.verdict
    lines = [
        f"  expect {failure.text}  (line {failure.line})",
        f"    expected: {verdict.expected}",
        f"    actual:   {verdict.actual}",
    ]
    if verdict.trace:
        lines.extend("      " + line for line in verdict.trace.split("\n"))
    for trace in failure.traces:
        lines.extend("    " + line for line in trace.split("\n"))
    return lines


def summary(results: list[TestResult]) -> str:
    """``12 passed, 1 failed in 0.4s``."""
    passed = sum(result.passed for result in results)
    failed = len(results) - passed
    seconds = sum(result.seconds for result in results)
    return f"{passed} passed, {failed} failed in {seconds:.2f}s"


def coverage_text(report: CoverageReport) -> str:
    """The coverage figure, rules that never fired, and sub-conditions not covered."""
    lines = [
        f"coverage: {report.percent:.1f}% ({report.covered} of {report.items} "
        "rules and sub-conditions)"
    ]
    never = report.never_fired()
    if never:
        lines.append("rules that no test made fire:")
        lines.extend(f"  {r.rule_id}  ({r.path}:{r.line})" for r in never)
    partial = [
        (rule, c) for rule in report.counted() for c in rule.conditions if not c.covered
    ]
    if partial:
        lines.append("sub-conditions not seen both true and false:")
        for rule, c in partial:
            lines.append(
                f"  {rule.path}:{c.line}:{c.column}  {rule.rule_id}: {c.text}  "
                f"({c.missing()})"
            )
    disabled = [r for r in report.rules if r.disabled]
    if disabled:
        names = ", ".join(r.rule_id for r in disabled)
        lines.append(f"not counted (disabled): {names}")
    return "\n".join(lines)


def json_report(
    results: list[TestResult],
    coverage: CoverageReport | None,
    diagnostics: Sequence[Diagnostic] = (),
) -> dict[str, Any]:
    """Everything ``tracsh test --json`` prints; with the rule set's diagnostics
    (errors stop the tests, so ``tests`` is then empty)."""
    passed = sum(result.passed for result in results)
    out: dict[str, Any] = {
        "passed": passed,
        "failed": len(results) - passed,
        "tests": [_test_dict(result) for result in results],
        "diagnostics": [
            {
                "path": d.path,
                "line": d.line,
                "column": d.column,
                "severity": d.severity,
                "message": d.message,
            }
            for d in diagnostics
        ],
    }
    if coverage is not None:
        out["coverage"] = coverage.as_dict()
    return out


def _test_dict(result: TestResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "path": result.path,
        "line": result.line,
        "passed": result.passed,
        "error": result.error,
        "seconds": round(result.seconds, 4),
        "failures": [
            {
                "expectation": failure.text,
                "line": failure.line,
                "expected": failure.verdict.expected,
                "actual": failure.verdict.actual,
                "trace": failure.verdict.trace,
                "rules": failure.traces,
            }
            for failure in result.failures
        ],
    }
