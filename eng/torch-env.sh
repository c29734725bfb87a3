#!/usr/bin/env bash
# Runs a command so that TorchSharp's native library loads, also on Debian 12 / Ubuntu 22.04.
#
#   eng/torch-env.sh dotnet test CausalVision.sln
#
# Why: libLibTorchSharp.so from TorchSharp 0.107 (libtorch 2.10) imports
# std::ios_base_library_init@GLIBCXX_3.4.32, which only libstdc++ from GCC 13+ defines.
# Debian 12 (GCC 12) and Ubuntu 22.04 (GCC 11) lack it, and TorchSharp then fails with
# "This application or script uses TorchSharp but doesn't contain a reference to
# libtorch-cpu-linux-x64". Newer libstdc++ also needs glibc >= 2.38, so both are swapped.
#
# How: where the system libstdc++ already has the symbol version, the command runs as is.
# Otherwise Debian 13 ("trixie") libc6, libstdc++6 and libgcc-s1 are fetched once with
# `apt-get download` through a private sources list (nothing on the machine is installed or
# changed), unpacked with dpkg-deb into a cache, and the command runs in a private mount
# namespace (`unshare -m`) where ONE overlay mount puts those libraries over
# /usr/lib/x86_64-linux-gnu. One mount makes the switch atomic: mounting files one by one
# leaves the process with a half-old, half-new C runtime and crashes it.
#
# Environment:
#   CAUSALVISION_COMPAT_CACHE  cache folder (default: ${XDG_CACHE_HOME:-~/.cache}/causalvision/libstdcxx-compat)
#   CAUSALVISION_COMPAT=off    never use the overlay (run the command directly)
#   CAUSALVISION_COMPAT=force  use the overlay even when the system libstdc++ looks new enough
set -euo pipefail

LIBDIR=/usr/lib/x86_64-linux-gnu
NEEDED=GLIBCXX_3.4.32
CACHE=${CAUSALVISION_COMPAT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/causalvision/libstdcxx-compat}
MODE=${CAUSALVISION_COMPAT:-auto}

die() { echo "torch-env: $*" >&2; exit 3; }

[ $# -gt 0 ] || die "usage: eng/torch-env.sh COMMAND [ARGS...]"
[ "$MODE" = off ] && exec "$@"

case "$(uname -s)" in
  Linux) ;;
  *) exec "$@" ;;   # macOS / Windows ship their own libtorch runtime; nothing to fix.
esac

arch=$(uname -m)
if [ "$arch" != x86_64 ]; then
  die "this machine is $arch, but TorchSharp-cpu ships a Linux native library for x86_64 only; run CausalVision on an x86_64 Linux machine (or macOS arm64 / Windows x64)."
fi

system_has_symbol() {
  local f
  for f in "$LIBDIR/libstdc++.so.6" /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [ -e "$f" ] && grep -qa "$NEEDED" "$f" && return 0
  done
  return 1
}

if [ "$MODE" != force ] && system_has_symbol; then
  exec "$@"
fi

[ -d "$LIBDIR" ] || die "the system libstdc++ lacks $NEEDED and $LIBDIR does not exist, so the Debian overlay cannot help here; install GCC 13+'s libstdc++ (libstdc++6 >= 13) and glibc >= 2.38, or use Debian 13 / Ubuntu 24.04."

upper="$CACHE/root/usr/lib/x86_64-linux-gnu"

fetch_libs() {
  command -v apt-get >/dev/null 2>&1 || die "the system libstdc++ lacks $NEEDED (needed by TorchSharp 0.107) and apt-get is not available to fetch a newer one; install libstdc++6 >= 13 and glibc >= 2.38 (e.g. use Debian 13 or Ubuntu 24.04)."
  command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is missing, so the Debian 13 runtime libraries cannot be unpacked; install dpkg or use a distribution with libstdc++6 >= 13."
  local tmp
  tmp=$(mktemp -d "${CACHE%/}.tmp.XXXXXX")
  mkdir -p "$tmp/lists/partial" "$tmp/debs" "$tmp/root"
  echo "deb http://deb.debian.org/debian trixie main" > "$tmp/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
              -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::archives=$tmp/debs"
              -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  echo "torch-env: the system libstdc++ lacks $NEEDED; fetching Debian 13 libc6, libstdc++6, libgcc-s1 once into $CACHE" >&2
  if ! apt-get "${opts[@]}" -qq update >"$tmp/apt.log" 2>&1; then
    rm -rf "$tmp"
    die "could not download the Debian 13 package lists (no network?). Connect this machine to a Debian mirror once, or copy a filled $CACHE from another machine; see README 'Platform requirements'."
  fi
  if ! (cd "$tmp/debs" && apt-get "${opts[@]}" -qq download libc6 libstdc++6 libgcc-s1 >>"$tmp/apt.log" 2>&1); then
    rm -rf "$tmp"
    die "could not download Debian 13 libc6/libstdc++6/libgcc-s1 (no network?). Connect once, or copy a filled $CACHE from another machine."
  fi
  local deb
  for deb in "$tmp"/debs/*.deb; do dpkg-deb -x "$deb" "$tmp/root"; done
  [ -e "$tmp/root/usr/lib/x86_64-linux-gnu/libstdc++.so.6" ] || { rm -rf "$tmp"; die "the downloaded packages did not contain libstdc++.so.6; remove $CACHE and try again."; }
  grep -qa "$NEEDED" "$tmp/root/usr/lib/x86_64-linux-gnu/libstdc++.so.6" || { rm -rf "$tmp"; die "the downloaded libstdc++ lacks $NEEDED too; this script expects Debian 13's."; }
  rm -rf "$tmp/lists" "$tmp/debs"
  mkdir -p "$(dirname "$CACHE")"
  # Atomic publish: concurrent first runs never see a half-filled cache.
  if ! mv -T "$tmp" "$CACHE" 2>/dev/null; then rm -rf "$tmp"; fi
}

if [ ! -e "$upper/libstdc++.so.6" ]; then
  mkdir -p "$(dirname "$CACHE")"
  # One fetch at a time (parallel first runs wait for the first one).
  exec 9>"${CACHE%/}.lock"
  command -v flock >/dev/null 2>&1 && flock 9
  if [ ! -e "$upper/libstdc++.so.6" ]; then
    rm -rf "$CACHE" 2>/dev/null || true
    fetch_libs
  fi
  exec 9>&-
fi

command -v unshare >/dev/null 2>&1 || die "unshare (util-linux) is missing; it is needed to give TorchSharp a newer libstdc++ without changing the system."
if [ "$(id -u)" = 0 ]; then ns=(unshare -m); else ns=(unshare -rm); fi
if ! "${ns[@]}" true 2>/dev/null; then
  die "cannot create a private mount namespace (not root and unprivileged user namespaces are disabled). Run as root, enable user namespaces (sysctl kernel.unprivileged_userns_clone=1), or install libstdc++6 >= 13."
fi

exec "${ns[@]}" bash -c '
  set -e
  mount --make-rprivate /
  if ! mount -t overlay overlay -o "lowerdir=$1:$2" "$2" 2>/dev/null; then
    echo "torch-env: the overlay mount over $2 failed (no overlayfs in this kernel or container?); install libstdc++6 >= 13 instead." >&2
    exit 3
  fi
  shift 2
  exec "$@"' torch-env "$upper" "$LIBDIR" "$@"
