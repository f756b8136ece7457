"""The central system's answers, one class per OCPP version, on the mobilityhouse ``ocpp``
library's ChargePoint (it validates every payload against the version's JSON schemas and
answers an unknown action with NotImplemented/NotSupported).

The endpoint measures service quality; it does not run the stations. So it accepts what a
station reports, answers BootNotification with the rule set's heartbeat interval, and checks
an id token only against the operator's list (:class:`Answers`: every token is accepted when
there is no list). What a frame means for alerts is not decided here: frames are handed on
by the connection (``connection.py``).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ocpp.exceptions import NotImplementedError as NotImplementedCallError
from ocpp.exceptions import NotSupportedError, OCPPError
from ocpp.messages import Call, CallError, CallResult, unpack
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call_result as result21
from ocpp.v21.enums import Action as Action21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201

__all__ = ["Answers", "central_system_for"]

LOG = logging.getLogger("solidcheck.ocpp")
#: the actions each version defines (what a CALL may name at all)
_ACTIONS = {"1.6": frozenset(Action16), "2.0.1": frozenset(Action201),
            "2.1": frozenset(Action21)}
_Handler = TypeVar("_Handler", bound=Callable[..., Any])
#: what a frame's message id is answered with when it cannot be read (OCPP 2.0.1 §4.2.3)
_UNKNOWN_ID = "-1"


@dataclass
class Answers:
    """What the central system answers with: the heartbeat interval (rule-set data), the id
    tokens accepted (None: every token — no list configured), transaction ids (seeded from
    the clock so a restarted server does not reuse the last run's)."""

    heartbeat_interval_s: int
    id_tokens: frozenset[str] | None = None
    _transaction_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(int(time.time()) % 2_000_000_000))

    def accepts(self, token: str | None) -> bool:
        return self.id_tokens is None or (token is not None and token in self.id_tokens)

    def next_transaction_id(self) -> int:
        return next(self._transaction_ids)


def _on(action: str) -> Callable[[_Handler], _Handler]:
    """The library's ``on`` (untyped), typed."""
    return cast(Callable[[_Handler], _Handler], on(action))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class _Central:
    """What every version shares: frames that are not OCPP are answered with the CALLERROR
    the protocol prescribes instead of being dropped (the library only logs them); results
    nobody is waiting for are dropped (the library would queue them without bound); no
    handler error ends the connection."""

    answers: Answers
    _ocpp_version: str
    id: str
    _call_lock: Any
    route_map: dict[str, Any]
    if TYPE_CHECKING:
        async def _send(self, message: str) -> None: ...  # the library's

    async def route_message(self, raw_msg: str) -> None:
        try:
            msg = unpack(raw_msg)
        except OCPPError as error:
            LOG.warning("%s: unreadable frame: %s", self.id, error.description)
            await self._send(_call_error(raw_msg, error, self._ocpp_version))
            return
        if isinstance(msg, CallResult | CallError) and not self._call_lock.locked():
            LOG.warning("%s: answer to no request (%s) dropped", self.id, msg.unique_id)
            return
        if isinstance(msg, Call) and msg.action not in self.route_map:
            await self._send(msg.create_call_error(_unhandled(msg.action, self._ocpp_version))
                             .to_json())
            return
        try:
            await super().route_message(raw_msg)  # type: ignore[misc]
        except Exception:  # never the connection's end: the station gets an InternalError
            LOG.exception("%s: handling %s failed", self.id, getattr(msg, "action", "?"))
            await self._send(json.dumps([4, msg.unique_id, "InternalError",
                                         "the central system failed to handle it", {}]))


def _unhandled(action: str, version: str) -> OCPPError:
    """OCPP-J's codes (1.6 §4.2.3, 2.0.1 part 4 §4.3): an action the version does not define
    is NotImplemented ("not known by receiver"), one it defines but the central system does
    not handle is NotSupported. The library swaps the two (and answers nothing in 2.1)."""
    if action in _ACTIONS[version]:
        return NotSupportedError("Requested Action is recognized but not supported by the "
                                 "receiver", {"cause": f"{action} is not handled"})
    return NotImplementedCallError("Requested Action is not known by receiver",
                                   {"cause": f"OCPP {version} has no {action}"})


def _call_error(raw: str, error: OCPPError, version: str) -> str:
    """The CALLERROR for a frame the library could not unpack: its message id when one can be
    read, else "-1"; OCPP 2.x names the framing errors RpcFrameworkError and
    MessageTypeNotSupported, 1.6 has only its own codes."""
    message_id = _UNKNOWN_ID
    try:
        frame = json.loads(raw)
        if isinstance(frame, list) and len(frame) > 1 and isinstance(frame[1], str):
            message_id = frame[1]
    except ValueError:
        frame = None
    code = str(error.code)
    if not version.startswith("1."):
        if code == "PropertyConstraintViolation":  # the library's code for an unknown type
            code = "MessageTypeNotSupported"
        elif code == "ProtocolError":
            code = "RpcFrameworkError"
    cause = error.details.get("cause", error.description) if error.details else error.description
    return json.dumps([4, message_id, code, str(cause)[:200], {}], separators=(",", ":"))


def _tag_info(answers: Answers, token: str | None) -> dict[str, str]:
    return {"status": "Accepted" if answers.accepts(token) else "Invalid"}


