#!/usr/bin/env bash
# Enforce the one-way dependency rule of docs/ARCHITECTURE.md and the
# sans-I/O rule for lib/: no stdio, sockets, clocks, OpenSSL or direct malloc.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail=0

layer_of_header() {
  case "$1" in
    # plugin headers first: ami_mdm_tariff_json.h would match ami_mdm*.h
    ami_crypto_openssl.h|ami_store_sqlite.h|ami_mdm_tariff_json.h) echo plugin ;;
    ami_err.h|ami_alloc.h|ami_buf.h|ami_hex.h|ami_crc.h|ami_caltime.h) echo core ;;
    ami_crypto.h) echo iface ;;
    ami_acse.h|ami_apdu.h|ami_sec.h|ami_link.h|ami_server_app.h|ami_server.h|ami_client.h|ami_hdlc_link.h|ami_wrapper_link.h) echo dlms ;;
    ami_cosem*.h) case "$1" in ami_cosem_time.h) echo codec ;; *) echo cosem ;; esac ;;
    ami_metro*.h) echo metrology ;;
    ami_sim*.h) echo sim ;;
    ami_meter*.h) echo meter ;;
    ami_mdm*.h) echo mdm ;;
    *) echo codec ;;
  esac
}

check_dir() { # dir allowed-layers...
  local dir=$1; shift
  local allowed=" $* "
  for f in $(find "$dir" -name '*.[ch]' 2>/dev/null); do
    while IFS= read -r h; do
      l=$(layer_of_header "$h")
      if [[ "$allowed" != *" $l "* ]]; then
        echo "layers: $f includes ami/$h ($l layer), not allowed in $dir"; fail=1
      fi
    done < <(grep -oE '#include "ami/[a-z_0-9]+\.h"' "$f" | sed -E 's|.*ami/||; s|"||')
  done
}

check_dir lib/core core
check_dir lib/codec core codec
check_dir lib/dlms core codec dlms iface
check_dir lib/cosem core codec dlms cosem
check_dir lib/metrology core metrology
check_dir lib/sim core metrology sim
check_dir lib/meter core codec dlms iface cosem metrology meter
check_dir lib/mdm core codec mdm

# Public headers follow the same rule as their layer.
for h in include/ami/*.h; do
  hl=$(layer_of_header "$(basename "$h")")
  case $hl in
    core) allowed="core" ;; codec) allowed="core codec" ;;
    dlms|iface) allowed="core codec dlms iface" ;; cosem) allowed="core codec dlms iface cosem" ;;
    metrology) allowed="core metrology" ;; sim) allowed="core metrology sim" ;;
    meter) allowed="core codec dlms iface cosem metrology meter" ;; mdm) allowed="core codec mdm" ;;
    *) allowed="core codec dlms iface cosem metrology sim meter mdm plugin" ;;
  esac
  while IFS= read -r inc; do
    l=$(layer_of_header "$inc")
    if [[ " $allowed " != *" $l "* ]]; then
      echo "layers: $h ($hl) includes ami/$inc ($l)"; fail=1
    fi
  done < <(grep -oE '#include "ami/[a-z_0-9]+\.h"' "$h" | sed -E 's|.*ami/||; s|"||')
done

# Sans-I/O: lib/ touches no I/O, clock or libc allocator (ami_alloc.c excepted).
bad=$(grep -nE '#include <(stdio|time|unistd|fcntl|pthread)\.h>|#include <(sys|netinet|arpa|openssl)/' \
      -r lib include --include='*.[ch]' | grep -v 'include/ami/ami_crypto_openssl.h' || true)
if [ -n "$bad" ]; then echo "layers: I/O headers in the sans-I/O core:"; echo "$bad"; fail=1; fi
bad=$(grep -nE '\b(malloc|calloc|realloc|free)\s*\(' -r lib --include='*.c' \
      | grep -v '^lib/core/ami_alloc.c' | grep -vE -e '->(malloc|realloc|free)\(' -e 'ami_(malloc|realloc|free)\(' || true)
if [ -n "$bad" ]; then echo "layers: direct libc allocation in lib/:"; echo "$bad"; fail=1; fi

if [ $fail -eq 0 ]; then echo "layers: ok"; fi
exit $fail
