"""Attachment figures: a 12-megapixel phone photo, and a 2,000-file repository directory.

Run: ``python bench/attach.py [--runs N]``. Each time is the median of N runs in this
process (the imports are warm after the first, as in a running REPL); the first run's
time, with Pillow or pathspec still to import, is printed beside it.

- The photo: a 4032×3024 JPEG with camera EXIF and a GPS position, noisy enough to weigh
  what a phone's does. Figures: bytes before and sent, pixels sent, time to prepare
  (decode, turn upright, scale to IMAGE_MAX_SIDE, encode without metadata).
- The repository: 2,000 source files of 0.5–3 KB in 80 directories, a ``.gitignore``
  naming a ``build/`` of 500 more files and ``*.log``. Figures: time to walk it and read
  it (the default limits refuse it, with the figures, before reading: that time too), then
  to count its tokens with the real encoding.
- End to end: ``zorac-repl -a photo.jpg`` and ``-a repo`` in a pipe against the dev server,
  against the same question without ``-a`` (process start and the answer included).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from zorac_repl.attachments.images import prepare_image
from zorac_repl.attachments.reading import Limits, TooMuch, read_paths
from zorac_repl.attachments.staged import Staged
from zorac_repl.attachments.walk import walk
from zorac_repl.devserver import DevServer, StreamOptions
from zorac_repl.tokens import TokenCounter


def make_photo(path: Path) -> None:
    rng = random.Random(12)
    small = Image.effect_noise((1008, 756), 64).convert("RGB")
    tint = Image.linear_gradient("L").resize((1008, 756)).convert("RGB")
    photo = Image.blend(small, tint, 0.5).resize((4032, 3024), Image.Resampling.BICUBIC)
    noise = Image.effect_noise((4032, 3024), 24).convert("RGB")
    photo = Image.blend(photo, noise, 0.25)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (34.0, 3.0, 30.0), 3: "W", 4: (118.0, 14.0, rng.random())}
    photo.save(path, "JPEG", quality=92, exif=exif)


def make_repository(root: Path, files: int = 2000) -> None:
    rng = random.Random(7)
    (root / ".git").mkdir(parents=True)
    (root / ".gitignore").write_text("build/\n*.log\n")
    words = ["def", "return", "value", "index", "self", "import", "from", "class", "data"]
    for number in range(files):
        folder = root / "src" / f"pkg_{number % 80}"
        folder.mkdir(parents=True, exist_ok=True)
        lines = [" ".join(rng.choices(words, k=8)) for _ in range(rng.randint(12, 70))]
        (folder / f"module_{number}.py").write_text("\n".join(lines) + "\n")
    for number in range(500):
        build = root / "build" / f"b{number % 10}"
        build.mkdir(parents=True, exist_ok=True)
        (build / f"out_{number}.py").write_text("generated\n" * 40)
    (root / "run.log").write_text("log\n" * 1000)


def _median(runs: int, work: object) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:] or times), times[0]


def _command() -> str:
    return shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"


def _one_shot(args: list[str], base_url: str, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [_command(), *args],
        cwd=cwd,
        env={**os.environ, "VLLM_BASE_URL": base_url, **env},
        capture_output=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        photo = where / "photo.jpg"
        make_photo(photo)
        data = photo.read_bytes()
        prepared = prepare_image(data, "photo.jpg", 1024)
        taken, first = _median(runs, lambda: prepare_image(data, "photo.jpg", 1024))
        part = prepared.part
        print(
            f"12 MP photo: {len(data) / 1e6:.2f} MB, 4032×3024 → sent {part.size / 1e3:.0f} KB, "
            f"{part.width}×{part.height} JPEG, no EXIF; prepare {taken * 1000:.0f} ms "
            f"(median of {runs})"
        )

        repo = where / "repo"
        make_repository(repo)
        walked, first = _median(runs, lambda: walk(repo))
        found = walk(repo)
        print(
            f"2,000-file repository: walk {walked * 1000:.0f} ms (first {first * 1000:.0f} ms): "
            f"{len(found.files)} files, {found.ignored} left out by .gitignore, "
            f"{found.hidden} hidden"
        )

        def refused() -> None:
            try:
                read_paths(["repo"], where, Limits())
            except TooMuch:
                return
            raise AssertionError("the default limits took 2,000 files")

        refusing, _ = _median(runs, refused)
        print(
            f"  default limits (500 files, 4M): refused, figures said, in {refusing * 1e3:.0f} ms"
        )
        wide = Limits(max_files=5000, max_bytes=64 * 1024**2)
        read, _ = _median(runs, lambda: read_paths(["repo"], where, wide))
        staging = read_paths(["repo"], where, wide)
        size = sum(p.size for p in staging.parts)  # type: ignore[union-attr]
        print(f"  read with the limits raised: {read * 1000:.0f} ms, {size / 1e6:.2f} MB of text")
        counter = TokenCounter()
        counter.load()

        def count() -> int:
            staged = Staged(counter.count)
            staged.add(staging.parts)
            return staged.tokens()

        counting, _ = _median(runs, count)
        print(f"  count tokens (cl100k_base): {counting * 1000:.0f} ms, ~{count():,} tokens")

        server = DevServer(
            max_model_len=4_000_000, options=StreamOptions(rate=0.0, ttft=0.0)
        ).start()
        env = {
            "ZORAC_DATA_DIR": str(where / "data"),
            "ZORAC_CONFIG_DIR": str(where / "config"),
            "ATTACH_MAX_FILES": "5000",
            "ATTACH_MAX_BYTES": "64M",
            "MAX_INPUT_TOKENS": "3000000",
        }
        try:
            for label, args in (
                ("no attachment", ["[[tokens=20]] hi"]),
                ("-a photo.jpg", ["-a", "photo.jpg", "[[tokens=20]] hi"]),
                ("-a repo (2,000 files)", ["-a", "repo", "[[tokens=20]] hi"]),
            ):
                times = [_one_shot(args, server.base_url, where, env) for _ in range(runs)]
                print(f"one-shot {label}: {statistics.median(times):.2f} s")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
