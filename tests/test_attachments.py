"""Reading what the user attaches: text, directories as git sees them, PDFs and images."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from tests.attachment_files import (
    phone_photo,
    png_bytes,
    repository,
    scanned_pdf,
    text_pdf,
)
from zorac_repl.attachments.images import prepare_image
from zorac_repl.attachments.reading import Limits, TooMuch, read_paths
from zorac_repl.attachments.staged import Staged
from zorac_repl.conversation.history import Conversation
from zorac_repl.conversation.message import (
    FilePart,
    ImagePart,
    TextPart,
    UserMessage,
    message_from_json,
    to_json,
    to_wire,
)
from zorac_repl.conversation.parts import fenced


def _names(staging_parts: list[object]) -> list[str]:
    return [part.name for part in staging_parts]  # type: ignore[attr-defined]


def test_a_text_file_is_sent_in_a_fence_its_own_backticks_cannot_close(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("before\n````\ninside\n````\nafter\n")
    staging = read_paths(["notes.md"], tmp_path, Limits())
    [part] = staging.parts
    assert isinstance(part, FilePart)
    wire = part.wire_text()
    assert wire.startswith("notes.md:\n`````\n")
    assert wire.endswith("\n`````")
    assert "inside" in wire


@given(st.text(alphabet="`a\n", max_size=40))
def test_a_fence_is_longer_than_any_run_of_backticks(text: str) -> None:
    fence = fenced(text).split("\n", 1)[0]
    assert len(fence) >= 3
    assert "`" * len(fence) not in text


def test_binaries_are_refused_one_line_each_and_the_rest_is_staged(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("fine\n")
    (tmp_path / "tool.bin").write_bytes(b"\x7fELF\x00\x00")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    staging = read_paths(["a.txt", "tool.bin", "latin1.txt", "missing.txt"], tmp_path, Limits())
    assert _names(staging.parts) == ["a.txt"]
    assert staging.refused == [
        "missing.txt: not attached: there is no such file.",
        "tool.bin: not attached: it is binary, not UTF-8 text.",
        "latin1.txt: not attached: it is binary, not UTF-8 text.",
    ]


def test_a_directory_respects_gitignore_and_skips_hidden_and_binary_files(tmp_path: Path) -> None:
    repository(tmp_path / "repo", files=3)
    staging = read_paths(["repo"], tmp_path, Limits())
    names = _names(staging.parts)
    assert names == [
        "repo/keep.log",
        "repo/src/module_0.py",
        "repo/src/module_1.py",
        "repo/src/module_2.py",
    ]
    assert staging.refused == []
    assert staging.notes == [
        "repo/: left out 3 hidden and 2 in .gitignore (name a file to attach it anyway).",
        "Skipped 1 binary file and 1 image in the directories (attach an image by name).",
    ]


def test_a_subdirectory_follows_the_repository_roots_gitignore(tmp_path: Path) -> None:
    root = repository(tmp_path / "repo", files=1)
    (root / "src" / "generated.log").write_text("IGNORED\n")
    staging = read_paths(["repo/src"], tmp_path, Limits())
    assert _names(staging.parts) == ["repo/src/module_0.py"]


def test_globs_expand_and_a_glob_matching_nothing_is_said(tmp_path: Path) -> None:
    for name in ("b.py", "a.py", "c.txt"):
        (tmp_path / name).write_text(name)
    staging = read_paths(["*.py", "*.rs"], tmp_path, Limits())
    assert _names(staging.parts) == ["a.py", "b.py"]
    assert staging.refused == ["*.rs: not attached: no file matches it."]


def test_too_many_files_or_bytes_stage_nothing_and_give_the_figures(tmp_path: Path) -> None:
    repository(tmp_path / "repo", files=30)
    with pytest.raises(TooMuch) as refused:
        read_paths(["repo"], tmp_path, Limits(max_files=10))
    assert "at most 10 files" in str(refused.value)
    assert "ATTACH_MAX_FILES" in str(refused.value)
    (tmp_path / "big.txt").write_text("x" * 5000)
    with pytest.raises(TooMuch, match=r"5\.0 KB.*at most 10 files and 1\.0 KB"):
        read_paths(["big.txt"], tmp_path, Limits(max_files=10, max_bytes=1024))


def test_a_pdf_gives_its_text_page_by_page_and_a_scan_is_refused(tmp_path: Path) -> None:
    text_pdf(tmp_path / "paper.pdf", ["First page words", "Second page words"])
    scanned_pdf(tmp_path / "scan.pdf")
    staging = read_paths(["paper.pdf", "scan.pdf"], tmp_path, Limits())
    [part] = staging.parts
    assert isinstance(part, FilePart)
    assert part.pages == 2
    assert part.text == "--- page 1 ---\nFirst page words\n\n--- page 2 ---\nSecond page words"
    assert part.wire_text().startswith("paper.pdf (PDF, 2 pages):\n```")
    assert staging.refused == [
        "scan.pdf: not attached: its page has no text layer (a scan?); attach the pages as "
        "images, or run OCR on it first."
    ]


def test_a_phone_photo_is_turned_upright_scaled_and_stripped(tmp_path: Path) -> None:
    photo = phone_photo(tmp_path / "photo.jpg")
    prepared = prepare_image(photo.read_bytes(), "photo.jpg", 1024)
    part = prepared.part
    assert prepared.original_size == (3024, 4032)  # upright: the sides swapped
    assert (part.width, part.height) == (768, 1024)
    assert part.media_type == "image/jpeg"
    assert part.data is not None
    with Image.open(io.BytesIO(part.data)) as sent:
        assert sent.format == "JPEG"
        assert sent.size == (768, 1024)
        assert dict(sent.getexif()) == {}  # no GPS, no camera, no orientation
        assert not sent.info.get("exif")
        # Orientation 6 turns the stored image clockwise: its left (red) half is on top.
        top = sent.getpixel((384, 100))
        bottom = sent.getpixel((384, 900))
    assert isinstance(top, tuple)
    assert isinstance(bottom, tuple)
    assert top[0] > 150 > top[2]
    assert bottom[2] > 150 > bottom[0]


def test_a_small_png_with_transparency_stays_png_at_its_size() -> None:
    prepared = prepare_image(png_bytes((64, 48), alpha=True), "icon.png", 1024)
    assert prepared.part.media_type == "image/png"
    assert (prepared.part.width, prepared.part.height) == (64, 48)


def test_an_image_named_by_path_is_staged_and_one_that_is_damaged_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "ok.png").write_bytes(png_bytes())
    (tmp_path / "broken.png").write_bytes(png_bytes()[:40])
    staging = read_paths(["ok.png", "broken.png"], tmp_path, Limits())
    assert _names(staging.parts) == ["ok.png"]
    assert staging.refused[0].startswith("broken.png: not attached: it is not an image")


def _image(name: str = "a.png", digest: str = "ab" * 32) -> ImagePart:
    return ImagePart(name, digest, "image/png", 56, 28, 100, data=b"\x89PNG fake")


def test_a_message_with_parts_is_saved_without_image_bytes_and_read_back() -> None:
    message = UserMessage(
        (TextPart("look"), FilePart("n.md", "text", 4), _image()),
    )
    saved = to_json(message)
    assert "iVBOR" not in json.dumps(saved) and "PNG fake" not in json.dumps(saved)
    loaded = message_from_json(saved, lambda digest: b"from disk " + digest.encode())
    assert loaded == message
    assert isinstance(loaded, UserMessage)
    [image] = loaded.images
    assert image.read().startswith(b"from disk ")


def test_only_the_newest_images_are_sent_older_ones_become_markers() -> None:
    conversation = Conversation(images_sent=1)
    conversation.add_user(UserMessage((TextPart("one"), _image("old.png"))))
    conversation.add_user(UserMessage((TextPart("two"), _image("new.png"))))
    wire = conversation.for_request()
    assert wire[0]["content"] == "one\n\n[image old.png, 56×28, shown earlier; not sent again]"
    assert [part["type"] for part in wire[1]["content"]] == ["text", "image_url"]
    assert to_wire(conversation.messages[1])["content"][1]["image_url"]["url"].startswith(
        "data:image/png;base64,"
    )


def test_the_staged_summary_counts_files_images_and_tokens() -> None:
    staged = Staged(lambda text: len(text) // 4)
    staged.add([FilePart("a.md", "x" * 4000, 4000), FilePart("b.md", "y" * 40, 40)])
    staged.add([_image()])
    assert staged.summary() == "2 files, 1 image · ~1.0k tokens"
    again = staged.add([FilePart("a.md", "z", 1)])
    assert again == ["a.md"]
    assert [row[1] for row in staged.rows()] == ["b.md", "a.png", "a.md"]
    staged.remove(2)
    assert staged.summary().startswith("2 files ·")


def test_export_and_summaries_name_attachments_and_never_carry_their_bytes() -> None:
    from zorac_repl.chat.summarize import _transcript
    from zorac_repl.commands.export import to_markdown
    from zorac_repl.conversation.message import AnswerMeta
    from zorac_repl.settings.table import Settings

    conversation = Conversation()
    conversation.add_user(
        UserMessage((TextPart("look"), FilePart("README.md", "body text", 9), _image("shot.png")))
    )
    conversation.add_assistant("a cat", AnswerMeta())
    said = "ttached: README.md (9 B), shot.png (56×28 image, 100 B)"
    exported = to_markdown(conversation, Settings(), 0.0)
    assert f"*A{said}*" in exported
    assert "PNG fake" not in exported and "body text" not in exported
    transcript = _transcript(conversation, 2)
    assert f"User: look\n(a{said})" in transcript
    assert "body text" not in transcript


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width``×``height`` pixels and holds none: a decompression bomb's
    shape, refused before anything is decoded."""
    import struct
    import zlib

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + end


