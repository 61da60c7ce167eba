/* GreenMap Xicheng planners' editing: login/logout in the side panel, and for editors an edit panel
 * per project (四至 text, location and citation beside the drawing; status, years, area, note) with the
 * Leaflet-Geoman toolbar (polygon, line, point; edit, delete), loaded from /static/vendor when an editor
 * opens a project (mouse and touch). Saves go to PATCH /api/edit/projects/<id> with the
 * version (If-Match) and the CSRF header; 409 reloads the current version, 400 names the fields.
 * Every piece of data is put into the page as text nodes (textContent), never parsed as HTML.
 * Uses window.GREENMAP from app.js (map, layers, hooks, upsertProject). */
(function () {
  "use strict";

  var GM = window.GREENMAP;
  if (!GM || !window.L) return;
  var map = GM.map;
  var el = GM.el;
  var LBL = GM.labels;
  var EDIT = GM.cfg.edit || { api: "/api/edit/projects/", auth: "/auth/", year_range: [1949, 2100] };
  var CSRF_HEADER = "X-CSRF-Token";
  // The shapes being edited live in their own pane, above every map layer and below the markers
  // (markerPane, 600), where Geoman puts its vertex handles.
  var EDIT_PANE = "gmEdit";
  if (!map.getPane(EDIT_PANE)) map.createPane(EDIT_PANE).style.zIndex = 590;
  var EDIT_STYLE = { color: "#d81b60", weight: 3, fillColor: "#f48fb1", fillOpacity: 0.35, pane: EDIT_PANE };
  // [field, label, input kind]
  var FIELDS = [
    ["latest_status", "最新状态 latest status", "status"],
    ["latest_status_year", "状态年份 status year", "year"],
    ["start_year", "开工年份 start year", "year"],
    ["planned_end_year", "计划完成年份 planned end year", "year"],
    ["area_m2", "面积 area (m²)", "number"],
    ["note", "备注 note", "text"],
  ];

  var session = { user: null, csrf: null };
  var cur = null; // { id, version, feature }
  var drawn = L.featureGroup(); // the geometry being edited
  var drawControl = false; // the Geoman toolbar is on the map
  var GEOMAN_JS = "/static/vendor/leaflet-geoman/leaflet-geoman.min.js";
  var GEOMAN_CSS = "/static/vendor/leaflet-geoman/leaflet-geoman.css";
  var geomanReady = null;
  var geomDirty = false;
  var closeArmed = false;
  // 从文字定位 (issue 11): the method of a proposal loaded from the location text, saved with it
  var LOCATE_URL = (GM.cfg.edit && GM.cfg.edit.locate) || "/api/locate";
  var proposedMethod = null;

  // ------------------------------------------------------------------ helpers
  function isEditor() { return !!(session.user && session.user.role === "editor"); }
  function byId(id) { return document.getElementById(id); }
  function clear(node) { node.textContent = ""; return node; }

  function api(method, url, body, headers) {
    var h = { Accept: "application/json" };
    if (body !== undefined) h["Content-Type"] = "application/json";
    if (method !== "GET" && session.csrf) h[CSRF_HEADER] = session.csrf;
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    return fetch(url, {
      method: method,
      headers: h,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { message: text.slice(0, 300) }; }
        return { status: r.status, ok: r.ok, body: data || {} };
      });
    }, function (err) {
      return { status: 0, ok: false, body: { message: "网络错误 network error: " + err.message } };
    });
  }

  function say(node, text, kind) {
    if (!node) return;
    clear(node);
    node.className = "gm-msg" + (kind ? " gm-msg-" + kind : "");
    if (text) node.appendChild(document.createTextNode(text));
  }

  // ------------------------------------------------------------------ session, login, logout
  function refreshSession() {
    return api("GET", EDIT.auth + "session").then(function (res) {
      if (res.ok) {
        session.user = res.body.user || null;
        session.csrf = res.body.csrf_token || null;
      }
      renderAuth();
      return res;
    });
  }

  function renderAuth() {
    var box = clear(byId("gm-auth"));
    document.body.setAttribute("data-user", session.user ? session.user.username : "");
    document.body.setAttribute("data-role", session.user ? session.user.role : "");
    if (!session.user) {
      var user = el("input", { id: "gm-login-user", name: "username", autocomplete: "username", required: "required", size: "10" });
      var pass = el("input", { id: "gm-login-pass", name: "password", type: "password", autocomplete: "current-password", required: "required", size: "10" });
      var form = el("form", { id: "gm-login", class: "gm-login" },
        el("span", { class: "gm-k", text: "编辑登录 Editor login" }), " ",
        el("label", null, "用户名 username ", user), " ",
        el("label", null, "密码 password ", pass), " ",
        el("button", { type: "submit", id: "gm-login-btn", text: "登录 Log in" }),
        el("div", { id: "gm-auth-msg", class: "gm-msg", role: "status" }));
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        login(user.value, pass.value);
      });
      box.appendChild(form);
    } else {
      var role = session.user.role === "editor" ? "编辑 editor" : "只读 viewer (read only)";
      var out = el("button", { type: "button", id: "gm-logout", text: "退出 Log out" });
      out.addEventListener("click", logout);
      box.appendChild(el("div", { class: "gm-who" },
        el("span", { class: "gm-k", text: "已登录 Logged in:" }), " ",
        el("b", { id: "gm-user", text: session.user.username }), "（" + role + "） ", out));
      if (isEditor()) box.appendChild(projectPicker());
      box.appendChild(el("div", { id: "gm-auth-msg", class: "gm-msg", role: "status" }));
    }
    GM.hooks.projectActions = isEditor() ? projectActions : null;
    GM.renderPanel();
    if (!isEditor()) closeEditor(true);
  }

  function login(username, password) {
    var msg = byId("gm-auth-msg");
    say(msg, "登录中… logging in…");
    var attempt = function () {
      return api("POST", EDIT.auth + "login", { username: username, password: password });
    };
    var go = session.csrf ? attempt() : refreshSession().then(attempt);
    go.then(function (res) {
      if (res.status === 403) return refreshSession().then(attempt); // stale CSRF token: once more
      return res;
    }).then(function (res) {
      if (res.ok) {
        session.user = res.body.user;
        session.csrf = res.body.csrf_token;
        renderAuth();
        return;
      }
      var text = res.body.message || "登录失败 login failed (" + res.status + ")";
      say(byId("gm-auth-msg"), text, "error");
    });
  }

  function logout() {
    api("POST", EDIT.auth + "logout", {}).then(function (res) {
      if (res.ok) {
        session.user = null;
        session.csrf = res.body.csrf_token || null;
        renderAuth();
      } else {
        refreshSession();
      }
    });
  }

  // ------------------------------------------------------------------ choosing a project
  function projectActions(p) {
    if (!isEditor() || !p || !p.project_id) return null;
    var b = el("button", { type: "button", class: "gm-edit-btn", "data-project-id": p.project_id, text: "编辑 Edit" });
    b.addEventListener("click", function (ev) {
      ev.stopPropagation();
      map.closePopup();
      openEditor(p.project_id);
    });
    return el("div", { class: "gm-actions" }, b);
  }

  function projectPicker() {
    var sel = el("select", { id: "gm-edit-pick" }, el("option", { value: "" }, "选择要编辑的项目 choose a project to edit…"));
    GM.cfg.projects.slice().sort(function (a, b) {
      return String(a.name_zh || "").localeCompare(String(b.name_zh || ""), "zh-CN");
    }).forEach(function (p) {
      sel.appendChild(el("option", { value: p.project_id }, (p.name_zh || "") + "（" + p.project_id + "）"));
    });
    sel.addEventListener("change", function () {
      if (sel.value) openEditor(sel.value);
      sel.value = "";
    });
    return el("label", { class: "gm-pick" }, sel);
  }

  // ------------------------------------------------------------------ the edit panel
  function openEditor(id) {
    if (!isEditor()) return;
    var panel = byId("gm-edit");
    panel.hidden = false;
    say(clear(panel).appendChild(el("div", { id: "gm-edit-msg" })), "载入中… loading…");
    api("GET", EDIT.api + encodeURIComponent(id)).then(function (res) {
      if (!res.ok) {
        say(byId("gm-edit-msg"), res.body.message || "无法载入 cannot load (" + res.status + ")", "error");
        return;
      }
      cur = { id: id, version: res.body.version, feature: res.body };
      renderEditor();
      loadGeometry(res.body, true);
      renderGain(undefined);
      loadHistory();
      panel.scrollIntoView({ block: "start" });
    });
  }

  function citation(p) {
    var files = String(p.source_file || "").split(";").map(function (s) { return s.trim(); });
    var lines = String(p.source_lines || "").split(";").map(function (s) { return s.trim(); });
    var parts = [];
    if (p.source_file && files.length === lines.length) {
      files.forEach(function (f, i) { parts.push(f + (lines[i] ? ":" + lines[i] : "")); });
    } else if (p.source_file || p.source_lines) {
      parts.push((p.source_file || "") + (p.source_lines ? ":" + p.source_lines : ""));
    }
    return parts.join("; ");
  }

  function fieldValue(v) { return v === null || v === undefined ? "" : String(v); }

  function renderEditor() {
    proposedMethod = null; // a fresh editor (open, saved, conflict) holds no proposal
    var f = cur.feature;
    var p = f.properties || {};
    var panel = clear(byId("gm-edit"));
    panel.hidden = false;
    document.body.setAttribute("data-edit-project", cur.id);
    document.body.setAttribute("data-edit-version", String(cur.version));
    panel.appendChild(el("h3", { text: "编辑项目 Edit project" }));
    panel.appendChild(el("div", { class: "gm-edit-title" },
      el("b", { id: "gm-edit-name", text: p.name_zh || cur.id }), " ",
      el("span", { class: "gm-pmeta", text: "（" + cur.id + "） · 版本 version " }),
      el("span", { id: "gm-edit-version", text: String(cur.version) })));
    var q = p.geometry_quality || "none";
    panel.appendChild(el("div", { id: "gm-edit-quality", class: "gm-quality", "data-quality": q },
      "几何 geometry: " + GM.bi(LBL.quality[q] || [q, q])));
    // the published description of the place, beside the drawing
    var place = el("div", { class: "gm-place" });
    place.appendChild(el("div", { class: "gm-k", text: "四至 boundaries (as published)" }));
    place.appendChild(el("div", { id: "gm-edit-sizhi", class: "gm-sizhi", text: p.sizhi_zh || "未公布 not published" }));
    if (p.location_zh && p.location_zh !== p.sizhi_zh) {
      place.appendChild(el("div", { class: "gm-k", text: "位置 location" }));
      place.appendChild(el("div", { id: "gm-edit-location", text: p.location_zh }));
    }
    if (p.subdistricts_zh) place.appendChild(el("div", null, el("span", { class: "gm-k", text: "街道 subdistrict" }), " ", p.subdistricts_zh));
    place.appendChild(el("div", { id: "gm-edit-cite", class: "gm-cite" },
      el("span", { class: "gm-k", text: "来源 source" }), " ", p.source || "—",
      citation(p) ? el("div", { class: "gm-cite-file", text: "出处 file:lines " + citation(p) }) : null));
    panel.appendChild(place);
    if (!f.geometry) {
      var locBtn = el("button", { type: "button", id: "gm-edit-locate", text: "从文字定位 propose from text" });
      locBtn.addEventListener("click", proposeFromText);
      panel.appendChild(el("div", { class: "gm-locate" }, locBtn,
        el("div", { id: "gm-edit-locate-msg", class: "gm-note", role: "status" })));
    }

    panel.appendChild(el("div", { class: "gm-note", text: "用地图左上角的绘图工具画出或修改多边形、线或点；保存后几何质量为“用户 user”。" +
      " Draw or modify a polygon, line or point with the drawing toolbar on the map; saved geometry is marked “user”." }));
    panel.appendChild(el("div", { id: "gm-edit-geom", class: "gm-note" }));

    var form = el("form", { id: "gm-edit-form", class: "gm-edit-form", novalidate: "novalidate" });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); save(); });
    FIELDS.forEach(function (fd) {
      var name = fd[0], kind = fd[2], input;
      var v = fieldValue(p[name]);
      if (kind === "status") {
        input = el("select", null, el("option", { value: "" }, "未填 not set"));
        Object.keys(LBL.statuses).forEach(function (s) { input.appendChild(el("option", { value: s }, GM.bi(LBL.statuses[s]))); });
      } else if (kind === "text") {
        input = el("textarea", { rows: "2", maxlength: "4000" });
      } else {
        input = el("input", { type: "number", step: kind === "year" ? "1" : "any", inputmode: "decimal" });
        if (kind === "year") { input.setAttribute("min", EDIT.year_range[0]); input.setAttribute("max", EDIT.year_range[1]); }
        else input.setAttribute("min", "0");
      }
      input.id = "gm-f-" + name;
      input.name = name;
      input.value = v;
      input.setAttribute("data-original", v);
      form.appendChild(el("label", { class: "gm-field" }, el("span", { class: "gm-k", text: fd[1] }), input));
    });
    var saveBtn = el("button", { type: "submit", id: "gm-edit-save", text: "保存 Save" });
    var closeBtn = el("button", { type: "button", id: "gm-edit-close", text: "关闭 Close" });
    closeBtn.addEventListener("click", function () { closeEditor(false); });
    form.appendChild(el("div", { class: "gm-buttons" }, saveBtn, " ", closeBtn));
    panel.appendChild(form);
    panel.appendChild(el("div", { id: "gm-edit-msg", class: "gm-msg", role: "status" }));
    panel.appendChild(el("section", { id: "gm-edit-gain", class: "gm-gain" }));
    panel.appendChild(el("section", { id: "gm-edit-history", class: "gm-history" }));
    closeArmed = false;
    ensureDrawControl();
  }

  /* Resolve the project's 四至 / location text into a proposal (webmap.locate_api) and load it into the
   * editor; nothing is saved until the planner checks, adjusts and saves it. */
  function proposeFromText() {
    if (!cur) return;
    var id = cur.id;
    var msg = byId("gm-edit-locate-msg");
    say(msg, "定位中… resolving…");
    api("GET", LOCATE_URL + "?project_id=" + encodeURIComponent(id)).then(function (res) {
      if (!cur || cur.id !== id) return;
      if (!res.ok) { say(msg, res.body.message || "无法定位 cannot resolve (" + res.status + ")", "error"); return; }
      var whole = res.body.features && res.body.features[0];
      if (!res.body.placed || !whole) {
        say(msg, "未能定位 not placed: " + ((whole && whole.properties.location_reason) || ""), "error");
        return;
      }
      loadGeometry({ geometry: whole.geometry, properties: cur.feature.properties }, true);
      proposedMethod = res.body.save_properties ? res.body.save_properties.geometry_method : null;
      setDirty();
      say(msg, "建议几何已载入：请核对、调整后保存 proposal loaded: check, adjust, then save. " + (whole.properties.explain || ""));
      document.body.setAttribute("data-edit-proposed", proposedMethod || "");
    });
  }

  function closeEditor(force) {
    if (!force && geomDirty && !closeArmed) {
      closeArmed = true;
      say(byId("gm-edit-msg"), "几何有未保存的修改；再点“关闭”放弃 unsaved geometry changes: click Close again to discard", "error");
      return;
    }
    cur = null;
    geomDirty = false;
    closeArmed = false;
    proposedMethod = null;
    stopDrawModes();
    drawn.clearLayers();
    if (map.hasLayer(drawn)) map.removeLayer(drawn);
    if (drawControl && map.pm) { map.pm.removeControls(); drawControl = false; }
    var panel = byId("gm-edit");
    if (panel) { clear(panel); panel.hidden = true; }
    document.body.removeAttribute("data-edit-project");
    document.body.removeAttribute("data-edit-version");
  }

  // ------------------------------------------------------------------ drawing (Leaflet-Geoman)
  /* Geoman is loaded on first use (editors only), so readers do not download it. It is opted in per
   * layer: only the shapes of the project being edited (pmIgnore: false) can be edited, never the
   * other map layers. */
  function loadGeoman() {
    if (geomanReady) return geomanReady;
    geomanReady = new Promise(function (resolve, reject) {
      if (L.PM) { resolve(); return; }
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = GEOMAN_CSS;
      document.head.appendChild(css);
      var js = document.createElement("script");
      js.src = GEOMAN_JS;
      js.onload = function () { resolve(); };
      js.onerror = function () { geomanReady = null; reject(new Error("绘图工具未能载入 drawing tool not loaded")); };
      document.head.appendChild(js);
    }).then(function () {
      L.PM.setOptIn(true);
      if (!map.pm) { map.pm = new L.PM.Map(map); }
      map.pm.setLang("greenmap", {
        tooltips: {
          placeMarker: "点击地图放置点 Click the map to place the point",
          placeMarkerTouch: "轻触地图放置点 Tap the map to place the point",
          firstVertex: "点击开始画 Click to place the first vertex",
          continueLine: "点击继续 Click to continue drawing",
          finishLine: "点击任一已有点结束 Click any existing vertex to finish",
          finishPoly: "点击第一个点闭合 Click the first vertex to finish",
        },
        actions: { finish: "完成 Finish", cancel: "取消 Cancel", removeLastVertex: "撤销 Undo" },
        buttonTitles: {
          drawMarkerButton: "放置点 Place a point",
          drawPolyButton: "画多边形 Draw a polygon",
          drawLineButton: "画线 Draw a line",
          editButton: "修改图形 Edit shapes",
          deleteButton: "删除图形 Delete shapes",
        },
      }, "en");
      map.pm.setGlobalOptions({ layerGroup: drawn, pathOptions: EDIT_STYLE, snappable: true, allowSelfIntersection: false });
    });
    return geomanReady;
  }

  function ensureDrawControl() {
    if (!map.hasLayer(drawn)) drawn.addTo(map);
    return loadGeoman().then(function () {
      if (drawControl || !cur) return;
      map.pm.addControls({
        position: "topright", // its action buttons open leftwards, over the map's edge, not the centre
        drawMarker: true,
        drawPolygon: true,
        drawPolyline: true,
        drawRectangle: false,
        drawCircle: false,
        drawCircleMarker: false,
        drawText: false,
        editMode: true,
        dragMode: false,
        cutPolygon: false,
        removalMode: true,
        rotateMode: false,
      });
      drawControl = true;
      drawn.eachLayer(function (l) { if (!l.pm) { l.options.pmIgnore = false; L.PM.reInitLayer(l); } });
      document.body.setAttribute("data-draw-tool", "geoman");
    }, function (err) {
      say(byId("gm-edit-msg"), err.message, "error");
    });
  }

  function stopDrawModes() {
    if (!map.pm) return;
    map.pm.disableDraw();
    if (map.pm.globalEditModeEnabled()) map.pm.disableGlobalEditMode(); // vertex edits are kept
    if (map.pm.globalRemovalModeEnabled()) map.pm.disableGlobalRemovalMode();
  }

  /* Make a shape of the edited project editable by Geoman (opt-in) and watch its edits. */
  function editable(layer) {
    layer.options.pmIgnore = false;
    if (L.PM) L.PM.reInitLayer(layer);
    layer.on("pm:edit pm:update pm:markerdragend pm:vertexremoved pm:vertexadded", setDirty);
    return layer;
  }

  function styled(layer) {
    if (layer.setStyle) layer.setStyle(EDIT_STYLE);
    return layer;
  }

  function loadGeometry(feature, zoom) {
    drawn.clearLayers();
    geomDirty = false;
    var g = feature.geometry;
    var parts = [];
    if (g) {
      var c = g.coordinates;
      var o = { pane: EDIT_PANE, pmIgnore: false };
      if (g.type === "Point") parts.push(L.marker(L.GeoJSON.coordsToLatLng(c), { pmIgnore: false }));
      else if (g.type === "LineString") parts.push(L.polyline(L.GeoJSON.coordsToLatLngs(c, 0), o));
      else if (g.type === "MultiLineString") c.forEach(function (x) { parts.push(L.polyline(L.GeoJSON.coordsToLatLngs(x, 0), o)); });
      else if (g.type === "Polygon") parts.push(L.polygon(L.GeoJSON.coordsToLatLngs(c, 1), o));
      else if (g.type === "MultiPolygon") c.forEach(function (x) { parts.push(L.polygon(L.GeoJSON.coordsToLatLngs(x, 1), o)); });
      else if (g.type === "MultiPoint") c.forEach(function (x) { parts.push(L.marker(L.GeoJSON.coordsToLatLng(x), { pmIgnore: false })); });
    }
    parts.forEach(function (l) { drawn.addLayer(editable(styled(l))); });
    showGeomState();
    if (!zoom) return;
    if (parts.length) {
      map.fitBounds(drawn.getBounds(), { maxZoom: 17, padding: [40, 40] });
    } else {
      var code = String((feature.properties || {}).subdistrict_codes || "").split(";")[0];
      var s = GM.subdistricts[code];
      if (s && s.bounds) map.fitBounds([[s.bounds[1], s.bounds[0]], [s.bounds[3], s.bounds[2]]], { padding: [24, 24] });
    }
  }

  function showGeomState() {
    var n = byId("gm-edit-geom");
    if (!n) return;
    var count = drawn.getLayers().length;
    var text = count ? "图上几何 geometry on the map: " + count + " 个图形 shape(s)" : "无几何 no geometry yet";
    if (geomDirty) text += " — 已修改，未保存 changed, not saved";
    n.textContent = text;
    document.body.setAttribute("data-edit-dirty", geomDirty ? "1" : "0");
  }

  function setDirty() {
    if (!cur) return;
    geomDirty = true;
    closeArmed = false;
    showGeomState();
  }

  map.on("pm:create", function (e) {
    if (!cur) { drawn.removeLayer(e.layer); return; }
    if (!drawn.hasLayer(e.layer)) drawn.addLayer(e.layer);
    editable(styled(e.layer));
    setDirty();
  });
  /* While a Geoman mode is on, the map layers below let clicks and taps through to the map (a vertex
   * placed on a 街道 must not select the 街道 or open a popup). */
  function pmActive() {
    var on = !!(map.pm && (map.pm.globalDrawModeEnabled() || map.pm.globalEditModeEnabled() || map.pm.globalRemovalModeEnabled()));
    map.getContainer().classList.toggle("gm-pm-active", on);
    document.body.setAttribute("data-draw-mode", on ? "1" : "0");
  }
  map.on("pm:drawstart pm:drawend pm:globaleditmodetoggled pm:globalremovalmodetoggled pm:globaldrawmodetoggled", function () {
    setTimeout(pmActive, 0);
  });
  map.on("pm:remove", function (e) {
    if (drawn.hasLayer(e.layer)) drawn.removeLayer(e.layer);
    setDirty();
  });
  map.on("greenmap:raised", function () {
    drawn.eachLayer(function (l) { if (l.bringToFront) l.bringToFront(); });
  });

  /* The drawn shapes as one GeoJSON geometry (the store takes one geometry per project). */
  function drawnGeometry() {
    var polys = [], lines = [], points = [];
    drawn.eachLayer(function (l) {
      var g = l.toGeoJSON(8).geometry;
      if (g.type === "Polygon") polys.push(g.coordinates);
      else if (g.type === "MultiPolygon") polys = polys.concat(g.coordinates);
      else if (g.type === "LineString") lines.push(g.coordinates);
      else if (g.type === "MultiLineString") lines = lines.concat(g.coordinates);
      else if (g.type === "Point") points.push(g.coordinates);
    });
    var kinds = (polys.length ? 1 : 0) + (lines.length ? 1 : 0) + (points.length ? 1 : 0);
    if (!kinds) return { geometry: null };
    if (kinds > 1) return { error: "一个项目只能有一种几何：面、线或点 one kind of geometry per project: polygons, lines or one point" };
    if (points.length > 1) return { error: "只能有一个点 only one point per project" };
    if (points.length) return { geometry: { type: "Point", coordinates: points[0] } };
    if (lines.length) {
      return { geometry: lines.length === 1 ? { type: "LineString", coordinates: lines[0] } : { type: "MultiLineString", coordinates: lines } };
    }
    return { geometry: polys.length === 1 ? { type: "Polygon", coordinates: polys[0] } : { type: "MultiPolygon", coordinates: polys } };
  }

  // ------------------------------------------------------------------ saving
  function collectChanges() {
    var changes = {}, problems = [];
    FIELDS.forEach(function (fd) {
      var name = fd[0], kind = fd[2];
      var input = byId("gm-f-" + name);
      if (!input) return;
      input.classList.remove("gm-invalid");
      input.removeAttribute("aria-invalid");
      if (input.validity && input.validity.badInput) {
        problems.push({ field: name, message: "不是数字 not a number" });
        return;
      }
      var raw = input.value.trim();
      if (raw === input.getAttribute("data-original")) return;
      if (raw === "") changes[name] = null;
      else if (kind === "year" || kind === "number") changes[name] = Number(raw);
      else changes[name] = raw;
    });
    return { changes: changes, problems: problems };
  }

  function showProblems(message, problems) {
    var box = byId("gm-edit-msg");
    say(box, message, "error");
    var ul = el("ul", { class: "gm-problems" });
    (problems || []).forEach(function (p) {
      ul.appendChild(el("li", { "data-field": p.field || "" }, el("b", { text: p.field || "—" }), "：" + (p.message || "")));
      var input = p.field ? byId("gm-f-" + p.field) : null;
      if (input) { input.classList.add("gm-invalid"); input.setAttribute("aria-invalid", "true"); }
    });
    if (ul.childNodes.length) box.appendChild(ul);
  }

  function save() {
    if (!cur || !isEditor()) return;
    stopDrawModes();
    var c = collectChanges();
    if (c.problems.length) { showProblems("请检查字段 please check the fields", c.problems); return; }
    var body = { version: cur.version };
    if (Object.keys(c.changes).length) body.properties = c.changes;
    if (geomDirty) {
      var g = drawnGeometry();
      if (g.error) { showProblems(g.error, [{ field: "geometry", message: g.error }]); return; }
      body.geometry = g.geometry;
      if (proposedMethod) {
        // a proposal from text, confirmed by this planner: the history records the method and who saved it
        body.properties = body.properties || {};
        body.properties.geometry_method = proposedMethod;
      }
    }
    if (!body.properties && !("geometry" in body)) { say(byId("gm-edit-msg"), "没有修改 nothing changed"); return; }
    var id = cur.id;
    var btn = byId("gm-edit-save");
    if (btn) btn.disabled = true;
    say(byId("gm-edit-msg"), "保存中，重算覆盖增益… saving and recomputing the coverage gain…");
    api("PATCH", EDIT.api + encodeURIComponent(id), body, { "If-Match": '"' + cur.version + '"' }).then(function (res) {
      if (btn) btn.disabled = false;
      if (!cur || cur.id !== id) return;
      if (res.ok) return saved(res.body);
      var b = res.body;
      if (res.status === 409 && b.feature) {
        cur = { id: id, version: b.current_version || b.feature.version, feature: b.feature };
        renderEditor();
        loadGeometry(b.feature, false);
        renderGain(undefined);
        loadHistory();
        say(byId("gm-edit-msg"), (b.message || "版本冲突 conflict") +
          " — 已载入当前版本 " + cur.version + " loaded the current version; 请重新修改 please edit again", "error");
        document.body.setAttribute("data-edit-conflict", String(cur.version));
        return;
      }
      if (res.status === 400) { showProblems(b.message || "输入有误 invalid input", b.problems); return; }
      if (res.status === 401) {
        say(byId("gm-edit-msg"), b.message || "请先登录 login required", "error");
        refreshSession();
        return;
      }
      if (res.status === 403 && b.error === "csrf") {
        refreshSession().then(function () { say(byId("gm-edit-msg"), "会话已更新，请再保存一次 session refreshed: please save again", "error"); });
        return;
      }
      say(byId("gm-edit-msg"), (b.message || "保存失败 save failed") + " (" + res.status + ")", "error");
    });
  }

  function saved(b) {
    proposedMethod = null;
    cur = { id: b.project_id, version: b.version, feature: b.feature };
    renderEditor();
    loadGeometry(b.feature, false);
    var msgs = (b.messages || []).join("; ");
    say(byId("gm-edit-msg"), "已保存 saved: 版本 version " + b.version + (msgs ? " — " + msgs : ""), "ok");
    renderGain(b.coverage_gain);
    GM.upsertProject(b.feature);
    drawn.eachLayer(function (l) { if (l.bringToFront) l.bringToFront(); }); // the edit outline on top
    loadHistory();
    document.body.setAttribute("data-edit-saved", String(b.version));
  }

  // ------------------------------------------------------------------ coverage gain and history
  function renderGain(gain) {
    var box = byId("gm-edit-gain");
    if (!box) return;
    clear(box);
    box.appendChild(el("h4", { text: "覆盖增益 coverage gain（本工具计算 computed）" }));
    var state = "none";
    if (gain === undefined) {
      box.appendChild(el("div", { class: "gm-note", text: "保存后按当前项目重新计算 recomputed from the stored projects after saving" }));
      state = "pending";
    } else if (gain === null) {
      box.appendChild(el("div", { class: "gm-note", text: "不适用：无几何或不是绿地项目 not applicable: no geometry or not a green-space project" }));
    } else if (gain.error) {
      box.appendChild(el("div", { class: "gm-msg-error", text: "未能计算 not computed: " + gain.error }));
      state = "error";
    } else {
      var rows = gain.rows || [];
      var d = rows.filter(function (r) { return r.scope === "district"; })[0];
      if (d && d.gain_m2 !== null && d.gain_m2 !== undefined) {
        state = "value";
        box.appendChild(el("div", { class: "gm-gain-main" },
          el("span", { class: "gm-k", text: "全区 district" }), " Δ ",
          el("span", { id: "gm-gain-m2", "data-value": String(d.gain_m2), text: GM.fmtNum(d.gain_m2) }), " m²，Δ ",
          el("span", { id: "gm-gain-pp", "data-value": String(d.gain_pp), text: GM.fmtNum(d.gain_pp, 2) }), " 个百分点 pp"));
      } else {
        box.appendChild(el("div", { class: "gm-note", text: "无增益 no gain" + (d && d.reason ? "：" + d.reason : "") }));
      }
      if (d && d.reason && state === "value") box.appendChild(el("div", { class: "gm-note", text: "说明 note: " + d.reason }));
      box.appendChild(el("div", { class: "gm-note", text: "规则 rule " + gain.rule_id + " · 年份 year " + gain.year +
        (gain.include_planned ? " · 含计划项目 planned projects included" : "") + (d && d.variant ? " · 口径 " + d.variant : "") }));
      var sub = rows.filter(function (r) { return r.scope === "subdistrict"; });
      if (sub.length) {
        var tbl = el("table", { class: "gm-table" },
          el("tr", null, el("th", { text: "街道 subdistrict" }), el("th", { text: "Δ m²" }), el("th", { text: "Δ 百分点 pp" })));
        sub.forEach(function (r) {
          var s = GM.subdistricts[r.unit_code];
          tbl.appendChild(el("tr", null, el("td", { text: s ? s.name_zh : r.unit_code }),
            el("td", { text: GM.fmtNum(r.gain_m2) }), el("td", { text: GM.fmtNum(r.gain_pp, 2) })));
        });
        box.appendChild(tbl);
      }
    }
    box.setAttribute("data-state", state);
  }

  function loadHistory() {
    if (!cur) return;
    var id = cur.id;
    api("GET", EDIT.api + encodeURIComponent(id) + "/history").then(function (res) {
      var box = byId("gm-edit-history");
      if (!box || !cur || cur.id !== id || !res.ok) return;
      clear(box);
      box.appendChild(el("h4", { text: "修改记录 history" }));
      var ul = el("ul", { class: "gm-history-list" });
      (res.body.history || []).slice().reverse().slice(0, 8).forEach(function (h) {
        ul.appendChild(el("li", { "data-version": String(h.version) },
          "v" + h.version + " · " + String(h.at || "").replace("T", " ").slice(0, 19) + " · ",
          el("b", { class: "gm-history-user", text: h.user }),
          " · " + h.action + ((h.fields || []).length ? "：" + h.fields.join(", ") : "")));
      });
      box.appendChild(ul);
    });
  }

  // ------------------------------------------------------------------ start
  refreshSession().then(function () { document.body.setAttribute("data-auth-ready", "1"); });
})();
