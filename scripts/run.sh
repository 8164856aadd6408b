#!/usr/bin/env bash
# `make run`: the most complete thing OpenAMI does today -- decode, decrypt and
# explain every recorded DLMS session and the Austrian smart-meter push.
set -euo pipefail
ami=${1:-build/release/ami}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${AMI_SHARED_DIR:-$root/../shared}
sessions="$shared/vectors/dlms/gurux-sessions"
if [ ! -d "$sessions" ]; then
  echo "run: $sessions not found (shared/ must sit beside the repository)" >&2
  exit 1
fi
"$ami" --version
