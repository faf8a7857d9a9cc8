"""The studio: PySide6 windows over the library packages (the only package that imports Qt)."""
