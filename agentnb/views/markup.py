"""Chat markdown, made safe: CommonMark to self-contained HTML, and text made literal in markdown.

Agents answer in markdown; the live chat and the static transcript show it formatted by
markdown-it-py (CommonMark, plus tables and strikethrough) with raw HTML disabled, links
limited to http(s) and mailto, images shown as links (nothing remote is loaded) and code
highlighted with inline styles (pygments, when installed). Output is deterministic: same
text, same HTML. `never_raises` is the one guard every renderer in agentnb goes through.
"""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast

from agentnb.core.untrusted import DOLLAR
from agentnb.core.untrusted import md_text as md_text  # text made literal in markdown: one rule, in the core

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

P = ParamSpec("P")
R = TypeVar("R")

LINK_SCHEMES = ("http://", "https://", "mailto:")
MARKDOWN_LIMIT = 50_000  # longer text shows as plain text: parsing adversarial markdown is slow
HIGHLIGHT_LIMIT = 20_000  # longer code blocks are not highlighted
# Code blocks carry their own colours, so highlighted code reads the same on light and dark themes.
CODE_STYLE = (
    "background:#f6f8fa;color:#1f2328;padding:6px 8px;border-radius:4px;overflow-x:auto;"
    "margin:4px 0;line-height:1.4;font-size:90%"
)
TABLE_STYLE = "border-collapse:collapse;margin:4px 0"
CELL_STYLE = "border:1px solid rgba(127,127,127,0.4);padding:2px 8px"

_log = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BLOCK_START = re.compile(r"\n[ \t]*\n(?=\S)")  # a blank line, then an unindented line
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:", re.M)
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")
_DOLLAR = re.compile(r"(\\*)\$")
_CONTAINERS = frozenset({"blockquote_open", "list_item_open"})  # tokens whose content is parsed as blocks


