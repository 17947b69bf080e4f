"""Command-line interface. Each sub-command lives in its own module with `register(subparsers)`.

Sub-command modules import only the standard library at module level; heavy stacks (torch,
transformers, optimum, mlflow) are imported inside their `run` function, so `edgeclass classify`
starts fast and never loads them.
"""
