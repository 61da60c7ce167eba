/* GreenMap Xicheng map page: tooltips/popups (text nodes only, never innerHTML with data), search,
 * 街道 panel, filters (year, status, category, rule, choropleth metric) and the view state in the URL hash.
 * Folium has already created the map and layers; their JS names are in the page config. */
(function () {
  "use strict";

  var CFG = JSON.parse(document.getElementById("gm-config").textContent);
  var N = CFG.names;
  var LBL = CFG.labels;
  var map = window[N.map];
  var layers = {};
  var groups = {};
  Object.keys(N.layers).forEach(function (k) { layers[k] = window[N.layers[k]]; });
  Object.keys(N.groups).forEach(function (k) { groups[k] = window[N.groups[k]]; });
  var STATUSES = Object.keys(LBL.statuses);
  var CATEGORIES = [];
  CFG.projects.forEach(function (p) {
    if (p.category && CATEGORIES.indexOf(p.category) < 0) CATEGORIES.push(p.category);
  });
  var SD_BY_CODE = {};
  CFG.subdistricts.forEach(function (s) { SD_BY_CODE[s.code] = s; });
  var RULES = {};
  CFG.rules.forEach(function (r) { RULES[r.id] = r; });

  var state = defaultState();
  var reportedOpen = false; // the panel is redrawn on every change: keep the sources list open once opened
  // Extension points for edit.js (set after this file runs): projectActions(p) -> node or null,
  // the editing buttons shown in the project list and popups for logged-in editors.
  var hooks = { projectActions: null };
  var coverageCache = {};
  var currentCoverage = null;

  function defaultState() {
    return {
      sd: null,
      year: CFG.years[1],
      status: STATUSES.slice(),
      cat: null, // null = all categories
      rule: CFG.default_rule,
      metric: "coverage",
    };
  }

  // ------------------------------------------------------------------ DOM helpers (text only)
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "class") node.className = attrs[k];
        else if (k === "text") node.textContent = attrs[k];
        else node.setAttribute(k, attrs[k]);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return node;
  }
  function put(parent, child) { if (child) parent.appendChild(child); }
  function bi(pair) { return pair ? pair[0] + " " + pair[1] : ""; }
  function fmtNum(v, digits) {
    if (v === null || v === undefined || v === "") return null;
    return Number(v).toLocaleString("zh-CN", { maximumFractionDigits: digits === undefined ? 0 : digits });
  }
  function fmtArea(m2) {
    if (m2 === null || m2 === undefined) return null;
    return m2 >= 10000 ? fmtNum(m2 / 10000, 2) + " 公顷 ha" : fmtNum(m2) + " m²";
  }
  function row(label, value) {
    if (value === null || value === undefined || value === "") return null;
    return el("div", { class: "gm-row" }, el("span", { class: "gm-k", text: label }), " ", String(value));
  }
  function qualityMark(q) {
    if (q === "approximate") return el("div", { class: "gm-approx", text: "近似 approximate geometry" });
    if (!q) return null;
    return el("div", { class: "gm-quality", text: "几何 geometry: " + bi(LBL.quality[q] || [q, q]) });
  }
  /* How a feature was placed from its location text (issue 11, geo.locate): method, confidence, why. */
  var METHOD_LBL = { sizhi: ["四至", "bounding streets"], sizhi_partial: ["四至（部分）", "partial bounds"],
    segment: ["路段", "street segment"], place: ["地名", "named place"], street: ["道路", "whole street"],
    corner: ["角", "corner"], side: ["一侧", "side"], buffer: ["周边/沿线", "buffer"], multi: ["多处", "several places"],
    partial: ["部分名称", "partial name"] };
  function methodText(p) {
    var m = p.geometry_method;
    if (!m || m === "none") return null;
    var conf = p.geometry_confidence === null || p.geometry_confidence === undefined ? "" :
      " · 置信度 confidence " + fmtNum(p.geometry_confidence, 2);
    return bi(METHOD_LBL[m] || [m, ""]) + conf;
  }
  function placedBy(p, full) {
    if (!p.geometry_method) return null;
    var box = el("div", { class: "gm-placed" });
    put(box, row("定位 placed by", methodText(p)));
    if (p.area_ratio !== null && p.area_ratio !== undefined) put(box, row("面积比 derived ÷ published", fmtNum(p.area_ratio, 2)));
    if (full) {
      put(box, row("依据 from text", p.location_span));
      put(box, row(p.geometry_method === "none" ? "未定位 not placed" : "说明 note", p.location_reason));
    }
    return box;
  }

  // ------------------------------------------------------------------ status logic (mirrors service.py)
  function parseHistory(p) {
    var out = [];
    String(p.status_history || "").split(";").forEach(function (part) {
      var i = part.indexOf(":");
      if (i < 0) return;
      var y = parseInt(part.slice(0, i).trim(), 10);
      var s = part.slice(i + 1).trim();
      if (!isNaN(y) && s) out.push([y, s]);
    });
    out.sort(function (a, b) { return a[0] - b[0]; });
    return out;
  }
  function statusAsOf(p, year) {
    var h = parseHistory(p);
    if (!h.length) {
      var since = p.latest_status_year || p.start_year;
      if (year === null || since === null || since === undefined) return p.latest_status || "unknown";
      return year >= since ? p.latest_status || "unknown" : null;
    }
    var st = null;
    h.forEach(function (e) { if (e[0] <= year) st = e[1]; });
    return st;
  }
  function codes(p) {
    return String(p.subdistrict_codes || "").split(";").map(function (s) { return s.trim(); }).filter(Boolean);
  }
  function projectVisible(p) {
    var st = statusAsOf(p, state.year);
    if (st === null) return false;
    if (state.status.indexOf(st) < 0) return false;
    if (state.cat && state.cat.indexOf(p.category) < 0) return false;
    if (state.sd && codes(p).indexOf(state.sd) < 0) return false;
    return true;
  }

  // ------------------------------------------------------------------ tooltips and popups
  function describe(p, layer, full) {
    var box = el("div", { class: "gm-pop" });
    box.appendChild(el("div", { class: "gm-title" }, el("b", { text: p.name_zh || p.project_id || p.park_id || p.code || "" }),
      p.name_en ? el("span", { class: "en", text: " " + p.name_en }) : null));
    if (layer === "projects") {
      var st = statusAsOf(p, state.year) || p.latest_status;
      put(box, row("类别 category", bi(LBL.categories[p.category] || [p.category, ""])));
      put(box, row("状态 status (" + state.year + ")", bi(LBL.statuses[st] || [st, ""])));
      put(box, row("年份 years", [p.start_year, p.planned_end_year].filter(function (v) { return v; }).join("–")));
      put(box, row("面积 area", fmtArea(p.area_m2)));
      put(box, row("街道 subdistrict", p.subdistricts_zh));
    } else if (layer === "parks") {
      put(box, row("类型 kind", bi(LBL.park_kinds[p.kind] || [p.kind, ""])));
      put(box, row("面积 area", fmtArea(p.area_m2)));
      put(box, row("收费 fee", { yes: "收费 yes", no: "免费 no", unknown: "未知 unknown" }[p.fee]));
      put(box, row("开放 opened", p.opened_year));
      put(box, row("街道 subdistrict", p.subdistrict_zh));
    } else if (layer === "subdistricts") {
      var sd = SD_BY_CODE[p.code] || p;
      put(box, row("代码 code", p.code));
      put(box, row("人口 population", popText(sd)));
      var cov = coverageFor(p.code);
      if (cov) {
        put(box, row("覆盖率（全部用地）coverage, all land", pct(cov.coverage_pct)));
        put(box, row("覆盖率（非历史街区）non-historic", pct(cov.coverage_non_historic_pct)));
        eucRows(box, cov);
      }
    } else if (layer === "historic_blocks") {
      put(box, row("面积 area", fmtArea(p.area_m2)));
      put(box, row("批次 batch", p.batch));
      put(box, row("在西城 in Xicheng", p.in_xicheng));
    } else if (layer === "radii") {
      put(box, row("服务半径 radius", p.radius_m ? fmtNum(p.radius_m) + " m" : null));
      put(box, row("分级 tier", p.tier));
    } else if (layer === "gaps") {
      var sdg = SD_BY_CODE[p.subdistrict_code];
      put(box, row("街道 subdistrict", sdg ? sdg.name_zh + " " + (sdg.name_en || "") : p.subdistrict_code));
      put(box, row("未覆盖居住用地 uncovered residential", fmtArea(p.uncovered_m2)));
      put(box, row("未覆盖比例 uncovered share", p.uncovered_pct === null ? null : fmtNum(p.uncovered_pct, 1) + "%"));
      put(box, row("年份 as of", p.year));
    } else if (layer === "candidates") {
      put(box, row("排序 rank", p.rank));
      put(box, row("新增覆盖 newly covered", fmtArea(p.new_covered_m2)));
      put(box, row("服务半径 radius", p.service_radius_m ? fmtNum(p.service_radius_m) + " m" : null));
      box.appendChild(el("div", { class: "gm-note", text: "模型结果，非真实地块 model result, not a real site" }));
    } else if (layer === "residential") {
      put(box, row("人口 population", fmtNum(p.population)));
    }
    if (layer === "projects" || layer === "historic_blocks" || layer === "parks") put(box, placedBy(p, full));
    put(box, qualityMark(p.geometry_quality));
    if (full && layer === "projects" && hooks.projectActions) put(box, hooks.projectActions(p));
    if (full && p.source) box.appendChild(el("div", { class: "gm-cite" }, el("span", { class: "gm-k", text: "来源 source" }), " ", p.source));
    return box;
  }

  function bindAll() {
    Object.keys(layers).forEach(function (key) { bindLayer(layers[key], key); });
    Object.keys(N.rules).forEach(function (rid) {
      var e = N.rules[rid];
      if (e.radii) bindLayer(window[e.radii], "radii");
    });
  }
  function bindLayer(gj, key) {
    if (!gj) return;
    gj.eachLayer(function (l) {
      var p = l.feature.properties;
      l.bindTooltip(function () { return describe(p, key, false); }, { sticky: true });
      l.bindPopup(function () { return describe(p, key, true); }, { maxWidth: 380, minWidth: 260 });
      if (key === "subdistricts") {
        l.on("click", function () { selectSubdistrict(p.code, true); });
      }
    });
  }

  // ------------------------------------------------------------------ filtering
  var projectLayers = [];
  var parkLayers = [];
  var radiiLayers = {};
  function collect() {
    if (layers.projects) layers.projects.eachLayer(function (l) { projectLayers.push(l); });
    if (layers.parks) layers.parks.eachLayer(function (l) { parkLayers.push(l); });
    Object.keys(N.rules).forEach(function (rid) {
      var e = N.rules[rid];
      radiiLayers[rid] = [];
      if (e.radii) window[e.radii].eachLayer(function (l) { radiiLayers[rid].push(l); });
    });
  }
  function toggle(parent, l, show) {
    var has = parent.hasLayer(l);
    if (show && !has) parent.addLayer(l);
    else if (!show && has) parent.removeLayer(l);
  }
  function openedBy(p) { return !p.opened_year || p.opened_year <= state.year; }

  function applyFilters() {
    var t0 = performance.now();
    var nVisible = 0;
    projectLayers.forEach(function (l) {
      var p = l.feature.properties;
      var show = projectVisible(p);
      if (show) {
        nVisible++;
        var st = statusAsOf(p, state.year);
        var op = (CFG.labels.statuses[st] ? { planned: 0.15, under_way: 0.45, done: 0.85, unknown: 0.3 }[st] : 0.3);
        if (l.setStyle) l.setStyle({ fillOpacity: op });
      }
      toggle(layers.projects, l, show);
    });
    parkLayers.forEach(function (l) { toggle(layers.parks, l, openedBy(l.feature.properties)); });
    // rule-dependent layers: only the chosen rule's radii and gaps are in their groups
    Object.keys(N.rules).forEach(function (rid) {
      var e = N.rules[rid];
      var on = rid === state.rule;
      if (e.radii && groups.radii) toggle(groups.radii, window[e.radii], on);
      if (on && e.radii) {
        radiiLayers[rid].forEach(function (l) { toggle(window[e.radii], l, openedBy(l.feature.properties)); });
      }
    });
    document.body.setAttribute("data-visible-projects", String(nVisible));
    restyleTiled();
    renderPanel();
    restyleChoropleth();
    writeHash();
    updateDownloads();
    loadCoverage();
    scheduleLazy();
    document.body.setAttribute("data-filter-ms", String(Math.round(performance.now() - t0)));
  }

  // ------------------------------------------------------------------ downloads (/api/export)
  /* The download links carry the current filters: projects as the map shows them (街道, status,
   * category, year), coverage results for the rule set and year, all layers as one GeoPackage. */
  function exportUrl(what, fmt) {
    var q = ["what=" + what, "format=" + fmt];
    if (what === "projects" || what === "all") {
      if (state.sd) q.push("subdistrict=" + encodeURIComponent(state.sd));
      if (state.status.length !== STATUSES.length) q.push("status=" + state.status.map(encodeURIComponent).join(","));
      if (state.cat) q.push("category=" + state.cat.map(encodeURIComponent).join(","));
    }
    if ((what === "coverage" || what === "all") && state.rule) q.push("rule=" + encodeURIComponent(state.rule));
    q.push("year=" + state.year);
    return "/api/export?" + q.join("&");
  }
  function updateDownloads() {
    var fmtSel = document.getElementById("gm-dl-format");
    if (!fmtSel) return;
    var none = !state.status.length || (state.cat && !state.cat.length);
    document.querySelectorAll("a[data-export]").forEach(function (a) {
      var what = a.getAttribute("data-export");
      var off = (what === "projects" && none) || (what !== "projects" && !state.rule);
      if (off) {
        a.removeAttribute("href");
        a.setAttribute("aria-disabled", "true");
      } else {
        a.href = exportUrl(what, what === "all" ? "gpkg" : fmtSel.value);
        a.removeAttribute("aria-disabled");
      }
    });
  }

  // ------------------------------------------------------------------ layers loaded from the API
  var LAZY_STYLE = {
    residential: function (f) {
      var approx = f.properties.geometry_quality === "approximate";
      return { color: "#6a51a3", weight: 0.8, fillColor: "#bcbddc", fillOpacity: 0.3, dashArray: approx ? "6 4" : null };
    },
    gaps: function (f) {
      var approx = f.properties.geometry_quality === "approximate";
      // a light hatch-like fill: the 街道 choropleth stays readable underneath
      return { color: "#cb181d", weight: 1.2, fillColor: "#fb6a4a", fillOpacity: 0.12, dashArray: approx ? "6 4" : null };
    },
    candidates: function () {
      return { color: "#e6550d", weight: 2, fillColor: "#fdae6b", fillOpacity: 0.6, dashArray: "6 4" };
    },
  };
  var lazyWanted = {};
  var lazyTimer = null;
  function lazyUrl(key) {
    var url = N.lazy[key].url.replace("{rule}", encodeURIComponent(state.rule || "")).replace("{year}", String(state.year));
    if (CFG.basemap === "amap") url += (url.indexOf("?") >= 0 ? "&" : "?") + "datum=gcj02";
    return url;
  }
  function refreshLazy() {
    Object.keys(N.lazy || {}).forEach(function (key) {
      var g = groups[key];
      if (!g || !map.hasLayer(g)) return;
      var url = lazyUrl(key);
      if (lazyWanted[key] === url) return;
      lazyWanted[key] = url;
      fetch(url).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.message || String(r.status));
          return body;
        });
      }).then(function (data) {
        if (lazyWanted[key] !== url) return;
        g.clearLayers();
        var gj = L.geoJSON(data, {
          style: LAZY_STYLE[key],
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6 }); },
        });
        bindLayer(gj, key);
        g.addLayer(gj);
        raiseFeatures();
        var note = document.getElementById("gm-layer-status");
        if (note) {
          note.textContent = data.features && data.features.length ? "" :
            "图层无要素 layer has no features (" + key + ")";
        }
        document.body.setAttribute("data-loaded-" + key, url);
      }).catch(function (err) {
        lazyWanted[key] = null;
        var n = document.getElementById("gm-layer-status");
        if (n) n.textContent = "图层暂不可用 layer unavailable (" + key + "): " + err.message;
      });
    });
  }
  /* Parks and projects stay clickable above the area layers loaded later (uncovered land etc.). */
  function raiseFeatures() {
    ["parks", "projects"].forEach(function (k) {
      if (layers[k] && map.hasLayer(layers[k])) layers[k].bringToFront();
    });
    map.fire("greenmap:raised");
  }
  function scheduleLazy() {
    if (lazyTimer) clearTimeout(lazyTimer);
    lazyTimer = setTimeout(refreshLazy, 120);
  }


  // ------------------------------------------------------------------ tiled layers (Leaflet.VectorGrid)
  /* Large layers come as Mapbox Vector Tiles (/tiles/<layer>/{z}/{x}/{y}.mvt, canvas-rendered). The tiles
   * carry a few styling attributes; the full attributes of a clicked feature come from
   * /api/features/<layer>/<key>. Filters restyle the features already drawn (no reload). */
  var TILED = N.tiled || {};
  var tiled = {};
  /* Panes: tiled layers above the 街道 (overlayPane), parks and projects (GeoJSON) above the tiles. */
  var TILE_PANE = "gmTiles", TOP_PANE = "gmTop";
  function setupPanes() {
    if (!Object.keys(TILED).length) return;
    map.createPane(TILE_PANE).style.zIndex = 450;
    map.createPane(TOP_PANE).style.zIndex = 500;
    ["parks", "projects"].forEach(function (k) {
      var gj = layers[k];
      if (!gj) return;
      var all = [];
      gj.eachLayer(function (l) { all.push(l); });
      all.forEach(function (l) {
        gj.removeLayer(l);
        l.options.pane = TOP_PANE;
        delete l.options.renderer;
        gj.addLayer(l);
      });
    });
  }
  var HIDDEN = { stroke: false, fill: false, interactive: false, weight: 0, radius: 0 };
  var TILE_STYLE = {
    parks: function (p) {
      if (!openedBy(p)) return HIDDEN;
      var colour = (LBL.park_kinds[p.kind] || LBL.park_kinds.other || [0, 0, "#878787"])[2] || "#878787";
      var fee = p.fee === "yes";
      return { color: fee ? "#b8860b" : colour, weight: fee ? 3 : 1.5, fill: true, fillColor: colour, fillOpacity: 0.6,
        radius: 6, dashArray: p.geometry_quality === "approximate" ? "6 4" : null };
    },
    radii: function (p) {
      if (!openedBy(p)) return HIDDEN;
      return { color: "#2ca25f", weight: 1, fill: true, fillColor: "#99d8c9", fillOpacity: 0.15 };
    },
    historic_blocks: function (p) {
      return { color: "#8c2d04", weight: 1.5, fill: true, fillColor: "#fdae6b", fillOpacity: 0.35,
        dashArray: p.geometry_quality === "approximate" ? "6 4" : null };
    },
    residential: function (p) {
      var st = LAZY_STYLE.residential({ properties: p });
      st.fill = true;
      if (state.sd && p.subdistrict_code && p.subdistrict_code !== state.sd) st.fillOpacity = 0.08;
      return st;
    },
    gaps: function (p) { var st = LAZY_STYLE.gaps({ properties: p }); st.fill = true; return st; },
    streets: function (p) {
      return { color: "#636363", weight: 1, fill: false, dashArray: p.geometry_quality === "approximate" ? "4 3" : null };
    },
  };
  function tiledUrl(key) {
    var url = TILED[key].url.replace("{rule}", encodeURIComponent(state.rule || "")).replace("{year}", String(state.year));
    if (CFG.basemap === "amap") url += (url.indexOf("?") >= 0 ? "&" : "?") + "datum=gcj02";
    return url;
  }
  function featureUrl(key, fkey) {
    var q = [];
    if (key === "radii" || key === "gaps") q.push("rule=" + encodeURIComponent(state.rule || ""), "year=" + state.year);
    if (CFG.basemap === "amap") q.push("datum=gcj02");
    return "/api/features/" + key + "/" + encodeURIComponent(fkey) + (q.length ? "?" + q.join("&") : "");
  }
  function tileStyleFor(key) {
    return function (props) { return TILE_STYLE[key] ? TILE_STYLE[key](props) : {}; };
  }
  function makeTiled(key) {
    if (!L.vectorGrid) return;
    var styles = {};
    styles[key] = tileStyleFor(key);
    var url = tiledUrl(key);
    var vg = L.vectorGrid.protobuf(url, {
      // SVG tiles: only painted shapes take the pointer, so the tiled layers stacked in one pane
      // (and the 街道 below) all stay clickable
      rendererFactory: L.svg.tile,
      pane: TILE_PANE,
      interactive: true,
      vectorTileLayerStyles: styles,
      getFeatureId: function (f) { return f.id; },
      maxNativeZoom: 18,
      maxZoom: 22,
    });
    vg._gmUrl = url;
    var tip = L.tooltip({ sticky: true, direction: "top" });
    vg.on("mouseover", function (e) {
      tip.setLatLng(e.latlng).setContent(describe(e.layer.properties || {}, key, false));
      map.openTooltip(tip);
    });
    vg.on("mouseout", function () { map.closeTooltip(tip); });
    vg.on("click", function (e) {
      L.DomEvent.stop(e);
      openTiledPopup(key, (e.layer.properties || {})._key, e.latlng);
    });
    vg.on("load", function () { document.body.setAttribute("data-tiles-" + key, String(Date.now())); });
    tiled[key] = vg;
    if (groups[key]) groups[key].addLayer(vg);
  }
  /* The popup of a tiled feature: attributes fetched by key, built from text nodes. */
  function openTiledPopup(key, fkey, latlng) {
      var p = { _key: fkey };
      var pop = L.popup({ maxWidth: 380, minWidth: 260 }).setLatLng(latlng)
        .setContent(el("div", { class: "gm-pop gm-loading", text: "加载中… loading…" })).openOn(map);
      fetch(featureUrl(key, p._key)).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.message || String(r.status));
          return body;
        });
      }).then(function (body) {
        var node = describe(body.properties || {}, key, true);
        node.setAttribute("data-feature-key", String(p._key));
        pop.setContent(node);
        document.body.setAttribute("data-popup-key", key + ":" + p._key);
      }).catch(function (err) {
        pop.setContent(el("div", { class: "gm-pop", text: "属性暂不可用 attributes unavailable: " + err.message }));
      });
  }
  /* Re-apply the style functions to every feature of the loaded tiles (filters, 街道 selection). */
  function restyleTiled() {
    Object.keys(tiled).forEach(function (key) {
      var vg = tiled[key];
      var url = tiledUrl(key);
      if (url !== vg._gmUrl) {  // rule set or year changed: another tile set
        vg._gmUrl = url;
        vg.setUrl(url);
        return;
      }
      var style = tileStyleFor(key);
      var shown = 0, total = 0;
      Object.keys(vg._vectorTiles || {}).forEach(function (tk) {
        var tile = vg._vectorTiles[tk];
        Object.keys(tile._features || {}).forEach(function (id) {
          var f = tile._features[id].feature;
          var st = style(f.properties || {});
          total++;
          if (st !== HIDDEN) shown++;
          vg._updateStyles(f, tile, st);
        });
      });
      document.body.setAttribute("data-tiled-" + key, shown + "/" + total);
    });
  }
  /* Features drawn in the loaded tiles of a layer: {total, shown} (tests, diagnostics). */
  function tiledStats(key) {
    var vg = tiled[key];
    var out = { total: 0, shown: 0, keys: [] };
    if (!vg) return out;
    var style = tileStyleFor(key);
    var seen = {};
    Object.keys(vg._vectorTiles || {}).forEach(function (tk) {
      var tile = vg._vectorTiles[tk];
      Object.keys(tile._features || {}).forEach(function (id) {
        if (seen[id]) return;
        seen[id] = true;
        var p = tile._features[id].feature.properties || {};
        out.total++;
        if (style(p) !== HIDDEN) { out.shown++; if (out.keys.length < 50) out.keys.push(p._key); }
      });
    });
    return out;
  }

  // ------------------------------------------------------------------ coverage and choropleth
  function covKey() { return state.rule + "|" + state.year; }
  function coverageFor(code) {
    if (!currentCoverage) return null;
    for (var i = 0; i < currentCoverage.subdistricts.length; i++) {
      if (currentCoverage.subdistricts[i].code === code) return currentCoverage.subdistricts[i];
    }
    return null;
  }
  function loadCoverage() {
    if (!state.rule) { currentCoverage = null; setCovStatus("无规则集 no rule sets"); return; }
    var key = covKey();
    if (coverageCache[key]) { currentCoverage = coverageCache[key]; restyleChoropleth(); renderPanel(); return; }
    setCovStatus("计算中… computing…");
    var url = "/api/coverage?rule=" + encodeURIComponent(state.rule) + "&year=" + state.year;
    fetch(url).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    }).then(function (res) {
      if (!res.ok) throw new Error(res.body.message || "error");
      coverageCache[key] = res.body;
      if (key === covKey()) {
        currentCoverage = res.body;
        setCovStatus("");
        restyleChoropleth();
        renderPanel();
      }
    }).catch(function (err) {
      if (key === covKey()) { currentCoverage = null; setCovStatus("覆盖率暂不可用 coverage unavailable: " + err.message); renderPanel(); }
    });
  }
  function setCovStatus(text) {
    var n = document.getElementById("gm-cov-status");
    if (n) n.textContent = text;
  }
  function metricValue(code) {
    if (state.metric === "coverage" || state.metric === "non_historic") {
      var c = coverageFor(code);
      if (!c) return null;
      return state.metric === "coverage" ? c.coverage_pct : c.coverage_non_historic_pct;
    }
    var n = 0, area = 0;
    CFG.projects.forEach(function (p) {
      var saved = state.sd; state.sd = null;
      var ok = projectVisible(p);
      state.sd = saved;
      if (!ok || codes(p).indexOf(code) < 0) return;
      n++;
      if (p.adds_green_space && p.area_m2) area += p.area_m2;
    });
    return state.metric === "projects" ? n : area;
  }
  var RAMP = ["#f7fcf5", "#c7e9c0", "#74c476", "#31a354", "#006d2c"];
  function restyleChoropleth() {
    if (!layers.subdistricts) return;
    var vals = {};
    var lo = Infinity, hi = -Infinity;
    CFG.subdistricts.forEach(function (s) {
      var v = metricValue(s.code);
      vals[s.code] = v;
      if (v !== null && v !== undefined) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    });
    layers.subdistricts.eachLayer(function (l) {
      var code = l.feature.properties.code;
      var v = vals[code];
      var colour = "#dddddd";
      if (v !== null && v !== undefined && hi >= lo) {
        var t = hi > lo ? (v - lo) / (hi - lo) : 1;
        colour = RAMP[Math.min(RAMP.length - 1, Math.floor(t * RAMP.length))];
      }
      var sel = state.sd === code;
      l.setStyle({ fillColor: colour, fillOpacity: sel ? 0.2 : 0.55, weight: sel ? 4 : 1.5, color: sel ? "#08519c" : "#555555" });
      if (sel && map.hasLayer(l)) l.bringToFront();
    });
    var leg = document.getElementById("gm-choro-legend");
    if (leg) {
      leg.textContent = "";
      var unit = { coverage: "%", non_historic: "%", projects: "项", green_area: "m²" }[state.metric];
      if (hi >= lo) {
        leg.appendChild(el("span", { text: fmtNum(lo, 2) + " " + unit + " " }));
        RAMP.forEach(function (c) { leg.appendChild(el("span", { class: "gm-ramp", style: "background:" + c })); });
        leg.appendChild(el("span", { text: " " + fmtNum(hi, 2) + " " + unit }));
      } else {
        leg.appendChild(el("span", { text: "无数据 no data" }));
      }
    }
  }
  function pct(v) { return v === null || v === undefined ? "—" : fmtNum(v, 2) + "%"; }
  // walking-network rules (issue 12): the straight-line rate of the same rule beside the network rate
  function eucRows(parent, c) {
    if (c.method !== "network" && c.method !== "euclidean_barriers") return;
    put(parent, row("口径 method", c.method === "network" ? "沿街道步行距离 walking distance along streets" : "直线距离，阻隔切分 straight line cut by barriers"));
    put(parent, row("直线距离对照（全部用地）straight-line, all land", pct(c.euclidean_coverage_pct)));
    put(parent, row("直线距离对照（非历史街区）straight-line, non-historic", pct(c.euclidean_coverage_non_historic_pct)));
  }

  // ------------------------------------------------------------------ side panel
  function popText(s) {
    if (s.pop_2020_census) return fmtNum(s.pop_2020_census) + "（2020 普查 census）";
    if (s.pop_other) return fmtNum(s.pop_other) + "（" + (s.pop_other_year || "年份不详 undated") + "，其他口径 other basis）";
    return "未公布 not published";
  }
  function renderPanel() {
    var panel = document.getElementById("gm-panel");
    panel.textContent = "";
    var s = state.sd ? SD_BY_CODE[state.sd] : null;
    var rule = RULES[state.rule];
    if (s) {
      panel.appendChild(el("h2", { id: "gm-sd-title" }, s.name_zh, el("span", { class: "en", text: " " + (s.name_en || "") })));
      put(panel, row("人口 population", popText(s)));
      put(panel, qualityMark(s.geometry_quality));
    } else {
      panel.appendChild(el("h2", { id: "gm-sd-title" }, "西城区全区", el("span", { class: "en", text: " Xicheng District" })));
    }
    // 报告 report (issue 14): the PDF `greenmap report` writes, for this 街道 (or the district), rule and year
    var repQ = [state.rule ? "rule=" + encodeURIComponent(state.rule) : "", isFinite(state.year) ? "year=" + state.year : ""]
      .filter(Boolean).join("&");
    put(panel, el("div", { class: "gm-row" }, el("a", { id: "gm-report", class: "gm-report",
      href: "/report/" + (s ? encodeURIComponent(s.code) : "district") + ".pdf?" + repQ,
      title: "打印用 PDF 报告 printable PDF report", text: "报告 report (PDF)" }), " · ",
      el("a", { href: "/report/" + (s ? encodeURIComponent(s.code) : "district") + ".html?" + repQ,
        target: "_blank", rel: "noopener", text: "网页版 HTML" })));
    var counts = N.counts || {};
    ["historic_blocks", "parks", "projects"].forEach(function (k) {
      var c = counts[k];
      if (!c || c.features === c.with_geometry) return;
      var title = { historic_blocks: "历史文化街区 historic blocks", parks: "公园 parks", projects: "项目 projects" }[k];
      put(panel, el("div", { class: "gm-nogeom", text: title + "：" + (c.features - c.with_geometry) + " / " + c.features +
        " 无边界或位置，未上图 without geometry, not drawn" }));
    });
    // computed coverage
    var comp = el("section", { class: "gm-computed" });
    comp.appendChild(el("h3", { text: "本工具计算 computed — " + (rule ? rule.title_zh : "") + "（" + state.year + "）" }));
    var c = s ? coverageFor(s.code) : (currentCoverage ? currentCoverage.district : null);
    put(comp, row("全部居住用地 all residential land", c ? pct(c.coverage_pct) : "—"));
    put(comp, row("非历史文化街区 outside historic blocks", c ? pct(c.coverage_non_historic_pct) : "—"));
    if (c) eucRows(comp, c);
    comp.appendChild(el("div", { id: "gm-cov-status", class: "gm-note" }));
    panel.appendChild(comp);
    // reported series (district level, from the indicators table)
    var rep = el("section", { class: "gm-reported" });
    rep.appendChild(el("h3", { text: "官方公布 reported（全区 district）" }));
    var tbl = el("table", { class: "gm-table" });
    tbl.appendChild(el("tr", null, el("th", { text: "年 year" }), el("th", { text: "值 value" }), el("th", { text: "类型 kind" }), el("th", { text: "口径 scope" })));
    // every figure gets a numbered footnote: its citation (file and lines where the fact table has them) and the
    // fact table's caveat (scope not stated, calculation base changed …), visible, not only on hover
    var cites = el("ol", { class: "gm-reported-cites" });
    CFG.reported.forEach(function (r, i) {
      var tr = el("tr", { title: r.source || "" }, el("td", { text: r.year }),
        el("td", { text: fmtNum(r.value, 2) + (r.unit === "%" ? "%" : " " + r.unit) }, el("sup", { text: " " + (i + 1) })),
        el("td", { text: r.kind || "" }), el("td", { text: r.scope === "non_historic_blocks" ? "非历史街区 non-historic" : "全部 all land" }));
      tbl.appendChild(tr);
      // one file cited for several passages: name it once (the lines stay per passage)
      var files = r.source_file ? String(r.source_file).split(";").filter(function (f, k, a) { return a.indexOf(f) === k; }).join(";") : "";
      var where = (r.source || "—") + (files ? " · " + files + (r.source_lines ? "（行 lines " + r.source_lines + "）" : "") : "");
      cites.appendChild(el("li", null, el("span", { class: "gm-cite", text: r.year + " " + (r.kind || "") + ": " + where }),
        r.note ? el("div", { class: "gm-caveat", text: "说明 note: " + r.note }) : null));
    });
    rep.appendChild(tbl);
    if (CFG.reported.length) {
      var det = el("details", { class: "gm-reported-sources" },
        el("summary", { text: "来源与说明 sources and notes（" + CFG.reported.length + "）" }), cites);
      det.open = reportedOpen;
      det.addEventListener("toggle", function () { reportedOpen = det.open; });
      rep.appendChild(det);
    }
    panel.appendChild(rep);
    // projects
    var list = CFG.projects.filter(projectVisible);
    var sec = el("section", { class: "gm-projects" });
    var nPlaced = list.filter(function (p) { return p.has_geometry; }).length;
    sec.appendChild(el("h3", { text: "项目 projects（" + list.length + "）" }));
    sec.appendChild(el("div", { class: "gm-note", id: "gm-placed-count",
      text: "已上图 placed " + nPlaced + " · 未上图 not placed " + (list.length - nPlaced) }));
    var ul = el("ul", { id: "gm-project-list" });
    list.slice(0, s ? 500 : 60).forEach(function (p) {
      var st = statusAsOf(p, state.year);
      var li = el("li", { "data-project-id": p.project_id },
        el("div", { class: "gm-pname", text: p.name_zh }),
        el("div", { class: "gm-pmeta", text: bi(LBL.categories[p.category] || [p.category, ""]) + " · " + bi(LBL.statuses[st] || [st, ""]) +
          (p.start_year || p.planned_end_year ? " · " + [p.start_year, p.planned_end_year].filter(Boolean).join("–") : "") }),
        p.has_geometry ? null : el("div", { class: "gm-nogeom", text: "无位置（未上图）no location on map" +
          (p.location_reason ? "：" + p.location_reason : "") }),
        p.geometry_quality === "approximate" ? el("div", { class: "gm-approx", text: "近似 approximate geometry" +
          (methodText(p) ? " · " + methodText(p) : "") }) : null,
        el("div", { class: "gm-cite", text: "来源 source: " + (p.source || "—") + (p.source_lines ? "（行 lines " + p.source_lines + "）" : "") }),
        hooks.projectActions ? hooks.projectActions(p) : null);
      if (p.has_geometry) {
        li.classList.add("gm-clickable");
        li.addEventListener("click", function () { zoomToProject(p.project_id); });
      }
      ul.appendChild(li);
    });
    if (!s && list.length > 60) ul.appendChild(el("li", { class: "gm-note", text: "…选择街道查看全部 choose a 街道 to see all" }));
    sec.appendChild(ul);
    panel.appendChild(sec);
  }
  function zoomToProject(id) {
    projectLayers.forEach(function (l) {
      if (l.feature.properties.project_id !== id) return;
      if (l.getBounds) map.fitBounds(l.getBounds(), { maxZoom: 17 });
      else map.setView(l.getLatLng(), 16);
      l.openPopup();
    });
  }

  // ------------------------------------------------------------------ edited projects (edit.js)
  function projectStyle(p) {
    var colour = (CFG.category_colours || {})[p.category] || "#999999";
    var op = { planned: 0.15, under_way: 0.45, done: 0.85 }[p.latest_status] || 0.3;
    return {
      color: colour, weight: 2.5, fillColor: colour, fillOpacity: op, radius: 7,
      dashArray: p.geometry_quality === "approximate" ? "6 4" : null,
    };
  }
  /* Put a saved project (a GeoJSON Feature from /api/edit) on the map and into the page data:
   * its old layers are replaced, the list and filters re-applied. */
  function upsertProject(feature) {
    var p = feature.properties || {};
    var id = p.project_id || feature.id;
    var target = layers.projects;
    if (!target) {
      target = L.featureGroup();
      if (groups.projects) groups.projects.addLayer(target);
      else target.addTo(map);
      layers.projects = target;
    }
    projectLayers = projectLayers.filter(function (l) {
      if (l.feature.properties.project_id !== id) return true;
      if (target.hasLayer(l)) target.removeLayer(l);
      return false;
    });
    if (feature.geometry) {
      var gj = L.geoJSON(feature, {
        pane: map.getPane(TOP_PANE) ? TOP_PANE : "overlayPane",
        style: function (f) { return projectStyle(f.properties); },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, L.extend(projectStyle(f.properties), { pane: map.getPane(TOP_PANE) ? TOP_PANE : "overlayPane" }));
        },
      });
      bindLayer(gj, "projects");
      gj.eachLayer(function (l) { target.addLayer(l); projectLayers.push(l); });
    }
    var rec = null;
    CFG.projects.forEach(function (r) { if (r.project_id === id) rec = r; });
    if (!rec) { rec = { project_id: id }; CFG.projects.push(rec); }
    Object.keys(rec).forEach(function (k) { if (k in p) rec[k] = p[k]; });
    rec.has_geometry = !!feature.geometry;
    if (N.counts && N.counts.projects) {
      N.counts.projects.features = CFG.projects.length;
      N.counts.projects.with_geometry = CFG.projects.filter(function (r) { return r.has_geometry; }).length;
    }
    applyFilters();
  }

  // ------------------------------------------------------------------ subdistrict selection
  function selectSubdistrict(code, zoom) {
    state.sd = code && SD_BY_CODE[code] ? code : null;
    var sel = document.getElementById("gm-sd");
    if (sel) sel.value = state.sd || "";
    if (zoom) zoomToSd();
    applyFilters();
  }
  function zoomToSd() {
    var s = state.sd ? SD_BY_CODE[state.sd] : null;
    if (s && s.bounds) map.fitBounds([[s.bounds[1], s.bounds[0]], [s.bounds[3], s.bounds[2]]], { padding: [24, 24] });
    else if (layers.subdistricts) map.fitBounds(layers.subdistricts.getBounds());
  }

  // ------------------------------------------------------------------ URL state
  function writeHash() {
    var parts = [];
    if (state.sd) parts.push("sd=" + encodeURIComponent(state.sd));
    parts.push("year=" + state.year);
    if (state.status.length !== STATUSES.length) parts.push("status=" + state.status.map(encodeURIComponent).join(","));
    if (state.cat) parts.push("cat=" + state.cat.map(encodeURIComponent).join(","));
    if (state.rule) parts.push("rule=" + encodeURIComponent(state.rule));
    parts.push("metric=" + state.metric);
    var h = "#" + parts.join("&");
    if (location.hash !== h) history.replaceState(null, "", location.pathname + location.search + h);
  }
  function readHash() {
    var st = defaultState();
    var q = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) q[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    if (q.sd && SD_BY_CODE[q.sd]) st.sd = q.sd;
    var y = parseInt(q.year, 10);
    if (!isNaN(y)) st.year = Math.max(CFG.years[0], Math.min(CFG.years[1], y));
    if (q.status !== undefined) st.status = q.status.split(",").filter(function (s) { return STATUSES.indexOf(s) >= 0; });
    if (q.cat) st.cat = q.cat.split(",").filter(function (c) { return CATEGORIES.indexOf(c) >= 0; });
    if (q.rule && RULES[q.rule]) st.rule = q.rule;
    if (["coverage", "non_historic", "projects", "green_area"].indexOf(q.metric) >= 0) st.metric = q.metric;
    return st;
  }
  function syncControls() {
    document.getElementById("gm-sd").value = state.sd || "";
    document.getElementById("gm-year").value = state.year;
    document.getElementById("gm-year-label").textContent = state.year;
    document.querySelectorAll("input[name=gm-status]").forEach(function (c) { c.checked = state.status.indexOf(c.value) >= 0; });
    document.querySelectorAll("input[name=gm-cat]").forEach(function (c) { c.checked = !state.cat || state.cat.indexOf(c.value) >= 0; });
    document.getElementById("gm-rule").value = state.rule || "";
    document.getElementById("gm-metric").value = state.metric;
  }

  // ------------------------------------------------------------------ controls
  function buildControls() {
    var sdSel = document.getElementById("gm-sd");
    sdSel.appendChild(el("option", { value: "" }, "全区 whole district"));
    CFG.subdistricts.forEach(function (s) { sdSel.appendChild(el("option", { value: s.code }, s.name_zh + " " + (s.name_en || ""))); });
    sdSel.addEventListener("change", function () { selectSubdistrict(sdSel.value || null, true); });

    var yr = document.getElementById("gm-year");
    yr.min = CFG.years[0]; yr.max = CFG.years[1];
    yr.addEventListener("input", function () {
      state.year = parseInt(yr.value, 10);
      document.getElementById("gm-year-label").textContent = state.year;
      applyFilters();
    });

    var stBox = document.getElementById("gm-status");
    STATUSES.forEach(function (s) {
      var cb = el("input", { type: "checkbox", name: "gm-status", value: s });
      cb.addEventListener("change", function () {
        state.status = Array.prototype.filter.call(document.querySelectorAll("input[name=gm-status]"), function (c) { return c.checked; }).map(function (c) { return c.value; });
        applyFilters();
      });
      stBox.appendChild(el("label", { class: "gm-check" }, cb, bi(LBL.statuses[s])));
    });

    var catBox = document.getElementById("gm-cat");
    CATEGORIES.forEach(function (c) {
      var cb = el("input", { type: "checkbox", name: "gm-cat", value: c });
      cb.addEventListener("change", function () {
        var on = Array.prototype.filter.call(document.querySelectorAll("input[name=gm-cat]"), function (x) { return x.checked; }).map(function (x) { return x.value; });
        state.cat = on.length === CATEGORIES.length ? null : on;
        applyFilters();
      });
      catBox.appendChild(el("label", { class: "gm-check" }, cb, bi(LBL.categories[c] || [c, ""])));
    });

    var ruleSel = document.getElementById("gm-rule");
    CFG.rules.forEach(function (r) { ruleSel.appendChild(el("option", { value: r.id, title: r.title_en }, r.title_zh)); });
    if (!CFG.rules.length) ruleSel.appendChild(el("option", { value: "" }, "无规则集 no rule sets"));
    ruleSel.addEventListener("change", function () { state.rule = ruleSel.value; applyFilters(); });

    var metric = document.getElementById("gm-metric");
    metric.addEventListener("change", function () { state.metric = metric.value; applyFilters(); });

    var dlFmt = document.getElementById("gm-dl-format");
    if (dlFmt) dlFmt.addEventListener("change", updateDownloads);

    var bm = document.getElementById("gm-basemap");
    Object.keys(CFG.basemaps).forEach(function (k) { bm.appendChild(el("option", { value: k }, bi(CFG.basemaps[k]))); });
    bm.value = CFG.basemap;
    bm.addEventListener("change", function () {
      location.href = location.pathname + "?basemap=" + encodeURIComponent(bm.value) + location.hash;
    });
  }

  // ------------------------------------------------------------------ search (leaflet-search, text-only tips)
  function buildSearch() {
    if (!L.Control.Search) return;
    var records = [];
    var byLabel = {};
    ["subdistricts", "parks", "historic_blocks", "projects"].forEach(function (key) {
      if (!layers[key]) return;
      layers[key].eachLayer(function (l) {
        var p = l.feature.properties;
        var label = p._label || p.name_zh;
        if (!label) return;
        var c = l.getBounds ? l.getBounds().getCenter() : l.getLatLng();
        records.push({ _label: label, loc: [c.lat, c.lng] });
        byLabel[label] = { layer: l, key: key };
      });
    });
    var remote = ["parks", "historic_blocks"].filter(function (k) { return TILED[k]; });
    var ctl = new L.Control.Search({
      sourceData: function (text, callResponse) {
        if (!remote.length) { callResponse(records); return { abort: function () {} }; }
        var out = records.slice();
        var aborted = false;
        Promise.all(remote.map(function (k) {
          return fetch("/tiles/" + k + "/search?q=" + encodeURIComponent(text)).then(function (r) { return r.json(); })
            .then(function (body) {
              (body.results || []).forEach(function (h) {
                out.push({ _label: h.label, loc: h.loc });
                byLabel[h.label] = { tiled: k, key: h.key, bounds: h.bounds };
              });
            }).catch(function () {});
        })).then(function () { if (!aborted) callResponse(out); });
        return { abort: function () { aborted = true; } };
      },
      propertyName: "_label",
      propertyLoc: "loc",
      initial: false,
      marker: false,
      textPlaceholder: "搜索名称 search by name",
      textErr: "未找到 not found",
      textCancel: "取消 cancel",
      position: "topleft",
      buildTip: function (text) { var a = document.createElement("a"); a.textContent = text; return a; },
      moveToLocation: function (latlng, title) {
        var hit = byLabel[title];
        if (!hit) return;
        if (hit.tiled) {
          var b = hit.bounds;
          map.fitBounds([[b[1], b[0]], [b[3], b[2]]], { maxZoom: 17 });
          openTiledPopup(hit.tiled, hit.key, latlng);
          return;
        }
        if (hit.key === "subdistricts") { selectSubdistrict(hit.layer.feature.properties.code, true); return; }
        if (hit.layer.getBounds) map.fitBounds(hit.layer.getBounds(), { maxZoom: 17 });
        else map.setView(latlng, 16);
        if (map.hasLayer(hit.layer)) hit.layer.openPopup();
      },
    });
    map.addControl(ctl);
  }

  // ------------------------------------------------------------------ shared with edit.js
  window.GREENMAP = {
    cfg: CFG,
    map: map,
    layers: layers,
    groups: groups,
    labels: LBL,
    subdistricts: SD_BY_CODE,
    hooks: hooks,
    el: el,
    bi: bi,
    fmtNum: fmtNum,
    fmtArea: fmtArea,
    renderPanel: renderPanel,
    applyFilters: applyFilters,
    upsertProject: upsertProject,
    projectLayers: function () { return projectLayers.slice(); },
    tiled: tiled,
    tiledStats: tiledStats,
  };

  // ------------------------------------------------------------------ start
  function start() {
    setupPanes();
    bindAll();
    collect();
    buildControls();
    buildSearch();
    state = readHash();
    syncControls();
    zoomToSd();
    Object.keys(TILED).forEach(makeTiled); // after the first view is set: no tiles of zoom_start
    applyFilters();
    map.on("overlayadd", refreshLazy);
    window.addEventListener("hashchange", function () {
      var st = readHash();
      var zoom = st.sd !== state.sd;
      state = st;
      syncControls();
      if (zoom) zoomToSd();
      applyFilters();
    });
    document.body.setAttribute("data-ready", "1");
  }
  start();
})();
