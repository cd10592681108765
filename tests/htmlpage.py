"""Read a rendered page the way assistive technology does: elements by id and their text."""

from html.parser import HTMLParser

VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
}  # fmt: skip


class Page(HTMLParser):
    def __init__(self, response_or_html):
        super().__init__(convert_charrefs=True)
        content = getattr(response_or_html, "content", response_or_html)
        self.elements = []
        self._open = []
        self.feed(content.decode() if isinstance(content, bytes) else content)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": []}
        self.elements.append(element)
        if tag not in VOID_ELEMENTS:
            self._open.append(element)

    def handle_startendtag(self, tag, attrs):
        self.elements.append({"tag": tag, "attrs": dict(attrs), "text": []})

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                return

    def handle_data(self, data):
        for element in self._open:
            element["text"].append(data)

    def by_id(self, element_id):
        found = [element for element in self.elements if element["attrs"].get("id") == element_id]
        assert len(found) == 1, f"expected one element with id {element_id!r}, found {len(found)}"
        return found[0]

    def text_of(self, element_id):
        return " ".join("".join(self.by_id(element_id)["text"]).split())

    def described_by(self, element_id):
        """Elements whose aria-describedby names element_id."""
        return [
            element
            for element in self.elements
            if element_id in element["attrs"].get("aria-describedby", "").split()
        ]

    def field_error(self, form_field_name):
        """The error text shown next to a crispy-forms field, checked to be announced with it."""
        error_id = f"id_{form_field_name}_error"
        assert "invalid-feedback" in self.by_id(error_id)["attrs"].get("class", "").split()
        assert self.described_by(error_id), f"no control is described by #{error_id}"
        return self.text_of(error_id)

    def all_with(self, tag, **attrs):
        return [
            element
            for element in self.elements
            if element["tag"] == tag
            and all(element["attrs"].get(name) == value for name, value in attrs.items())
        ]
