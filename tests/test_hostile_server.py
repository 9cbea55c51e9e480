"""A server that misbehaves on purpose, through the real client: bounded reads, no
redirects, one-line errors, and timeouts that hold (issues 24 and 25)."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from tests.raw_server import forever, models, never_answers, raw_server, reply, stream_of
from zorac_repl.errors import ConfigError, ConnectionFailed, ServerError, TooLarge, ZoracError
from zorac_repl.events import TextDelta
from zorac_repl.server.client import ChatClient, ChatRequest
from zorac_repl.server.limits import BodyLimits
from zorac_repl.server.sse import SSEDecoder
from zorac_repl.settings.connection import Connection, resolve_api_key

REQUEST = ChatRequest("m", 0.1, 100)
MESSAGES = [{"role": "user", "content": "hello"}]


def _chunk(text: str, finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish}
    return b"data: " + json.dumps({"choices": [choice]}).encode() + b"\n\n"


async def _ask(client: ChatClient, stream: bool = True) -> str:
    try:
        if not stream:
            return (await client.complete(MESSAGES, REQUEST)).text
        return "".join(
            [e.text async for e in client.stream(MESSAGES, REQUEST) if isinstance(e, TextDelta)]
        )
    finally:
        await client.aclose()


def _error_of(client: ChatClient, stream: bool = True, within: float = 30) -> ZoracError:
    with pytest.raises(ZoracError) as caught:
        asyncio.run(asyncio.wait_for(_ask(client, stream), within))
    return caught.value


# -- the SSE decoder --------------------------------------------------------------------------


def test_a_line_that_never_ends_stops_at_the_event_limit():
    decoder = SSEDecoder(max_event_bytes=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(TooLarge, match="MAX_EVENT_BYTES"):
        decoder.feed(b"x" * 200)


def test_an_event_of_many_data_lines_stops_at_the_event_limit():
    decoder = SSEDecoder(max_event_bytes=1000)
    with pytest.raises(TooLarge):
        for _ in range(100):
            decoder.feed(b"data: " + b"y" * 50 + b"\n")


def test_a_line_cut_into_many_reads_is_joined_once():
    decoder = SSEDecoder()
    payload = b"data: " + b"z" * 100_000 + b"\n\n"
    out: list[str] = []
    for start in range(0, len(payload), 7):
        out += decoder.feed(payload[start : start + 7])
    assert out == ["z" * 100_000]


def test_crlf_split_between_reads_is_one_line_end():
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n\r") == ["a"]  # the \r ends the blank line
    assert decoder.feed(b"\ndata: b\r\n\r\n") == ["b"]


# -- what a server can make the client read ----------------------------------------------------


def test_a_gzip_bomb_stops_at_the_answer_limit():
    bomb = gzip.compress(b"data: " + b"0" * (8 * 1024 * 1024), compresslevel=9)
    with raw_server(chat=reply(200, bomb, "text/event-stream", content_encoding="gzip")) as srv:
        client = ChatClient(srv.base_url, limits=BodyLimits(answer=1024 * 1024))
        error = _error_of(client)
    assert isinstance(error, TooLarge) and "MAX_ANSWER_BYTES (1M)" in str(error)
    assert srv.requests[0].headers["accept-encoding"] == "identity"


def test_a_compressed_answer_within_the_limits_is_read():
    body = gzip.compress(_chunk("fine") + _chunk("", "stop") + b"data: [DONE]\n\n")
    with raw_server(chat=reply(200, body, "text/event-stream", content_encoding="gzip")) as srv:
        assert asyncio.run(_ask(ChatClient(srv.base_url))) == "fine"


def test_an_endless_answer_stops_at_the_answer_limit():
    with raw_server(chat=stream_of(forever(_chunk("word ")))) as srv:
        client = ChatClient(srv.base_url, limits=BodyLimits(answer=256 * 1024))
        assert isinstance(_error_of(client), TooLarge)


def test_a_server_that_keeps_sending_but_never_an_event_counts_as_stalled():
    with raw_server(chat=stream_of(forever(b": still here\n", pause=0.02))) as srv:
        error = _error_of(ChatClient(srv.base_url, stall_timeout=0.5))
    assert isinstance(error, ConnectionFailed) and "stopped sending" in str(error)


def test_a_non_streamed_answer_that_never_comes_obeys_the_stall_timeout():
    with raw_server(chat=never_answers) as srv:
        error = _error_of(ChatClient(srv.base_url, stall_timeout=0.5), stream=False)
    assert isinstance(error, ConnectionFailed) and "STALL_TIMEOUT" in str(error)


def test_a_huge_error_body_is_one_short_line():
    frames = "".join(f'  File "x.py", line {n}, in f\n    boom()\n' for n in range(200))
    body = f"Traceback (most recent call last):\n{frames}RuntimeError: CUDA out of memory\n"
    body += "\x1b[2J" * 100_000
    with raw_server(chat=reply(500, body.encode(), "text/plain")) as srv:
        error = _error_of(ChatClient(srv.base_url, limits=BodyLimits(error=4096)))
    text = str(error)
    assert "\n" not in text and len(text) < 250
    assert text.startswith("Server error (HTTP 500): ")


# -- redirects ---------------------------------------------------------------------------------


def test_a_redirect_is_not_followed_so_headers_and_messages_stay_here():
    with raw_server(default=reply(200, b"{}")) as elsewhere:
        target = f"http://127.0.0.1:{elsewhere.port}/v1/chat/completions"
        with raw_server(chat=reply(307, b"", location=target)) as srv:
            client = ChatClient(
                srv.base_url, connection=Connection(headers=(("X-Proxy-Secret", "s3cret"),))
            )
            error = _error_of(client)
    assert elsewhere.requests == []
    assert "redirected the request (HTTP 307)" in str(error) and target in str(error)
    assert srv.requests[0].headers["x-proxy-secret"] == "s3cret"


# -- web pages and other non-API replies -------------------------------------------------------

LOGIN = b"<!DOCTYPE html><html><body>Please log in</body></html>"


@pytest.mark.parametrize("stream", [True, False])
def test_a_login_page_with_http_200_is_named_a_web_page(stream):
    with raw_server(chat=reply(200, LOGIN, "text/html")) as srv:
        error = _error_of(ChatClient(srv.base_url), stream=stream)
    assert isinstance(error, ServerError) and "with a web page, not the API's JSON" in str(error)


def test_a_non_streamed_reply_that_is_not_json_is_one_line():
    with raw_server(chat=reply(200, b"hello\nworld", "text/plain")) as srv:
        error = _error_of(ChatClient(srv.base_url), stream=False)
    assert str(error) == "The server's reply is not the API's JSON: hello"


def test_a_404_from_the_model_list_does_not_blame_the_model():
    with raw_server(models=reply(404, b'{"error": "Not Found"}')) as srv:
        client = ChatClient(srv.base_url)

        async def listing() -> None:
            try:
                await client.list_models()
            finally:
                await client.aclose()

        with pytest.raises(ServerError) as caught:
            asyncio.run(listing())
    assert str(caught.value) == "Server error (HTTP 404): Not Found"


# -- what is shown of secrets ------------------------------------------------------------------


def test_a_password_in_the_base_url_never_appears_in_an_error():
    with raw_server(chat=reply(503, b'{"error": "busy"}'), models=models()) as srv:
        url = srv.base_url.replace("http://", "http://me:hunter2pw@")
        error = _error_of(ChatClient(url), stream=False)
    assert isinstance(error, ServerError)
    unreachable = _error_of(ChatClient("http://me:hunter2pw@127.0.0.1:9/v1"))
    assert "hunter2pw" not in str(unreachable) and "me:****@127.0.0.1:9" in str(unreachable)


def test_a_failing_key_command_does_not_echo_what_it_printed():
    with pytest.raises(ConfigError) as caught:
        resolve_api_key("", "", "sh -c 'echo token=abc123secret >&2; exit 3'")
    assert "abc123secret" not in str(caught.value) and "exit code 3" in str(caught.value)


@pytest.mark.parametrize("key, why", [("line1\nline2", "line break"), ("clé-ünïcode", "not ASCII")])
def test_a_key_that_cannot_be_a_header_is_named_as_such(tmp_path, key, why):
    path = tmp_path / "key"
    path.write_text(key)
    with pytest.raises(ConfigError, match=why):
        resolve_api_key("", str(path), "")


def test_a_summary_answered_with_a_web_page_fails_cleanly_and_removes_nothing():
    from zorac_repl.chat.summarize import summarize
    from zorac_repl.conversation.history import Conversation
    from zorac_repl.conversation.message import AnswerMeta

    conversation = Conversation()
    for number in range(6):
        conversation.add_user(f"question {number}")
        conversation.add_assistant(f"answer {number}", AnswerMeta())
    with raw_server(chat=reply(200, LOGIN, "text/html")) as srv:
        client = ChatClient(srv.base_url)

        async def run() -> None:
            try:
                await summarize(client, conversation, REQUEST, keep_recent=2)
            finally:
                await client.aclose()

        with pytest.raises(ServerError, match="web page"):
            asyncio.run(run())
    assert len(conversation.messages) == 12 and conversation.summary is None


def test_https_to_a_plain_http_server_says_it_does_not_speak_tls(server):
    error = _error_of(ChatClient(server.base_url.replace("http://", "https://")))
    assert isinstance(error, ConnectionFailed)
    assert "does not speak TLS" in str(error) and "vLLM running" not in str(error)


def test_a_server_that_answers_every_path_with_its_model_list_is_not_lm_studio():
    from zorac_repl.server.discovery import discover

    listing = {"object": "list", "data": [{"id": "m", "object": "model", "owned_by": "x"}]}

    async def fetch(path: str) -> object:
        return listing  # a catch-all: the same JSON for /api/v0/models, /props, ...

    found = asyncio.run(discover(fetch, listing, "m"))
    assert found.name == "an OpenAI-compatible server"


def test_a_login_page_for_the_model_list_is_named_a_web_page():
    with raw_server(models=reply(200, LOGIN, "text/html")) as srv:
        client = ChatClient(srv.base_url)

        async def listing() -> None:
            try:
                await client.list_models()
            finally:
                await client.aclose()

        with pytest.raises(ServerError, match="with a web page"):
            asyncio.run(listing())
