"""Entry point for ``python -m zorac_repl``."""

from zorac_repl.cli import main

raise SystemExit(main())
