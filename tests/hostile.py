"""Hostile files for ingest: each kind a Hypothesis strategy of (file name, bytes). tests/test_hostile.py feeds
them to an archive and checks each is indexed correctly or refused with a reason, within the stated bounds.

A kind's `accept` says what must happen: True (indexed), False (refused) or None (either, as long as it is one
of the two, correctly). `slow` kinds build or read large files (marked slow in the tests)."""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

ARTICLE = (
    "Aid convoy reaches Idlib after three-day delay\n\n"
    "A convoy of 40 trucks carrying food and medicine crossed into Idlib province on Tuesday, "
    "three days later than planned, the United Nations said. "
    "The trucks used the Bab al-Hawa crossing on the Turkish border, the only route approved for aid. "
    "Officials said the delay was caused by fighting near the road and by checks at the border. "
    "About 1.5 million people in the province depend on the deliveries, according to aid groups. "
    "A second convoy is expected next week if the road stays open.\n"
)
PARAGRAPHS = [p for p in ARTICLE.split(". ") if p]


@dataclass(frozen=True)
class Kind:
    name: str
    what: str  # as the docs list it
    files: st.SearchStrategy[tuple[str, bytes]]
    accept: bool | None = None
    slow: bool = False


def _html(body: str, head: str = "") -> bytes:
    return f"<!doctype html><html><head><title>Aid convoy</title>{head}</head><body>{body}</body></html>".encode()


def _article_html() -> str:
    return (
        "<article><h1>Aid convoy reaches Idlib</h1>"
        + "".join(f"<p>{p}.</p>" for p in PARAGRAPHS)
        + "</article>"
    )


# ---- PDFs, written by hand (no PDF library writes the odd ones) ---------------------------------------------


