"""The shared HTML of a report: self-contained and offline, with a table of contents and print styles.

nbconvert's page loads require.js and MathJax from public CDNs, which stalls or breaks the page offline
and on many mainland networks. A report needs no script at all: every ``<script>`` and every external
stylesheet, font or image is removed (images are already embedded as data URIs), and a table of
contents is built from the section headings.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment

PRINT_CSS = """
body { max-width: 1100px; margin: 0 auto; }
nav.cs-toc { border: 1px solid #dce6f2; background: #f7f9fc; padding: 8px 16px; margin: 8px 0 18px;
  font-size: 14px; }
nav.cs-toc ol { margin: 4px 0; padding-left: 20px; columns: 2; }
nav.cs-toc .title { font-weight: 700; }
@media print {
  nav.cs-toc { columns: 1; }
  h2 { break-before: auto; break-after: avoid; }
  img, table, figure { break-inside: avoid; }
  .jp-OutputArea-output { overflow: visible !important; }
  @page { size: A4; margin: 14mm 12mm; }
}
"""
_EXTERNAL = re.compile(r"^\s*(https?:)?//", re.I)
TOC_TITLE = {"zh": "目录", "en": "Contents"}


def self_contained(html: str, language: str = "zh", title: str | None = None) -> str:
    """``html`` without scripts or external resources, with a table of contents and print styles.

    Examples
    --------
    >>> page = ('<html><head><script src="https://cdn.example/require.js"></script></head><body>'
    ...         '<h1 id="t">报告</h1><h2 id="a">要点</h2><p>x</p><h2 id="b">趋势</h2></body></html>')
    >>> out = self_contained(page)
    >>> "<script" in out, 'href="#a"' in out, "cdn.example" in out
    (False, True, False)
    """
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all("script"):
        tag.decompose()
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()  # nbconvert's notes about the scripts just removed
    for tag in soup.find_all("link"):
        if _EXTERNAL.match(tag.get("href", "")) or "stylesheet" not in (tag.get("rel") or []):
            tag.decompose()
    for tag in soup.find_all(["img", "iframe", "source", "video", "audio", "embed", "object"]):
        for attr in ("src", "data", "srcset"):
            if _EXTERNAL.match(tag.get(attr, "") or ""):
                tag.decompose()
                break
    for tag in soup.find_all("style"):
        if tag.string and "@import" in tag.string:
            tag.string = re.sub(r"@import[^;]+;", "", tag.string)
    for anchor in soup.select("a.anchor-link"):
        anchor.decompose()
    if soup.html is not None:
        soup.html["lang"] = "zh-CN" if language == "zh" else "en"
    head = soup.head or soup.new_tag("head")
    if soup.head is None and soup.html is not None:
        soup.html.insert(0, head)
    if not head.find("meta", attrs={"charset": True}):
        head.insert(0, soup.new_tag("meta", charset="utf-8"))
    style = soup.new_tag("style")
    style.string = PRINT_CSS
    head.append(style)
    heading = soup.find("h1")
    if title or heading is not None:
        title_tag = head.find("title") or soup.new_tag("title")
        title_tag.string = title or heading.get_text(" ", strip=True)
        head.append(title_tag)
    sections = [h for h in soup.find_all("h2") if h.get("id")]
    if heading is not None and len(sections) > 1:
        nav = soup.new_tag("nav", attrs={"class": "cs-toc"})
        caption = soup.new_tag("div", attrs={"class": "title"})
        caption.string = TOC_TITLE.get(language, TOC_TITLE["en"])
        nav.append(caption)
        items = soup.new_tag("ol")
        for h in sections:
            item = soup.new_tag("li")
            link = soup.new_tag("a", href=f"#{h['id']}")
            link.string = h.get_text(" ", strip=True)
            item.append(link)
            items.append(item)
        nav.append(items)
        heading.insert_after(nav)
    return str(soup)
