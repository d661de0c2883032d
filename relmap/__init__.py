"""relmap: keep Silvasoft relations in step with OutSmart, driven by a YAML mapping file."""

__version__ = "0.1.0"
