"""The project's own error types. Library code raises these; only the CLI picks exit codes."""


class EdgeclassError(Exception):
    """Base class for every error edgeclass raises on purpose."""


class ModelError(EdgeclassError):
    """A model folder is missing, incomplete or broken."""


class DataError(EdgeclassError):
    """Training or evaluation data is missing or unusable."""


class Cancelled(EdgeclassError):
    """A long operation stopped because its cancel Event was set."""
