#!/usr/bin/env bash
# Install the Debian packages OpenAMI needs to build, test, fuzz and benchmark.
# Idempotent: packages already present are not touched, and apt-get runs only
# when something is missing. Run as root (CI and developer machines are root);
# otherwise it uses sudo when available.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config
  clang libclang-rt-14-dev          # fuzz preset: libFuzzer + sanitizers
  libssl-dev                        # OpenSSL libcrypto: AES-GCM, key wrap, CSPRNG
  libcmocka-dev                     # unit tests
  libjansson-dev                    # JSON output of `ami decode`
  libuv1-dev                        # arch/posix: event loop, TCP, timers
  libsqlite3-dev sqlite3            # the embedded MDM store
  libxml2-utils                     # xmllint: Green Button export validation
  libmbedtls-dev libgcrypt20-dev    # bench peers: other AES-GCM implementations
  clang-format cppcheck             # lint step of CI
)
# `deps.sh --bench` adds the peers bench/ measures against (not needed to test).
if [ "${1:-}" = "--bench" ]; then
  PKGS+=(clickhouse-server python3-pandas)
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
