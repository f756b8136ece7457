"""What each simulated station does and when, decided from the seed before any socket opens.

The plan is pure data, so the same seed injects the same faults at the same simulated times on
the same ports whatever the network does; the adapter (``station.py``) only plays it. Every
number comes from the profile (``profile.toml``).
"""

from __future__ import annotations

import random
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ...errors import ChargingInputError, Problem
from ...i18n import message
from .profile import Profile, Range, profile

__all__ = ["ALERT_FOR", "FAULT_KINDS", "ONLY_16", "Config", "Injection", "StationPlan", "Step",
           "make_config", "parse_faults", "plan_network", "port_id", "station_id"]

FaultKind = Literal["faulted", "disconnect", "reboot_loop", "silent_start", "no_energy",
                    "callerror_burst", "derating"]
FAULT_KINDS: tuple[FaultKind, ...] = ("faulted", "disconnect", "reboot_loop", "silent_start",
                                      "no_energy", "callerror_burst", "derating")
#: the alert each fault must raise (the live alert engine's kinds, issue 17 item 3)
ALERT_FOR: dict[FaultKind, str] = {
    "faulted": "fault", "disconnect": "offline", "reboot_loop": "reboot_loop",
    "silent_start": "silent_failure", "no_energy": "no_energy",
    "callerror_burst": "callerror_burst", "derating": "temperature"}
#: faults the 2.0.1 stations cannot play, left out of ``all`` for them
ONLY_16: frozenset[FaultKind] = frozenset({"derating"})
#: faults on one port; the others take the whole station
_PORT_FAULTS = frozenset({"faulted", "silent_start", "no_energy", "derating"})
Version = Literal["1.6", "2.0.1"]
#: the last number a five-digit station id holds
LAST_STATION = 99_999
StepKind = Literal["status", "authorize", "start", "meter", "stop", "drop", "reboot",
                   "bad_call", "end"]
#: completion stop reasons (ChargeX) that OCPP 1.6 and 2.0.1 both have: normal sessions end so
_STOP_REASONS = ("EVDisconnected", "Local", "Remote")


@dataclass(frozen=True)
class Config:
    """A checked simulation request (``make_config`` collects every problem first)."""

    stations: int
    url: str
    version: Version
    faults: dict[FaultKind, int]
    seed: int
    duration_s: float
    speed: float
    #: each station's password (HTTP Basic, security profile 1); None: no authentication
    passwords: dict[str, str] | None = None
    #: CA certificates to trust for a wss:// URL (security profile 2); None: the system's
    ca_file: Path | None = None
    #: the id tags sessions present, drawn by the seed; None: random 8-hex-digit tags
    id_tags: tuple[str, ...] | None = None
    #: the first station's number: several simulator processes play disjoint ranges
    first: int = 1
    #: every meter-value interval this long (the load run's 30 s); None: the profile's range
    meter_interval_s: int | None = None


@dataclass(frozen=True)
class Injection:
    """A fault put into the network: what the alerting side must detect."""

    kind: FaultKind
    station: str
    port: str | None
    planned_s: float
    detail: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One thing a station does at a simulated time; ``injection`` marks a fault's first frame."""

    at_s: float
    kind: StepKind
    connector: int = 0
    status: str = ""
    error_code: str = "NoError"
    tech_code: str = ""
    energy_wh: int = 0
    id_tag: str = ""
    reason: str = ""
    seconds: float = 0.0
    tx: int = 0
    #: a meter value's power (W) and temperature (°C), sent when not 0 / None
    power_w: int = 0
    celsius: int | None = None
    injection: Injection | None = None


@dataclass(frozen=True)
class StationPlan:
    station: str
    connectors: int
    power_kw: int
    steps: tuple[Step, ...]


def port_id(station: str, connector: int, version: Version) -> str:
    """The canonical port id of part I: ``{station}:{connector}`` (1.6), ``{station}:{evse}:1``."""
    return f"{station}:{connector}" if version == "1.6" else f"{station}:{connector}:1"


