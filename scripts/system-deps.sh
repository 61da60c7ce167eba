#!/usr/bin/env bash
# Installs the Debian packages the test suite needs: Chromium + CJK fonts (browser tests), gdal-bin (ogrinfo,
# OAPIF driver checks), PostgreSQL + PostGIS (the multi-user store's tests start a throwaway server). Idempotent: does nothing when every package is present. Needs root (as on CI).
set -euo pipefail
pkgs=(chromium fonts-noto-cjk gdal-bin postgresql postgresql-15-postgis-3)
# The PDF report (issue 14): WeasyPrint needs Pango/HarfBuzz; its tests use pdftotext, pdffonts, pdftoppm.
pkgs+=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm for the web map's vendored front-end assets (the machine image ships Node.js with npm; Debian's otherwise).
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
