"""Screenshots of the main pages for the README, in docs/screenshots/.

    .venv/bin/python tools/screenshots.py [OUTPUT_DIR]

What `make run` shows, taken by Playwright with Debian's Chromium: it makes a
throwaway SQLite database with the demo data (`seed_demo`), serves it with
`runserver` on a free port, signs in as each role and saves PNGs, made smaller with
pngquant and optipng when they are installed. The auditor gets an authenticator app
in that database only, so that the script can pass the two-step sign-in.
"""

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="kpi-screenshots-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORK / 'demo.sqlite3'}"
os.environ["DJANGO_DEBUG"] = "1"
os.environ["DJANGO_MEDIA_ROOT"] = str(WORK / "media")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kpi_portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django_otp.oath import TOTP  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from indicators import thai  # noqa: E402
from indicators.models import Indicator  # noqa: E402
from reports.demo.generate import DEMO_PASSWORD  # noqa: E402
from reports.models import QuarterReport  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def prepare() -> dict:
    """The demo data, an authenticator app for the auditor, and the pages to show."""
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    auditor = get_user_model().objects.get(username="auditor")
    device = TOTPDevice.objects.create(user=auditor, name="screenshots", confirmed=True)
    current = thai.fiscal_year_of(django.utils.timezone.localdate())
    draft = (
        QuarterReport.objects.filter(
            indicator__org_unit__code="5016", indicator__fiscal_year__year=current, status="draft"
        )
        .order_by("indicator__sequence")
        .first()
    )
    entry = draft or QuarterReport(
        indicator=Indicator.objects.filter(org_unit__code="5016", fiscal_year__year=current).first(),
        quarter=1,
    )
    submitted = QuarterReport.objects.filter(status="submitted").order_by("indicator_id").first()
    full_year = (
        Indicator.objects.filter(org_unit__code="5016", fiscal_year__year=current - 1)
        .exclude(unit_of_measure="ระดับ")
        .order_by("sequence")
        .first()
    )
    return {
        "device": device,
        "entry": f"/indicators/{entry.indicator_id}/quarters/{entry.quarter}/report/",
        "review": f"/indicators/{submitted.indicator_id}/quarters/{submitted.quarter}/review/",
        "sheet": f"/indicators/{full_year.pk}/",
        # Where the dashboard opens: the latest quarter past its deadline.
        "dashboard": "/dashboard/",
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def sign_in(page, base: str, username: str, device=None) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.press("#id_password", "Enter")
    if device is not None:
        page.wait_for_selector("#id_code")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        page.fill("#id_code", f"{totp.token():0{device.digits}d}")
        page.press("#id_code", "Enter")
    page.wait_for_load_state("networkidle")


def shoot(browser, base: str, output: Path, username: str, shots, device=None, viewport=DESKTOP) -> None:
    context = browser.new_context(locale="th-TH", viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    sign_in(page, base, username, device)
    for name, path in shots:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=output / f"{name}.png")
        print(f"{name}.png  {username}  {path}")
    context.close()


def optimise(output: Path) -> None:
    for png in sorted(output.glob("*.png")):
        for command in (
            ["pngquant", "--force", "--skip-if-larger", "--ext", ".png", "256"],
            ["optipng", "-quiet", "-o2"],
        ):
            try:
                subprocess.run([*command, str(png)], check=False)
            except FileNotFoundError:
                pass


def main() -> None:
    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    output.mkdir(parents=True, exist_ok=True)
    pages = prepare()
    port = free_port()
    server = serve(port)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            shoot(browser, base, output, "staff", [("staff-home", "/"), ("quarter-entry", pages["entry"])])
            shoot(browser, base, output, "staff", [("quarter-entry-phone", pages["entry"])], viewport=PHONE)
            shoot(browser, base, output, "auditor", [("review", pages["review"])], device=pages["device"])
            shoot(
                browser,
                base,
                output,
                "executive",
                [("sheet", pages["sheet"]), ("dashboard", pages["dashboard"])],
            )
            browser.close()
    finally:
        server.terminate()
        server.wait()
    optimise(output)


if __name__ == "__main__":
    main()
