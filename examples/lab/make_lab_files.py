"""Regenerate the example lab files of this folder (seeded, so the output never changes).

    python examples/lab/make_lab_files.py

- ``oven-log-s1.csv``: a vacuum-oven run of cell EX-LAB-S1 — 30 min ramp, 6 h 10 min at
  120 °C and 40–70 Pa, cooling; ISO-8601 timestamps, one sample every 30 s, mass on a
  built-in balance. Meets the test conditions.
- ``oven-log-short-hold-gbk.csv``: the same oven exported by Chinese-language software — GBK,
  semicolons, decimal commas, minutes and kPa — for a run whose door seal leaked after 4 h:
  it does not meet the conditions.
- ``weighings-s1.csv``: three specimens of EX-LAB-S1 weighed before and after.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
START = datetime(2026, 11, 2, 8, 0, 0)


def run(*, hold_h: float, step_s: float, leak_after_h: float | None, seed: int):
    rng = np.random.default_rng(seed)
    ramp_s, cool_s = 1800.0, 1800.0
    end_s = ramp_s + hold_h * 3600 + cool_s
    time_s = np.arange(0.0, end_s + step_s, step_s)
    hold_end = ramp_s + hold_h * 3600
    temperature = np.where(time_s < ramp_s, 22 + 98 * time_s / ramp_s,
                           np.where(time_s > hold_end, 120 - 90 * (time_s - hold_end) / cool_s,
                                    120.0))
    temperature = temperature + np.where(time_s < ramp_s, 0, rng.normal(0, 0.35, time_s.size))
    pressure = np.where(time_s < 600, 101_300 - 100_000 * time_s / 600, 40 + rng.uniform(0, 30,
                                                                                       time_s.size))
    if leak_after_h is not None:
        leak = time_s > ramp_s + leak_after_h * 3600
        pressure = np.where(leak, 2500 + 10 * (time_s - ramp_s - leak_after_h * 3600), pressure)
    loss = 0.075 * (1 - np.exp(-np.clip(time_s - 600, 0, None) / 3000))
    mass = 51.2034 - loss + rng.normal(0, 3e-5, time_s.size)
    return time_s, temperature, pressure, mass


def write_s1() -> None:
    time_s, temperature, pressure, mass = run(hold_h=6 + 10 / 60, step_s=30, leak_after_h=None,
                                              seed=1)
    with (HERE / "oven-log-s1.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["timestamp", "temperature_c", "pressure_pa", "mass_g"])
        for t, temp, p, m in zip(time_s, temperature, pressure, mass, strict=True):
            stamp = (START + timedelta(seconds=float(t))).isoformat()
            out.writerow([stamp, f"{temp:.2f}", f"{p:.1f}", f"{m:.4f}"])


def write_short_hold_gbk() -> None:
    time_s, temperature, pressure, mass = run(hold_h=6.25, step_s=30, leak_after_h=4.0, seed=2)
    lines = ["时间(min);温度(℃);真空度(kPa);质量(g)"]
    for t, temp, p, m in zip(time_s, temperature, pressure, mass, strict=True):
        row = f"{t / 60:.1f};{temp:.2f};{p / 1000:.4f};{m:.4f}"
        lines.append(row.replace(".", ","))
    (HERE / "oven-log-short-hold-gbk.csv").write_bytes(("\r\n".join(lines) + "\r\n")
                                                       .encode("gbk"))


def write_weighings() -> None:
    rows = [("S1-A", 51.2034, 51.1290), ("S1-B", 50.8871, 50.8126), ("S1-C", 51.0412, 50.9650)]
    with (HERE / "weighings-s1.csv").open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["specimen", "mass_before_g", "mass_after_g"])
        out.writerows(rows)


if __name__ == "__main__":
    write_s1()
    write_short_hold_gbk()
    write_weighings()
