"""Regenerate docs/images/report.png: the lab dossier's HTML report in headless Chromium.

    .venv/bin/python docs/images/make_screenshot.py

Builds the dossier from examples/lab/ (as `solidcheck dossier build` does), renders the report
with the oven-log plot, and photographs the top of the page at 1200 × 1600 pixels. Needs
/usr/bin/chromium and /usr/bin/chromedriver (`make test` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from solidcheck import load_ruleset
from solidcheck.report import load_report_item, render_html

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "examples" / "lab"
TARGET = Path(__file__).resolve().parent / "report.png"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        dossier = work / "EX-LAB-S1.yaml"
        solidcheck = Path(sys.executable).parent / "solidcheck"
        subprocess.run([str(solidcheck), "dossier", "build", str(LAB / "cell-s1.yaml"),
                        "--oven-log", str(LAB / "oven-log-s1.csv"),
                        "--weighings", str(LAB / "weighings-s1.csv"), "-o", str(dossier)],
                       check=True, capture_output=True)
        for name in ("oven-log-s1.csv", "weighings-s1.csv"):
            shutil.copy(LAB / name, work)
        page = work / "report.html"
        item = load_report_item(dossier, load_ruleset(None))
        page.write_text(render_html([item]), encoding="utf-8")

        os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager download anything
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1200,1600", "--hide-scrollbars"):
            options.add_argument(argument)
        driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
        try:
            driver.set_window_size(1200, 1600)
            driver.get(page.as_uri())
            driver.save_screenshot(str(TARGET))
        finally:
            driver.quit()
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