@pytest.mark.parametrize("side", [10_000, 20_000])  # over Pillow's warning, and its error
def test_an_image_claiming_too_many_pixels_is_refused_in_one_line(
    tmp_path: Path, side: int, recwarn: pytest.WarningsRecorder
) -> None:
    (tmp_path / "bomb.png").write_bytes(_png_header_only(side, side))
    staging = read_paths(["bomb.png"], tmp_path, Limits())
    assert staging.parts == []
    assert staging.refused == [
        "bomb.png: not attached: it has more pixels than an image may (a decompression bomb?)."
    ]
    assert not [w for w in recwarn if "DecompressionBomb" in str(w.category)]


def test_an_image_whose_saved_file_is_gone_is_sent_as_its_marker() -> None:
    def gone(digest: str) -> bytes:
        raise FileNotFoundError(digest)

    saved = to_json(UserMessage((TextPart("see"), _image("lost.png"))))
    conversation = Conversation()
    conversation.add_user(message_from_json(saved, gone))  # type: ignore[arg-type]
    assert conversation.for_request()[0]["content"] == (
        "see\n\n[image lost.png, 56×28, shown earlier; not sent again]"
    )


@pytest.mark.parametrize(
    ("status", "said", "limit"),
    [
        (400, "Qwen/Qwen3-8B is not a multimodal model None", 0),
        (400, "At most 0 image(s) may be provided in one prompt.", 0),
        (
            400,
            "Resolving modality {'image'} requires a multimodal processor but none is available.",
            0,
        ),
        (
            500,
            "image input is not supported - hint: if this is unexpected, you may need to "
            "provide the mmproj",
            0,
        ),
        (400, "At most 2 image(s) may be provided in one prompt.", 2),
        (500, "this model only supports one image while more than one image requested", 1),
    ],
)
def test_each_servers_refusal_of_images_is_recognised(status: int, said: str, limit: int) -> None:
    from zorac_repl.errors import ImagesRefused
    from zorac_repl.server.http_errors import status_error

    body = {"error": {"code": status, "message": said, "type": "server_error"}}
    error = status_error(status, body, "", "application/json", "http://gpu:8000/v1")
    assert isinstance(error, ImagesRefused)
    assert error.limit == limit
    assert error.said == said


def test_an_unrelated_error_is_not_taken_for_a_refusal_of_images() -> None:
    from zorac_repl.errors import ImagesRefused
    from zorac_repl.server.http_errors import status_error

    body = {"error": {"message": "image_url is fine but the model is loading"}}
    error = status_error(503, body, "", "application/json", "http://gpu:8000/v1")
    assert not isinstance(error, ImagesRefused)
