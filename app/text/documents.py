"""Read files into documents: decoded text, content spans (site chrome removed) and metadata."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from app.core.settings import Settings
from app.text.boilerplate import THRESHOLD, Repetition, probabilities
from app.text.dates import find_dates, parse_date
from app.text.html import Page, extract_page, html_to_text, most_attributes
from app.text.sniff import mismatch, sniff

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}


@dataclass
class Document:
    """One source file: its text (what citation offsets index) and where the article body is."""

    source: str
    text: str
    spans: list[tuple[int, int]]
    title: str
    publisher: str | None = None
    published: str | None = None
    dates: list[str] = field(default_factory=list)
    content_hash: str = ""
    warnings: list[str] = field(default_factory=list)
    path: str = ""  # the file's path relative to its folder (source may carry the folder's name too)
    author: str | None = None  # an HTML page's byline (trafilatura's metadata)


class SkipFile(Exception):
    """A file that cannot be ingested; the message is the per-file reason shown to the user."""


_SECTION = re.compile(
    r"^(world( news)?|news|armed conflicts|politics|business|sport|tech(nology)?|entertainment|opinion|middle east|analysis)$",
    re.IGNORECASE,
)
_FOLLOW_PUBLISHER = re.compile(r"(?i:follow) ([A-Z][\w'’\-]+(?: [A-Z][\w'’\-]+){0,3}) on\b")


# "… told The New Arab", "… told Asharq Al-Awsat": reporters name their own outlet this way.
_TOLD = re.compile(r"\btold (?:the )?((?:The )?[A-Z][\w'’\-]*(?: [A-Z][\w'’\-]*){0,3})")


HONORIFICS = ("Mr", "Mrs", "Ms", "Dr", "Sir", "Lord", "Lady", "President", "Prime", "Minister")
# What an outlet owns: "The New Arab’s Arabic service", "Al Jazeera’s correspondent".
MEDIA_WORDS = (
    "service|website|programme|program|channel|correspondent|reporter|newspaper|edition|radio|television|TV"
)


def _publisher_from_told(text: str) -> str | None:
    """An outlet that someone "told" and that the text also names as owner ("The New Arab’s Arabic service"):
    a person told twice is not taken for one (honorifics), nor is a one-off interview with another outlet."""
    for m in _TOLD.finditer(text):
        name = m.group(1)
        if name.split()[0] in HONORIFICS or text[m.end() : m.end() + 2] in ("'s", "’s"):
            continue  # "told Arsenal's website": the club's site, not an outlet called Arsenal
        if re.search(rf"\b{re.escape(name)}['’]s (?:\w+ )?(?:{MEDIA_WORDS})\b", text):
            return name
    return None


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode(data: bytes, settings: Settings) -> tuple[str, list[str]]:
    """Decode bytes as UTF-8, else the fallback encoding with a warning; refuse binary."""
    if b"\x00" in data:  # anywhere: a NUL is never article text (and would reach the store)
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        try:
            text = data.decode(settings.fallback_encoding)
        except UnicodeDecodeError:
            text = data.decode("latin-1")
            return text, [f"not UTF-8 (byte {exc.start}); decoded as latin-1"]
        return text, [f"not UTF-8 (byte {exc.start}); decoded as {settings.fallback_encoding}"]


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, stripped) for each line, offsets into text."""
    pos = 0
    for raw in text.splitlines(keepends=True):
        body = raw.rstrip("\r\n")
        lead = len(body) - len(body.lstrip())
        stripped = body.strip()
        yield pos + lead, pos + lead + len(stripped), stripped
        pos += len(raw)


# "Read also: Another story's headline", "Mehr zum Thema: …": a label and a colon before a headline, a link.
_CROSS_LINK = re.compile(r"^\w+(?: \w+){0,2}: [^.!?]*[^.!?\"”’)]$")


def _is_prose(line: str) -> bool:
    """Body text ends like a sentence; headings, captions, menus and cross-links don't."""
    words = line.split()
    return (len(words) >= 14 or (len(words) >= 3 and line[-1:] in '.!?"”’)')) and not _CROSS_LINK.match(line)


# Headings that close an article in the main languages of the news: its comments, the other stories.
_CLOSING = re.compile(
    r"^(\d+ )?(comments?|kommentare?|commentaires?|comentarios?|commenti|leave a (reply|comment)"
    r"|related (articles|stories|posts|news)|more (stories|news)|read more|ähnliche (artikel|beiträge)"
    r"|das könnte sie auch interessieren|à lire aussi|lire aussi|te puede interesar)\s*:?$",
    re.IGNORECASE,
)
# Between two body lines, a prose line is body unless the classifier gives it less than this.
INSIDE_THRESHOLD = 0.1


