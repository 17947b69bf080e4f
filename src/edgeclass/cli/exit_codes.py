"""Exit codes of the `edgeclass` command, documented in the README."""

OK = 0  # everything worked (for classify: every file was classified)
SOME_FILES_FAILED = 1  # classify ran, but at least one file could not be classified
USAGE = 2  # bad command line (argparse's own code)
MODEL_ERROR = 3  # the model folder is missing or broken
DATA_ERROR = 4  # input data missing or unusable (classify: no image files found; train/quantize)
GATE_FAILED = 5  # quantize: the int8 model lost more accuracy than allowed
INTERRUPTED = 130  # Ctrl+C
