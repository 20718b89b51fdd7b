"""Issue 7 §2: an upload whose receiving process died leaves the image ``saving`` and a staged
file behind; after ``[image] upload_timeout`` with no progress the image is ``killed`` (Glance's
failed-upload status, deletable) and the staged data is removed."""

from __future__ import annotations

import datetime as dt
import os
import time

import sqlalchemy as sa

from stratus.common import clock
from stratus.db.models.images import Image
from stratus.services.image import stale_uploads
from tests.functional.image.conftest import ImageCloud

TIMEOUT = 3600


def _interrupted_upload(images: ImageCloud, age: int, data_age: int) -> tuple[str, str]:
    """An image left ``saving`` ``age`` s ago with staged bytes last written ``data_age`` s ago,
    as a kill -9 of the API mid-upload leaves it."""
    image_id = images.create()["id"]
    staged = images.state.store.stage(image_id)
    staged.write(b"partial data")
    staged.close()
    then = time.time() - data_age
    os.utime(staged.path, (then, then))
    past = clock.utcnow() - dt.timedelta(seconds=age)
    with images.state.db.write() as s:
        s.execute(
            sa.update(Image).where(Image.id == image_id).values(status="saving", updated_at=past)
        )
    return image_id, str(staged.path)


def test_saving_past_the_timeout_is_killed_and_its_staged_file_removed(
    images: ImageCloud,
) -> None:
    image_id, path = _interrupted_upload(images, TIMEOUT + 60, TIMEOUT + 60)
    reaped = stale_uploads.reap(images.state.db, images.state.store, TIMEOUT)
    assert reaped.killed == [image_id]
    assert images.show(image_id).json()["status"] == "killed"
    assert not os.path.exists(path)
    r = images.upload(image_id, b"again")
    assert r.status_code == 409, r.text
    r = images.client.delete(f"/v2/images/{image_id}", headers=images.headers("a-member"))
    assert r.status_code == 204, r.text


def test_an_upload_still_receiving_data_is_left_alone(images: ImageCloud) -> None:
    image_id, path = _interrupted_upload(images, TIMEOUT + 60, 5)
    reaped = stale_uploads.reap(images.state.db, images.state.store, TIMEOUT)
    assert reaped == stale_uploads.Reaped([], [])
    assert images.show(image_id).json()["status"] == "saving"
    assert os.path.exists(path)


def test_stale_staged_file_of_a_queued_image_is_removed(images: ImageCloud) -> None:
    image_id, path = _interrupted_upload(images, 10, TIMEOUT + 60)
    with images.state.db.write() as s:
        s.execute(sa.update(Image).where(Image.id == image_id).values(status="queued"))
    reaped = stale_uploads.reap(images.state.db, images.state.store, TIMEOUT)
    assert reaped == stale_uploads.Reaped([], [image_id])
    assert not os.path.exists(path)
    assert images.upload(image_id, b"x" * 512).status_code == 204