def analyse(source: str, text: str, repetition: Repetition | None = None) -> Document:
    """Find the article body spans and the metadata of a decoded text document.

    Which lines are the article is the line classifier's call (app/text/boilerplate.py; `repetition`: how often
    each line recurs in the files of the document's folder, when it is read with them). The headline and a
    date line are metadata, not body; a line that recurs across the folder is never the headline."""
    lines = [(s, e, ln) for s, e, ln in _lines(text) if ln]
    texts = [ln for _, _, ln in lines]
    p = probabilities(texts, repetition)
    recurring = repetition.recurring if repetition else (lambda _: False)
    prose = [_is_prose(ln) for ln in texts]
    # The first strong paragraph (long prose the classifier keeps) anchors the article; its headline is the
    # first title-like line before it, and nothing above the headline is body.
    anchor = next(
        (
            i
            for i, ln in enumerate(texts)
            if p[i] > THRESHOLD and len(ln.split()) >= 14 and not _looks_like_title(ln)
        ),
        len(texts),
    )
    heads = [i for i in range(anchor) if _looks_like_title(texts[i]) and not recurring(texts[i])]
    top = heads[0] if heads else None
    title_line = ""
    if heads:  # a page's "Headline | Site" title line, the headline repeated above the article: that one
        head = _split_title(texts[heads[0]])[0]
        top = next((i for i in range(heads[0] + 1, len(texts)) if texts[i] == head), top)
        title_line = texts[heads[0]] if top != heads[0] else ""
    title_line = title_line or (texts[top] if top is not None else "")
    # The readers' comments, or the list of other stories, close the article: nothing after their heading.
    end = next((i for i in range(anchor, len(texts)) if _CLOSING.match(texts[i])), len(texts))
    keep = [
        (top if top is not None else -1) < i < end
        and prose[i]
        and p[i] > THRESHOLD
        and texts[i] != title_line
        for i in range(len(texts))
    ]
    # A prose line between two kept ones is the article's too, unless the classifier is sure it is not.
    # So is a run of prose lines right after the last one (a list closing the article), up to the first line
    # that is not prose.
    kept = [i for i, k in enumerate(keep) if k]
    if kept:
        near = [prose[i] and p[i] > INSIDE_THRESHOLD and texts[i] != title_line for i in range(len(texts))]
        for i in range(kept[0], kept[-1]):
            keep[i] = keep[i] or near[i]
        i = kept[-1] + 1
        while i < end and near[i]:
            keep[i] = True
            i += 1
    first = kept[0] if kept else len(texts)
    header = [ln for ln in texts[:first] if not recurring(ln) and ln != title_line]
    if not title_line:
        title_line = next((h for h in header if len(h.split()) >= 2 and not _SECTION.match(h)), "")
    spans: list[tuple[int, int]] = []
    published = None
    for (start, end, line), k in zip(lines, keep, strict=True):
        if published is None and len(line) <= 40 and not recurring(line) and (d := parse_date(line)):
            published = d
            continue
        if k:
            spans.append((start, end))
    publisher = _publisher_from_header(header, title_line)
    title, suffix = _split_title(title_line or Path(source).stem)
    publisher = publisher or suffix
    if publisher is None:
        if m := _FOLLOW_PUBLISHER.search(text):
            publisher = m.group(1)
    if publisher is None:
        publisher = _publisher_from_told("\n".join(text[s:e] for s, e in spans))
    return Document(
        source=source,
        text=text,
        spans=spans,
        title=title,
        publisher=publisher,
        published=published,
        dates=find_dates(text[s:e] for s, e in spans),
        content_hash=sha256_text(text),
    )


def from_page(source: str, page: Page, repetition: Repetition | None = None) -> Document:
    """A document from an extracted HTML page: its text is the headline and the article's paragraphs, a blank
    line between each (what citation offsets index); every paragraph after the headline is body, except one
    that recurs across the folder's pages."""
    paragraphs = list(page.paragraphs)
    title = page.title or (paragraphs[0] if paragraphs and _looks_like_title(paragraphs[0]) else "")
    while paragraphs and title and paragraphs[0] == title:
        paragraphs.pop(0)
    text = "\n\n".join([title, *paragraphs] if title else paragraphs) + "\n"
    spans: list[tuple[int, int]] = []
    pos = len(title) + 2 if title else 0
    for para in paragraphs:
        spans.append((pos, pos + len(para)))
        pos += len(para) + 2
    if repetition is not None and (
        kept := [sp for sp in spans if not repetition.recurring(text[sp[0] : sp[1]])]
    ):
        spans = kept  # all of them recurring: the same article saved twice, not furniture
    published = None
    if page.date:
        try:
            published = date.fromisoformat(page.date[:10]).isoformat()
        except ValueError:
            published = None
    head, suffix = _split_title(title or Path(source).stem)
    return Document(
        source=source,
        text=text,
        spans=spans,
        title=head,
        publisher=page.sitename or suffix,
        published=published,
        dates=find_dates(text[s:e] for s, e in spans),
        content_hash=sha256_text(text),
        author=page.author,
    )


