"""Reporters: turn result objects into text, JSON or JSON lines; they return strings and never print."""
