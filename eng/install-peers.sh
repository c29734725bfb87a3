#!/usr/bin/env bash
# Installs the comparison peers from Debian's packages (never at test time): PyTorch eager 1.13
# (python3-torch) and scikit-learn 1.2 (python3-sklearn). They import only under /usr/bin/python3.
set -euo pipefail
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import torch, sklearn, threadpoolctl, numpy' 2>/dev/null; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-peers: apt-get is missing; install PyTorch and scikit-learn for $PY yourself (Debian: python3-torch python3-sklearn)." >&2; exit 3; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-peers: installing python3-torch and python3-sklearn with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-sklearn python3-threadpoolctl >/dev/null
"$PY" -c 'import torch, sklearn' || { echo "install-peers: the peers still do not import under $PY." >&2; exit 3; }
