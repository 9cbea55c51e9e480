"""The dev server writes vLLM's bytes (wire-protocol §1–§6)."""

from __future__ import annotations

import json
import socket

from zorac_repl.devserver import DevServer


def _http(
    server: DevServer,
    method: str,
    path: str,
    body: dict[str, object] | None = None,
    headers: str = "",
) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    request = (
        f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request.encode() + payload)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _dechunk(body: bytes) -> bytes:
    out = b""
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            return out
        out += rest[:size]
        body = rest[size + 2 :]


def test_stream_framing_and_chunk_layout(server):
    raw = _http(
        server,
        "POST",
        "/v1/chat/completions",
        {
            "model": "Qwen/Qwen3-8B",
            "stream": True,
            "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi [[echo]]"}],
        },
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"content-type: text/event-stream; charset=utf-8" in head
    assert b"transfer-encoding: chunked" in head and b"content-length" not in head
    events = _dechunk(body).split(b"\n\n")
    assert events[-1] == b"" and events[-2] == b"data: [DONE]"
    chunks = [json.loads(e.removeprefix(b"data: ")) for e in events[:-2]]
    role, content, finish, usage = chunks
    assert role["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert content["choices"][0]["delta"] == {"content": "hi"}
    assert content["choices"][0]["token_ids"] is None and "kv_transfer_params" in content
    assert finish["choices"][0]["finish_reason"] == "stop"
    assert finish["choices"][0]["stop_reason"] is None
    assert usage["choices"] == []
    assert list(usage["usage"]) == ["prompt_tokens", "total_tokens", "completion_tokens"]
    assert len({c["id"] for c in chunks}) == 1
    assert b'"model":"Qwen/Qwen3-8B","choices":' in events[1]  # compact JSON, vLLM key order


def test_no_usage_chunk_unless_asked(server):
    raw = _http(
        server,
        "POST",
        "/v1/chat/completions",
        {"stream": True, "messages": [{"role": "user", "content": "hi [[echo]]"}]},
    )
    assert b'"usage"' not in raw and b"system_fingerprint" in raw


def test_models_tokenize_health_version(server):
    models = json.loads(_http(server, "GET", "/v1/models").partition(b"\r\n\r\n")[2])
    assert models["data"][0]["max_model_len"] == server.max_model_len
    tokenized = json.loads(
        _http(
            server, "POST", "/tokenize", {"messages": [{"role": "user", "content": "Hello world"}]}
        ).partition(b"\r\n\r\n")[2]
    )
    assert tokenized["count"] == len(tokenized["tokens"]) > 2
    assert tokenized["max_model_len"] == server.max_model_len
    assert _http(server, "GET", "/health").startswith(b"HTTP/1.1 200")
    assert b'{"version":"0.33.0"}' in _http(server, "GET", "/version")
    assert b'{"detail":"Not Found"}' in _http(server, "GET", "/nope")


def test_api_key_guards_v1_only(make_server):
    guarded = make_server(api_key="k")
    raw = _http(guarded, "GET", "/v1/models")
    assert raw.startswith(b"HTTP/1.1 401") and raw.endswith(b'{"error":"Unauthorized"}')
    assert _http(guarded, "GET", "/v1/models", headers="Authorization: Bearer k\r\n").startswith(
        b"HTTP/1.1 200"
    )
    assert _http(guarded, "GET", "/health").startswith(b"HTTP/1.1 200")


def test_long_answers_are_deterministic_and_long(server):
    from zorac_repl.devserver.answers import answer_for
    from zorac_repl.devserver.word_pieces import split_tokens

    assert answer_for("same") == answer_for("same")
    for target in (1000, 30000):
        text = answer_for("long", target)
        assert target <= len(split_tokens(text)) < target * 1.1
        assert text.count("```") >= 4 and "|---|" in text and "\n## " in text
