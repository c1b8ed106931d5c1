"""Every main page of each role at desktop (1,366 px) and phone (390 px) width: it
opens, shows no horizontal scroll on the phone, is screenshot (test artefacts) and has
no serious or critical axe-core violation (WCAG 2.1 AA, issue 11)."""

import pytest
from playwright.sync_api import Page

from tests.browser.pages import (
    DESKTOP,
    PHONE,
    artifacts_dir,
    axe_violations,
    build_world,
    main_pages,
    overflows_horizontally,
    sign_in_by_cookie,
    slug,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return build_world()


def visit_all(page: Page, base: str, role: str, pages: list[tuple[str, str]]) -> list[str]:
    problems = []
    shots = artifacts_dir()
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        for name, path in pages:
            response = page.goto(base + path)
            if response.status != 200:
                problems.append(f"{role} {name} {size_name}: HTTP {response.status}")
                continue
            page.screenshot(path=shots / f"{slug(role)}-{name}-{size_name}.png", full_page=True)
            if size_name == "phone" and overflows_horizontally(page):
                problems.append(f"{role} {name} phone: wider than the window")
            problems += [f"{role} {name} {size_name}: {v}" for v in axe_violations(page)]
    return problems


def test_sign_in_page(page: Page, live_server):
    problems = visit_all(page, live_server.url, "anonymous", [("sign-in", "/accounts/login/")])
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ["staff", "auditor", "executive", "administrator"])
def test_main_pages(page: Page, live_server, world, role):
    sign_in_by_cookie(page, live_server.url, world["people"][role])
    problems = visit_all(page, live_server.url, role, main_pages(world)[role])
    assert not problems, "\n".join(problems)
