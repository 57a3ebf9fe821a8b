"""Read files into documents: decoded text, content spans (site chrome removed) and metadata."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.core.settings import Settings
from app.text.dates import find_dates, parse_date
from app.text.html import html_to_text
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


class SkipFile(Exception):
    """A file that cannot be ingested; the message is the per-file reason shown to the user."""


# Lines that scraped news carries around the article, never part of it.
_CHROME = re.compile(
    r"^(sign up\b|sign in\b|already a member|subscribe\b|follow (us|\w+) on\b|back to top|related (articles|stories|posts|news)"
    r"|read (also|more)\b|see also\b|source link|share (this|on)\b|download the app|get all your news|start reading"
    r"|one app\b|top stories\b|our picks|fourteen days free|\d+\+? trusted|100.s of premium|advertisement|popular$"
    r"|updated at\b|\d+ min read$|click here|cookie|all rights reserved|copyright|skip to (main )?content"
    r"|(home|menu|search|login|log in|newsletter)$)",
    re.IGNORECASE,
)
# After one of these the rest of the file is site furniture, whatever it looks like.
_TAIL = re.compile(r"^(sign up to read|related (articles|stories)|source link|back to top)", re.IGNORECASE)
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
    if b"\x00" in data[:8192]:
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


def _is_prose(line: str) -> bool:
    """Body text ends like a sentence; headings, captions and menus don't."""
    words = line.split()
    return len(words) >= 14 or (len(words) >= 3 and line[-1:] in '.!?"”’)')


def analyse(source: str, text: str) -> Document:
    """Find the article body spans and the metadata of a decoded text document."""
    spans: list[tuple[int, int]] = []
    header: list[str] = []
    title_line = ""
    published = None
    publisher = None
    for start, end, line in _lines(text):
        if not line:
            continue
        if _TAIL.match(line):
            break
        if _CHROME.match(line):
            if publisher is None and (m := _FOLLOW_PUBLISHER.search(line)):
                publisher = m.group(1)
            continue
        if published is None and len(line) <= 40 and (d := parse_date(line)):
            published = d
            continue
        if line == title_line:
            continue  # the headline repeated as a standfirst
        if not title_line and _looks_like_title(line):
            title_line = line
            continue
        if _is_prose(line):
            if not title_line:
                title_line = next((h for h in header if len(h.split()) >= 2 and not _SECTION.match(h)), "")
            spans.append((start, end))
        elif not spans:
            header.append(line)
    if publisher is None:
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


def load_file(path: Path, root: Path, settings: Settings) -> Document:
    """Read, decode and analyse one file; raise SkipFile with a reason for bad input."""
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
    if kind == "pdf":
        text = _pdf_text(data)
    else:
        text, warnings = decode(data, settings)
        if suffix in {".html", ".htm"} or kind == "html":
            text = html_to_text(text)
    if not text.strip():
        raise SkipFile("no text")
    doc = analyse(source, text)
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


def _pdf_text(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join((page.extract_text() or "") for page in reader.pages)
    except Exception as exc:  # pypdf raises many types on damaged files
        raise SkipFile(f"unreadable PDF ({type(exc).__name__})") from exc


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