def parse_faults(spec: str | None) -> tuple[dict[FaultKind, int], list[Problem]]:
    """``kind=count,…``, ``all`` (one of each) or ``none``: how many of each fault to inject."""
    if spec is None or spec.strip() in ("", "none"):
        return {}, []
    if spec.strip() == "all":
        return dict.fromkeys(FAULT_KINDS, 1), []
    counts: dict[FaultKind, int] = {}
    problems: list[Problem] = []
    for part in spec.split(","):
        name, _, number = part.strip().partition("=")
        kind = next((k for k in FAULT_KINDS if k == name), None)
        if kind is None:
            problems.append(Problem("--faults", _say("unknown_fault", name=name),
                                    _say("unknown_fault_fix", kinds=", ".join(FAULT_KINDS))))
            continue
        try:
            count = int(number) if number else 1
        except ValueError:
            count = -1
        if count < 0:
            problems.append(Problem("--faults", _say("fault_count", name=name, value=number),
                                    f"{name}=2"))
            continue
        counts[kind] = counts.get(kind, 0) + count
    return counts, problems


def _with_meter_interval(prof: Profile, seconds: int | None) -> Profile:
    """The profile with every meter-value interval ``seconds`` long, when one is asked for."""
    if seconds is None:
        return prof
    fixed = Range(min=seconds, max=seconds, provenance="--meter-interval")
    return prof.model_copy(update={"ranges": {**prof.ranges, "meter_interval_s": fixed}})


def station_id(n: int) -> str:
    """The n-th simulated station's id (from 1): ``SIM00001`` …"""
    return f"SIM{n:05d}"


def _passwords(given: str | dict[str, str] | None, stations: int, first: int,
               problems: list[Problem]) -> dict[str, str] | None:
    """One password for every station, or one per station id (each must be there)."""
    if given is None:
        return None
    ids = [station_id(n) for n in range(first, first + max(stations, 0))]
    each = dict.fromkeys(ids, given) if isinstance(given, str) else given
    missing = [i for i in ids if not each.get(i)]
    if missing:
        problems.append(Problem("--password-file", _say("password", stations=", ".join(
            missing[:5]) + (" …" if len(missing) > 5 else "")), _say("password_fix")))
    return each


def make_config(*, stations: int, url: str, version: str, faults: str | None, seed: int,
                duration_s: float, speed: float,
                password: str | dict[str, str] | None = None, ca_file: Path | None = None,
                id_tags: tuple[str, ...] | None = None, first: int = 1,
                meter_interval_s: int | None = None) -> Config:
    """Check every argument and say everything wrong at once (ChargingInputError, exit 2)."""
    counts, problems = parse_faults(faults)
    if version == "2.0.1" and counts.get("derating"):
        # 2.0.1 meter values have no Temperature measurand (the device model reports it)
        if faults is not None and faults.strip() == "all":
            del counts["derating"]
        else:
            problems.append(Problem("--faults", _say("derating_16")))
    if stations < 1:
        problems.append(Problem("--stations", _say("at_least", value=stations, least=1)))
    if not url.startswith(("ws://", "wss://")):
        problems.append(Problem("--url", _say("url", value=url),
                                "--url ws://127.0.0.1:8000/ocpp"))
    if version not in ("1.6", "2.0.1"):
        problems.append(Problem("--version", _say("version", value=version)))
    if seed < 0:
        problems.append(Problem("--seed", _say("at_least", value=seed, least=0)))
    if not duration_s > 0:
        problems.append(Problem("--duration", _say("above_zero", value=f"{duration_s:g}")))
    if not speed > 0:
        problems.append(Problem("--speed", _say("above_zero", value=f"{speed:g}")))
    if first < 1 or first + max(stations, 0) - 1 > LAST_STATION:
        problems.append(Problem("--first-station", _say("station_range", first=first,
                                                        last=LAST_STATION)))
    if meter_interval_s is not None and meter_interval_s < 1:
        problems.append(Problem("--meter-interval", _say("at_least", value=meter_interval_s,
                                                         least=1)))
    passwords = _passwords(password, stations, first, problems)
    _check_tls(url, ca_file, problems)
    bad_tags = [tag for tag in id_tags or () if not 1 <= len(tag) <= 20]
    if id_tags is not None and (bad_tags or not id_tags):
        problems.append(Problem("--id-tags", _say("id_tags", detail=", ".join(
            bad_tags[:5]) or "0")))
    if problems:
        raise ChargingInputError(problems)
    return Config(stations=stations, url=url.rstrip("/"), version=version,  # type: ignore[arg-type]
                  faults=counts, seed=seed, duration_s=duration_s, speed=speed,
                  passwords=passwords, ca_file=ca_file, id_tags=id_tags, first=first,
                  meter_interval_s=meter_interval_s)


