"""The offline runtime: onnxruntime + numpy + Pillow only. Nothing heavier may be imported here."""
