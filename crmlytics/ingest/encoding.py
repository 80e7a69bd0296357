"""Text encodings: detect UTF-8 / UTF-8 with BOM / GB18030 and stream files through one pass.

DuckDB reads only UTF-8 (its other encodings need an extension we cannot download), so a
GB18030 / GBK file is transcoded to a temporary UTF-8 file in chunks of whole lines (constant
memory). The same pass hashes the original bytes, checks that a file believed to be UTF-8 really
decodes as UTF-8 to its end, and notes the physical numbers of blank lines (DuckDB's CSV reader
skips them, and reject line numbers must stay physical) and which quote characters occur (a file
without its quote character has no record spanning several lines).
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crmlytics.ingest.errors import IngestError

UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
GB18030 = "gb18030"
QUOTE_CHARS = "\"'"
"""The quote characters :func:`scan_text` looks for (DuckDB's sniffer picks one of them)."""

SAMPLE_BYTES = 1 << 16
CHUNK_BYTES = 1 << 22

_BLANK_OR_SPACE_LINE = re.compile(rb"(?m)^[ \t]*\r?\n")
_EDGE_SPACE = re.compile(r"(?m)^[ \t]+|[ \t\r]+$")
_SPACE_RUN = re.compile(r"[ \t]+")

Progress = Callable[[str, float | None], None]


class EncodingError(IngestError):
    """A file that is neither UTF-8 nor GB18030."""


def detect_encoding(path: Path, sample: bytes | None = None) -> str:
    """The encoding of ``path`` from its first bytes: ``utf-8-sig``, ``utf-8`` or ``gb18030``.

    A sample that decodes as strict UTF-8 is UTF-8 (a BOM makes it ``utf-8-sig``); otherwise it
    must decode as GB18030 (a superset of GBK and GB2312). The whole file is checked later while
    it is hashed (:func:`scan_text`), so a stray byte after the sample is still caught.
    """
    if sample is None:
        with open(path, "rb") as fh:
            sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return UTF8_BOM
    if _decodes(sample, UTF8) or _mostly_utf8(sample):
        return UTF8
    if _decodes(sample, GB18030):
        return GB18030
    raise EncodingError(
        f"{path}: not UTF-8 and not GB18030/GBK text; re-save the file as UTF-8 and load it again"
    )


def _mostly_utf8(sample: bytes) -> bool:
    """More of the sample's non-ASCII whole lines are UTF-8 than not (a few stray lines of
    another encoding in a UTF-8 file are rejected later, not a reason to misread the rest)."""
    good = bad = 0
    for line in sample.split(b"\n")[:-1]:
        if not line.isascii():
            if _is_utf8(line):
                good += 1
            else:
                bad += 1
    return good > bad


def _decodes(sample: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        decoder.decode(sample, final=False)  # a character cut by the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


@dataclass
class TextScan:
    """What one pass over a text file found."""

    sha256: str
    encoding: str
    decodes: bool
    lines: int
    blank_lines: list[int] = field(default_factory=list)
    error: str | None = None
    unterminated: bool = False
    """The last line has no newline (it is a line all the same; ``lines`` counts newlines)."""
    bare_cr: bool = False
    """A carriage return not followed by a newline: a reader may take it for a line break."""
    quotes: str = ""
    """Which of :data:`QUOTE_CHARS` occur in the file (the bytes are ASCII in UTF-8 and GB18030
    alike, never part of a multi-byte character)."""
    foreign: list[tuple[int, str, str]] = field(default_factory=list)
    """Lines not in the file's encoding that were left out of the transcoded copy (written there
    as blank lines, so they are in ``blank_lines`` too): ``(line, text, reason)``, to be
    rejected. A UTF-8 file read without a copy has its bad lines rejected by DuckDB's reader."""
    nul: bool = False
    """A NUL byte occurs in the file."""


def scan_text(
    path: Path,
    encoding: str,
    *,
    out: Path | None = None,
    whitespace: bool = False,
    progress: Progress | None = None,
    sha256: str | None = None,
) -> TextScan:
    """Hash ``path``, check it decodes as ``encoding``, note blank lines and quote characters,
    in one chunked pass.

    With ``out``, the decoded text is written there as UTF-8 (transcoding), with runs of spaces
    and tabs turned into one tab when ``whitespace`` is set (whitespace-separated text). Lines are
    never added or removed, so physical line numbers are the same in both files. A ``sha256``
    the caller already has (it hashed the file to look for an earlier load) is not computed again.
    """
    digest = hashlib.sha256() if sha256 is None else None
    total = max(path.stat().st_size, 1)
    done = 0
    lines = 0
    blank: list[int] = []
    foreign: list[tuple[int, str, str]] = []
    native = 0  # non-ASCII lines that decode as the file's encoding (evidence for it)
    codec = UTF8 if encoding == UTF8_BOM else encoding
    sink = open(out, "w", encoding=UTF8, newline="") if out is not None else None  # noqa: SIM115
    first = True
    unterminated = bare_cr = nul = False
    unseen = {q.encode(): q for q in QUOTE_CHARS}
    try:
        with open(path, "rb") as fh:
            rest = b""
            while True:
                chunk = fh.read(CHUNK_BYTES)
                if chunk:
                    if digest is not None:
                        digest.update(chunk)
                    done += len(chunk)
                    data = rest + chunk
                    cut = data.rfind(b"\n") + 1
                    if cut == 0:
                        rest = data
                        continue
                    data, rest = data[:cut], data[cut:]
                else:
                    data, rest = rest, b""
                    if not data:
                        break
                    unterminated = True  # the rest after the last newline
                if first and data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8) :]
                first = False
                newlines = prev = 0
                for start in _blank_starts(data, whitespace):
                    newlines += data.count(b"\n", prev, start)
                    prev = start
                    blank.append(lines + newlines + 1)
                if sink is None and data.isascii():  # valid in every encoding read; no copy
                    text, bad, good = "", [], 0
                else:
                    text, bad, good = _decode_chunk(data, codec, lines)
                native += good
                if bad:
                    foreign.extend(bad)
                    if sink is not None:  # left out of the copy as blank lines, rejected by us
                        blank.extend(line for line, _, _ in bad)
                if sink is not None:
                    if whitespace:
                        text = _SPACE_RUN.sub("\t", _EDGE_SPACE.sub("", text))
                    sink.write(text)
                lines += data.count(b"\n")
                for byte in [b for b in unseen if b in data]:
                    del unseen[byte]
                if not bare_cr and b"\r" in data:
                    bare_cr = data.count(b"\r") != data.count(b"\r\n")
                nul = nul or b"\x00" in data
                if progress is not None:
                    progress("reading", done / total)
                if not chunk:
                    break
    finally:
        if sink is not None:
            sink.close()
    quotes = "".join(q for q in QUOTE_CHARS if q.encode() not in unseen)
    decodes, error = True, None
    if foreign and codec == UTF8 and native < len(foreign):
        # more lines fail than prove UTF-8: the file is in another encoding (the caller reads it
        # again as GB18030)
        decodes, error = False, f"line {foreign[0][0]} is not valid {encoding}"
    elif foreign and codec != UTF8 and native < len(foreign):
        raise EncodingError(
            f"{path}: not UTF-8 and not GB18030/GBK text ({foreign[0][2]}); re-save the file "
            "as UTF-8 and load it again"
        )
    if sink is None and codec == UTF8:
        foreign = []  # DuckDB's reader rejects them (invalid encoding)
    blank.sort()
    return TextScan(
        digest.hexdigest() if digest is not None else sha256,
        encoding,
        decodes,
        lines,
        blank,
        error,
        unterminated,
        bare_cr,
        quotes,
        foreign if decodes else [],
        nul,
    )