def _check_tls(url: str, ca_file: Path | None, problems: list[Problem]) -> None:
    """A CA file is for wss:// and must load as PEM certificates."""
    if ca_file is None:
        return
    if not url.startswith("wss://"):
        problems.append(Problem("--ca-file", _say("ca_needs_wss")))
    try:
        ssl.create_default_context(cafile=str(ca_file))
    except (ssl.SSLError, OSError) as exc:
        problems.append(Problem("--ca-file", _say("ca_file", path=ca_file, why=exc)))


@dataclass
class _Station:
    """A station's plan while it is being drawn: its busy windows, then its steps."""

    name: str
    connectors: int
    power_kw: int
    #: (start, end, connector or 0 for the whole station)
    busy: list[tuple[float, float, int]] = field(default_factory=list)
    #: per connector: (start, kind, injection or None)
    activities: list[tuple[float, str, int, Injection | None]] = field(default_factory=list)

    def free(self, start: float, end: float, connector: int, *, margin_s: float) -> bool:
        """Whether ``connector`` (0: the whole station) is free ``margin_s`` either side."""
        return all(end + margin_s < s or start > e + margin_s for s, e, c in self.busy
                   if connector == 0 or c in (0, connector))


def _fault_length(kind: FaultKind, prof: Profile) -> float:
    """The longest a fault of ``kind`` can take, so its window is reserved whole."""
    longest = {
        "faulted": prof.span("faulted_s")[1],
        "disconnect": prof.span("disconnect_s")[1],
        "reboot_loop": prof.count("reboot_loop_boots") * prof.span("reboot_gap_s")[1],
        "silent_start": prof.count("silent_start_attempts") * prof.span("attempt_gap_s")[1],
        "no_energy": prof.span("authorize_to_start_s")[1] + prof.count("no_energy_s") + 3,
        "callerror_burst": prof.count("callerror_burst_frames"),
        "derating": prof.span("authorize_to_start_s")[1] + prof.count("derating_s") + 3,
    }
    return float(longest[kind])


def plan_network(config: Config, *, prof: Profile | None = None) -> list[StationPlan]:
    """Every station's steps, from the seed alone."""
    prof = _with_meter_interval(prof or profile(), config.meter_interval_s)
    stations = []
    for n in range(config.first, config.first + config.stations):
        rng = random.Random(f"{config.seed}:station:{n}")
        stations.append(_Station(station_id(n), rng.randint(*prof.span("ports")),
                                 rng.randint(*prof.span("power_kw"))))
    _place_faults(stations, config, prof)
    plans = []
    for n, st in enumerate(stations, start=config.first):
        rng = random.Random(f"{config.seed}:sessions:{n}")
        _place_sessions(st, config.duration_s, rng, prof)
        steps = _expand(st, config.version, rng, prof, config.id_tags)
        plans.append(StationPlan(st.name, st.connectors, st.power_kw, tuple(steps)))
    return plans


