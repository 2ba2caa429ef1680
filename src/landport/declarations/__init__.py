"""The export customs declaration and its lifecycle."""
