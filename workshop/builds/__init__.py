"""Furniture: designs, builds, crates scanned into a build, photos, and the public passport.

- `designs`: the designs the workshop makes (seeded, listed, saved from `DesignFields`).
- `lifecycle`: a build from planned to delivered: its code, statuses, deletion, lists, hours.
- `attaching`: scanning crates into a build (the Core hot path), its progress, undoing a scan.
- `photos`: photos of builds and designs, resized and kept under the data directory.
- `passport`: what the public sees: crate origins, markets, weight, training, makers.

Callers use the names below (`builds.attach_crate(...)`); parts import each other
directly (`from workshop.builds.lifecycle import get_build`), never through here.
"""

from workshop.builds.attaching import (
    Attached,
    Progress,
    attach_crate,
    crate_count,
    progress,
    undo_last,
)
from workshop.builds.designs import DESIGNS, DesignFields, list_designs, save_design, seed_designs
from workshop.builds.lifecycle import (
    DELIVERED,
    MAX_NOTE,
    MAX_PRICE_EUR,
    NEXT_STATUS,
    OPEN,
    BuildHours,
    BuildRow,
    create_build,
    delete_build,
    get_build,
    get_build_by_code,
    hours_of_build,
    list_builds,
    set_status,
)
from workshop.builds.passport import (
    CrateOrigin,
    MarketShare,
    Passport,
    crate_origins,
    public_passport,
    training,
)
from workshop.builds.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_MAX_SIDE,
    SmallPhoto,
    add_photo,
    list_photos,
    photo_bytes,
    set_design_photo,
    small_photo,
    stored_photo,
)

__all__ = [
    # designs
    "DESIGNS",
    "DesignFields",
    "list_designs",
    "save_design",
    "seed_designs",
    # lifecycle
    "DELIVERED",
    "MAX_NOTE",
    "MAX_PRICE_EUR",
    "NEXT_STATUS",
    "OPEN",
    "BuildHours",
    "BuildRow",
    "create_build",
    "delete_build",
    "get_build",
    "get_build_by_code",
    "hours_of_build",
    "list_builds",
    "set_status",
    # attaching
    "Attached",
    "Progress",
    "attach_crate",
    "crate_count",
    "progress",
    "undo_last",
    # photos
    "MAX_PHOTO_BYTES",
    "PHOTO_MAX_SIDE",
    "add_photo",
    "photo_bytes",
    "list_photos",
    "set_design_photo",
    "stored_photo",
    "SmallPhoto",
    "small_photo",
    # passport
    "CrateOrigin",
    "MarketShare",
    "Passport",
    "crate_origins",
    "public_passport",
    "training",
]
