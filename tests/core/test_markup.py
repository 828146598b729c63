"""Chat markdown: CommonMark rendered safely, deterministically, and in finished blocks."""

from __future__ import annotations

import importlib.util
import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from agentnb.views.markup import (
    DOLLAR,
    MARKDOWN_LIMIT,
    clean,
    math_safe,
    md_code,
    md_text,
    never_raises,
    settled_end,
    to_html,
    to_html_after,
)
from tests.conftest import require


def test_tables_render_as_html_tables_with_their_alignment():
    out = to_html("| name | votes |\n|------|------:|\n| yes | 7 |\n| no | 2 |")
    assert out.startswith("<table ") and out.count("<tr>") == 3
    assert re.search(r"<th [^>]*>name</th>", out)
    assert re.search(r'<td style="[^"]*text-align:right">7</td>', out)
    assert "|---" not in out and "<br>" not in out


def test_nested_lists_stay_one_nested_list():
    out = to_html("- one\n  - one.a\n  - one.b\n- two\n\n1. first\n2. second")
    assert out.count("<ul>") == 2 and out.count("<ol>") == 1
    nested = r"<li>one\s*<ul>\s*<li>one\.a</li>\s*<li>one\.b</li>\s*</ul>\s*</li>\s*<li>two</li>"
    assert re.search(nested, out)


def test_fenced_code_with_a_language_is_highlighted_with_inline_styles_only():
    require(importlib.util.find_spec("pygments") is not None, "pygments")
    out = to_html("```python\ndef f(x):\n    return x  # done\n```")
    assert out.startswith("<pre style=") and "<span style=" in out  # coloured tokens
    assert "class=" not in out  # self-contained: no stylesheet needed
    assert re.sub(r"<[^>]+>", "", out).strip() == "def f(x):\n    return x  # done"


def test_code_without_a_known_language_is_escaped_text_in_the_same_box():
    out = to_html("```nosuchlanguage\n<b>x</b> & y\n```\n\n    indented <i>")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in out and "&lt;i&gt;" in out
    assert "<span" not in out and out.count('<pre style="background:') == 2


def test_links_keep_only_web_and_mail_schemes():
    out = to_html(
        "[a](https://example.org/a?b=1&c=2) [m](mailto:ed@example.org) [h](http://x.org) <https://auto.org>\n\n"
        "[js](javascript:alert(1)) [JS](JaVaScRiPt:alert(1)) [d](data:text/html,<script>) "
        "[f](file:///etc/passwd) [v](vbscript:x) [rel](../secrets.txt) <javascript:alert(2)>"
    )
    hrefs = re.findall(r'href="([^"]*)"', out)
    assert hrefs == [
        "https://example.org/a?b=1&amp;c=2",
        "mailto:ed@example.org",
        "http://x.org",
        "https://auto.org",
    ]
    assert "[js](javascript:alert(1))" in out and "[rel](../secrets.txt)" in out  # shown as text


def test_raw_html_is_escaped_never_interpreted():
    out = to_html('<script>alert(1)</script>\n\nText <img src=x onerror="alert(2)"> and <b>bold</b>')
    assert "<script" not in out and "<img" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out and "&lt;b&gt;bold&lt;/b&gt;" in out


def test_images_become_links_and_nothing_remote_is_loaded():
    out = to_html('![the chart](https://example.org/chart.png "Title") ![x](data:image/png;base64,AAAA)')
    assert "<img" not in out and "src=" not in out
    assert '<a href="https://example.org/chart.png">▣ the chart</a>' in out
    assert "![x](data:image/png;base64,AAAA)" in out  # a data URI is not a web link: left as text


def test_headings_shrink_to_fit_a_bubble_and_strikethrough_works():
    out = to_html("# Title\n\n### Small\n\n~~old~~ new")
    assert "<h3>Title</h3>" in out and "<h5>Small</h5>" in out and "<s>old</s>" in out


def test_single_line_breaks_are_kept_as_in_chat_messages():
    assert to_html("line one\nline two") == "<p>line one<br>\nline two</p>\n"


def test_rendering_is_deterministic():
    text = (
        "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = {'a': [1, 2]}\n```\n\n- [l](https://a.org)"
    )
    assert len({to_html(text) for _ in range(3)}) == 1


@pytest.mark.parametrize(
    "text",
    ["*" * 100_000, ">" * 100_000, "[" * 100_000, "_a" * 50_000, "\n".join(">" * i for i in range(300))],
    ids=["stars", "quotes", "brackets", "underscores", "nested-quotes"],
)
def test_text_that_makes_parsing_slow_is_bounded(text: str):
    out = to_html(text)
    if len(text) > MARKDOWN_LIMIT:  # the parser never sees more than the limit
        assert out.startswith('<p style="white-space:pre-wrap">') and len(out) >= len(text)
    else:
        assert out


