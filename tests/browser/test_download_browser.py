"""The side panel's download links: a filter set on the map is in the downloaded file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from _webmap_support import open_map

SHICHAHAI = "110102012"  # 什刹海街道


def test_download_projects_with_the_current_filters(
    page: Any, live_server: str, tmp_path: Path
) -> None:
    open_map(page, live_server + "/")
    page.select_option("#gm-sd", SHICHAHAI)
    page.wait_for_function(
        "code => location.hash.includes('sd=' + code)", arg=SHICHAHAI, timeout=5_000
    )
    page.uncheck("input[name=gm-status][value=planned]")
    page.wait_for_function("() => location.hash.includes('status=')", timeout=5_000)
    page.select_option("#gm-dl-format", "geojson")
    href = page.get_attribute("#gm-dl-projects", "href")
    assert href and f"subdistrict={SHICHAHAI}" in href and "status=" in href
    assert "planned" not in href.split("status=", 1)[1].split("&", 1)[0]
    m = re.search(r"（(\d+)）", page.locator(".gm-projects h3").inner_text())
    assert m is not None
    shown = int(m.group(1))

    with page.expect_download() as info:
        page.click("#gm-dl-projects")
    download = info.value
    assert download.suggested_filename.endswith(".geojson")
    assert "什刹海" in download.suggested_filename
    path = tmp_path / "projects.geojson"
    download.save_as(path)
    doc = json.loads(path.read_text(encoding="utf-8"))
    feats = doc["features"]
    assert len(feats) == shown > 0  # exactly the list the panel shows
    for f in feats:
        assert SHICHAHAI in str(f["properties"]["subdistrict_codes"]).split(";")
        assert f["properties"]["status_as_of"] != "planned"
    assert doc["metadata"]["filters"]["subdistrict"] == SHICHAHAI
    assert "planned" not in doc["metadata"]["filters"]["status"].split(",")
    assert page.recorder.errors == []


def test_download_links_follow_format_and_rule(page: Any, live_server: str) -> None:
    open_map(page, live_server + "/")
    page.select_option("#gm-dl-format", "csv")
    assert "format=csv" in (page.get_attribute("#gm-dl-projects", "href") or "")
    cov = page.get_attribute("#gm-dl-coverage", "href") or ""
    assert "what=coverage" in cov and "format=csv" in cov and "rule=" in cov
    # all layers are always one GeoPackage
    assert "format=gpkg" in (page.get_attribute("#gm-dl-all", "href") or "")
    with page.expect_download() as info:
        page.click("#gm-dl-coverage")
    assert info.value.suggested_filename.endswith(".csv")
