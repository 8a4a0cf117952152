"""Listening pages: signals (urlpatterns are gathered by rapport/listening/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
