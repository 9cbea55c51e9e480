"""The SSE parser: any chunking of the bytes gives the same events (wire-protocol §1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zorac_repl.errors import ServerError
from zorac_repl.events import Finished, ReasoningDelta, TextDelta, Usage
from zorac_repl.server.sse import SSEDecoder, decode_chunk

_VLLM_STREAM = "".join(
    (
        ": keep-alive\n\n",
        'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":'
        '[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,'
        '"finish_reason":null}]}\n\n',
        'data: {"id":"c","choices":[{"index":0,"delta":{"reasoning":"Okay","reasoning_content":'
        '"Okay"},"finish_reason":null}]}\n\n',
        'data: {"id":"c","choices":[{"index":0,"delta":{"content":"Hi ✓ 日本"},'
        '"finish_reason":null}]}\n\n',
        'data: {"id":"c","choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop",'
        '"stop_reason":null}]}\n\n',
        'data: {"id":"c","choices":[],"usage":{"prompt_tokens":12,"total_tokens":21,'
        '"completion_tokens":9}}\n\n',
        "data: [DONE]\n\n",
    )
).encode()


def _decode_all(chunks: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    out: list[str] = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out + decoder.flush()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    pieces, start = [], 0
    for point in points:
        pieces.append(data[start:point])
        start = point
    return [*pieces, data[start:]]


@given(st.lists(st.integers(min_value=0, max_value=len(_VLLM_STREAM)), max_size=40))
def test_any_chunking_gives_the_same_events(cuts):
    assert _decode_all(_split(_VLLM_STREAM, cuts)) == _decode_all([_VLLM_STREAM])


@given(st.lists(st.integers(min_value=0, max_value=len(_VLLM_STREAM) + 200), max_size=40))
def test_crlf_line_endings_split_anywhere_match_lf(cuts):
    crlf = _VLLM_STREAM.replace(b"\n", b"\r\n")
    assert _decode_all(_split(crlf, cuts)) == _decode_all([_VLLM_STREAM])


def test_events_decode_into_typed_events():
    events = [
        event
        for data in _decode_all([_VLLM_STREAM])
        if data != "[DONE]"
        for event in decode_chunk(data)
    ]
    assert events == [
        ReasoningDelta("Okay"),
        TextDelta("Hi ✓ 日本"),
        Finished("stop"),
        Usage(12, 9),
    ]


def test_comments_and_unknown_fields_are_ignored_and_data_lines_join():
    data = _decode_all([b": ping\nevent: x\nid: 3\ndata: a\ndata: b\n\n:\n\n"])
    assert data == ["a\nb"]


def test_a_last_event_without_a_blank_line_is_flushed():
    assert _decode_all([b"data: [DONE]"]) == ["[DONE]"]


def test_llama_cpp_error_field_becomes_an_error_event():
    (data,) = _decode_all([b'error: {"code":500,"message":"boom","type":"server_error"}\n\n'])
    with pytest.raises(ServerError, match="Server error: boom"):
        list(decode_chunk(data))


@pytest.mark.parametrize(
    "payload, message",
    [
        pytest.param(
            '{"error": {"message": "bad", "type": "BadRequestError", "param": null, "code": 400}}',
            "Server error: bad",
            id="vllm-nested-spaces",
        ),
        pytest.param('{"error":"Unauthorized"}', "Server error: Unauthorized", id="string"),
        pytest.param('{"object":"error","message":"old","code":400}', None, id="flat-no-error-key"),
    ],
)
def test_error_events_raise_with_the_servers_message(payload, message):
    if message is None:
        assert list(decode_chunk(payload)) == []
    else:
        with pytest.raises(ServerError, match=message):
            list(decode_chunk(payload))


@pytest.mark.parametrize(
    "payload, events",
    [
        pytest.param('{"choices":[{"delta":{}}]}', [], id="empty-delta"),
        pytest.param('{"choices":[]}', [], id="no-choices"),
        pytest.param('{"choices":null}', [], id="null-choices"),
        pytest.param("{}", [], id="empty-object"),
        pytest.param("[]", [], id="a-list"),
        pytest.param('{"choices":[{"index":0}]}', [], id="no-delta"),
        pytest.param(
            '{"choices":[{"delta":{"content":null,"reasoning":null}}]}', [], id="null-fields"
        ),
        pytest.param(
            '{"choices":[{"delta":{"content":"x"},"finish_reason":null}],"timings":{},'
            '"obfuscation":"q"}',
            [TextDelta("x")],
            id="unknown-fields-beside-text",
        ),
    ],
)
def test_odd_chunks_are_tolerated(payload, events):
    assert list(decode_chunk(payload)) == events


def test_non_json_data_is_a_server_error_not_a_crash():
    with pytest.raises(ServerError, match="not JSON"):
        list(decode_chunk("{not json"))
