#!/usr/bin/env bash
# Installs what the tests open Parley's files with, unless it is already there:
# LibreOffice (headless) for the CSV and XLSX files, and poppler's PDF tools
# (pdfinfo, pdftotext, pdftoppm, pdffonts). Needs root (CI runs as root).
set -euo pipefail

if command -v soffice >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "ensure-office-tools: LibreOffice or poppler-utils is missing; install them as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends libreoffice-calc poppler-utils" >&2
  exit 1
fi
echo "ensure-office-tools: installing libreoffice-calc and poppler-utils from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends libreoffice-calc poppler-utils
soffice --version
