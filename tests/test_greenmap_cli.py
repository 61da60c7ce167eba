"""The greenmap CLI: a thin shell with clear errors and meaningful exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from greenmap import analysis
from greenmap.cli import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    for cmd in ([], ["coverage"], ["import"], ["export"], ["rules"], ["users"], ["data"]):
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
        assert "usage: greenmap" in capsys.readouterr().out


def test_layers_catalogue_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "layers", "--format", "json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["subdistricts"]["features"] == 15
    # projects placed from their location text are approximate; the rest have no geometry
    proj = rows["projects"]
    assert 0 < proj["quality_none"] < proj["features"] == 216


def test_rules_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "rules", "list", "--format", "csv")
    assert code == 0
    ids = set(pd.read_csv(io.StringIO(out))["id"])
    assert {"xicheng-2016", "gbt51346-2019", "tiered-300-500", "who-europe-2016"} <= ids
    code, out, _ = _run(capsys, "rules", "show", "xicheng-2016")
    assert code == 0 and 'id = "xicheng-2016"' in out
    code, _, err = _run(capsys, "rules", "show", "no-such-rule")
    assert code == 2 and "available" in err


def test_coverage_csv_matches_python_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "coverage", "--rule", "xicheng-2016", "--format", "csv")
    assert code == 0
    cli = pd.read_csv(io.StringIO(out), dtype={"unit_code": str})
    api = analysis.coverage_table("xicheng-2016")
    assert len(cli) == len(api)
    got = cli.set_index(["unit_code", "variant"])["rate_pct"]
    want = api.set_index(["unit_code", "variant"])["rate_pct"]
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_dtype=False)


def test_coverage_one_subdistrict_and_bad_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "coverage",
        "--subdistrict",
        "110102012",
        "--variant",
        "all_land",
        "--format",
        "json",
    )
    assert code == 0
    rows = json.loads(out)
    assert {r["unit_code"] for r in rows} == {"district", "110102012"}
    code, _, err = _run(capsys, "coverage", "--subdistrict", "999")
    assert code == 2 and "--subdistrict" in err


def test_import_reports_changes_and_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    parks = gpd.GeoDataFrame(
        {"id": ["n1"], "名称": ["新公园"], "kind": ["garden"]},
        geometry=[shapely.box(116.36, 39.91, 116.361, 39.911)],
        crs="EPSG:4326",
    ).to_crs("EPSG:4548")
    path = tmp_path / "new.gpkg"
    parks.to_file(path)
    args = ["import", "parks", str(path), "--user-data", str(tmp_path / "u")]
    code, _, err = _run(capsys, *args)
    assert code == 2 and "park_id" in err and "source" in err
    args += [
        "--map",
        "id=park_id",
        "--map",
        "名称=name_zh",
        "--source",
        "test",
        "--quality",
        "user",
    ]
    code, out, _ = _run(capsys, *args)
    assert code == 0
    assert "reprojected" in out and "stored as" in out
    code, _, err = _run(capsys, "import", "parks", str(tmp_path / "missing.geojson"))
    assert code == 2 and "not found" in err


def test_coverage_dask_engine_equals_reference(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from geo.partitioned import reference_coverage
    from geo.synthetic import synthetic_cities
    from layers.geoparquet import write_dataset, write_residential_dataset

    residential, parks, _ = synthetic_cities(3, 400, seed=3)
    write_residential_dataset(residential, tmp_path / "res", npartitions=4)
    write_dataset(parks, tmp_path / "parks", npartitions=2)
    code, out, _ = _run(
        capsys,
        "coverage",
        "--engine",
        "dask",
        "--residential",
        str(tmp_path / "res"),
        "--parks",
        str(tmp_path / "parks"),
        "--workers",
        "1",
        "--quiet",
        "--format",
        "csv",
    )
    assert code == 0
    got = pd.read_csv(io.StringIO(out), dtype={"city_code": str, "unit_code": str})
    want = reference_coverage(residential, parks)
    merged = got.merge(want, on=["city_code", "unit_code"], suffixes=("", "_ref"))
    assert len(merged) == len(want) > 0
    assert (
        abs(merged["covered_m2"] - merged["covered_m2_ref"])
        <= 1e-6 * merged["covered_m2_ref"] + 1e-6
    ).all()
    code, _, err = _run(capsys, "coverage", "--engine", "dask")
    assert code == 2 and "--residential" in err


def _edited_store(tmp_path: Path) -> str:
    """A temp data dir whose editing store has one project redrawn by an editor on uncovered land."""
    from layers.export import coverage_results
    from layers.store import open_store

    cov = coverage_results("xicheng", year=2026, include_planned=True)
    res = cov.layers["coverage-residential"]
    gaps = gpd.GeoDataFrame(res[~res["covered"].astype(bool)])
    assert len(gaps), "some residential land is uncovered in 2026"
    areas = shapely.area(np.asarray(gaps.to_crs("EPSG:4548").geometry.values))
    pt = shapely.point_on_surface(np.asarray(gaps.geometry.values)[int(np.argmax(areas))])
    dlat, dlon = 75 / 111_320, 75 / (111_320 * 0.767)  # a 150 m square around it
    square = shapely.box(pt.x - dlon, pt.y - dlat, pt.x + dlon, pt.y + dlat)
    store = open_store(tmp_path / "xicheng" / "projects.gpkg", "xicheng")
    pid = str(store.to_geodataframe()["project_id"].iloc[0])
    version = int(store.get(pid)["properties"]["version"])
    store.update(
        pid,
        {
            "adds_green_space": True,
            "area_m2": 22500,
            "latest_status": "done",
            "latest_status_year": 2024,
        },
        square,
        expected_version=version,
        user="planner",
    )
    return pid


def test_coverage_and_export_read_the_editing_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    pid = _edited_store(data)
    argv = ["coverage", "--year", "2026", "--include-planned", "--format", "csv"]
    code, shipped, err = _run(capsys, *argv, "--data-dir", str(tmp_path / "empty"))
    assert code == 0 and "editing store" not in err
    code, edited, err = _run(capsys, *argv, "--data-dir", str(data))
    assert code == 0
    assert "projects from the editing store" in err and str(data) in err
    a = pd.read_csv(io.StringIO(shipped), dtype={"unit_code": str}).set_index(
        ["unit_code", "variant"]
    )
    b = pd.read_csv(io.StringIO(edited), dtype={"unit_code": str}).set_index(
        ["unit_code", "variant"]
    )
    assert (b["covered_m2"] >= a["covered_m2"] - 1e-6).all()
    assert (b["covered_m2"] > a["covered_m2"] + 1.0).any()  # the edit adds covered land
    # the Python API reads the same store
    study = analysis.load("xicheng", data_dir=data)
    assert study.projects_source.startswith("editing store")
    assert not (tmp_path / "empty" / "xicheng" / "projects.gpkg").exists()  # never created

    out = tmp_path / "projects.geojson"
    code, _, err = _run(
        capsys, "export", "projects", "-o", str(out), "--data-dir", str(data), "--quiet"
    )
    assert code == 0 and "projects from the editing store" in err
    doc = json.loads(out.read_text(encoding="utf-8"))
    hit = next(f for f in doc["features"] if f["properties"]["project_id"] == pid)
    assert hit["geometry"]["type"] == "Polygon"
    assert hit["properties"]["geometry_quality"] == "user"
    assert doc["metadata"]["projects_source"]["kind"] == "store"


def test_coverage_notes_give_the_official_figures_as_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The reported 98.05 % (2021) and 99.98 % (2025) stand beside the computed rates, cited,
    on stderr so that JSON on stdout stays machine-readable."""
    assert main(["coverage", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)  # stdout untouched
    note = next(line for line in err.splitlines() if "非历史文化街区" in line and "官方" in line)
    assert "98.05 % (2021 actual;" in note and "002_786a6c8796ed6f5b.txt lines 218-222" in note
    assert "99.98 % (2025 expected;" in note and "004_2abed503136e73cb.txt line 73" in note
    assert "not recomputed" in note


def test_official_notes_skip_targets_and_empty_series() -> None:
    from greenmap.table_notes import official_notes

    assert official_notes(pd.DataFrame()) == []
    r = analysis.reported_series()
    notes = official_notes(r[r["kind"].isin(["target", "plan", "baseline"])])
    assert notes == []  # targets and plans are not reported figures
