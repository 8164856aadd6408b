#!/usr/bin/env bash
# End-to-end tests of `ami fw-keygen`, `ami fw-sign` and `ami fw-verify`
# (signed firmware images for Image Transfer, include/ami/ami_meter_image.h).
# The fixed key is RFC 6979 appendix A.2.5's P-256 pair: signing with its
# private scalar must print its published public key (Ux, Uy).
set -uo pipefail
ami=${1:?path to ami}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
passes=0
check() { # name, expected-substring, output
  if grep -qF -- "$2" <<<"$3"; then passes=$((passes + 1)); else
    echo "FAIL: $1: expected '$2' in:"; head -c 3000 <<<"$3"; echo; fails=$((fails + 1)); fi
}
expect_status() { # name, expected, actual
  if [ "$2" = "$3" ]; then passes=$((passes + 1)); else
    echo "FAIL: $1: exit status $3, expected $2"; fails=$((fails + 1)); fi
}

RFC_X=C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
RFC_PUB=0460FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB67903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299

echo "$RFC_X" >"$tmp/rfc.hex"
head -c 1000 /dev/zero | tr '\0' 'A' >"$tmp/payload"

out=$("$ami" fw-sign --key "$tmp/rfc.hex" --in "$tmp/payload" --out "$tmp/img" \
      --target OPENAMI-METER-1 --id FW-2.0); expect_status sign-hex 0 $?
check sign-prints-rfc-pub "$RFC_PUB" "$out"
size=$(wc -c <"$tmp/img")
expect_status image-size 1112 "$size"   # 48 + 1000 + 64
check image-magic "OAFW" "$(head -c 4 "$tmp/img")"

out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/img"); expect_status verify 0 $?
check verify-valid "valid: id 'FW-2.0', payload 1000 bytes" "$out"
out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/img" --target OPENAMI-METER-1)
expect_status verify-target 0 $?
out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/img" --target OTHER)
expect_status verify-wrong-target 1 $?
check wrong-target "built for another target" "$out"

# One payload byte changed: the signature no longer verifies.
cp "$tmp/img" "$tmp/bad"
printf 'B' | dd of="$tmp/bad" bs=1 seek=500 conv=notrunc status=none
out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/bad"); expect_status tampered 1 $?
check tampered-reason "signature does not verify" "$out"
# Truncated: the header's length no longer matches.
head -c 1100 "$tmp/img" >"$tmp/short"
out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/short"); expect_status truncated 1 $?
check truncated-reason "length does not match" "$out"

# A fresh PEM key: its own public key verifies, the RFC key does not.
pub=$("$ami" fw-keygen --out "$tmp/key.pem"); expect_status keygen 0 $?
check keygen-pem "BEGIN PRIVATE KEY" "$(cat "$tmp/key.pem")"
expect_status keygen-mode 600 "$(stat -c %a "$tmp/key.pem")"
"$ami" fw-keygen --out "$tmp/key.pem" >/dev/null 2>&1; expect_status keygen-no-overwrite 1 $?
out=$("$ami" fw-sign --key "$tmp/key.pem" --in "$tmp/payload" --out "$tmp/img2" \
      --target OPENAMI-METER-1 --id FW-3); expect_status sign-pem 0 $?
check sign-pem-pub "$pub" "$out"
echo "$pub" >"$tmp/pub.hex"
out=$("$ami" fw-verify --pub "$tmp/pub.hex" --in "$tmp/img2"); expect_status verify-pem 0 $?
out=$("$ami" fw-verify --pub "$RFC_PUB" --in "$tmp/img2"); expect_status wrong-key 1 $?

# Bad arguments.
"$ami" fw-sign --key "$tmp/rfc.hex" --in "$tmp/payload" --out "$tmp/x" --target T \
  --id 0123456789abcdefXYZ >/dev/null 2>&1; expect_status long-id 1 $?
"$ami" fw-sign --in "$tmp/payload" >/dev/null 2>&1; expect_status missing-key 2 $?

echo "fw: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
