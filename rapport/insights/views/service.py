"""Insights pages: the service dashboard (urlpatterns are gathered by rapport/insights/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
