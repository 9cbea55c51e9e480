"""zorac-repl: an inline terminal chat client for self-hosted LLM servers."""

__version__ = "0.1.0"