class CentralSystem16(_Central, ChargePoint16):  # type: ignore[misc]
    """OCPP 1.6J, with the security extension's notifications."""

    def __init__(self, charge_point_id: str, connection: Any, answers: Answers) -> None:
        super().__init__(charge_point_id, connection)
        self.answers = answers

    @_on("BootNotification")
    def on_boot(self, **_: Any) -> result16.BootNotification:
        return result16.BootNotification(current_time=_now(), status="Accepted",
                                         interval=self.answers.heartbeat_interval_s)

    @_on("Heartbeat")
    def on_heartbeat(self) -> result16.Heartbeat:
        return result16.Heartbeat(current_time=_now())

    @_on("StatusNotification")
    def on_status(self, **_: Any) -> result16.StatusNotification:
        return result16.StatusNotification()

    @_on("MeterValues")
    def on_meter_values(self, **_: Any) -> result16.MeterValues:
        return result16.MeterValues()

    @_on("Authorize")
    def on_authorize(self, id_tag: str) -> result16.Authorize:
        return result16.Authorize(id_tag_info=_tag_info(self.answers, id_tag))

    @_on("StartTransaction")
    def on_start(self, id_tag: str, **_: Any) -> result16.StartTransaction:
        return result16.StartTransaction(transaction_id=self.answers.next_transaction_id(),
                                         id_tag_info=_tag_info(self.answers, id_tag))

    @_on("StopTransaction")
    def on_stop(self, id_tag: str | None = None, **_: Any) -> result16.StopTransaction:
        if id_tag is None:
            return result16.StopTransaction()
        return result16.StopTransaction(id_tag_info=_tag_info(self.answers, id_tag))

    @_on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **_: Any) -> result16.DataTransfer:
        LOG.info("%s: DataTransfer from vendor %s accepted", self.id, vendor_id)
        return result16.DataTransfer(status="Accepted")

    @_on("FirmwareStatusNotification")
    def on_firmware(self, **_: Any) -> result16.FirmwareStatusNotification:
        return result16.FirmwareStatusNotification()

    @_on("DiagnosticsStatusNotification")
    def on_diagnostics(self, **_: Any) -> result16.DiagnosticsStatusNotification:
        return result16.DiagnosticsStatusNotification()

    @_on("SecurityEventNotification")
    def on_security_event(self, **_: Any) -> result16.SecurityEventNotification:
        return result16.SecurityEventNotification()


class _Central2x(_Central):
    """OCPP 2.0.1 and 2.1: the same answers, each from its version's result classes."""

    results: Any

    @_on("BootNotification")
    def on_boot(self, **_: Any) -> Any:
        return self.results.BootNotification(current_time=_now(), status="Accepted",
                                             interval=self.answers.heartbeat_interval_s)

    @_on("Heartbeat")
    def on_heartbeat(self, **_: Any) -> Any:
        return self.results.Heartbeat(current_time=_now())

    @_on("StatusNotification")
    def on_status(self, **_: Any) -> Any:
        return self.results.StatusNotification()

    @_on("MeterValues")
    def on_meter_values(self, **_: Any) -> Any:
        return self.results.MeterValues()

    @_on("Authorize")
    def on_authorize(self, id_token: dict[str, Any], **_: Any) -> Any:
        return self.results.Authorize(id_token_info=_tag_info(self.answers,
                                                              id_token.get("id_token")))

    @_on("TransactionEvent")
    def on_transaction_event(self, id_token: dict[str, Any] | None = None, **_: Any) -> Any:
        if id_token is None:
            return self.results.TransactionEvent()
        return self.results.TransactionEvent(
            id_token_info=_tag_info(self.answers, id_token.get("id_token")))

    @_on("NotifyEvent")
    def on_notify_event(self, **_: Any) -> Any:
        return self.results.NotifyEvent()

    @_on("SecurityEventNotification")
    def on_security_event(self, **_: Any) -> Any:
        return self.results.SecurityEventNotification()

    @_on("FirmwareStatusNotification")
    def on_firmware(self, **_: Any) -> Any:
        return self.results.FirmwareStatusNotification()

    @_on("DataTransfer")
    def on_data_transfer(self, vendor_id: str, **_: Any) -> Any:
        LOG.info("%s: DataTransfer from vendor %s accepted", self.id, vendor_id)
        return self.results.DataTransfer(status="Accepted")


class CentralSystem201(_Central2x, ChargePoint201):  # type: ignore[misc]
    results = result201

    def __init__(self, charge_point_id: str, connection: Any, answers: Answers) -> None:
        super().__init__(charge_point_id, connection)
        self.answers = answers


class CentralSystem21(_Central2x, ChargePoint21):  # type: ignore[misc]
    results = result21

    def __init__(self, charge_point_id: str, connection: Any, answers: Answers) -> None:
        super().__init__(charge_point_id, connection)
        self.answers = answers


#: the subprotocols served, the server's preference first
SUBPROTOCOLS: dict[str, Callable[[str, Any, Answers], Any]] = {"ocpp2.1": CentralSystem21,
                                           "ocpp2.0.1": CentralSystem201,
                                           "ocpp1.6": CentralSystem16}


def central_system_for(subprotocol: str) -> Callable[[str, Any, Answers], Any]:
    return SUBPROTOCOLS[subprotocol]