def _looks_like_title(line: str) -> bool:
    words = line.split()
    return 5 <= len(words) <= 30 and line[-1:] not in '.!?"”' and not _SECTION.match(line)


def _split_title(line: str) -> tuple[str, str | None]:
    """'Headline | Site Name' -> ('Headline', 'Site Name')."""
    if " | " in line:
        head, _, tail = line.rpartition(" | ")
        if head and len(tail.split()) <= 4:
            return head.strip(), tail.strip()
    return line.strip(), None


def _publisher_from_header(header: list[str], title: str) -> str | None:
    """A short capitalised line repeated in the header is the site's name (e.g. a logo and its alt text)."""
    seen: set[str] = set()
    for line in header:
        words = line.split()
        if line in seen and 1 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and line != title:
            return line
        seen.add(line)
    return None


def load_file(path: Path, root: Path, settings: Settings, repetition: Repetition | None = None) -> Document:
    """Read, decode and analyse one file; raise SkipFile with a reason for bad input. `repetition`: line counts
    over the file's folder (a batch ingest gives them; a single file is read alone)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SkipFile(f"cannot read ({exc.strerror})") from exc
    if size == 0:
        raise SkipFile("empty file")
    if size > settings.max_file_bytes:
        raise SkipFile(f"too large ({size} bytes; limit {settings.max_file_bytes})")
    data = path.read_bytes()
    source = path.relative_to(root).as_posix() if root.is_dir() else path.name
    suffix = path.suffix.lower()
    kind = sniff(data)
    if reason := mismatch(suffix, kind):
        raise SkipFile(reason)
    warnings: list[str] = []
    page = None
    if kind == "pdf":
        text = _pdf_text(data, settings)
    else:
        text, warnings = decode(data, settings)
        if suffix in {".html", ".htm"} or kind == "html":
            if (n := most_attributes(text, settings.max_html_attributes)) > settings.max_html_attributes:
                raise SkipFile(f"a tag with {n} attributes (limit {settings.max_html_attributes})")
            text, page = page_text(text)
    if len(text) > settings.max_document_chars:
        raise SkipFile(f"too long ({len(text)} characters of text; limit {settings.max_document_chars})")
    if not text.strip():
        raise SkipFile(
            "no text" if page is None else "no article text found in the page (nor any visible text)"
        )
    if page is not None and page.method == "trafilatura":
        doc = from_page(source, page, repetition)
        if not any(_is_prose(doc.text[s:e]) for s, e in doc.spans):
            raise SkipFile("no article text found in the page (only headings, menus or links)")
    else:
        doc = analyse(source, text, repetition)
        if page is not None:
            _page_meta(doc, page)
    if suffix in {".md", ".markdown"}:
        if m := re.search(r"^#\s+(.+)$", text, re.MULTILINE):
            doc.title = m.group(1).strip()
    if not doc.spans:
        raise SkipFile("no article text found (only headings or site furniture)")
    doc.path = source
    doc.warnings.extend(warnings)
    meta, problem = read_meta(path, settings)
    if problem:
        doc.warnings.append(problem)
    if meta:
        apply_meta(doc, meta)
    return doc


def page_text(html: str) -> tuple[str, Page]:
    """An HTML page's extraction, and the text the document is made of when trafilatura found no main text
    (the visible text, for the line classifier)."""
    page = extract_page(html)
    if page.method == "trafilatura":
        return "\n\n".join(page.paragraphs), page
    return html_to_text(html), page


def _page_meta(doc: Document, page: Page) -> None:
    """The page's own metadata over what was guessed from its visible text."""
    doc.title = page.title or doc.title
    doc.publisher = page.sitename or doc.publisher
    doc.author = page.author
    if page.date:
        try:
            doc.published = date.fromisoformat(page.date[:10]).isoformat()
        except ValueError:
            pass


