"""YAML text → plain data with positions, and YAML syntax errors → their likely cause (for the loader)."""
