#!/bin/sh
# Installs what the Python training scripts under llm-bundle/training/ need (Debian bookworm packages only).
# Idempotent: packages already installed are skipped; `apt-get update` runs at most once, and only when
# something is missing. Run as root (or with sudo). Training then uses /usr/bin/python3 (Debian's python),
# NOT a pyenv/venv python3 that may come first on PATH.
#
# libopenblas0-pthread matters: without it Debian's python3-torch links the generic reference BLAS and is
# an order of magnitude slower (see shared docs/pitfalls.md, "Training with Debian's python3-torch").
set -eu

PKGS="python3-torch python3-numpy python3-matplotlib libopenblas0-pthread"

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else echo "setup.sh: need root (or sudo)" >&2; exit 1; fi
else
  SUDO=
fi

missing=""
for p in $PKGS; do
  if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    echo "setup.sh: $p already installed"
  else
    missing="$missing $p"
  fi
done

if [ -n "$missing" ]; then
  echo "setup.sh: installing:$missing"
  $SUDO apt-get update
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
fi

# Check that the BLAS alternative points at OpenBLAS, not the reference BLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
echo "setup.sh: libblas.so.3 -> ${blas:-<none>}"
case "$blas" in
  *openblas*) ;;
  *) echo "setup.sh: WARNING: BLAS is not OpenBLAS; training will be very slow" >&2 ;;
esac

/usr/bin/python3 -c "import torch, numpy, matplotlib; print('setup.sh: torch', torch.__version__, 'numpy', numpy.__version__, 'matplotlib', matplotlib.__version__)"