def _place_faults(stations: list[_Station], config: Config, prof: Profile) -> None:
    rng = random.Random(f"{config.seed}:faults")
    margin_s = prof.count("fault_margin_s")
    problems = []
    for kind in FAULT_KINDS:
        length = _fault_length(kind, prof)
        for _ in range(config.faults.get(kind, 0)):
            for _attempt in range(200):
                st = stations[rng.randrange(len(stations))]
                connector = rng.randint(1, st.connectors) if kind in _PORT_FAULTS else 0
                start = round(rng.uniform(0.1, 0.8) * config.duration_s - length / 2, 1)
                if start > 0 and start + length < config.duration_s and st.free(
                        start, start + length, connector, margin_s=margin_s):
                    break
            else:
                problems.append(Problem("--faults", _say("no_room", kind=kind,
                                                         duration=f"{config.duration_s:g}"),
                                        _say("no_room_fix")))
                break
            port = port_id(st.name, connector, config.version) if connector else None
            st.busy.append((start, start + length, connector))
            st.activities.append((start, kind, connector,
                                  Injection(kind, st.name, port, start)))
    if problems:
        raise ChargingInputError(problems)


def _place_sessions(st: _Station, duration_s: float, rng: random.Random,
                    prof: Profile) -> None:
    longest = prof.span("authorize_to_start_s")[1] + prof.span("session_length_s")[1] + 10
    for connector in range(1, st.connectors + 1):
        t = float(rng.randint(*prof.span("session_gap_s")))
        # a session may still be under way when the run ends (it is cut there, as a network
        # is at any moment): else no session fits a run shorter than the longest one (~31 min)
        while t < duration_s:
            if st.free(t, t + longest, connector, margin_s=prof.count("fault_margin_s")):
                st.activities.append((t, "session", connector, None))
                t += longest
            t += rng.randint(*prof.span("session_gap_s"))


def _expand(st: _Station, version: Version, rng: random.Random, prof: Profile,
            tags: tuple[str, ...] | None) -> list[Step]:
    """Turn the activities into steps in time order (ties keep the order they were made)."""
    steps: list[Step] = []
    register = dict.fromkeys(range(1, st.connectors + 1), 0)
    tx = 0
    for start, kind, connector, inj in sorted(st.activities, key=lambda a: (a[0], a[2])):
        if kind in ("session", "no_energy", "derating"):
            tx += 1
            register[connector] = _session(
                steps, st, start, connector, tx, register[connector], rng, prof,
                flat=inj if kind == "no_energy" else None, tag=_tag(rng, tags),
                derate=inj if kind == "derating" else None)
        elif kind == "faulted" and inj is not None:
            code = rng.choice(prof.codes.ocpp16_error_codes)
            tech = rng.choice(prof.codes.ocpp201_tech_codes)
            back = start + rng.randint(*prof.span("faulted_s"))
            detail: dict[str, str | int] = ({"error_code": code} if version == "1.6"
                                            else {"tech_code": tech})
            steps.append(Step(start, "status", connector, "Faulted", code, tech,
                              injection=_with(inj, detail)))
            steps.append(Step(back, "status", connector, "Available"))
        elif kind == "disconnect" and inj is not None:
            away = rng.randint(*prof.span("disconnect_s"))
            steps.append(Step(start, "drop", seconds=away,
                              injection=_with(inj, {"offline_s": away})))
        elif kind == "reboot_loop" and inj is not None:
            boots = prof.count("reboot_loop_boots")
            t = start
            for i in range(boots):
                steps.append(Step(t, "reboot", reason="Watchdog",
                                  injection=_with(inj, {"boots": boots}) if i == 0 else None))
                t += rng.randint(*prof.span("reboot_gap_s"))
        elif kind == "silent_start" and inj is not None:
            # the port keeps saying Available; each start is accepted, then ends with no energy
            attempts = prof.count("silent_start_attempts")
            t, wh = start, register[connector]
            for i in range(attempts):
                tx += 1
                tag = _tag(rng, tags)
                steps.append(Step(t, "authorize", connector, id_tag=tag, tx=tx,
                                  injection=_with(inj, {"attempts": attempts}) if i == 0
                                  else None))
                steps.append(Step(t + 2, "start", connector, energy_wh=wh, id_tag=tag, tx=tx))
                steps.append(Step(t + 2 + prof.count("silent_start_stop_s"), "stop", connector,
                                  energy_wh=wh, id_tag=tag, reason="Other", tx=tx))
                t += rng.randint(*prof.span("attempt_gap_s"))
        elif kind == "callerror_burst" and inj is not None:
            frames = prof.count("callerror_burst_frames")
            for i in range(frames):
                steps.append(Step(start + i, "bad_call",
                                  injection=_with(inj, {"frames": frames}) if i == 0 else None))
    steps.sort(key=lambda s: s.at_s)
    return steps


