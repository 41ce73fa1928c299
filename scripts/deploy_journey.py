"""A browser journey through a running deployment: ``scripts/deploy-local.sh`` runs it.

    python scripts/deploy_journey.py https://127.0.0.1:PORT [--screenshots DIR]

Headless Chromium (Debian's, through Playwright) signs in as the demo people through the
real sign-in pages, behind nginx and TLS, and takes one TWSP disagreement from raising to
the second stage: raised by the nurse, answered by the social worker, judged
unsatisfactory and escalated by the nurse, then taken up by her line manager. It also
sends one empty form and expects the GOV.UK error summary. Every page is served through
the proxy by whichever web process it picks. Exits non-zero, saying where, if any step
fails. (Accessibility is checked page by page in the test suite, not here.)
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
import django  # noqa: E402

django.setup()

from parley.accounts.demo import DEMO_RECOVERY_CODES  # noqa: E402
from parley.cases.demo import DEMO_PASSWORD  # noqa: E402
from tests.browser.journeys import Raising, Walker, act, raise_disagreement  # noqa: E402

CHROMIUM = os.environ.get("PARLEY_CHROMIUM", "/usr/bin/chromium")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("origin")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "var" / "deploy-check")
    args = parser.parse_args()
    args.screenshots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )

        def walker(username: str) -> Walker:
            context = browser.new_context(
                ignore_https_errors=True,  # the script's own certificate, made for this run
                viewport={"width": 1280, "height": 900},
                locale="en-GB",
                timezone_id="Europe/London",
            )
            context.set_default_timeout(20_000)
            page = context.new_page()
            page.goto(f"{args.origin}/sign-in/")
            page.fill("#username", username)
            page.fill("#password", DEMO_PASSWORD)
            page.get_by_role("button", name="Continue").click()
            page.get_by_role("link", name="Use a recovery code instead").click()
            code = DEMO_RECOVERY_CODES[0]
            page.fill("#code", f"{code[:5]}-{code[5:]}")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{args.origin}/")
            print(f"ok  {username} signed in through the proxy")

            def shoot(name: str) -> Path:
                path = args.screenshots / f"{name}.png"
                page.screenshot(path=path, full_page=True)
                return path

            return Walker(page=page, base=args.origin, axe=lambda _page: [], shoot=shoot)

        nia = walker("nia.nurse")
        reference = raise_disagreement(
            nia,
            Raising(
                procedure="TWSP Resolution and Escalation Process",
                other_agency="Demoshire Council Children's Services",
                professional="Sam Okafor",
                category="Threshold for action",
                summary="Children's social care closed the case after one visit despite bruising.",
            ),
        )
        print(f"ok  {reference} raised through the proxy")
        nia.go("/raise/")
        nia.press("Start again" if "Start again" in nia.page.content() else "Start now")
        nia.press("Continue")  # the first question left unanswered
        if "There is a problem" not in nia.page.content():
            raise SystemExit("FAIL: an unanswered question was not refused with an error summary")
        nia.shoot("deploy-error-summary")
        print("ok  an unanswered question gets the GOV.UK error summary")
        sam = walker("sam.social")
        act(sam, reference, "Send or record a response",
            texts={"What is your agency's response?": "The threshold is not met."})  # fmt: skip
        why = "Why does the response not resolve your concern?"
        act(nia, reference, "Say the response is unsatisfactory", texts={why: "Bruising."})
        act(nia, reference, "Escalate to the next stage",
            choices=("The response did not resolve the concern",))  # fmt: skip
        max_ = walker("max.manager")
        max_.go(f"/cases/{reference}/")
        if "Stage 2" not in max_.page.content():
            raise SystemExit(f"FAIL: {reference} is not at stage 2 for the line manager")
        act(max_, reference, "Record a discussion", choices=("No",),
            texts={"What was discussed?": "Spoke to the team manager; no agreement."})  # fmt: skip
        max_.shoot("deploy-case-at-stage-2")
        print(f"ok  {reference} answered, escalated and taken up at stage 2 through the proxy")
        browser.close()
    print(f"ok  the browser journey passed; screenshots in {args.screenshots}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