def _decode_chunk(
    data: bytes, codec: str, before: int
) -> tuple[str, list[tuple[int, str, str]], int]:
    """Decode whole lines; lines not in ``codec`` become empty lines of the text.

    Returns the text, the foreign lines ``(line, text, reason)`` (``before`` lines precede the
    chunk) and the number of non-ASCII lines that decode as ``codec``. A GB18030 line that is
    also valid UTF-8 with non-ASCII text is taken for UTF-8 (mojibake otherwise: 华北 would load
    as 鍗庡寳).
    """
    if data.isascii():
        return data.decode("ascii"), [], 0
    if codec == UTF8:
        try:
            text = data.decode(UTF8)
        except UnicodeDecodeError:
            pass
        else:
            return text, [], sum(1 for line in data.split(b"\n") if not line.isascii())
    else:
        native = _non_utf8_lines(data)
        if native is not None:  # no line can be UTF-8: decode the chunk at once
            try:
                return data.decode(codec), [], native
            except UnicodeDecodeError:
                pass  # a line not in the codec: found line by line below
    parts: list[str] = []
    foreign: list[tuple[int, str, str]] = []
    good = 0
    for number, line in enumerate(data.split(b"\n"), start=before + 1):
        if line.isascii():
            parts.append(line.decode("ascii"))
            continue
        reason = None
        try:
            decoded = line.decode(codec)
        except UnicodeDecodeError:
            reason = f"line {number} is not valid {codec}: re-save the file in one encoding"
        if reason is None and codec != UTF8 and _is_utf8(line):
            reason = f"line {number} is UTF-8 in a {codec} file: re-save the file in one encoding"
        if reason is None:
            good += 1
            parts.append(decoded)
            continue
        shown = line.rstrip(b"\r").decode(UTF8 if codec != UTF8 else codec, errors="replace")
        foreign.append((number, shown, reason))
        parts.append("\r" if line.endswith(b"\r") else "")
    return "\n".join(parts), foreign, good


