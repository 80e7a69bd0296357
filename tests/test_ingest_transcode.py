"""GB18030 chunks are decoded whole only when no line in them can be UTF-8.

:func:`crmlytics.ingest.encoding._non_utf8_lines` marks bytes that cannot stand where they are
in UTF-8; a chunk is decoded at once only when every non-ASCII line has such a byte. The rule:
a chunk holding a line that is valid UTF-8 (with non-ASCII text) is never decoded at once, so
that line is still rejected as "UTF-8 in a gb18030 file", and the text of a chunk decoded at once
equals its lines decoded one by one.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crmlytics.ingest.encoding import _decode_chunk, _non_utf8_lines

CHINESE = st.text(
    alphabet="华北客户销售退货门店网店应用电话订单编号金额成本", min_size=1, max_size=6
)
ASCII = st.text(alphabet="abc,0123456789.-: ", max_size=12)


@st.composite
def mixed_lines(draw):
    """Lines of ASCII, GB18030 Chinese and, sometimes, UTF-8 Chinese, as bytes."""
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["ascii", "gb", "gb", "utf8"]))
        text = draw(ASCII) + (draw(CHINESE) if kind != "ascii" else "") + draw(ASCII)
        lines.append(text.encode("utf-8" if kind == "utf8" else "gb18030"))
    return lines


def utf8_lines(lines: list[bytes]) -> list[int]:
    out = []
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if not line.isascii():
            out.append(i)
    return out


@settings(max_examples=400, deadline=None)
@given(mixed_lines(), st.booleans())
def test_a_chunk_with_a_utf8_line_is_never_decoded_at_once(lines, final_newline):
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    count = _non_utf8_lines(data)
    if utf8_lines(lines):
        assert count is None
    if count is not None:
        assert count == sum(1 for line in lines if not line.isascii())


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_no_utf8_line_hides_in_random_bytes(data):
    count = _non_utf8_lines(data)
    if count is not None:
        assert utf8_lines(data.split(b"\n")) == []


def test_a_gb18030_chunk_decodes_whole_as_line_by_line():
    text = "订单编号,金额\nO1,华北\n\nO2,销售\n"
    data = text.encode("gb18030")
    assert _non_utf8_lines(data) == 3  # the header and two lines hold Chinese
    assert _decode_chunk(data, "gb18030", 0) == (text, [], 3)


def test_a_utf8_line_in_a_gb18030_chunk_is_still_found():
    data = "O1,华北\n".encode("gb18030") + "O2,华北\n".encode()
    assert _non_utf8_lines(data) is None
    text, foreign, good = _decode_chunk(data, "gb18030", 10)
    reasons = [(line, why.split(":")[0]) for line, _, why in foreign]
    assert reasons == [(12, "line 12 is UTF-8 in a gb18030 file")]
    assert (text, good) == ("O1,华北\n\n", 1)
