"""The offline runtime: onnxruntime + numpy + Pillow only. Nothing heavier may be imported here."""

from edgeclass.image_formats import IMAGE_EXTENSIONS
from edgeclass.runtime.classifier import Classifier
from edgeclass.runtime.discovery import find_images
from edgeclass.runtime.images import DEFAULT_MAX_PIXELS, ImageLoadError, load_image, to_rgb
from edgeclass.runtime.locate import resolve_model_dir
from edgeclass.runtime.model_folder import ModelFolder
from edgeclass.runtime.preprocess import Preprocessor
from edgeclass.runtime.results import UNKNOWN_LABEL, ClassificationResult, Status
from edgeclass.runtime.session import create_session

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "IMAGE_EXTENSIONS",
    "UNKNOWN_LABEL",
    "ClassificationResult",
    "Classifier",
    "ImageLoadError",
    "ModelFolder",
    "Preprocessor",
    "Status",
    "create_session",
    "find_images",
    "load_image",
    "resolve_model_dir",
    "to_rgb",
]
