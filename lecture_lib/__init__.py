"""lecture_lib: the companion package of the course.

Each module belongs to one lecture topic and names, in its docstrings, the chapter that teaches it.
Submodules are imported on demand (``from lecture_lib import conv_arith``); the top level only re-exports
the two helpers every chapter uses.
"""

from .device import get_device, seed_everything

__version__ = "0.1.0"

__all__ = ["__version__", "get_device", "seed_everything"]
