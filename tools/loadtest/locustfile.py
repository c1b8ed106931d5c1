"""The last day of a quarter: 200 unit staff autosaving every 3 s and submitting, 20
auditors reviewing, 10 executives reading dashboards and printing sheets.

Run by tools/loadtest.py (`make loadtest`), which prepares the accounts and the data
and starts the server; this file only drives it. It refuses any host other than this
machine. Every account signs in through the real sign-in page (PBKDF2, as in
production); auditors give their two-step code, computed from their authenticator
key (RFC 6238) like a phone app does.

Request names are grouped by kind for the report: "save: …" (autosave, submit),
"page: …" (HTML pages), "pdf: …", "review: …" (accept/return posts), "sign-in: …",
"book: …". What each staff member's autosaves and submissions were acknowledged with
is written at the end (LOADTEST_EXPECTED) so that the driver can check that no
acknowledged text was lost.
"""

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
from urllib.parse import urlsplit

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

ACCOUNTS = json.loads(open(os.environ["LOADTEST_ACCOUNTS"]).read())
EXPECTED: dict[str, str] = {}  # "indicator/quarter" -> the last text the server acknowledged
TIMINGS: list = []  # (name, milliseconds, failed, seconds since start) of every request
OUT_OF_WORK: list = []  # seconds since start at which each staff member had nothing left to write
STARTED = time.monotonic()
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_INPUT = re.compile(r'name="version" value="(\d+)"')
TWO_FACTOR_FORM = 'id="two-factor-verify"'  # the code page (templates/registration/two_factor_verify.html)
REVIEW_LINK = re.compile(r'href="/indicators/(\d+)/quarters/(\d)/review/"')
_next = {kind: itertools.count() for kind in ("staff", "auditors", "executives")}


@events.init.add_listener
def only_this_machine(environment, **kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"The load test runs against this machine only (127.0.0.1), not {host!r}.")


@events.request.add_listener
def remember_timing(name, response_time, exception, **kwargs):
    TIMINGS.append(
        (name, round(response_time, 1), exception is not None, round(time.monotonic() - STARTED, 2))
    )


@events.test_stop.add_listener
def write_results(environment, **kwargs):
    with open(os.environ["LOADTEST_EXPECTED"], "w") as handle:
        results = {"expected": EXPECTED, "timings": TIMINGS, "out_of_work": OUT_OF_WORK}
        json.dump(results, handle, ensure_ascii=False)


FORM_DATA_BOUNDARY = "----LoadTestFormBoundary7MA4YWxkTrZu0gW"


