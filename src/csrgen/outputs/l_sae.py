"""Listing 16.2.7.x Serious adverse events: the AE listing restricted to AESER = 'Y'.

Same shape and columns as :mod:`csrgen.outputs.l_ae`; only the record filter and the anchors
differ (the summary tables link to the all-AE listing).
"""

from __future__ import annotations

from pydantic import Field

from csrgen.config import VarName
from csrgen.outputs import l_ae
from csrgen.outputs.l_ae import analyze, build, check, prepare, requires

__all__ = ["Options", "requires", "check", "prepare", "analyze", "build"]


class Options(l_ae.Options):
    where: dict[VarName, list[str]] = Field(default_factory=lambda: {"AESER": ["Y"]})
    anchors: bool = False
