"""The station simulator (issue 17 item 6): real OCPP charge points for tests, demo and load.

``plan`` decides from the seed what every station does and which faults it injects (pure);
``speak`` turns a step into OCPP messages through the ``ocpp`` library's charge-point role;
``run`` plays the plan over real WebSockets and reports what was injected and when.
"""

from .plan import FAULT_KINDS, Config, Injection, StationPlan, Step, make_config, plan_network

__all__ = ["FAULT_KINDS", "Config", "Injection", "StationPlan", "Step", "make_config",
           "plan_network"]
