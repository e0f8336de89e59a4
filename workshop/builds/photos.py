"""Photos: a build's photos and a design's catalogue photo, resized and kept on disk.

Pictures are opened by `qr_photos.open_picture` (JPEG, PNG or WebP, their pixels
counted before they are decoded), as on the Scan page.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageOps
from PIL.JpegImagePlugin import JpegImageFile
from sqlmodel import Session, col, select

from workshop import audit, config
from workshop.accounts import Permission, require
from workshop.builds.lifecycle import get_build
from workshop.errors import InvalidInput, NotFound
from workshop.models import BuildPhoto, Design, User
from workshop.qr_photos import open_picture

MAX_PHOTO_BYTES = 25 * 1024 * 1024
PHOTO_MAX_SIDE = 1600  # px; a phone screen never needs more, and it keeps files < 1 MB
# The public passport's photo: wide enough for a phone held upright (390 CSS px at 1.5x),
# small enough that the whole page stays under 60 KB on a slow connection.
SMALL_SIDE = 600
SMALL_QUALITY = 70


def _resized_jpeg(data: bytes) -> bytes:
    """A photo as we keep it; InvalidInput for a file too big, not a picture, or too many pixels."""
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("error.photo.too_large", max_mb=MAX_PHOTO_BYTES // (1024 * 1024))
    image = open_picture(data, "error.photo.not_an_image")
    try:
        if isinstance(image, JpegImageFile):
            image.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # fast JPEG downscale on load
        # Shrunk first, in place: turning and converting then copy a small picture, not
        # the decoded one (a 40 MP PNG is 160 MB).
        image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        image = ImageOps.exif_transpose(image).convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # Truncated or corrupt pixel data only shows up when decoding.
        raise InvalidInput("error.photo.not_an_image") from None
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def add_photo(*, session: Session, actor: User, build_id: int, data: bytes) -> BuildPhoto:
    """Resize a photo of a build and keep it under the data directory (never in the database)."""
    require(actor, Permission.builds)
    build = get_build(session=session, build_id=build_id)
    jpeg = _resized_jpeg(data)
    relative = f"{build.code}/{uuid.uuid4().hex[:12]}.jpg"
    _store(relative, jpeg)
    photo = BuildPhoto(build_id=build_id, path=relative)
    session.add(photo)
    session.flush()
    audit.record(
        session=session,
        actor=actor,
        action="photo",
        entity="build",
        entity_id=build.code,
        after={"photo": relative},
    )
    return photo


def set_design_photo(*, session: Session, actor: User, design_id: int, data: bytes) -> Design:
    """Give a design its catalogue photo (resized, kept under the data directory)."""
    require(actor, Permission.builds)
    design = session.get(Design, design_id)
    if design is None:
        raise NotFound("error.build.unknown_design")
    relative = f"designs/{design_id}-{uuid.uuid4().hex[:8]}.jpg"
    _store(relative, _resized_jpeg(data))
    with audit.change(
        session=session,
        actor=actor,
        obj=design,
        action="photo",
        entity="design",
        entity_id=design.id,
    ):
        design.photo = relative
    return design


def _store(relative: str, jpeg: bytes) -> None:
    path = config.photos_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(jpeg)


def stored_photo(relative: str) -> bytes | None:
    """A stored JPEG by its path under the photos directory, or None if it is gone."""
    if not relative:
        return None
    path = config.photos_dir() / relative
    return path.read_bytes() if path.is_file() else None


@dataclass(frozen=True)
class SmallPhoto:
    """A stored photo made small for the public page, with its size in pixels."""

    jpeg: bytes
    width: int
    height: int


@lru_cache(maxsize=256)
def _small(relative: str, modified_ns: int) -> SmallPhoto:
    # Keyed on the file's modification time: a replaced photo is made small again.
    with Image.open(config.photos_dir() / relative) as image:
        image.draft("RGB", (SMALL_SIDE, SMALL_SIDE))
        image.thumbnail((SMALL_SIDE, SMALL_SIDE))
        small = image.convert("RGB")
    out = io.BytesIO()
    small.save(out, "JPEG", quality=SMALL_QUALITY, optimize=True, progressive=True)
    return SmallPhoto(out.getvalue(), small.width, small.height)


def small_photo(relative: str) -> SmallPhoto | None:
    """A stored photo at most SMALL_SIDE px a side (cached), or None if it is gone or unreadable."""
    if not relative:
        return None
    try:
        return _small(relative, (config.photos_dir() / relative).stat().st_mtime_ns)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def photo_bytes(photo: BuildPhoto) -> bytes | None:
    """The stored JPEG of a build photo, or None if its file is gone."""
    return stored_photo(photo.path)


def list_photos(*, session: Session, build_id: int) -> list[BuildPhoto]:
    """Photos of a build, oldest first."""
    return list(
        session.exec(
            select(BuildPhoto).where(BuildPhoto.build_id == build_id).order_by(col(BuildPhoto.id))
        )
    )
