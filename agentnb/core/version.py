"""agentnb's version, where every layer may read it (``agentnb.__version__`` is this one)."""

VERSION = "0.1.0"  # pyproject.toml's version; tests/test_packaging.py keeps them equal
