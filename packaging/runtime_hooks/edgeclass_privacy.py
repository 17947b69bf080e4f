"""Bundle run-time hook (PyInstaller runs it before the entry script): the privacy opt-outs of
edgeclass/privacy.py in the environment before anything can load onnxruntime, whatever the
entry script imports first."""

from edgeclass.privacy import disable_telemetry

disable_telemetry()