def test_invalid_unicode_is_repaired_not_raised():
    out = to_html("half a pair \ud83d, a whole one \ud83d\ude00")
    assert "\ufffd" in out and "😀" in out
    out.encode("utf-8")  # sendable to the front end
    assert clean("ok") == "ok"


def test_a_renderer_that_fails_shows_its_fallback_and_is_reported_once(caplog: pytest.LogCaptureFixture):
    @never_raises(lambda text: f"<pre>{text}</pre>")
    def broken(text: str) -> str:
        raise RecursionError("too deep")

    @never_raises(lambda text: 1 / 0)
    def hopeless(text: str) -> str:
        raise ValueError

    with caplog.at_level(logging.WARNING, logger="agentnb.views.markup"):
        assert broken("raw \ud800") == "<pre>raw \ufffd</pre>"
        assert broken("again") == "<pre>again</pre>"
        assert hopeless("x") == ""
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2 and "broken" in warned[0] and "hopeless" in warned[1]  # once per renderer


# ----- finished blocks of a streamed reply ---------------------------------------------------------

DOCUMENTS = [
    "Intro line\n\n- one\n- two\n\n```python\nx = 1\n\ny = 2\n```\n\nLast **bold** words\n",
    "- loose\n\n- list\n\n  continued item\n\nafter the list\n\n1. a\n\n2. b\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\nText\n| c | d |\n|---|---|\n| 3 | 4 |\n\nEnd\n",
    "Title\n=====\n\n> quote\n\n> another\n\n    code\n\n    more code\n\nplain\n",
    "- item\n\n  ```\n  fenced in a list\n\n  still fenced\n  ```\n\nout\n\n~~~~\n```\n\nx\n~~~~\n\ndone\n",
    "A [link][ref] here\n\n# Heading\npara\n- list right after\n\nlast\n",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_finished_blocks_render_as_they_will_in_the_whole_reply(document: str):
    settled, since = 0, 0
    for i in range(1, len(document) + 1):  # the reply arrives one character at a time
        end = settled_end(document[:i], settled, since=since)
        since = document[:i].rfind("\n") + 1
        assert end >= settled
        if end > settled:
            assert to_html(document[:end]) + to_html(document[end:]) == to_html(document)
            settled = end
    assert settled > 0


@pytest.mark.parametrize("document", [*DOCUMENTS, "[a]: https://x.org\n\nsee [a]\n\nend\n"])
def test_a_finished_reply_reuses_its_settled_blocks_and_renders_the_same(document: str):
    end = settled_end(document[:-2])
    assert 0 < end < len(document)
    assert to_html_after(document, end, to_html(document[:end])) == to_html(document)


def test_a_code_fence_is_never_cut():
    assert settled_end("a\n\n```\ncode\n\nmore", 0) == 3
    assert settled_end("a\n\n```\ncode\n\nmore\n\nx\n", 3) == 3


BLOCKS = st.sampled_from(
    [
        "para",
        "- a",
        "- b",
        "  - nested",
        "  continued",
        "1. n",
        "> q",
        "```",
        "~~~",
        "    code",
        "| x | y |",
        "|---|---|",
        "# h",
        "===",
        "***",
        "",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(BLOCKS, min_size=1, max_size=14))
def test_any_settled_point_splits_the_rendering_exactly(lines: list[str]):
    document = "\n".join(lines) + "\n"
    whole = to_html(document)
    for i in range(len(document) + 1):  # whatever arrives after the prefix
        end = settled_end(document[:i], 0)
        assert to_html(document[:end]) + to_html(document[end:]) == whole


# ----- text made safe inside markdown --------------------------------------------------------------


def test_dollars_in_chat_markdown_are_never_math_but_code_keeps_them():
    source = "It costs $3.9 million, not \\$4 `$x` or ``a`$b``\n```sh\necho $HOME\n```\n$5"
    out = math_safe(source)
    assert out.count(DOLLAR) == 3 and "\\<span>" not in out
    assert "`$x`" in out and "``a`$b``" in out and "echo $HOME" in out
    rendered = MarkdownIt("commonmark").render(out)  # as JupyterLab and GitHub do: inline HTML allowed
    outside_code = re.sub(r"<code[^>]*>.*?</code>", "", rendered, flags=re.S)
    assert outside_code.count("<span>$</span>") == 3  # each $ alone in an element: MathJax pairs none
    assert "$" not in outside_code.replace("<span>$</span>", "")
    assert math_safe("no dollars") == "no dollars"


def test_code_spans_hold_any_data_verbatim():
    assert md_code("grant $3.9 million of $4.5") == "`grant $3.9 million of $4.5`"
    assert md_code("a `tick` here") == "``a `tick` here``"
    assert md_code("`edge") == "`` `edge ``" and md_code("two\nlines") == "`two lines`"
    assert md_code("") == "*(empty)*"


def test_literal_text_escapes_markup_and_dollars():
    out = md_text("*not bold* [no](link) <b> $5 # x | y")
    assert out == f"\\*not bold\\* \\[no\\](link) \\<b\\> {DOLLAR}5 \\# x \\| y"
