"""Form bodies of the register pages."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.datastructures import UploadFile


@dataclass
class UploadForm:
    """The register upload (multipart); a missing file gets our own message, not a validation error."""

    file: UploadFile | None = None
