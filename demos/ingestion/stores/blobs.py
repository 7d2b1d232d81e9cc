"""File storage: each uploaded file is copied to <root>/<sha[:2]>/<sha256>, named by its content."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


class BlobFolder:
    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def put(self, data: bytes) -> tuple[str, str]:
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / digest[:2] / digest
        if not path.exists():  # same name = same bytes, so an existing blob is already right
            path.parent.mkdir(parents=True, exist_ok=True)
            # Write aside and rename: a crash or a concurrent retry never leaves a half-written blob.
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest, str(path)

    def get(self, path: str) -> bytes:
        return Path(path).read_bytes()