def _session(steps: list[Step], st: _Station, start: float, connector: int, tx: int,
             wh: int, rng: random.Random, prof: Profile, *, flat: Injection | None,
             tag: str, derate: Injection | None = None) -> int:
    """A session (Authorize → Preparing → start → Charging → meter values → stop); ``flat``
    marks the no-energy fault: Charging, but the register never moves. Returns the register.
    Every step carries ``tx``: a start the central system refuses skips them all."""
    steps.append(Step(start, "authorize", connector, id_tag=tag, tx=tx))
    steps.append(Step(start + 1, "status", connector, "Preparing", tx=tx))
    t = start + rng.randint(*prof.span("authorize_to_start_s"))
    steps.append(Step(t, "start", connector, energy_wh=wh, id_tag=tag, tx=tx))
    flat_s = prof.count("no_energy_s")
    inj = _with(flat, {"flat_s": flat_s}, at_s=t) if flat else None
    steps.append(Step(t, "status", connector, "Charging", injection=inj, tx=tx))
    end = t + (flat_s if flat else prof.count("derating_s") if derate
               else rng.randint(*prof.span("session_length_s")))
    hot_from = (t + end) / 2 if derate else end  # derating: hot and cut from half-way
    noted = False
    while True:
        step = rng.randint(*prof.span("meter_interval_s"))
        if t + step >= end:
            break
        t += step
        hot = t >= hot_from
        power_w = st.power_kw * 1000 * (prof.count("derating_percent") if hot else 100) // 100
        wh += 0 if flat else round(power_w * step / 3600)
        if derate is None:
            steps.append(Step(t, "meter", connector, energy_wh=wh, tx=tx))
            continue
        first_hot, noted = hot and not noted, noted or hot  # the injection: the first cut
        steps.append(Step(t, "meter", connector, energy_wh=wh, tx=tx, power_w=power_w,
                          celsius=prof.count("derating_celsius" if hot else "normal_celsius"),
                          injection=_with(derate, {"power_w": power_w}, at_s=t)
                          if first_hot else None))
    t = max(t, end) + 1
    reason = "Local" if flat else rng.choice(_STOP_REASONS)
    steps.append(Step(t, "stop", connector, energy_wh=wh, id_tag=tag, reason=reason, tx=tx))
    steps.append(Step(t, "status", connector, "Finishing", tx=tx))
    steps.append(Step(t + 2, "status", connector, "Available", tx=tx))
    return wh


def _with(inj: Injection, detail: dict[str, str | int], *, at_s: float | None = None
          ) -> Injection:
    """The injection with what it sent; ``at_s`` when its first frame is not at its start."""
    return Injection(inj.kind, inj.station, inj.port,
                     inj.planned_s if at_s is None else at_s, detail)


def _say(key: str, **params: object) -> str:
    return message(f"charging.simulate.{key}", {k: str(v) for k, v in params.items()})


def _tag(rng: random.Random, tags: tuple[str, ...] | None) -> str:
    return rng.choice(tags) if tags else f"{rng.getrandbits(32):08X}"
