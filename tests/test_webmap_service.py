"""webmap.service and the app's graceful degradation, on a tiny synthetic dataset (test-only geometry)."""

from __future__ import annotations

import doctest
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import webmap
import webmap.openapi
import webmap.render
import webmap.service
from webmap import create_app
from webmap.service import (
    MapService,
    ProjectFilter,
    UnavailableError,
    parse_status_history,
    status_as_of,
)

# Synthetic squares in a made-up place (test fixture only: not Xicheng, no real boundary).
_SQUARES = [box(100.0, 10.0, 100.01, 10.01), box(100.01, 10.0, 100.02, 10.01)]


class FakeLoader:
    """A DataLoader with two 街道, one park, three projects and no rule engine."""

    def __init__(self) -> None:
        self.v = "v1"

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        crs = "EPSG:4326"
        if name == "subdistricts":
            return gpd.GeoDataFrame(
                {
                    "code": ["900000001", "900000002"],
                    "name_zh": ["甲街道", "乙街道"],
                    "name_en": ["Jia Subdistrict", "Yi Subdistrict"],
                    "pop_2020_census": pd.array([1000, None], dtype="Int64"),
                    "source": ["test", "test"],
                    "geometry_quality": ["approximate", "user"],
                },
                geometry=_SQUARES,
                crs=crs,
            )
        if name == "district":
            return gpd.GeoDataFrame(
                {
                    "code": ["900000"],
                    "name_zh": ["测试区"],
                    "source": ["test"],
                    "geometry_quality": ["user"],
                },
                geometry=[box(100.0, 10.0, 100.02, 10.01)],
                crs=crs,
            )
        if name == "parks":
            return gpd.GeoDataFrame(
                {
                    "park_id": ["p1"],
                    "name_zh": ["测试公园"],
                    "kind": ["garden"],
                    "fee": ["no"],
                    "opened_year": pd.array([2018], dtype="Int64"),
                    "lon": [100.005],
                    "lat": [10.005],
                    "source": ["test"],
                    "geometry_quality": ["none"],
                },
                geometry=[None],
                crs=crs,
            )
        if name == "projects":
            return gpd.GeoDataFrame(
                {
                    "project_id": ["a", "b", "c"],
                    "name_zh": ["项目A", "项目B", "<b>项目C</b>"],
                    "category": ["park", "shantytown", "park"],
                    "subdistrict_codes": ["900000001", "900000002", "900000001;900000002"],
                    "status_history": ["2016:planned;2020:done", "2019:under_way", None],
                    "latest_status": ["done", "under_way", "planned"],
                    "latest_status_year": pd.array([2020, 2019, 2022], dtype="Int64"),
                    "start_year": pd.array([2016, None, None], dtype="Int64"),
                    "source": ["test"] * 3,
                    "geometry_quality": ["user", "none", "none"],
                },
                geometry=[Point(100.005, 10.005), None, None],
                crs=crs,
            )
        raise FileNotFoundError(name)

    def read_table(self, name: str) -> pd.DataFrame:
        if name == "indicators":
            return pd.DataFrame(
                {
                    "indicator_id": ["park_500m_coverage", "green_cover_ratio"],
                    "name_zh": ["x", "y"],
                    "year": [2015, 2015],
                    "value": [89.5, 30.0],
                    "unit": ["%", "%"],
                    "kind": ["baseline", "baseline"],
                    "scope": ["district", "district"],
                    "source": ["test", "test"],
                }
            )
        raise FileNotFoundError(name)

    def version(self) -> str:
        return self.v

    def list_rules(self) -> list[Any]:
        raise UnavailableError("no rules in this test")

    def load_rule(self, rule_id: str) -> Any:
        raise UnavailableError("no rules in this test")

    def metric_crs(self) -> str:
        return "EPSG:32647"

    def default_rule(self) -> str | None:
        return None


@pytest.fixture()
def svc() -> MapService:
    return MapService(FakeLoader(), version_ttl=0)


def test_doctests_of_webmap_modules() -> None:
    for mod in (webmap, webmap.service, webmap.render, webmap.openapi):
        res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert res.failed == 0, mod.__name__


def test_status_as_of_follows_history() -> None:
    row = {"status_history": "2016:planned;2020:done"}
    assert [status_as_of(row, y) for y in (2015, 2016, 2019, 2020, 2030)] == [
        None,
        "planned",
        "planned",
        "done",
        "done",
    ]
    assert status_as_of(row, None) == "done"
    assert parse_status_history("junk;2019:x;:y") == [(2019, "x")]
    assert status_as_of({"latest_status": "planned", "latest_status_year": 2022}, 2021) is None