META_KEYS = ("title", "publisher", "published")


def meta_path(path: Path) -> Path:
    """The hidden sidecar holding an article's given title, publisher and date (walks skip hidden files)."""
    return path.with_name(f".{path.name}.meta.json")


def read_meta(path: Path, settings: Settings) -> tuple[dict[str, str], str | None]:
    """The sidecar's metadata, and a warning when one is there but unusable (the article is kept)."""
    side = meta_path(path)
    if not side.exists() and not side.is_symlink():
        return {}, None
    try:
        if side.is_symlink() or not side.is_file() or side.stat().st_size > settings.max_meta_bytes:
            raise ValueError
        data = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError
    except (OSError, ValueError):
        return {}, "metadata sidecar ignored (unreadable, too large or not a JSON object)"
    return {k: v.strip() for k in META_KEYS if isinstance(v := data.get(k), str) and v.strip()}, None


def apply_meta(doc: Document, meta: dict[str, str]) -> None:
    """Given metadata wins over what was read from the text; it is part of the version (the hash)."""
    doc.title = meta.get("title", doc.title)
    doc.publisher = meta.get("publisher", doc.publisher)
    if published := meta.get("published"):
        doc.published = parse_date(published) or doc.published
    doc.content_hash = sha256_text(doc.text + "\0" + json.dumps(meta, sort_keys=True))


def _pdf_text(data: bytes, settings: Settings) -> str:
    """The text of a PDF's pages, within the page, time and length bounds; an encrypted PDF only when it opens
    without a password."""
    import io
    import time

    from pypdf import PdfReader

    deadline = time.monotonic() + settings.max_pdf_seconds
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SkipFile("encrypted PDF (it needs a password to open)")
        if (n := len(reader.pages)) > settings.max_pdf_pages:
            raise SkipFile(f"too many pages ({n}; limit {settings.max_pdf_pages})")
        texts, chars = [], 0
        for page in reader.pages:
            texts.append(page.extract_text() or "")
            chars += len(texts[-1])
            if chars > settings.max_document_chars:
                raise SkipFile(f"too long (over {settings.max_document_chars} characters of text)")
            if time.monotonic() > deadline:
                raise SkipFile(f"took too long to read (over {settings.max_pdf_seconds:g} s)")
        return "\n\n".join(texts)
    except SkipFile:
        raise
    except Exception as exc:  # pypdf raises many types on damaged files
        raise SkipFile(f"unreadable PDF ({type(exc).__name__})") from exc


# A folder needs this many readable files before lines recurring across them say anything.
MIN_FOLDER_FILES = 3


def folder_repetitions(files: list[Path], settings: Settings) -> dict[Path, Repetition]:
    """For each folder holding at least MIN_FOLDER_FILES of the given text or HTML files: in how many of them
    each line occurs (an HTML page counted by its visible lines). Unreadable files are left out here; reading
    them again gives their reason."""
    by_folder: dict[Path, list[Path]] = {}
    for path in files:
        if path.suffix.lower() in SUPPORTED - {".pdf"} or path.suffix == "":
            by_folder.setdefault(path.parent, []).append(path)
    out: dict[Path, Repetition] = {}
    for folder, paths in by_folder.items():
        if len(paths) < MIN_FOLDER_FILES:
            continue
        rep = Repetition()
        seen: set[str] = set()
        for path in paths:
            try:
                if path.stat().st_size > settings.max_file_bytes:
                    continue
                data = path.read_bytes()
                kind = sniff(data)
                if kind not in {"html", "text"}:
                    continue
                text, _ = decode(data, settings)
            except (OSError, SkipFile):
                continue
            if kind == "html" or path.suffix.lower() in {".html", ".htm"}:
                text = html_to_text(text, with_title=False)
            digest = sha256_text(text)
            if digest not in seen:  # the same file saved twice says nothing about the site
                seen.add(digest)
                rep.add(text)
        if rep.files >= MIN_FOLDER_FILES:
            out[folder] = rep
    return out


def walk(paths: list[Path]) -> Iterator[tuple[Path, Path]]:
    """(file, root) for supported files under each path; hidden files and escaping symlinks skipped."""
    for root in paths:
        if root.is_file():
            yield root, root.parent
            continue
        real_root = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                p = Path(dirpath) / name
                if p.is_symlink() and not p.resolve().is_relative_to(real_root):
                    continue
                yield p, root


def is_supported(path: Path) -> bool:
    """Known extensions, and extension-less files (read as text)."""
    return path.suffix.lower() in SUPPORTED or path.suffix == ""
