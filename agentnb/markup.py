"""A small, safe markdown-to-HTML converter for chat bubbles (no dependency, no scripts).

Agents answer in markdown; the live chat and the static transcript show it formatted.
It covers what chat replies use — paragraphs, line breaks, headings, lists, quotes, code
blocks, inline code, bold, italic and http(s) links — and escapes everything else, so a
reply can never inject markup. Output is deterministic: same text, same HTML.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,9}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*|__(?=\S)(.+?)(?<=\S)__")
_ITALIC = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)([^_]+?)(?<=\S)_(?!\w)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+|mailto:[^\s)]+)\)")


def inline(text: str) -> str:
    """Escape ``text`` and apply inline markup (code spans are left literal)."""
    pieces = _CODE_SPAN.split(text)
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(f"<code>{html.escape(piece)}</code>")
            continue
        piece = html.escape(piece, quote=False)
        piece = _LINK.sub(lambda m: f'<a href="{m[2].replace(chr(34), "&quot;")}">{m[1]}</a>', piece)
        piece = _BOLD.sub(lambda m: f"<strong>{m[1] or m[2]}</strong>", piece)
        piece = _ITALIC.sub(lambda m: f"<em>{m[1] or m[2]}</em>", piece)
        out.append(piece)
    return "".join(out)


def to_html(text: str) -> str:
    """Convert chat markdown to an HTML fragment."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[str] = []
    paragraph: list[str] = []
    i = 0

    def close_paragraph() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(inline(line.strip()) for line in paragraph) + "</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            close_paragraph()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence[1]), len(lines))
            code = html.escape("\n".join(lines[i + 1 : end]))
            blocks.append(f"<pre><code>{code}</code></pre>")
            i = end + 1
            continue
        heading = _HEADING.match(line)
        list_kind = "ul" if _BULLET.match(line) else "ol" if _NUMBERED.match(line) else None
        if not line.strip():
            close_paragraph()
        elif heading:
            close_paragraph()
            level = min(len(heading[1]) + 2, 6)
            blocks.append(f"<h{level}>{inline(heading[2])}</h{level}>")
        elif list_kind:
            close_paragraph()
            pattern = _BULLET if list_kind == "ul" else _NUMBERED
            items = []
            while i < len(lines) and (item := pattern.match(lines[i])):
                items.append(f"<li>{inline(item[1])}</li>")
                i += 1
            blocks.append(f"<{list_kind}>{''.join(items)}</{list_kind}>")
            continue
        elif _QUOTE.match(line):
            close_paragraph()
            quoted = []
            while i < len(lines) and (q := _QUOTE.match(lines[i])):
                quoted.append(q[1])
                i += 1
            blocks.append(f"<blockquote>{to_html(chr(10).join(quoted))}</blockquote>")
            continue
        else:
            paragraph.append(line)
        i += 1
    close_paragraph()
    return "".join(blocks)


def settled_end(text: str, start: int = 0) -> int:
    """Where the finished blocks of a growing ``text`` end (after a blank line, outside code).

    Rendering stops changing before that point, so a streamed reply renders only its last
    block again; ``text[:start]`` must already end at such a point.
    """
    end = text.rfind("\n\n", start)
    while end != -1:
        fences = sum(1 for line in text[start:end].split("\n") if _FENCE.match(line))
        if fences % 2 == 0:
            return end + 2
        end = text.rfind("\n\n", start, end)
    return start
