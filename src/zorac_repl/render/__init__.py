"""Everything that draws Markdown or live regions; the only package that uses Rich's Markdown."""
