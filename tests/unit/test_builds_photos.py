"""Builds, photos: a build's photos and a design's photo, resized and kept on disk."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests import factories
from workshop import builds, db
from workshop.errors import InvalidInput
from workshop.models import BuildStatus, Role


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
