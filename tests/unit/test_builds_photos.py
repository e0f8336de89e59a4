"""Builds, photos: a build's photos and a design's photo, resized and kept on disk."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import select

from tests import factories
from workshop import builds, db, i18n, qr_photos
from workshop.errors import InvalidInput
from workshop.models import BuildPhoto, BuildStatus, Role


def test_photos_are_resized_and_kept_on_disk(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    with db.write_session(engine) as session:
        photo = builds.add_photo(
            session=session, actor=lead, build_id=build.id, data=factories.jpeg()
        )
    stored = builds.photo_bytes(photo)
    assert stored is not None and len(stored) < 1024 * 1024
    assert max(Image.open(io.BytesIO(stored)).size) == builds.PHOTO_MAX_SIDE
    assert (tmp_path / "photos" / photo.path).is_file()
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        builds.add_photo(session=session, actor=lead, build_id=build.id, data=b"not a photo")
    assert err.value.key == "error.photo.not_an_image"
    with db.read_session(engine) as session:
        assert len(builds.list_photos(session=session, build_id=build.id)) == 1


def test_design_photo_shows_on_the_passport(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    factories.set_build_status(engine, lead, build, BuildStatus.in_progress)  # a public passport
    with db.write_session(engine) as session:
        design = builds.set_design_photo(
            session=session, actor=lead, design_id=build.design_id, data=factories.jpeg((800, 600))
        )
    assert builds.stored_photo(design.photo) is not None
    with db.read_session(engine) as session:
        story = builds.public_passport(session=session, text=build.code)
    assert story.photo is None and story.design.photo == design.photo
    with pytest.raises(InvalidInput), db.write_session(engine) as session:
        builds.set_design_photo(session=session, actor=lead, design_id=build.design_id, data=b"x")


def _stored(engine, tmp_path) -> tuple[int, list]:
    with db.read_session(engine) as session:
        rows = len(session.exec(select(BuildPhoto)).all())
    return rows, list((tmp_path / "photos").rglob("*"))


def test_a_decompression_bomb_is_refused_before_it_is_decoded(engine, tmp_path, monkeypatch):
    # Point 10: 700 KB on disk, 13 300 x 13 300 RGBA; it took the server to 2.36 GB.
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    bomb = factories.png_bomb()
    assert len(bomb) < 1024 * 1024
    for add in (
        lambda session: builds.add_photo(session=session, actor=lead, build_id=build.id, data=bomb),
        lambda session: builds.set_design_photo(
            session=session, actor=lead, design_id=build.design_id, data=bomb
        ),
    ):
        with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
            add(session)
        assert (err.value.key, err.value.params) == (
            "error.picture.too_many_pixels",
            {"max_mp": 40},
        )
    assert _stored(engine, tmp_path) == (0, [])


def _picture(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(100)


@pytest.mark.parametrize(
    ("data", "key", "params"),
    [
        (
            _picture(Image.new("RGB", (80, 60)), "GIF"),
            "error.picture.other_format",
            {"format": "GIF"},
        ),
        (
            _picture(Image.new("RGB", (80, 60)), "TIFF"),
            "error.picture.other_format",
            {"format": "TIFF"},
        ),
        (HEIC, "error.picture.heic", {}),
        # Formats Pillow reads but we do not: no decoder of theirs sees an upload.
        (_picture(Image.new("RGB", (80, 60)), "BMP"), "error.photo.not_an_image", {}),
        (_picture(Image.new("RGB", (80, 60)), "ICO"), "error.photo.not_an_image", {}),
        (_picture(Image.new("RGB", (80, 60)), "PCX"), "error.photo.not_an_image", {}),
    ],
    ids=["gif", "tiff", "heic", "bmp", "ico", "pcx"],
)
def test_only_jpeg_png_and_webp_are_read(engine, tmp_path, monkeypatch, data, key, params):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    with pytest.raises(InvalidInput) as err, db.write_session(engine) as session:
        builds.add_photo(session=session, actor=lead, build_id=build.id, data=data)
    assert (err.value.key, err.value.params) == (key, params)
    for lang in i18n.LANGUAGES:
        assert key in i18n.catalog(lang)
    assert _stored(engine, tmp_path) == (0, [])
    for fmt in ("PNG", "WEBP"):
        data = _picture(Image.new("RGB", (80, 60), "tan"), fmt)
        factories.write(engine, builds.add_photo, actor=lead, build_id=build.id, data=data)
    assert _stored(engine, tmp_path)[0] == 2


def test_the_pixel_count_is_the_limit(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(qr_photos, "MAX_PIXELS", 1_000_000)
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    factories.write(
        engine, builds.add_photo, actor=lead, build_id=build.id, data=factories.jpeg((1000, 1000))
    )
    with pytest.raises(InvalidInput) as err:
        factories.write(
            engine,
            builds.add_photo,
            actor=lead,
            build_id=build.id,
            data=factories.jpeg((1001, 1000)),
        )
    assert err.value.key == "error.picture.too_many_pixels"


def test_a_photo_is_turned_the_way_the_camera_was_held(engine, tmp_path, monkeypatch):
    # Shrunk before it is turned: the turn still follows the EXIF orientation.
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    lead = factories.user(engine, Role.lead)
    build = factories.build(engine, lead)
    exif = Image.Exif()
    exif[0x0112] = 6  # the phone held upright: the pixels are stored lying down
    data = _picture(Image.new("RGB", (4000, 3000), "tan"), "JPEG", exif=exif)
    photo = factories.write(engine, builds.add_photo, actor=lead, build_id=build.id, data=data)
    stored = builds.photo_bytes(photo)
    assert stored is not None and Image.open(io.BytesIO(stored)).size == (1200, 1600)
