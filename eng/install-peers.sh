#!/usr/bin/env bash
# Installs the comparison peers from Debian's packages (never at test time): PyTorch eager 1.13
# (python3-torch) and scikit-learn 1.2 (python3-sklearn), with OpenBLAS. They import only under /usr/bin/python3.
# OpenBLAS matters: python3-torch only *recommends* it and Debian's fallback is the reference (netlib) BLAS, which
# made scikit-learn's K-means and PyTorch's Linear/matmul layers ~8x slower - a comparison against that is unfair.
set -euo pipefail
PY=/usr/bin/python3
blas_ok() { "$PY" -c 'from threadpoolctl import threadpool_info as i; import numpy; assert any(x["internal_api"] in ("openblas", "mkl", "blis") for x in i())' 2>/dev/null; }
if [ -x "$PY" ] && "$PY" -c 'import torch, torchvision, PIL, sklearn, threadpoolctl, numpy' 2>/dev/null && blas_ok; then
  exit 0
fi
command -v apt-get >/dev/null 2>&1 || { echo "install-peers: apt-get is missing; install PyTorch, scikit-learn and an optimised BLAS (OpenBLAS) for $PY yourself (Debian: python3-torch python3-sklearn python3-threadpoolctl libopenblas0-pthread)." >&2; exit 3; }
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-peers: installing python3-torch, python3-torchvision, python3-sklearn and OpenBLAS with apt-get" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision python3-pil python3-sklearn python3-threadpoolctl libopenblas0-pthread >/dev/null
"$PY" -c 'import torch, torchvision, sklearn' || { echo "install-peers: the peers still do not import under $PY." >&2; exit 3; }
blas_ok || { echo "install-peers: numpy does not use an optimised BLAS (OpenBLAS/MKL/BLIS); the peers would be measured on the reference BLAS. Check 'update-alternatives --display libblas.so.3-x86_64-linux-gnu'." >&2; exit 3; }
