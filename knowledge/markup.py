"""Markdown to safe HTML, and marking cited passages in it.

Bodies are written by editors, so whatever they type passes an allow-list: only the tags and
attributes below survive, and links keep only http, https, mailto or relative addresses.
"""

import difflib
import hashlib
import html
import itertools
import re
from html.parser import HTMLParser

import markdown
import nh3
from django.utils.safestring import mark_safe

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
# A quote may run across list items or start at a heading; its block markers are not words.
BLOCK_MARKER = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)]|#{1,6}|>)[ \t]+", re.MULTILINE)
# Where a passage may start or end: after a sentence's full stop, or between paragraphs.
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n\s*\n\s*")


def unix_newlines(text):
    """Text with every line ending as \\n: browsers send \\r\\n from a textarea."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def closest_passage(quote, text):
    """The passage of `text`, word for word, most like `quote`; None when nothing comes close.

    Passages are runs of as many sentences as the quote has, so a two-sentence quote with a
    word changed finds its two sentences.
    """
    spans = [(start, end) for start, end in _sentence_spans(text) if text[start:end].strip()]
    length = max(1, sum(1 for start, end in _sentence_spans(quote) if quote[start:end].strip()))
    passages = {}
    for i in range(len(spans)):
        run = text[spans[i][0] : spans[min(i + length, len(spans)) - 1][1]].strip()
        passages.setdefault(" ".join(run.split()), run)
    found = difflib.get_close_matches(" ".join(quote.split()), passages, n=1, cutoff=0.6)
    return passages[found[0]] if found else None


def _sentence_spans(text):
    start = 0
    for boundary in SENTENCE_END.finditer(text):
        yield start, boundary.start()
        start = boundary.end()
    yield start, len(text)


def render(text):
    """Markdown source to sanitised HTML, safe to output as it is."""
    unsafe = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    cleaned = nh3.clean(
        unsafe,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return trusted(cleaned)


def trusted(html_text):
    # The one place sanitised HTML is declared safe: nh3 has applied the allow-list above,
    # and mark_quotes only adds <mark> elements with escaped text.
    return mark_safe(html_text)  # noqa: S308  # nosec B308 B703


def plain_text(text):
    """The words of a Markdown passage as a reader sees them, with spaces collapsed."""
    parser = _TextCollector()
    parser.feed(render(BLOCK_MARKER.sub("", text)))
    parser.close()
    return " ".join("".join(parser.parts).split())


def quote_anchor(quote):
    """A stable fragment id for a quoted passage: the same words give the same anchor."""
    digest = hashlib.sha256(" ".join(quote.split()).encode()).hexdigest()
    return f"quote-{digest[:12]}"


def mark_quotes(rendered, quotes):
    """Wrap the first occurrence of each quote in rendered HTML in <mark class="cited" id=...>.

    Quotes are Markdown source, matched against the text a reader sees, ignoring differences in
    whitespace. A passage that crosses elements (bold words, paragraphs) gets one mark per text
    run, the first carrying the id. Quotes that partly overlap stretch the earlier mark over
    both, so marks always nest and the HTML stays well formed. Quotes not found are skipped.
    """
    nodes = _split(rendered)
    text = "".join(value for is_text, value in nodes if is_text)
    flat, positions = _collapse_whitespace(text)
    spans = {}
    for quote in quotes:
        anchor = quote_anchor(quote)
        needle = plain_text(quote)
        if anchor in spans or not needle:
            continue
        found = flat.find(needle)
        if found >= 0:
            spans[anchor] = [positions[found], positions[found + len(needle) - 1] + 1]
    if not spans:
        return rendered
    ranges = _nest(spans)
    return trusted(_wrap(nodes, ranges))


def _nest(spans):
    """Order spans outermost first, stretching partly overlapping ones so that they nest."""
    ranges = sorted(
        ([start, end, anchor] for anchor, (start, end) in spans.items()),
        key=lambda r: (r[0], -r[1]),
    )
    open_ranges = []
    for current in ranges:
        open_ranges = [r for r in open_ranges if r[1] > current[0]]
        for enclosing in open_ranges:
            enclosing[1] = max(enclosing[1], current[1])
        open_ranges.append(current)
    return ranges


def _wrap(nodes, ranges):
    out = []
    offset = 0
    placed = set()

    def open_mark(anchor):
        if anchor in placed:
            return '<mark class="cited">'
        placed.add(anchor)
        return f'<mark class="cited" id="{anchor}">'

    for is_text, value in nodes:
        end = offset + len(value) if is_text else offset
        covering = [r for r in ranges if r[0] < end and r[1] > offset]
        # Marks never wrap whitespace between block elements, where they would be invalid.
        if not is_text or not covering or not value.strip():
            out.append(html.escape(value, quote=False) if is_text else value)
            offset = end
            continue
        cuts = sorted({offset, end, *(p for r in covering for p in r[:2] if offset < p < end)})
        stack = []
        for left, right in itertools.pairwise(cuts):
            while stack and stack[-1][1] <= left:
                stack.pop()
                out.append("</mark>")
            for r in covering:
                if r not in stack and r[0] <= left and r[1] >= right:
                    stack.append(r)
                    out.append(open_mark(r[2]))
            out.append(html.escape(value[left - offset : right - offset], quote=False))
        out.append("</mark>" * len(stack))
        offset = end
    return "".join(out)


def _collapse_whitespace(text):
    """The text with each run of whitespace as one space, and where each character came from."""
    flat, positions = [], []
    previous_space = True
    for index, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            char = " "
            previous_space = True
        else:
            previous_space = False
        flat.append(char)
        positions.append(index)
    return "".join(flat), positions


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


class _Splitter(HTMLParser):
    """Splits HTML into (is_text, value) pieces: text unescaped, tags as written."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.nodes = []

    def handle_starttag(self, tag, attrs):
        self.nodes.append((False, self.get_starttag_text()))

    def handle_startendtag(self, tag, attrs):
        self.nodes.append((False, self.get_starttag_text()))

    def handle_endtag(self, tag):
        self.nodes.append((False, f"</{tag}>"))

    def handle_data(self, data):
        self.nodes.append((True, data))


def _split(rendered):
    parser = _Splitter()
    parser.feed(rendered)
    parser.close()
    return parser.nodes
