"""What a file really is, from its first bytes: an extension is a claim, the content is the evidence."""

from __future__ import annotations

import re

# Signatures of formats that are never articles (images, archives, office files, executables, media).
_BINARY = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF file (WebP image, WAV or AVI)"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"MZ", "a Windows program"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"ID3", "an MP3 file"),
    (b"OggS", "an Ogg file"),
    (b"\x00\x00\x00", "a binary file"),
)
_HTML = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

PDF_SUFFIXES = {".pdf"}
HTML_SUFFIXES = {".html", ".htm"}


def sniff(data: bytes) -> str:
    """'pdf', 'html', 'text', or what a non-article format looks like ('a PNG image')."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text (save it as UTF-8)"
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    if b"%PDF-" in data[:1024]:  # the PDF header may follow a little junk
        return "pdf"
    for magic, what in _BINARY:
        if head.startswith(magic):
            return what
    if b"\x00" in head:
        return "a binary file"
    if _HTML.match(head):  # a whole page; a few tags inside Markdown or text don't make one
        return "html"
    return "text"


def mismatch(suffix: str, kind: str) -> str | None:
    """The per-file reason when a file's content does not fit its name, else None."""
    suffix = suffix.lower()
    if kind not in {"pdf", "html", "text"}:
        return f"not an article: the content is {kind}"
    if suffix in PDF_SUFFIXES and kind != "pdf":
        return "named .pdf but the content is not a PDF"
    if kind == "pdf" and suffix not in PDF_SUFFIXES:
        return f"the content is a PDF but the name ends in {suffix or 'nothing'}; name it .pdf"
    if kind == "html" and suffix not in HTML_SUFFIXES and suffix != "":
        return f"the content is an HTML page but the name ends in {suffix}; name it .html"
    return None
