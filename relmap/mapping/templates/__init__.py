"""The template language of a mapping: the sandboxed, bounded Jinja environment, and its compile-time checks."""
