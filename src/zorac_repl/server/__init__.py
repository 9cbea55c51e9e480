"""The server: the HTTP client (the only user of ``openai``), SSE, discovery, its errors.

Everything that crosses the wire is translated here into typed events and ``ZoracError``s.
"""
