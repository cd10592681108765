"""Markdown rendering, sanitising and marking of cited passages, without the database."""

import pytest

from knowledge import markup

from .htmlpage import Page

PAYLOADS = [
    "<script>alert('xss')</script>",
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)">click</p>',
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">raw link</a>',
    "[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,hi">raw data link</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<svg onload="alert(1)"></svg>',
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dangerous_markup_never_survives_rendering(payload):
    html = markup.render(f"Before.\n\n{payload}\n\nAfter.")

    lowered = html.lower()
    for forbidden in ("<script", "onerror", "onclick", "onload", "javascript:", "data:", "alert"):
        assert forbidden not in lowered
    for forbidden in ("<iframe", "<img", "<svg", "<style"):
        assert forbidden not in lowered
    assert "<p>Before.</p>" in html
    assert "<p>After.</p>" in html


def test_markdown_structure_and_safe_links_are_kept():
    html = markup.render(
        "## Heading\n\nSome **bold** and *soft* text.\n\n- one\n- two\n\n"
        "[site](https://example.org/) [mail](mailto:a@example.org) [here](/knowledge/)"
    )

    assert "<h2>Heading</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>soft</em>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.org/"' in html
    assert 'href="mailto:a@example.org"' in html
    assert 'href="/knowledge/"' in html


def test_the_same_quote_always_gets_the_same_anchor_whatever_its_spacing():
    assert markup.quote_anchor("Cramps  are\nsudden.") == markup.quote_anchor("Cramps are sudden.")
    assert markup.quote_anchor("Cramps are sudden.") != markup.quote_anchor("Cramps are slow.")


def test_a_quote_is_wrapped_in_a_mark_with_its_anchor():
    html = markup.mark_quotes(markup.render("One. Two three. Four."), ["Two three."])

    page = Page(html)
    assert page.text_of(markup.quote_anchor("Two three.")) == "Two three."
    assert '<mark class="cited" id="' in html


def test_a_quote_across_bold_text_and_list_items_is_marked_without_breaking_the_html():
    source = "Intro **with bold** words.\n\n- first item\n- second item\n"
    quote_bold = "Intro **with bold** words."
    quote_list = "first item\n- second item"

    html = markup.mark_quotes(markup.render(source), [quote_bold, quote_list])

    page = Page(html)
    assert page.by_id(markup.quote_anchor(quote_bold))["tag"] == "mark"
    assert page.text_of(markup.quote_anchor(quote_list)) == "first item"
    assert html.count("<mark") == html.count("</mark>")
    assert "<ul>\n<li>" in html, "whitespace between list items must stay unmarked"


def test_nested_duplicate_and_overlapping_quotes_each_get_one_anchor():
    source = "Alpha beta gamma delta epsilon."
    quotes = ["Alpha beta gamma", "beta", "gamma delta", "beta", "not in the text"]

    html = markup.mark_quotes(markup.render(source), quotes)

    page = Page(html)
    assert page.text_of(markup.quote_anchor("beta")) == "beta"
    assert page.text_of(markup.quote_anchor("gamma delta")) == "gamma delta"
    # The earlier mark stretches over the later, overlapping one so that marks nest.
    assert page.text_of(markup.quote_anchor("Alpha beta gamma")) == "Alpha beta gamma delta"
    assert markup.quote_anchor("not in the text") not in html
    assert html.count("<mark") == html.count("</mark>") == 3


def test_marking_keeps_escaped_characters_escaped():
    source = "Salt & pepper < 5 g. Then rest."
    html = markup.mark_quotes(markup.render(source), ["Salt & pepper < 5 g."])

    assert "Salt &amp; pepper &lt; 5 g." in html
    assert "<mark" in html


def test_text_without_quotes_is_returned_unchanged():
    html = markup.render("Nothing cited here.")

    assert markup.mark_quotes(html, []) == html