def form_data(fields: dict) -> tuple[bytes, str]:
    """``fields`` as a browser's FormData sends them (multipart/form-data), as the entry
    page's autosave does (static/js/autosave.js); a dict would go urlencoded, which costs
    the server more to parse for Thai text (every byte percent-encoded)."""
    parts = [
        f'--{FORM_DATA_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    body = ("".join(parts) + f"--{FORM_DATA_BOUNDARY}--\r\n").encode()
    return body, f"multipart/form-data; boundary={FORM_DATA_BOUNDARY}"


def totp(hex_key: str, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(hex_key), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


class PortalUser(FastHttpUser):
    """locust's FastHttpUser (geventhttpclient), not HttpUser (python-requests): the load
    generator runs on the same 2 cores as the server, and requests' few milliseconds of
    CPU per request took a large share of them. It retries nothing (max_retries 0): a
    failed request is an error in the figures, as before."""

    abstract = True
    kind = ""
    # HttpUser waited for an answer without limit; FastHttpUser's default (60 s) turned
    # sign-ins queued behind the ramp's password hashing on a loaded machine into errors
    # (and users left signed out). The run itself bounds the wait.
    network_timeout = 600.0
    connection_timeout = 600.0

    def on_start(self):
        self.account = ACCOUNTS[self.kind][next(_next[self.kind]) % len(ACCOUNTS[self.kind])]
        self.sign_in()

    def csrf(self, html: str | None) -> str:
        found = CSRF_INPUT.search(html or "")
        return found.group(1) if found else ""

    def sign_in(self):
        page = self.client.get("/accounts/login/", name="sign-in: page")
        response = self.client.post(
            "/accounts/login/",
            {
                "username": self.account["username"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": self.csrf(page.text),
                "next": "/",
            },
            name="sign-in: password",
        )
        # The code is computed when sent; a server so busy that it checks it more than 30 s
        # later refuses it as expired (an error in the figures): the auditor then types the
        # next code, as a person would.
        for attempt in range(3):
            # The page the redirects ended on (FastHttpUser's response.url stays the one asked).
            if not (self.account.get("totp_key") and TWO_FACTOR_FORM in (response.text or "")):
                break
            if attempt:
                time.sleep(2)  # a refused code makes the next wait a second or two (throttling)
            response = self.client.post(
                "/account/two-factor/",
                {
                    "code": totp(self.account["totp_key"]),
                    "csrfmiddlewaretoken": self.csrf(response.text),
                    "next": "/",
                },
                name="sign-in: two-step code",
            )


class Staff(PortalUser):
    """Writes the quarter's reports of a few indicators: types (autosave every 3 s), submits."""

    kind = "staff"
    fixed_count = int(os.environ.get("LOADTEST_STAFF", "200"))
    wait_time = between(2.5, 3.5)  # the page saves after 3 s of idle typing

    def on_start(self):
        super().on_start()
        self.todo = list(self.account["indicators"])
        self.current = None
        self.out_of_work = False

    def open_next(self):
        if not self.todo:
            if not self.out_of_work:  # the end of the steady state (tools/loadtest.py)
                OUT_OF_WORK.append(round(time.monotonic() - STARTED, 2))
                self.out_of_work = True
            self.current = None
            return
        pk = self.todo.pop(0)
        quarter = self.account["quarter"]
        url = f"/indicators/{pk}/quarters/{quarter}/report/"
        page = self.client.get(url, name="page: entry")
        version = VERSION_INPUT.search(page.text or "")
        self.current = {
            "pk": pk,
            "url": url,
            "token": self.csrf(page.text),
            "version": version.group(1) if version else "0",
            "text": f"รายงานผลไตรมาส {quarter} ของ {self.account['username']} ตัวชี้วัด {pk}:",
            "saves": random.randint(4, 8),
        }

    @task
    def work(self):
        if self.current is None:
            self.open_next()
            if self.current is None:  # all reported: reads the list now and then, not every 3 s
                self.client.get("/", name="page: home")
                time.sleep(random.uniform(25, 35))  # gevent's sleep (locust patches time)
                return
        current = self.current
        key = f"{current['pk']}/{self.account['quarter']}"
        current["text"] += f" ประโยคที่ {current['saves']} ดำเนินการตามแผนงานครบถ้วน {random.randint(0, 10**6)}."
        if current["saves"] > 0:
            current["saves"] -= 1
            body, content_type = form_data(
                {"narrative": current["text"], "result": "1", "version": current["version"]}
            )
            with self.client.post(
                f"/indicators/{current['pk']}/quarters/{self.account['quarter']}/autosave/",
                body,
                headers={
                    "X-CSRFToken": current["token"],
                    "Accept": "application/json",
                    "Content-Type": content_type,
                },
                name="save: autosave",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    current["version"] = str(response.json()["version"])
                    EXPECTED[key] = current["text"]
                    response.success()
                else:
                    answer = (response.text or "")[:200]
                    response.failure(f"autosave answered {response.status_code}: {answer}")
            return
        with self.client.post(
            current["url"],
            {
                "result": "1",
                "narrative": current["text"],
                "version": current["version"],
                "submit": "",
                "csrfmiddlewaretoken": current["token"],
            },
            name="save: submit",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                EXPECTED[key] = current["text"]
                response.success()
            else:
                response.failure(f"submit answered {response.status_code}")
        self.current = None


class Auditor(PortalUser):
    """Reviews submitted quarters: the queue, a report, accept (or now and then return)."""

    kind = "auditors"
    fixed_count = int(os.environ.get("LOADTEST_AUDITORS", "20"))
    wait_time = between(3, 8)

    @task
    def review(self):
        queue = self.client.get("/review/", name="page: review queue")
        # Auditors share the queue: each takes its own slice, so that two never score one report.
        mine = [
            (pk, quarter)
            for pk, quarter in REVIEW_LINK.findall(queue.text or "")
            if int(pk) % self.account["of"] == self.account["slot"]
        ]
        if not mine:
            return
        pk, quarter = random.choice(mine)
        url = f"/indicators/{pk}/quarters/{quarter}/review/"
        page = self.client.get(url, name="page: review")
        version = VERSION_INPUT.search(page.text or "")
        if not version:
            return
        accept = random.random() < 0.8
        data = {
            "score": "85",
            "criterion_1": "80",
            "criterion_2": "90",
            "comment": "" if accept else "โปรดเพิ่มหลักฐานผลการดำเนินงาน",
            "version": version.group(1),
            "csrfmiddlewaretoken": self.csrf(page.text),
            "accept" if accept else "return": "",
        }
        self.client.post(url, data, name="review: accept" if accept else "review: return")


class Executive(PortalUser):
    """Reads: the dashboard, the list, sheets; prints sheets; a few order a unit's book."""

    kind = "executives"
    fixed_count = int(os.environ.get("LOADTEST_EXECUTIVES", "10"))
    wait_time = between(3, 10)

    def on_start(self):
        super().on_start()
        self.ordered = not self.account.get("orders_book")

    @task(3)
    def dashboard(self):
        self.client.get(
            f"/dashboard/?year={self.account['year']}&quarter={self.account['quarter']}",
            name="page: dashboard",
        )

    @task(3)
    def list_and_sheet(self):
        self.client.get(
            f"/indicators/?year={self.account['year']}&page={random.randint(1, 20)}", name="page: list"
        )
        pk = random.choice(self.account["sheets"])
        self.client.get(f"/indicators/{pk}/", name="page: detail")

    @task(2)
    def print_sheet(self):
        pk = random.choice(self.account["sheets"])
        self.client.get(f"/indicators/{pk}/pdf/", name="pdf: sheet")

    @task(1)
    def book(self):
        if self.ordered:
            self.client.get("/books/", name="page: books")
            return
        self.ordered = True
        page = self.client.get("/indicators/", name="page: list")
        self.client.post(
            "/books/order/",
            {
                "query": f"unit={self.account['book_unit']}&year={self.account['year']}",
                "csrfmiddlewaretoken": self.csrf(page.text),
            },
            name="book: order",
        )
