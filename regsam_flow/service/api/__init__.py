"""The JSON API: one router per resource, all included by the app."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["ROUTERS"]

#: Every router of the JSON API, in the order the OpenAPI document lists them.
ROUTERS: list[APIRouter] = []
