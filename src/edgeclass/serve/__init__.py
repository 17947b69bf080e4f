"""`edgeclass serve`: the runtime's Classifier behind a local HTTP API (the `serve` extra).

Nothing outside this package imports it: `classify`, the desktop app and the bundle never load
FastAPI or uvicorn.
"""
