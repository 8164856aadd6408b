#!/usr/bin/env bash
# End-to-end tests of `ami decode`, run against the real binary.
# Expected values come from ../shared/vectors/dlms/VECTORS.md (independent
# sources), never from our own output.
set -uo pipefail
ami=${1:?path to ami}
shared=${AMI_SHARED_DIR:-$(dirname "$0")/../../../shared}
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

# VECTORS.md §2: GET-request-normal and GET-response-normal.
out=$("$ami" decode 'C0 01 C1 00 01 00 00 2B 01 00 FF 02 00'); expect_status get-request 0 $?
check get-request-obis "0-0:43.1.0*255" "$out"
check get-request-kind "get-request-normal" "$out"
out=$("$ami" decode C401C1000600001391); expect_status get-response 0 $?
check get-response-value "double-long-unsigned 5009" "$out"

# §2: AARE rejected, application context not supported.
out=$("$ami" decode 6129A109060760857405080101A203020101A305A103020102BE10040E0800065F1F040000501F01F40007)
check aare-rejected "rejected-permanent" "$out"
check aare-diagnostic "application-context-name-not-supported" "$out"

# §3: the SNRM frame, from stdin, as JSON.
out=$(echo 7EA00802232193BD647E | "$ami" decode --json -); expect_status snrm 0 $?
check snrm-json '"control": "SNRM"' "$out"
check snrm-dest '"destination": "1/17"' "$out"

# §1: glo-get-request with SC 0x30 decrypts to the published plaintext.
out=$("$ami" decode --ek 000102030405060708090A0B0C0D0E0F --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF \
      --system-title 4D4D4D0000BC614E C81E30012345674113 12FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B)
expect_status glo-get 0 $?
check glo-get-obis "0-0:1.0.0*255" "$out"
check glo-get-auth "authenticated: true" "$out"
# A wrong AK must fail authentication and exit 1.
out=$("$ami" decode --ek 000102030405060708090A0B0C0D0E0F --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDE \
      --system-title 4D4D4D0000BC614E C81E30012345674113 12FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B)
expect_status glo-get-wrong-ak 1 $?
check glo-get-wrong-ak-msg "authentication tag does not verify" "$out"

# §5: the Austrian Kaifa push: 1-0:1.8.0 = 9108 Wh and 1-0:32.7.0 = 230.8 V.
push=$(sed -n '/^DB084B/,/^```/p' "$shared/vectors/dlms/VECTORS.md" 2>/dev/null | grep -v '```' | tr -d '\n')
if [ -n "$push" ]; then
  out=$("$ami" decode --ek 101112131415161718191A1B1C1D1E1F "$push"); expect_status push 0 $?
  check push-energy-obis "1-0:1.8.0*255" "$out"
  check push-energy "9108 Wh" "$out"
  check push-voltage "230.8 V" "$out"
  check push-kind "data-notification" "$out"
  out=$("$ami" decode "$push"); expect_status push-nokey 0 $?
  check push-nokey "not decrypted: no block cipher key" "$out"
else
  echo "SKIP: VECTORS.md not found under $shared"
fi

# §4: every recorded session decodes and decrypts with the published keys.
for f in "$shared"/vectors/dlms/gurux-sessions/*.txt; do
  [ -f "$f" ] || { echo "SKIP: gurux-sessions not found"; break; }
  out=$("$ami" decode --ek 000102030405060708090A0B0C0D0E0F --ak D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF "$f")
  expect_status "$(basename "$f")" 0 $?
  check "$(basename "$f")-clock" "2026-11-22T" "$out"
  check "$(basename "$f")-view" "Association LN" "$out"
  case "$f" in *hlsgmac*)
    check "$(basename "$f")-hls3" "pass 3: f(StoC) verified" "$out"
    check "$(basename "$f")-hls4" "pass 4: f(CtoS) verified" "$out";;
  esac
done

# Hostile input: garbage, truncation, odd hex -> clear error, no crash.
out=$("$ami" decode 7EA0 2>&1); expect_status truncated-hdlc 1 $?
out=$("$ami" decode 'C4 01 C1 00 06 00 00' 2>&1); expect_status truncated-apdu 1 $?
check truncated-apdu-msg "input ends inside an encoded element" "$out"
out=$("$ami" decode 'XYZ' 2>&1); expect_status bad-hex 2 $?
out=$("$ami" decode --ek 00 C0 2>&1); expect_status bad-key 2 $?

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
