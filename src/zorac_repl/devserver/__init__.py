"""A vLLM-faithful dev server: the backend of the tests, the benchmarks and ``--demo``."""

from zorac_repl.devserver.http_server import DevServer, RequestRecord, StreamOptions

__all__ = ["DevServer", "RequestRecord", "StreamOptions"]
