"""Layout regressions seen in the demo: filter controls of one height, so labels line up."""

from __future__ import annotations

import pytest

from tests.app.test_url_security import ALL_PERMISSIONS, make_user


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/failures/", "/audit/", "/auto-retry/"])
def test_form_controls__share_one_height(live_server, page, login, path):
    """Selects, text, date and number inputs had different heights (labels on a row did not line
    up; the audit page's date inputs and the auto-retry numbers were unstyled)."""
    make_user("qa", ALL_PERMISSIONS)
    login("qa", "pw-qa")
    page.goto(f"{live_server.url}{path}")
    heights = page.eval_on_selector_all(
        "main input[type=text], main input[type=search], main input[type=date], "
        "main input[type=datetime-local], main input[type=number], main select",
        "els => els.map(e => Math.round(e.getBoundingClientRect().height))",
    )
    assert heights, path
    assert len(set(heights)) == 1, (path, heights)
