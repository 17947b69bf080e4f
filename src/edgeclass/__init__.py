"""edgeclass: a fast, private, offline image classifier built from a folder of photos."""

from edgeclass.privacy import disable_telemetry

__version__ = "0.1.0"

# First, before any sub-package can load onnxruntime (see privacy.py).
disable_telemetry()
