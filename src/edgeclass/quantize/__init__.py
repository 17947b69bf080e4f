"""Turn a trained Hugging Face model folder into a fast int8 ONNX model folder, with proof.

Heavy dependencies (torch, transformers, optimum, onnx, mlflow) are imported inside the
functions that need them, so importing this package stays cheap.
"""
