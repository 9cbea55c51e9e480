"""A program on a fresh pseudo-terminal, driven without pexpect's built-in delays.

pexpect sleeps 50 ms before every send and polls its reads, which would swamp the figures
the benchmarks measure. This driver answers cursor-position requests at once, as a real
terminal does.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time


def _take_terminal() -> None:
    """In the child: a new session whose controlling terminal is the pty, so Ctrl+C
    arrives as SIGINT, as in a real terminal."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProgram:
    """``command`` running on a ``rows`` x ``columns`` pty; ``output`` is all it wrote."""

    def __init__(
        self, command: list[str], env: dict[str, str], rows: int = 30, columns: int = 100
    ) -> None:
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, stdin=slave, stdout=slave, stderr=slave, env=env, preexec_fn=_take_terminal
        )
        os.close(slave)
        self.output = bytearray()

    def read_until(self, marker: bytes, after: int = 0, timeout: float = 20.0) -> float:
        """Read until ``marker`` appears at or after offset ``after``; returns the time then."""
        deadline = time.perf_counter() + timeout
        searched = after
        while self.output.find(marker, searched) == -1:
            # Only new bytes can hold the marker: a baseline client writes hundreds of MB.
            searched = max(after, len(self.output) - len(marker))
            remaining = deadline - time.perf_counter()
            ready, _, _ = select.select([self._master], [], [], max(0.0, remaining))
            if not ready or remaining <= 0:
                tail = bytes(self.output[-300:])
                raise TimeoutError(f"{marker!r} never came; last output: {tail!r}")
            self.take(os.read(self._master, 1 << 20))
        return time.perf_counter()

    def take(self, data: bytes) -> None:
        """Keep what the program wrote, and answer a cursor-position request in it as a
        terminal does (prompt_toolkit waits up to a second at Enter for one unanswered)."""
        self.output += data
        if b"\x1b[6n" in data:
            os.write(self._master, b"\x1b[2;1R")

    def send(self, data: bytes) -> None:
        os.write(self._master, data)

    def close(self) -> None:
        self.process.kill()
        self.process.wait(10)
        os.close(self._master)


def start_zorac(
    base_url: str, data_dir: str, src: str | None = None, columns: int = 100, **env: str
) -> PtyProgram:
    """The installed ``zorac-repl`` on a 40-row pty against ``base_url``, its files in
    ``data_dir``; with ``src``, zorac_repl's code from that checkout (a before-and-after)."""
    environment = {
        **os.environ,
        "VLLM_BASE_URL": base_url,
        "ZORAC_DATA_DIR": data_dir,
        "ZORAC_CONFIG_DIR": data_dir,
        "MAX_INPUT_TOKENS": "9000000",
        "TERM": "xterm-256color",
        **env,
    }
    if src:
        environment["PYTHONPATH"] = src
    zorac = shutil.which("zorac-repl", path=os.path.dirname(sys.executable)) or "zorac-repl"
    return PtyProgram([zorac], environment, 40, columns)
