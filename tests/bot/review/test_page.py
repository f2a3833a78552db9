"""The review page's HTML (everything escaped) and its CSV export (the same groups)."""

from __future__ import annotations

import csv
import io

from bot.review.grouping import Group, Member
from bot.review.page import CSV_FIELDS, NO_QUESTION, Report, render_csv, render_html

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
REPORT = Report(
    unanswered=[
        Group("does acupuncture help?", 3, "2026-11-01", "2026-11-05",
              (Member("does acupuncture help?", 2), Member(HOSTILE, 1))),
        Group("=HYPERLINK(\"http://evil\")", 1, "2026-11-02", "2026-11-02",
              (Member("=HYPERLINK(\"http://evil\")", 1),)),
    ],
    not_helpful=[
        Group("what is pacing?", 2, "2026-11-03", "2026-11-04",
              (Member("what is pacing?", 1), Member("", 1)),
              (Member("Title <A>", 2),)),
    ],
    skipped=1,
)


def test_html_escapes_every_recorded_text() -> None:
    html = render_html(REPORT, "Clinic <b>Name</b>")
    assert "<script>" not in html and "<img" not in html and "<b>Name" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img" in html
    assert "Title &lt;A&gt; (2)" in html
    assert "Clinic &lt;b&gt;Name&lt;/b&gt;" in html


def test_html_shows_groups_with_counts_dates_and_members() -> None:
    html = render_html(REPORT, "Clinic")
    assert html.index("does acupuncture help?") < html.index("what is pacing?")
    assert '<td class="n">3</td><td>2026-11-01</td><td>2026-11-05</td>' in html
    assert "<li>does acupuncture help? (2)</li>" in html
    assert NO_QUESTION in html
    assert 'href="export.csv"' in html
    assert "1 record line(s) could not be read" in html


def test_empty_lists_say_so() -> None:
    html = render_html(Report([], []), "Clinic")
    assert "No unanswered questions recorded." in html
    assert "No answers rated not helpful." in html


def test_csv_has_one_row_per_wording_of_each_group() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(REPORT))))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [(r["list"], r["group"], r["question"], r["question_count"]) for r in rows] == [
        ("unanswered", "1", "does acupuncture help?", "2"),
        ("unanswered", "1", HOSTILE, "1"),
        ("unanswered", "2", "'=HYPERLINK(\"http://evil\")", "1"),
        ("not_helpful", "1", "what is pacing?", "1"),
        ("not_helpful", "1", NO_QUESTION, "1"),
    ]
    first = rows[0]
    assert (first["group_question"], first["group_count"], first["first_date"],
            first["last_date"]) == ("does acupuncture help?", "3", "2026-11-01", "2026-11-05")
    assert rows[3]["sources_quoted"] == "Title <A> (2)"


def test_csv_of_nothing_is_its_header() -> None:
    assert render_csv(Report([], [])) == ",".join(CSV_FIELDS) + "\r\n"
