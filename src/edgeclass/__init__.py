"""edgeclass: a fast, private, offline image classifier built from a folder of photos."""

__version__ = "0.1.0"
