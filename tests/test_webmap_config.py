"""Configuration by file: ``CONFIG_FILE`` / ``$GREENMAP_CONFIG`` TOML, precedence and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from webmap import CONFIG_KEYS, create_app, load_config_file, resolve_config

EXAMPLE = Path(__file__).resolve().parents[1] / "webmap" / "config.example.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [*CONFIG_KEYS, "CONFIG"]:
        monkeypatch.delenv(f"GREENMAP_{key}", raising=False)


def _write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "greenmap.toml"
    f.write_text(text, encoding="utf-8")
    return f


def test_example_file_is_valid_and_documents_every_key() -> None:
    cfg = load_config_file(EXAMPLE)
    assert cfg["BASEMAP"] == "none" and cfg["AUTH_COOKIE_SECURE"] is True
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in CONFIG_KEYS:
        assert key in text, key


def test_file_settings_reach_the_app(tmp_path: Path) -> None:
    f = _write(
        tmp_path,
        'BASEMAP = "osm"\nTIANDITU_KEY = "k-file"\nDATA_DIR = "data"\n'
        'AUTH_COOKIE_SECURE = true\nLOG_LEVEL = "WARNING"\nCACHE_MAX_AGE = 30\n',
    )
    app = create_app({"CONFIG_FILE": str(f), "MAP_PROJECTS_SOURCE": "layer"})
    assert app.config["BASEMAP"] == "osm" and app.config["TIANDITU_KEY"] == "k-file"
    assert app.config["DATA_DIR"] == str((tmp_path / "data").resolve())  # relative to the file
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["CACHE_MAX_AGE"] == 30
    resp = app.test_client().get("/api/subdistricts")
    assert resp.headers["Cache-Control"].startswith("public, max-age=30")


def test_precedence_dict_over_env_over_file_over_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = _write(tmp_path, 'BASEMAP = "osm"\nTIANDITU_KEY = "k-file"\nLOG_LEVEL = "ERROR"\n')
    monkeypatch.setenv("GREENMAP_CONFIG", str(f))
    monkeypatch.setenv("GREENMAP_BASEMAP", "amap")
    monkeypatch.setenv("GREENMAP_AUTH_COOKIE_SECURE", "false")
    cfg = resolve_config({"TIANDITU_KEY": "k-dict"})
    assert cfg["BASEMAP"] == "amap"  # env over file
    assert cfg["TIANDITU_KEY"] == "k-dict"  # dict over file
    assert cfg["LOG_LEVEL"] == "ERROR"  # file over default
    assert cfg["AUTH_COOKIE_SECURE"] is False  # env, parsed
    assert cfg["VERSION_TTL"] == 1.0  # default
    assert resolve_config({"BASEMAP": "none"})["BASEMAP"] == "none"  # dict over env
    # an explicit CONFIG_FILE wins over $GREENMAP_CONFIG
    g = tmp_path / "other.toml"
    g.write_text('LOG_LEVEL = "DEBUG"\n', encoding="utf-8")
    assert resolve_config({"CONFIG_FILE": str(g)})["LOG_LEVEL"] == "DEBUG"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    f = _write(tmp_path, 'BASEMAP = "osm"\nTIANDITU_KY = "x"\n')
    with pytest.raises(ValueError, match="TIANDITU_KY") as exc:
        create_app({"CONFIG_FILE": str(f)})
    assert str(f) in str(exc.value)


def test_bad_values_name_the_key_and_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = _write(tmp_path, 'CACHE_MAX_AGE = "soon"\n')
    with pytest.raises(ValueError, match=r"greenmap\.toml: CACHE_MAX_AGE"):
        load_config_file(f)
    f = _write(tmp_path, "AUTH_COOKIE_SECURE = 1\n")
    with pytest.raises(ValueError, match="AUTH_COOKIE_SECURE"):
        load_config_file(f)
    with pytest.raises(ValueError, match="not found"):
        load_config_file(tmp_path / "missing.toml")
    _write(tmp_path, "BASEMAP = \n")
    with pytest.raises(ValueError, match="TOML"):
        load_config_file(tmp_path / "greenmap.toml")
    monkeypatch.setenv("GREENMAP_RESPONSE_CACHE", "maybe")
    with pytest.raises(ValueError, match="GREENMAP_RESPONSE_CACHE"):
        resolve_config()


def test_serve_reads_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import webmap
    from greenmap.cli import main

    seen: dict[str, object] = {}

    def fake_serve(**kwargs: object) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(webmap, "serve", fake_serve)
    f = _write(tmp_path, 'BASEMAP = "osm"\nDATA_DIR = "srv"\n')
    assert main(["serve", "--config", str(f)]) == 0
    config = seen["config"]
    assert isinstance(config, dict)
    assert config["CONFIG_FILE"] == str(f)
    assert config["DATA_DIR"] == str((tmp_path / "srv").resolve())  # from the file
    assert (tmp_path / "srv").is_dir()
    assert resolve_config(config)["BASEMAP"] == "osm"
    assert "config file" in capsys.readouterr().out
    # --data-dir wins over the file
    assert main(["serve", "--config", str(f), "--data-dir", str(tmp_path / "cli")]) == 0
    assert seen["config"]["DATA_DIR"] == str((tmp_path / "cli").resolve())  # type: ignore[index]
    bad = _write(tmp_path, "NO_SUCH = 1\n")
    assert main(["serve", "--config", str(bad)]) == 2
    assert "NO_SUCH" in capsys.readouterr().err
