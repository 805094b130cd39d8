"""The studio's avatar panel names the photo estimates to check with a tape (``avatar.check_with_tape``, least
sure first), escaped, and nothing of the kind for an avatar made from measurements."""

from __future__ import annotations

from datetime import UTC, datetime

from fw_kernel.api import Workspace
from fw_kernel.domain.avatar import Avatar as AvatarRecord
from fw_widgets.avatar_panel import AvatarPanel, avatar_info_html, check_with_tape_html
from fw_widgets.context import StudioContext

MEASURED = {"height": 168.0, "bust": 92.0, "waist": 74.0, "hips": 100.0, "inseam": 78.0}


def test_check_with_tape_html_lists_the_names_in_order_escaped() -> None:
    assert check_with_tape_html([]) == ""
    line = check_with_tape_html(["bust", "hips"])
    assert "Check with a tape:</b> bust, hips</div>" in line
    assert check_with_tape_html(["hips", "bust"]).endswith("hips, bust</div>")   # the given order
    hostile = check_with_tape_html(["<script>x</script>", "a&b"])
    assert "<script>" not in hostile and "&lt;script&gt;x&lt;/script&gt;, a&amp;b" in hostile


def _photo_avatar(memory_services, owner: str, confidence: dict[str, float]) -> str:
    record = AvatarRecord("a-photo-1", owner, "Ada <photos>", dict(MEASURED), "female",
                          datetime(2026, 1, 1, tzinfo=UTC), source="photo", requested=dict(MEASURED),
                          confidence=confidence)
    with memory_services.uow() as uow:
        uow.users.ensure(owner, record.created_at)
        uow.avatars.add(record)
        uow.commit()
    return record.id


def test_the_panel_shows_the_photo_avatars_measurements_to_check(memory_services) -> None:
    ws = Workspace(memory_services, "bob")
    confidence = {"height": 1.0, "bust": 0.3, "waist": 0.9, "hips": 0.45, "inseam": 0.5}
    avatar_id = _photo_avatar(memory_services, "bob", confidence)
    avatar = ws.avatars.get(avatar_id)
    assert avatar.check_with_tape == ["bust", "hips"]                 # least sure first; 0.5 is not below

    design = ws.designs.create("Look", avatar=avatar_id)
    panel = AvatarPanel(StudioContext(design))
    panel.refresh()
    info = panel.info.value
    assert "<b>Check with a tape:</b> bust, hips</div>" in info
    assert "Ada &lt;photos&gt;" in info and "waist 74.0" in info


def test_no_tape_line_when_every_estimate_is_sure_or_for_measured_avatars(memory_services) -> None:
    ws = Workspace(memory_services, "bob")
    sure = ws.avatars.get(_photo_avatar(memory_services, "bob", dict.fromkeys(MEASURED, 0.9)))
    assert sure.check_with_tape == [] and "Check with a tape" not in avatar_info_html(sure)
    made = ws.avatars.create("Bo", MEASURED, "female")  # from measurements: no confidences
    assert made.check_with_tape == [] and "Check with a tape" not in avatar_info_html(made)
    assert "<b>Bo</b> (female; measured: height" in avatar_info_html(made)
