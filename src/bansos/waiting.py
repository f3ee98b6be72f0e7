"""The old import path of the landing trigger, for deferred tasks stored before the package moved.

A deferred task is stored with its trigger's classpath; those deferred before this version name
``bansos.waiting.LandingTrigger``. Delete this module when no such task can be left: one full
deadline cycle (a month) after this version is deployed.
"""

from bansos.orchestration.waiting import LandingTrigger

__all__ = ["LandingTrigger"]
