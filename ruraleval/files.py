"""Attached files, stored once by their content hash (SHA-256).

Events name a file by its hash; the bytes live here, written and committed before the
event that refers to them, so an acknowledged action plan never points at nothing. The
same bytes uploaded twice are stored once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from domain.errors import InvalidCommand, NotFound
from domain.state import AttachedFile
from projections.store import ReadStore

MAX_FILE_BYTES = 20 * 1024 * 1024
BLOB_TYPES = {"sqlite": "BLOB", "postgresql": "BYTEA"}


def attachment(ascii_name: str, name: str) -> dict[str, str]:
    """The download header: an ASCII file name for old clients, the real (Chinese) one for the rest (RFC 6266)."""
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    media_type: str
    content: bytes


class FileStore:
    def __init__(self, store: ReadStore) -> None:
        self.store = store
        blob = BLOB_TYPES[store.dialect]
        store.create(
            [
                "CREATE TABLE IF NOT EXISTS attached_files (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL,"
                f" media_type TEXT NOT NULL, content {blob} NOT NULL)"
            ]
        )

    def put(self, name: str, media_type: str, content: bytes) -> AttachedFile:
        """Stores the bytes (once) and returns what an event records of them."""
        name = name.strip().replace("/", "_").replace("\\", "_")[:200]
        if not name:
            raise InvalidCommand.of("files", "file_name", "附件必须有文件名")
        if not content:
            raise InvalidCommand.of("files", "non_empty", f"附件“{name}”是空文件")
        if len(content) > MAX_FILE_BYTES:
            raise InvalidCommand.of("files", "max_size", f"附件“{name}”超过 {MAX_FILE_BYTES // 1024 // 1024} MB")
        sha256 = hashlib.sha256(content).hexdigest()
        media_type = media_type or "application/octet-stream"
        with self.store.transaction() as sql:
            sql.execute(
                "INSERT INTO attached_files (sha256, size, media_type, content) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT (sha256) DO NOTHING",
                [sha256, len(content), media_type, content],
            )
        return AttachedFile(name=name, sha256=sha256, size=len(content), media_type=media_type)

    def get(self, sha256: str) -> StoredFile:
        rows = self.store.query("SELECT media_type, content FROM attached_files WHERE sha256 = %s", [sha256])
        if not rows:
            raise NotFound.of("sha256", "known_file", f"找不到内容哈希为 {sha256} 的附件")
        return StoredFile(sha256, str(rows[0]["media_type"]), bytes(rows[0]["content"]))
