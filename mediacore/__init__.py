"""Pure foundation shared by every package: the error taxonomy root, the one ISO-BMFF box
reader/writer and the :class:`Secret` wrapper. No I/O, no clock, no third-party imports."""

from mediacore.boxes import Box, BoxNode, FieldReader, MalformedBox, iter_boxes, walk
from mediacore.errors import Category, SdkError, Severity
from mediacore.secret import Secret

__all__ = [
    "Box",
    "BoxNode",
    "Category",
    "FieldReader",
    "MalformedBox",
    "SdkError",
    "Secret",
    "Severity",
    "iter_boxes",
    "walk",
]