def pdf(pages: list[str], *, attachment: bytes | None = None, compress_junk: int = 0) -> bytes:
    """A PDF whose pages show the given lines of text (Helvetica), optionally with an embedded file and a
    page whose content stream inflates to compress_junk bytes of spaces."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    pages_id = len(objects) + 1 + 0  # reserved below
    objects.append(b"")  # placeholder for the page tree
    kids = []
    for text in pages:
        lines = [text[i : i + 80] for i in range(0, len(text), 80)] or [""]
        ops = ["BT /F1 11 Tf 50 780 Td 14 TL"]
        for line in lines[:50]:
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({safe}) '")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1", "replace")
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                b"/Contents %d 0 R >>" % (pages_id, font, content)
            )
        )
    if compress_junk:
        junk = zlib.compress(b" " * compress_junk, 9)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(junk) + junk + b"\nendstream")
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>"
                % (pages_id, content)
            )
        )
    kid_refs = b" ".join(b"%d 0 R" % k for k in kids)
    objects[pages_id - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kid_refs, len(kids))
    names = b""
    if attachment is not None:
        ef = add(
            b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(attachment) + attachment + b"\nendstream"
        )
        spec = add(b"<< /Type /Filespec /F (notes.txt) /EF << /F %d 0 R >> >>" % ef)
        names = b" /Names << /EmbeddedFiles << /Names [(notes.txt) %d 0 R] >> >>" % spec
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages_id, names))
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def encrypted_pdf(user_password: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf([ARTICLE]))))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---- the kinds ------------------------------------------------------------------------------------------------


def span(lo: int, hi: int) -> st.SearchStrategy[int]:
    """lo..hi, the largest and the smallest drawn first (a seed-fixed run of two examples gets both ends)."""
    return st.sampled_from([hi, lo]) | st.integers(min_value=lo, max_value=hi)


def _kinds() -> list[Kind]:
    k: list[Kind] = []

    def add(
        name: str,
        what: str,
        files: st.SearchStrategy[tuple[str, bytes]],
        accept: bool | None = None,
        slow: bool = False,
    ) -> None:
        k.append(Kind(name, what, files, accept, slow))

    b = st.binary(min_size=1, max_size=4096)
    # generated bytes
    add("bytes-txt", "generated bytes named .txt", st.tuples(st.just("noise.txt"), b))
    add("bytes-html", "generated bytes named .html", st.tuples(st.just("noise.html"), b))
    add("bytes-pdf", "generated bytes named .pdf", st.tuples(st.just("noise.pdf"), b), accept=False)
    add("bytes-md", "generated bytes named .md", st.tuples(st.just("noise.md"), b))
    add(
        "magic-png",
        "a PNG signature then bytes, named .txt",
        st.tuples(st.just("photo.txt"), b.map(lambda x: b"\x89PNG\r\n\x1a\n" + x)),
        accept=False,
    )
    add(
        "magic-zip",
        "a ZIP (office file) signature, named .html",
        st.tuples(st.just("doc.html"), b.map(lambda x: b"PK\x03\x04" + x)),
        accept=False,
    )
    add(
        "magic-elf",
        "a program (ELF) named .md",
        st.tuples(st.just("prog.md"), b.map(lambda x: b"\x7fELF" + x)),
        accept=False,
    )
    # HTML
    depth = span(1_000, 100_000)
    add(
        "html-deep-nesting",
        "HTML: the article inside 1,000-100,000 nested <div>s",
        depth.map(lambda d: ("deep.html", _html("<div>" * d + _article_html() + "</div>" * d))),
    )
    add(
        "html-unclosed-nesting",
        "HTML: 1,000-100,000 unclosed <div><span><b>, then text",
        depth.map(lambda d: ("unclosed.html", _html("<div><span><b>" * (d // 3) + ARTICLE))),
    )
    add(
        "html-huge-attribute",
        "HTML: one attribute of 0.5-3 MB beside the article",
        span(500_000, 3_000_000).map(
            lambda n: ("attr.html", _html(f'<div data-x="{"A" * n}">' + _article_html() + "</div>"))
        ),
    )
    add(
        "html-many-attributes",
        "HTML: one tag with 10,000-100,000 attributes",
        span(10_000, 100_000).map(
            lambda n: (
                "attrs.html",
                _html("<div " + " ".join(f"a{i}=x" for i in range(n)) + ">" + _article_html() + "</div>"),
            )
        ),
    )
    add(
        "html-entity-expansion",
        "HTML: an XML billion-laughs DOCTYPE (nested entities) before the page",
        span(5, 12).map(
            lambda n: (
                "laughs.html",
                (
                    '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY l0 "lol">'
                    + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, n))
                    + f"]><html><body><p>&l{n - 1};</p>{_article_html()}</body></html>"
                ).encode(),
            )
        ),
    )
    add(
        "html-many-entities",
        "HTML: 100,000-700,000 character references (&amp; &#x1F600; &nbsp;), up to 4.7 MB",
        span(100_000, 700_000).map(
            lambda n: (
                "entities.html",
                _html("<p>" + "&amp;&#x1F600;&nbsp;" * (n // 3) + "</p>" + _article_html()),
            )
        ),
    )
    add(
        "html-broken-encoding",
        "HTML: declared UTF-8, bytes in cp1252 and invalid UTF-8 sequences",
        st.binary(min_size=0, max_size=64).map(
            lambda junk: (
                "broken.html",
                _html(_article_html().replace("three", "thr\xe9e"), '<meta charset="utf-8">').replace(
                    b"\xc3\xa9", b"\xe9"
                )
                + junk
                + b"\xff\xfe\xc0\x80",
            )
        ),
    )
    add(
        "html-bogus-charset",
        "HTML: an unknown declared charset",
        st.sampled_from(["x-unknown", "utf-7", "ebcdic-cp-us", ""]).map(
            lambda cs: ("charset.html", _html(_article_html(), f'<meta charset="{cs}">'))
        ),
    )
    add(
        "html-utf16",
        "HTML: UTF-16 with a byte-order mark",
        st.sampled_from(["utf-16-le", "utf-16-be"]).map(
            lambda enc: (
                "utf16.html",
                (b"\xff\xfe" if enc.endswith("le") else b"\xfe\xff")
                + _html(_article_html()).decode().encode(enc),
            )
        ),
    )
    add(
        "html-scripts-only",
        "HTML: scripts only (text inside <script>)",
        span(1, 200).map(lambda n: ("scripts.html", _html(f"<script>var s = {ARTICLE!r};</script>" * n))),
        accept=False,
    )
    add(
        "html-styles-only",
        "HTML: styles only",
        span(1, 200).map(
            lambda n: ("styles.html", _html(("<style>p { color: red } /* " + ARTICLE + " */</style>") * n))
        ),
        accept=False,
    )
    add(
        "html-comments-only",
        "HTML: comments only, one left unclosed",
        span(1, 200).map(
            lambda n: ("comments.html", _html(f"<!-- {ARTICLE} -->" * n + "<!-- unclosed " + ARTICLE))
        ),
        accept=False,
    )
    add(
        "html-menus-only",
        "HTML: navigation and links only",
        span(1, 300).map(
            lambda n: (
                "menus.html",
                _html(
                    "<nav><ul>"
                    + "".join(f'<li><a href="/s{i}">Section {i}</a></li>' for i in range(n))
                    + "</ul></nav>"
                ),
            )
        ),
        accept=False,
    )
    add(
        "html-tag-soup",
        "HTML: tag soup (stray brackets, unclosed quotes and tags) around the article",
        st.text(alphabet="<>/\"'=! abc", max_size=400).map(
            lambda soup: ("soup.html", _html(soup + _article_html() + soup))
        ),
    )
    add(
        "html-svg-math-iframe",
        "HTML: inline SVG, MathML, iframes and templates around the article",
        span(1, 50).map(
            lambda n: (
                "svg.html",
                _html(
                    '<svg><text>chart</text></svg><math><mi>x</mi></math><iframe src="x"></iframe>' * n
                    + "<template><p>hidden</p></template>"
                    + _article_html()
                ),
            )
        ),
    )
    # PDFs
    good_pdf = pdf([ARTICLE, ARTICLE.replace("Tuesday", "Wednesday")])
    add(
        "pdf-truncated",
        "PDF: a good one cut anywhere",
        st.integers(1, len(good_pdf) - 1).map(lambda n: ("cut.pdf", good_pdf[:n])),
    )
    add(
        "pdf-encrypted",
        "PDF: encrypted with a user password",
        st.just(("locked.pdf", encrypted_pdf("secret"))),
        accept=False,
    )
    add(
        "pdf-encrypted-empty-password",
        "PDF: encrypted, empty user password (opens without one)",
        st.just(("open.pdf", encrypted_pdf(""))),
        accept=True,
    )
    add(
        "pdf-many-pages",
        "PDF: 1,000-5,000 pages (more than max_pdf_pages)",
        span(1_000, 5_000).map(lambda n: ("pages.pdf", pdf(["Page of the annual report."] * n))),
        accept=False,
        slow=True,
    )
    add(
        "pdf-pages-within-limit",
        "PDF: 20-200 pages of text (within max_pdf_pages)",
        span(20, 200).map(
            lambda n: (
                "report.pdf",
                pdf([ARTICLE] + [f"Appendix page {i}. The figures are in the table." for i in range(n)]),
            )
        ),
        accept=True,
        slow=True,
    )
    add(
        "pdf-embedded-file",
        "PDF: a text page and an embedded file (the file is not read)",
        st.binary(max_size=2000).map(lambda att: ("attached.pdf", pdf([ARTICLE], attachment=att))),
        accept=True,
    )
    add(
        "pdf-no-text",
        "PDF: blank pages only",
        span(1, 20).map(lambda n: ("blank.pdf", pdf([""] * n))),
        accept=False,
    )
    add(
        "pdf-inflation-bomb",
        "PDF: a content stream that inflates to 50-200 MB",
        span(50, 200).map(lambda mb: ("bomb.pdf", pdf([ARTICLE], compress_junk=mb * 1_000_000))),
        slow=True,
    )
    add(
        "pdf-header-in-text",
        "a text file holding a PDF header (named .txt)",
        st.just(("fake.txt", b"%PDF-1.4\n" + ARTICLE.encode())),
        accept=False,
    )
    # text
    add(
        "text-50mb-line",
        "text: one 50 MB line",
        st.sampled_from([b"A", b"word "]).map(lambda unit: ("line.txt", unit * (50_000_000 // len(unit)))),
        accept=False,
        slow=True,
    )
    add(
        "text-long-line-within-limit",
        "text: one line of 0.1-2 MB (under max_file_bytes; over max_document_chars past 250,000 characters)",
        st.tuples(span(100_000, 2_000_000), st.sampled_from(["word ", "A", "Officials said. "])).map(
            lambda t: ("longline.txt", (t[1] * (t[0] // len(t[1]))).encode())
        ),
        slow=True,
    )
    add(
        "text-nul-bytes",
        "text: NUL bytes at the start, the middle or the end",
        st.sampled_from([0, 0.5, 1.0]).map(
            lambda where: (
                "nul.txt",
                (ARTICLE * 40)[: int(len(ARTICLE) * 40 * where)].encode() + b"\x00" + (ARTICLE * 40).encode(),
            )
        ),
    )
    add(
        "text-mixed-encodings",
        "text: UTF-8, cp1252 and latin-1 in one file",
        st.permutations(
            [
                ARTICLE.encode("utf-8"),
                "Caf\xe9 d\xe9j\xe0 vu \u201cquoted\u201d\n".encode("cp1252"),
                "na\xefve \xa3 \xb5\n".encode("latin-1"),
            ]
        ).map(lambda parts: ("mixed.txt", b"\n".join(parts))),
    )
    add(
        "text-utf16",
        "text: UTF-16 with and without a byte-order mark",
        st.sampled_from(["utf-16", "utf-16-le", "utf-16-be"]).map(
            lambda enc: ("wide.txt", ARTICLE.encode(enc))
        ),
    )
    add(
        "text-surrogates",
        "text: encoded lone surrogates (CESU-8/WTF-8 bytes) and overlong forms",
        st.sampled_from([b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xf4\x90\x80\x80"]).map(
            lambda bad: ("surrogate.txt", ARTICLE.encode() + bad + ARTICLE.encode())
        ),
    )
    add(
        "text-controls",
        "text: control characters, bidi overrides and zero-width characters in the article",
        st.text(
            alphabet="\x01\x07\x08\x0b\x0c\x1b\x7f\u202e\u202d\u200b\u200d\ufeff\u2028",
            min_size=1,
            max_size=50,
        ).map(lambda c: ("controls.txt", (ARTICLE[:200] + c + ARTICLE[200:]).encode())),
    )
    add(
        "text-whitespace-only",
        "text: whitespace and newlines only",
        st.text(alphabet=" \t\r\n\u00a0\u3000", min_size=1, max_size=5000).map(
            lambda t: ("blank.txt", t.encode() or b" ")
        ),
        accept=False,
    )
    add(
        "text-one-word",
        "text: one word repeated without spaces (0.1-1 MB)",
        span(100_000, 1_000_000).map(lambda n: ("word.txt", b"x" * n)),
    )
    add(
        "empty",
        "an empty file",
        st.sampled_from(["empty.txt", "empty.html", "empty.pdf"]).map(lambda n: (n, b"")),
        accept=False,
    )
    add(
        "markdown-huge-heading",
        "Markdown: a 100 KB heading over the article",
        span(1_000, 100_000).map(lambda n: ("head.md", f"# {'Big ' * (n // 4)}\n\n{ARTICLE}".encode())),
    )
    add(
        "control-article",
        "a plain article (the control: must be indexed)",
        st.just(("convoy.txt", ARTICLE.encode())),
        accept=True,
    )
    add(
        "control-article-html",
        "an HTML article (the control)",
        st.just(("convoy.html", _html(_article_html()))),
        accept=True,
    )
    return k


KINDS: list[Kind] = _kinds()
BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}
Example = Callable[[], tuple[str, bytes]]