def test_projects_filter(svc: MapService) -> None:
    ids = lambda f: [p["project_id"] for p in svc.projects(f)]  # noqa: E731
    assert ids(ProjectFilter()) == ["a", "b", "c"]
    assert ids(ProjectFilter(year=2017)) == ["a"]
    assert ids(ProjectFilter(year=2020, statuses=("done",))) == ["a"]
    assert ids(ProjectFilter(subdistrict="900000002")) == ["b", "c"]
    assert ids(ProjectFilter(categories=("park",))) == ["a", "c"]
    assert [p["has_geometry"] for p in svc.projects(ProjectFilter())] == [True, False, False]


def test_subdistricts_bounds_and_year_range(svc: MapService) -> None:
    subs = svc.subdistricts()
    assert [s["code"] for s in subs] == ["900000001", "900000002"]
    assert subs[0]["bounds"] == [100.0, 10.0, 100.01, 10.01]
    assert subs[0]["pop_2020_census"] == 1000 and subs[1]["pop_2020_census"] is None
    assert svc.year_range() == (2015, 2022)
    assert [r["value"] for r in svc.reported_series()] == [89.5]


def test_cache_follows_data_version(svc: MapService) -> None:
    first = svc.subdistricts()
    assert svc.subdistricts() is not first or svc.subdistricts() == first
    loader = svc.loader
    assert isinstance(loader, FakeLoader)
    calls = []
    orig = loader.read_layer

    def counting(name: str) -> gpd.GeoDataFrame:
        calls.append(name)
        return orig(name)

    loader.read_layer = counting  # type: ignore[method-assign]
    svc.subdistricts()
    assert calls == []  # cached
    loader.v = "v2"
    svc.subdistricts()
    assert calls == ["subdistricts"]


def test_missing_engines_degrade_to_503_not_500() -> None:
    app = create_app({"TESTING": True, "DATA_LOADER": FakeLoader(), "LOG_LEVEL": "WARNING"})
    c = app.test_client()
    page = c.get("/")
    assert page.status_code == 200  # the map renders without rules, coverage or residential land
    html = page.get_data(as_text=True)
    assert "<b>项目C</b>" not in html
    r = c.get("/api/coverage")
    assert r.status_code == 503 and r.get_json()["error"] == "unavailable"
    assert c.get("/api/layers/residential.geojson").status_code == 503
    assert c.get("/api/projects?year=2017").get_json()["count"] == 1
    assert c.get("/api/subdistricts/900000002").status_code == 200


def test_response_cache_serves_until_the_data_changes() -> None:
    loader = FakeLoader()
    app = create_app(
        {"TESTING": True, "DATA_LOADER": loader, "LOG_LEVEL": "WARNING", "VERSION_TTL": 0}
    )
    c = app.test_client()
    first = c.get("/api/subdistricts")
    assert first.status_code == 200
    names = [s["name_zh"] for s in first.get_json()["subdistricts"]]
    assert names == ["甲街道", "乙街道"]
    orig = loader.read_layer

    def renamed(name: str) -> gpd.GeoDataFrame:
        gdf = orig(name)
        if name == "subdistricts":
            gdf["name_zh"] = ["丙街道", "丁街道"]
        return gdf

    loader.read_layer = renamed  # type: ignore[method-assign]
    cached = c.get("/api/subdistricts")
    assert cached.get_json() == first.get_json()  # same data version: served from the cache
    assert (
        c.get("/api/subdistricts", headers={"If-None-Match": first.headers["ETag"]}).status_code
        == 304
    )
    loader.v = "v2"
    fresh = c.get("/api/subdistricts")
    assert [s["name_zh"] for s in fresh.get_json()["subdistricts"]] == ["丙街道", "丁街道"]
    assert fresh.headers["ETag"] != first.headers["ETag"]
    # errors are never cached
    assert c.get("/api/projects?year=x").status_code == 400
    assert c.get("/api/projects?year=2017").status_code == 200


def test_openapi_merges_fragments_of_other_blueprints() -> None:
    frag = {
        "paths": {"/api/edit/projects": {"get": {"summary": "x", "responses": {}}}},
        "components": {"schemas": {"Edit": {"type": "object"}}},
    }
    doc = webmap.openapi.openapi_document([frag])
    assert "/api/edit/projects" in doc["paths"] and "/api/projects" in doc["paths"]
    assert {"Edit", "Error"} <= set(doc["components"]["schemas"])
    assert "/api/edit/projects" not in webmap.openapi.openapi_document()["paths"]
