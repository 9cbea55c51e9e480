"""Tools from MCP servers: their configuration, their processes, and calls to them.

``config.py`` reads ``mcpServers`` as other clients write it; ``servers.py`` starts each
server when first needed (``mcp`` is imported only then), keeps it in a task of its own,
lists its tools and calls them with a timeout and cancellation; ``arguments.py`` checks
what the model sends against the tool's schema before anything runs.
"""
