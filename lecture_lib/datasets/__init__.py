"""Datasets of the dense-prediction and autoencoder chapters, read from their real on-disk formats.

Submodules (import the one you need; nothing heavy is imported here):

- ``voc``: Pascal VOC class tables, colormap, XML parser, ``VOCSegmentation`` and ``VOCDetection``.
- ``coco``: COCO tables, run-length encoding by hand, ``CocoDetection`` (through pycocotools).
- ``synthetic``: writes small VOCdevkit trees and COCO instances files of drawn shapes (offline fixtures).
- ``photo_trees``: writes scikit-image's sample photographs, annotated by the course, as VOC and COCO trees.
- ``download``: checksummed downloads and safe archive extraction for users who are online.
- ``digits``: scikit-learn's handwritten digits at 28 x 28, the MNIST IDX reader and downloader.

Example:
    >>> from lecture_lib.datasets import voc
    >>> voc.VOC_CLASSES[15]
    'person'

Taught in: chapters "Pascal VOC and COCO", "Segmentation" and "Autoencoders".
"""

from __future__ import annotations

__all__ = ["coco", "digits", "download", "photo_trees", "synthetic", "voc"]
