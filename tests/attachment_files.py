"""Files to attach, made by the tests themselves: a phone photo, PDFs, a repository."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def phone_photo(path: Path, size: tuple[int, int] = (4032, 3024), orientation: int = 6) -> Path:
    """A JPEG as a phone writes it: stored sideways with an EXIF orientation, a camera
    maker and a GPS position. Its left half is red and its right half blue, as stored."""
    width, height = size
    image = Image.new("RGB", size, (220, 20, 20))
    image.paste((20, 20, 220), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[GPS_IFD] = {1: "N", 2: (34.0, 3.0, 30.0), 3: "W", 4: (118.0, 14.0, 37.0)}
    image.save(path, "JPEG", exif=exif, quality=92)
    return path


def png_bytes(size: tuple[int, int] = (64, 48), alpha: bool = False) -> bytes:
    out = io.BytesIO()
    Image.new(
        "RGBA" if alpha else "RGB", size, (10, 200, 10, 128) if alpha else (10, 200, 10)
    ).save(out, "PNG")
    return out.getvalue()


def text_pdf(path: Path, pages: list[str]) -> Path:
    """A PDF whose pages hold ``pages`` as real text (Helvetica), as a word processor's."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        DecodedStreamObject,
        DictionaryObject,
        NameObject,
    )

    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(612, 792)
        stream = DecodedStreamObject()
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    with open(path, "wb") as file:
        writer.write(file)
    return path


def scanned_pdf(path: Path) -> Path:
    """A PDF of one page with no text layer, as a scanner makes."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    with open(path, "wb") as file:
        writer.write(file)
    return path


def repository(root: Path, files: int = 20) -> Path:
    """A small repository: sources, a .gitignore naming build/ and *.log, a hidden file,
    a binary and an image."""
    (root / ".git").mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n*.log\n!keep.log\n")
    (root / "src").mkdir()
    for number in range(files):
        (root / "src" / f"module_{number}.py").write_text(f"VALUE_{number} = {number}\n")
    (root / "build").mkdir()
    (root / "build" / "out.py").write_text("IGNORED_BUILD = 1\n")
    (root / "debug.log").write_text("IGNORED_LOG\n")
    (root / "keep.log").write_text("KEPT_LOG\n")
    (root / ".env").write_text("SECRET=1\n")
    (root / "tool.bin").write_bytes(b"\x7fELF\x00\x01\x02binary")
    (root / "logo.png").write_bytes(png_bytes())
    return root
