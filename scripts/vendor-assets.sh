#!/usr/bin/env bash
# Copies the web map's front-end assets (Leaflet and its plugins) from the npm registry's packages, pinned by
# package.json + package-lock.json, into webmap/static/vendor/ (gitignored), where Flask serves them. The map never
# loads a script, stylesheet or image from a CDN. Idempotent; `make node-deps` runs it when the lock file changes.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "vendor-assets: npm not found (apt-get install -y nodejs npm)" >&2; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
nm=node_modules
out=webmap/static/vendor
tmp="$(mktemp -d "${out%/*}/.vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
copy() { # copy SRC (relative to node_modules) to DEST (relative to vendor/)
  mkdir -p "$tmp/$(dirname "$2")"
  cp -R "$nm/$1" "$tmp/$2"
}
copy leaflet/dist/leaflet.js leaflet/leaflet.js
copy leaflet/dist/leaflet.css leaflet/leaflet.css
copy leaflet/dist/images leaflet/images
copy leaflet/LICENSE leaflet/LICENSE
copy leaflet.fullscreen/Control.FullScreen.js leaflet.fullscreen/Control.FullScreen.js
copy leaflet.fullscreen/Control.FullScreen.css leaflet.fullscreen/Control.FullScreen.css
copy leaflet.fullscreen/icon-fullscreen.svg leaflet.fullscreen/icon-fullscreen.svg
copy leaflet.fullscreen/LICENSE leaflet.fullscreen/LICENSE
copy leaflet-measure/dist/leaflet-measure.min.js leaflet-measure/leaflet-measure.min.js
copy leaflet-measure/dist/leaflet-measure.css leaflet-measure/leaflet-measure.css
copy leaflet-measure/dist/images leaflet-measure/images
copy leaflet-measure/LICENSE leaflet-measure/LICENSE
copy leaflet-search/dist/leaflet-search.min.js leaflet-search/dist/leaflet-search.min.js
copy leaflet-search/dist/leaflet-search.min.css leaflet-search/dist/leaflet-search.min.css
copy leaflet-search/images leaflet-search/images
copy leaflet-search/license.txt leaflet-search/license.txt
copy leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js
copy leaflet.vectorgrid/package.json leaflet.vectorgrid/package.json # Beerware (the package ships no LICENSE file)
copy @geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js leaflet-geoman/leaflet-geoman.min.js
copy @geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css leaflet-geoman/leaflet-geoman.css
copy @geoman-io/leaflet-geoman-free/LICENSE leaflet-geoman/LICENSE
# Record what was copied (package@version), then swap the directory in place.
node -e 'const l=require("./package-lock.json").packages;for(const k of Object.keys(require("./package.json").dependencies))console.log(k+"@"+l["node_modules/"+k].version)' >"$tmp/VERSIONS"
rm -rf "$out"
chmod 755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
touch "$out/.stamp"
echo "vendor-assets: $(tr '\n' ' ' <"$out/VERSIONS")-> $out"
