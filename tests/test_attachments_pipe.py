"""``-a`` and images on stdin, through real pipes to the dev server: the bytes that arrive."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.attachment_files import GPS_IFD, phone_photo, png_bytes, repository, text_pdf
from tests.conftest import zorac_command
from zorac_repl.devserver import DevServer
from zorac_repl.devserver.flavors import FLAVORS


def _run(
    args: list[str], server: DevServer, cwd: Path, stdin: bytes = b"", **env: str
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [zorac_command(), *args],
        input=stdin,
        capture_output=True,
        env={**os.environ, "VLLM_BASE_URL": server.base_url, **env},
        cwd=cwd,
        timeout=60,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def _user_content(server: DevServer) -> object:
    [request] = server.chat_requests()
    return request.messages[-1]["content"]


def test_files_and_a_directory_arrive_fenced_with_their_names(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    (tmp_path / "notes.md").write_text("# Notes\nuse ``` carefully\n")
    repository(tmp_path / "repo", files=2)
    done = _run(["-a", "notes.md", "-a", "repo", "what is wrong here?"], server, tmp_path)
    assert done.returncode == 0, done.stderr
    content = _user_content(server)
    assert isinstance(content, str)  # text only: one string, which every server takes
    assert content.startswith("what is wrong here?\n\nnotes.md:\n````\n# Notes\n")
    for kept in ("repo/src/module_0.py:", "VALUE_1 = 1", "repo/keep.log:", "KEPT_LOG"):
        assert kept in content
    for left_out in ("IGNORED_BUILD", "IGNORED_LOG", "SECRET", "ELF"):
        assert left_out not in content
    assert "left out 3 hidden and 2 in .gitignore" in done.stderr


def test_stdin_is_still_the_material_beside_an_attachment(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    (tmp_path / "CONTRIBUTING.md").write_text("Sign your commits.\n")
    done = _run(["-a", "CONTRIBUTING.md", "review this"], server, tmp_path, stdin=b"-old\n+new\n")
    assert done.returncode == 0, done.stderr
    content = _user_content(server)
    assert isinstance(content, str)
    assert content.startswith("review this\n\n-old\n+new\n\nCONTRIBUTING.md:\n```\nSign")


def test_a_binary_is_refused_in_one_line_and_nothing_is_sent(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    (tmp_path / "a.out").write_bytes(b"\x7fELF\x02\x01\x01\x00" * 10)
    done = _run(["-a", "a.out", "explain"], server, tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "zorac-repl: a.out: not attached: it is binary, not UTF-8 text.",
        "zorac-repl: nothing was sent.",
    ]
    assert server.chat_requests() == []


def test_a_pdf_arrives_as_its_text(make_server: Callable[..., DevServer], tmp_path: Path) -> None:
    server = make_server()
    text_pdf(tmp_path / "paper.pdf", ["Quarterly figures rose", "Appendix table"])
    done = _run(["-a", "paper.pdf", "summarize"], server, tmp_path)
    assert done.returncode == 0, done.stderr
    content = _user_content(server)
    assert isinstance(content, str)
    assert "paper.pdf (PDF, 2 pages):" in content
    assert "--- page 1 ---\nQuarterly figures rose" in content
    assert "--- page 2 ---\nAppendix table" in content


def test_a_photo_arrives_downscaled_upright_and_without_its_gps_position(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    phone_photo(tmp_path / "photo.jpg")
    done = _run(["-a", "photo.jpg", "[[images]] what is this?"], server, tmp_path)
    assert done.returncode == 0, done.stderr
    [request] = server.chat_requests()
    [image] = request.images
    assert (image.format, image.width, image.height) == ("JPEG", 768, 1024)
    assert GPS_IFD not in image.exif
    assert image.exif == {}
    assert b"PhoneMaker" not in image.data
    content = _user_content(server)
    assert isinstance(content, list)
    assert content[0] == {"type": "text", "text": "[[images]] what is this?"}
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    # What was sent, before and after, is said on stderr; the answer alone is on stdout.
    assert "photo.jpg: 3024×4032 JPEG" in done.stderr
    assert "→ 768×1024 JPEG" in done.stderr
    assert done.stdout.startswith("1 image: 768×1024 JPEG")


def test_an_image_on_stdin_is_attached_not_refused_as_binary(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    done = _run(["[[images]] what is this?"], server, tmp_path, stdin=png_bytes((300, 200)))
    assert done.returncode == 0, done.stderr
    [request] = server.chat_requests()
    assert [(i.format, i.width, i.height) for i in request.images] == [("JPEG", 300, 200)]


def test_a_text_only_llama_server_is_refused_before_sending(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server(flavor="llamacpp", vision=False)
    (tmp_path / "shot.png").write_bytes(png_bytes())
    done = _run(["-a", "shot.png", "what is this?"], server, tmp_path)
    assert done.returncode == 4
    assert server.chat_requests() == []
    last = done.stderr.splitlines()[-1]
    assert last.startswith(
        "zorac-repl: Qwen/Qwen3-8B reads no images (the server says so: /v1/models capabilities)"
    )
    assert "VISION=yes" in last


@pytest.mark.parametrize("flavor", [f for f in FLAVORS if f != "vllm"])
@pytest.mark.parametrize("vision", [True, False])
def test_each_server_is_asked_whether_the_model_sees(
    make_server: Callable[..., DevServer], tmp_path: Path, flavor: str, vision: bool
) -> None:
    server = make_server(flavor=flavor, vision=vision)
    (tmp_path / "shot.png").write_bytes(png_bytes())
    done = _run(["-a", "shot.png", "[[images]] what is this?"], server, tmp_path)
    if vision:
        assert done.returncode == 0, done.stderr
        assert len(server.chat_requests()[0].images) == 1
    else:
        assert done.returncode == 4, done.stderr
        assert "reads no images (the server says so:" in done.stderr
        assert server.chat_requests() == []


def test_vision_yes_overrides_what_the_server_says(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server(flavor="ollama", vision=False)  # Ollama takes them all the same
    (tmp_path / "shot.png").write_bytes(png_bytes())
    done = _run(["-a", "shot.png", "[[images]] x"], server, tmp_path, VISION="yes")
    assert done.returncode == 0, done.stderr
    assert len(server.chat_requests()[0].images) == 1


def test_an_attachment_larger_than_the_budget_is_refused_before_sending(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server()
    (tmp_path / "big.txt").write_text("lorem ipsum dolor sit amet " * 800)
    done = _run(["-a", "big.txt", "summarize"], server, tmp_path, MAX_INPUT_TOKENS="1000")
    assert done.returncode == 4
    assert server.chat_requests() == []
    assert "This message with its attachments is ~" in done.stderr
    assert "more than the budget of 1000" in done.stderr
    assert "/detach 1 drops the largest (big.txt" in done.stderr


def test_llama_servers_500_for_an_image_is_told_once_and_not_retried(
    make_server: Callable[..., DevServer], tmp_path: Path
) -> None:
    server = make_server(flavor="llamacpp", vision=False)
    (tmp_path / "shot.png").write_bytes(png_bytes())
    done = _run(["-a", "shot.png", "what is this?"], server, tmp_path, VISION="yes")
    assert done.returncode == 4
    assert len(server.chat_requests()) == 1  # a 500, but not one worth a retry
    last = done.stderr.splitlines()[-1]
    assert last.startswith(
        "zorac-repl: Qwen/Qwen3-8B reads no images: the server said 'image input is not "
        "supported - hint: if this is unexpected, you may need to provide the mmproj'. "
        "Nothing was sent: /detach the image"
    )
    assert last.endswith("VISION=yes is set, but the server does not agree: set VISION=auto.")
