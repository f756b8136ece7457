"""Benchmark: the figure checks (``plausibility_findings``: figure extraction, Chinese
numerals, the temperature rules) on the texts of ``bench/audit.py``, in MB/s of UTF-8 input.

Same two texts as the terms benchmark (same seed): ``mixed`` (corpus press releases, ~3 % of
the bytes, among filler in both languages) and ``dense`` (corpus texts only). Prints one JSON
object; nothing is asserted. Run it on two checkouts to compare (``PYTHONPATH=<src>``).

    python bench/audit_figures.py [--mb 50] [--dense-mb 5] [--repeat 3] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from audit import best_of, build_text

from solidcheck.claims.figures import find_figures
from solidcheck.claims.plausibility import plausibility_findings


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=50.0)
    parser.add_argument("--dense-mb", type=float, default=5.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    plausibility_findings("warm-up: 400 Wh/kg, −30 °C to 100 °C, 循环5万次")
    cases = []
    for name, megabytes, share in (("mixed", args.mb, 0.05), ("dense", args.dense_mb, 1.0)):
        text, shape = build_text(megabytes, seed=args.seed, corpus_share=share)
        size = shape["bytes"] / 1e6
        figures_s, figures = best_of(args.repeat, lambda text=text: find_figures(text))
        checks_s, findings = best_of(args.repeat,
                                     lambda text=text: plausibility_findings(text))
        cases.append({"text": name, **shape, "figures": len(figures),
                      "findings": len(findings),
                      "find_figures_mb_per_s": round(size / figures_s, 1),
                      "plausibility_mb_per_s": round(size / checks_s, 1)})
        del text
    report = {"benchmark": "audit_figures", "python": sys.version.split()[0], "cases": cases}
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return report


if __name__ == "__main__":
    main()
