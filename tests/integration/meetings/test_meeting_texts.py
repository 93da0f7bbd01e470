"""Motion texts: Markdown comes out safe, and a revision's changes read as whole phrases."""

from __future__ import annotations

from vote.domain.meetings.markdown import render_markdown
from vote.domain.meetings.revisions import revision_diff


def test_markdown_keeps_formatting_and_drops_active_content() -> None:
    html = str(render_markdown("# 标题\n\n**加粗** [链接](https://example.org)\n\n<script>x()</script>\n\n"
                               "[坏](javascript:x()) <b onclick=x()>b</b>"))
    assert "<h3>标题</h3>" in html and "<strong>加粗</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">链接</a>' in html
    assert "<script" not in html and "<b " not in html and 'href="javascript' not in html


def test_diff_of_a_chinese_phrase_is_one_deletion_and_one_insertion() -> None:
    assert revision_diff("第一行\n\n原文", "第一行\n\n修改后的文字") == [
        ("equal", "第一行\n\n"), ("delete", "原文"), ("insert", "修改后的文字")]


def test_diff_of_words_and_of_equal_texts() -> None:
    assert revision_diff("raise the fee", "lower the fee") == [
        ("delete", "raise"), ("insert", "lower"), ("equal", " the fee")]
    assert revision_diff("same", "same") == [("equal", "same")]
    assert revision_diff("", "new") == [("insert", "new")]
