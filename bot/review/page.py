"""The review page as HTML, and the same groups as CSV.

Every piece of text from a record (patients wrote the questions) is escaped for HTML
and, in the CSV, kept from reading as a spreadsheet formula. The page has no script
and loads nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from bot.review.grouping import Group

UNANSWERED = "unanswered"
NOT_HELPFUL = "not_helpful"
NO_QUESTION = "(question not recorded)"
CSV_FIELDS = ("list", "group", "group_question", "group_count", "first_date", "last_date",
              "question", "question_count", "sources_quoted")
# a cell starting with one of these is a formula to a spreadsheet
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_NAME = "export.csv"

_STYLE = """
body{font:16px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.4rem;border-bottom:1px solid #ccc}
td.n{text-align:right;white-space:nowrap}ul{margin:.2rem 0;padding-left:1.2rem}
.note{color:#555}
"""


@dataclass(frozen=True)
class Report:
    """Both lists of groups, and how many record lines could not be read."""

    unanswered: list[Group]
    not_helpful: list[Group]
    skipped: int = 0


def _question(text: str) -> str:
    return text or NO_QUESTION


def _members(group: Group) -> str:
    items = "".join(f"<li>{escape(_question(m.question))}"
                    f"{f' ({m.count})' if m.count > 1 else ''}</li>" for m in group.members)
    return f"<ul>{items}</ul>"


def _sources(group: Group) -> str:
    if not group.sources:
        return "<td>not recorded</td>"
    items = "".join(f"<li>{escape(s.question)} ({s.count})</li>" for s in group.sources)
    return f"<td><ul>{items}</ul></td>"


def _table(groups: Sequence[Group], with_sources: bool, empty: str) -> str:
    if not groups:
        return f'<p class="note">{escape(empty)}</p>'
    head = ("<tr><th>Question (most asked wording)</th><th>Times</th><th>First</th>"
            "<th>Last</th><th>All wordings (times)</th>"
            + ("<th>Sources quoted (times)</th>" if with_sources else "") + "</tr>")
    rows = []
    for group in groups:
        rows.append(
            f"<tr><td>{escape(_question(group.representative))}</td>"
            f'<td class="n">{group.count}</td><td>{escape(group.first)}</td>'
            f"<td>{escape(group.last)}</td><td>{_members(group)}</td>"
            + (_sources(group) if with_sources else "") + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def render_html(report: Report, clinic_name: str) -> str:
    """The whole page: the unanswered questions, then the answers rated not helpful."""
    skipped = (f'<p class="note">{report.skipped} record line(s) could not be read and are '
               "not shown.</p>" if report.skipped else "")
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Library review — {escape(clinic_name)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>Library review — {escape(clinic_name)}</h1>"
        '<p class="note">What patients asked that the library could not answer, and answers '
        "they rated not helpful, grouped by similar meaning. Questions were scrubbed of "
        "personal details when they were recorded; no record names who asked. Use it to "
        "decide which document to add next.</p>"
        f'<p><a href="{CSV_NAME}" download>Download as CSV</a></p>{skipped}'
        "<h2>Questions the library could not answer</h2>"
        + _table(report.unanswered, False, "No unanswered questions recorded.")
        + "<h2>Answers rated not helpful</h2>"
        + _table(report.not_helpful, True, "No answers rated not helpful.")
        + "</body></html>")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def render_csv(report: Report) -> str:
    """One row per wording: its list, its group (numbered from 1 in page order) and the
    group's question, count and dates, the wording and its count, the sources quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_FIELDS)
    for name, groups in ((UNANSWERED, report.unanswered), (NOT_HELPFUL, report.not_helpful)):
        for number, group in enumerate(groups, start=1):
            sources = "; ".join(f"{s.question} ({s.count})" for s in group.sources)
            for member in group.members:
                writer.writerow([_cell(v) for v in (
                    name, number, _question(group.representative), group.count, group.first,
                    group.last, _question(member.question), member.count, sources)])
    return out.getvalue()
