"""The PySide6 reference player (issue 9): not built yet."""