def _non_utf8_lines(data: bytes) -> int | None:
    """The number of non-ASCII lines of ``data`` if each of them is certainly not UTF-8, else
    None (some line may be UTF-8: the caller checks line by line).

    Vectorised over the non-ASCII bytes only. A line is certainly not UTF-8 when it holds a byte
    that can never be there (``C0``, ``C1``, ``F5``-``FF``), a continuation byte
    (``80``-``BF``) right after an ASCII byte, or a lead byte (``C2``-``F4``) not followed by a
    continuation byte; every mark is a real UTF-8 error, so a line taken for not UTF-8 is never
    UTF-8. Chinese GB18030 text has such a byte on nearly every line, so the check line by line
    (a decode per line, ten times slower than the codec) is left for the rare chunk where some
    line has none.
    """
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    high = raw >= 0x80
    if not high.any():
        return 0
    continuation = (raw & 0xC0) == 0x80
    lead = (raw >= 0xC2) & (raw <= 0xF4)
    marked = (raw == 0xC0) | (raw == 0xC1) | (raw >= 0xF5)
    marked[0] |= continuation[0]  # the chunk starts at a line start
    marked[1:] |= continuation[1:] & ~high[:-1]
    marked[:-1] |= lead[:-1] & ~continuation[1:]
    marked[-1] |= lead[-1]
    starts = np.r_[0, np.flatnonzero(raw[:-1] == 0x0A) + 1]  # line starts
    with_high = np.maximum.reduceat(high.view(np.uint8), starts)
    with_mark = np.maximum.reduceat(marked.view(np.uint8), starts)
    if (with_high > with_mark).any():
        return None
    return int(np.count_nonzero(with_high))


def _is_utf8(line: bytes) -> bool:
    try:
        line.decode(UTF8)
    except UnicodeDecodeError:
        return False
    return True


def _blank_starts(data: bytes, whitespace: bool) -> list[int]:
    """Offsets of the blank lines in ``data`` (which starts at a line start), ascending.

    Byte searches for ``\\n\\n`` and ``\\n\\r\\n`` (a regular expression over every byte costs
    more than DuckDB's whole read); whitespace-separated text also counts lines of spaces.
    """
    if whitespace:
        return [m.start() for m in _BLANK_OR_SPACE_LINE.finditer(data)]
    starts = [0] if data.startswith((b"\n", b"\r\n")) else []
    patterns = (b"\n\n", b"\n\r\n") if b"\r" in data else (b"\n\n",)
    for pattern in patterns:
        at = data.find(pattern)
        while at >= 0:
            starts.append(at + 1)
            at = data.find(pattern, at + 1)
    return sorted(starts)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_lines(path: Path, encoding: str, wanted: list[int]) -> dict[int, str]:
    """The text of physical lines ``wanted`` (1-based, ascending) of ``path``, streaming."""
    found: dict[int, str] = {}
    if not wanted:
        return found
    codec = UTF8 if encoding == UTF8_BOM else encoding
    targets = iter(wanted)
    target = next(targets)
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            if number < target:
                continue
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            found[number] = raw.rstrip(b"\r\n").decode(codec, errors="replace")
            for target in targets:  # noqa: B007 - advance to the next wanted line
                if target > number:
                    break
            else:
                break
    return found
