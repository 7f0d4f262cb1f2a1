"""The links, forms and tables of an HTML page, read with html.parser: what
the demo's landing page tests follow, through the test client or a browser."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    """``links``: every ``<a href>`` and ``<link href>`` as ``(href,
    attributes)``, in page order; ``forms``: every ``<form>``'s
    attributes; ``rows``: the text of each ``<td>`` of each ``<tr>``
    with ``<td>`` cells, with the ``href`` of the cell's link (or None);
    ``title``: the ``<title>`` text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, dict[str, str | None]]] = []
        self.forms: list[dict[str, str | None]] = []
        self.rows: list[list[tuple[str, str | None]]] = []
        self.title = ""
        self._in_title = False
        self._row: list[tuple[str, str | None]] | None = None
        self._cell: list[str] | None = None
        self._cell_href: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        href = attributes.get("href")
        if tag in ("a", "link") and href is not None:
            self.links.append((href, attributes))
            if tag == "a" and self._cell is not None:
                self._cell_href = href
        elif tag == "form":
            self.forms.append(attributes)
        elif tag == "title":
            self._in_title = True
        elif tag == "tr":
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell, self._cell_href = [], None

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "td" and self._row is not None and self._cell is not None:
            self._row.append(("".join(self._cell).strip(), self._cell_href))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        if self._cell is not None:
            self._cell.append(data)