def clean(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates (from bad decoding) become U+FFFD, pairs join."""
    if text.isascii():
        return text
    try:
        text.encode()  # fails only on surrogates; ~10x faster than searching for them
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def never_raises(fallback: Callable[P, R]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Make a renderer total: on any error it returns ``fallback(*args)`` instead.

    Text it returns is made valid Unicode (`clean`), so it can always be printed or sent to
    the front end. Rendering is a view of data a model or a tool produced: it must never
    stop a run or a display, whatever that data holds.
    """

    def decorate(render: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(render)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                out = render(*args, **kwargs)
            except Exception as exc:
                _report(render.__qualname__, exc)
                try:
                    out = fallback(*args, **kwargs)
                except Exception:  # a fallback is kept trivial; this is the last resort
                    _log.debug("fallback of %s failed", render.__qualname__, exc_info=True)
                    return cast(R, "")
            return cast(R, _cleaned(out))

        return guarded

    return decorate


def _report(renderer: str, exc: Exception) -> None:
    """Log a renderer's failure: a warning the first time (it is a bug to report), then quietly."""
    key = (renderer, type(exc).__name__)
    first = key not in _reported
    _reported.add(key)
    level = logging.WARNING if first else logging.DEBUG
    _log.log(level, "agentnb could not render with %s; its input is shown as text", renderer, exc_info=exc)


def _cleaned(out: Any) -> Any:
    if isinstance(out, str):
        return clean(out)
    if isinstance(out, dict):
        return {key: clean(value) if isinstance(value, str) else value for key, value in out.items()}
    return out


# ----- HTML from chat markdown ----------------------------------------------------------------


def plain_html(text: str) -> str:
    """``text`` escaped, line breaks kept: for text too long to parse, and for fallbacks."""
    if not text:
        return ""
    return f'<p style="white-space:pre-wrap">{html.escape(text)}</p>'


def code_html(code: str, language: str = "") -> str:
    """A code block with inline styles: highlighted when pygments knows ``language``."""
    body = _highlight(code, language) if language and len(code) <= HIGHLIGHT_LIMIT else None
    return f'<pre style="{CODE_STYLE}"><code>{body if body is not None else html.escape(code)}</code></pre>\n'


def _highlight(code: str, language: str) -> str | None:
    lexer = _lexer(language.lower())
    if lexer is None:
        return None
    from pygments import highlight

    return highlight(code, lexer, _formatter())


@functools.cache
def _lexer(language: str) -> Any:
    try:
        from pygments.lexers import get_lexer_by_name
        from pygments.util import ClassNotFound
    except ImportError:
        return None
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True, noclasses=True, style="default")


@functools.cache
def _parser() -> MarkdownIt:
    """The chat's CommonMark parser (built once: markdown-it-py is imported on first use)."""
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import escapeHtml
    from markdown_it.renderer import RendererHTML

    class ChatRenderer(RendererHTML):
        """Headings two levels down (a bubble is not a page), styled tables and code, images as links."""

        def heading_open(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return f"<h{min(int(tokens[idx].tag[1]) + 2, 6)}>"

        def heading_close(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return f"</h{min(int(tokens[idx].tag[1]) + 2, 6)}>\n"

        def table_open(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return f'<table style="{TABLE_STYLE}">\n'

        def th_open(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return self._cell(tokens[idx])

        def td_open(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return self._cell(tokens[idx])

        def _cell(self, token: Any) -> str:
            align = token.attrGet("style")  # "text-align:right" for aligned columns
            style = f"{CELL_STYLE};{align}" if align else CELL_STYLE
            return f'<{token.tag} style="{style}">'

        def fence(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            token = tokens[idx]
            language = token.info.strip().split(maxsplit=1)[0] if token.info.strip() else ""
            return code_html(token.content, language)

        def code_block(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            return code_html(tokens[idx].content)

        def image(self, tokens: Any, idx: int, options: Any, env: Any) -> str:
            token = tokens[idx]
            src = str(token.attrGet("src") or "")
            label = self.renderInlineAsText(token.children, options, env) or src
            return f'<a href="{escapeHtml(src)}">▣ {escapeHtml(label)}</a>'

    class ChatMarkdown(MarkdownIt):
        def validateLink(self, url: str) -> bool:
            """Only web and mail links: ``javascript:``, ``data:``, ``file:`` and relative links stay text."""
            return url.strip().lower().startswith(LINK_SCHEMES)

    options = {"html": False, "breaks": True, "xhtmlOut": False, "linkify": False, "typographer": False}
    return ChatMarkdown("commonmark", options, renderer_cls=ChatRenderer).enable(["table", "strikethrough"])


@functools.cache
def _block_parser() -> MarkdownIt:
    """The same block rules without inline parsing: where blocks start, cheaply."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.core.ruler.enableOnly(["normalize", "block"])
    return parser


@never_raises(plain_html)
def to_html(text: str) -> str:
    """Convert chat markdown to an HTML fragment.

    Text beyond `MARKDOWN_LIMIT`, or nested deeper than the parser goes (``maxNesting``
    quotes or lists: deeper blocks would be dropped silently, while every model still reads
    them), shows as plain escaped text instead: the chat never hides what was said.
    """
    if len(text) > MARKDOWN_LIMIT:
        return plain_html(text)
    parser = _parser()
    env: dict[str, Any] = {}
    tokens = parser.parse(text, env)
    deepest = parser.options["maxNesting"] - 1  # a container opened here has its blocks dropped
    if any(token.type in _CONTAINERS and token.level >= deepest for token in tokens):
        return plain_html(text)
    return parser.renderer.render(tokens, parser.options, env)


@never_raises(lambda text, start, head_html: to_html(text))
def to_html_after(text: str, start: int, head_html: str) -> str:
    """``to_html(text)``, given ``head_html = to_html(text[:start])`` for a `settled_end` point ``start``.

    Only the rest is parsed: a streamed reply's finished blocks are not rendered twice.
    """
    if start <= 0 or len(text) > MARKDOWN_LIMIT or _REFERENCE.search(text):
        return to_html(text)  # a link reference definition reaches across blocks
    return head_html + to_html(text[start:])


@never_raises(lambda text, start=0, since=None: start)
def settled_end(text: str, start: int = 0, since: int | None = None) -> int:
    """Where the finished blocks of a growing ``text`` end: rendering stops changing before it.

    A streamed reply renders only its last block again; ``text[:start]`` must already end
    at such a point. Only complete lines count, and blocks are found by the parser itself
    (so a list, a table or a code fence is never cut), which runs only when a blank line
    followed by an unindented line (the usual end of a block) arrived at or after ``since``.
    """
    cut = text.rfind("\n", start) + 1
    last = None
    for last in _BLOCK_START.finditer(text, start, cut):  # noqa: B007
        pass
    if last is None or last.end() < (start if since is None else since):
        return start
    chunk = text[start:cut]
    tokens = _block_parser().parse(chunk)
    line = max((t.map[0] for t in tokens if t.level == 0 and t.nesting >= 0 and t.map), default=0)
    if line == 0:
        return start
    breaks = _LINE_BREAK.finditer(chunk)
    for _ in range(line - 1):
        next(breaks)
    return start + next(breaks).end()


# ----- text made safe inside markdown ---------------------------------------------------------


def md_code(text: str) -> str:
    """``text`` as an inline code span: shown verbatim by every markdown viewer, never as math."""
    text = _LINE_BREAK.sub(" ", text)
    if not text.strip():
        return "*(empty)*"
    ticks = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def math_safe(markdown: str) -> str:
    """``markdown`` with every ``$`` outside code shown literally (chat text is not LaTeX).

    JupyterLab typesets ``$...$`` even when written ``\\$``; a ``$`` alone in a span is
    left alone there and on GitHub. Code spans and fenced code keep their text.
    """
    if "$" not in markdown:
        return markdown
    lines = markdown.split("\n")
    fence = ""
    for i, line in enumerate(lines):
        opener = _FENCE.match(line)
        if fence:
            closer = _FENCE_CLOSE.fullmatch(line)
            if closer and closer[1][0] == fence[0] and len(closer[1]) >= len(fence):
                fence = ""
        elif opener:
            fence = opener[1]
        else:
            lines[i] = _dollars_outside_code_spans(line)
    return "\n".join(lines)


def _dollars_outside_code_spans(line: str) -> str:
    if "$" not in line:
        return line
    out, at = [], 0
    for span in _CODE_SPAN.finditer(line):
        out.append(_DOLLAR.sub(_literal_dollar, line[at : span.start()]))
        out.append(span[0])
        at = span.end()
    out.append(_DOLLAR.sub(_literal_dollar, line[at:]))
    return "".join(out)


def _literal_dollar(match: re.Match[str]) -> str:
    slashes = match[1]
    return slashes[: len(slashes) - len(slashes) % 2] + DOLLAR  # an odd backslash escaped the $
