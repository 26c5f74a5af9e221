"""Shared fixtures: a small demo store, built once per session."""

import datetime as dt

import pytest

from layers.demo import write_demo

END = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    write_demo(path, seed=7, reports=600, activities=120, end=END)
    return path
