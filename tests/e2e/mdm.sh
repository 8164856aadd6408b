#!/usr/bin/env bash
# End-to-end tests of `ami mdm` (import, info, vee, bill, export) on a
# fresh SQLite store, against the real binary. Expected values are counted
# from the input files with awk or computed by hand below, never copied
# from our own output.
#
# Data: tests/e2e/data/mdm-small.csv (hand-made, 141 rows):
#   house-1  the local day 2026-01-14 in US Eastern time (EST, UTC-5:
#            05:00Z .. 05:00Z next day), 48 half hours, kWh by the local
#            hour the interval STARTS in: 0.250 off-peak (00-07, 19-24),
#            1.500 on-peak (07-11, 17-19), 0.750 mid-peak (11-17).
#   house-2  2026-01-12 00:30Z .. 2026-01-14 00:00Z, 0.2 + 0.01 * (i mod 48)
#            kWh for the interval ending i half hours after 2026-01-12
#            00:00Z, with the intervals ending 20:00, 20:30 and 21:00 on
#            2026-01-12 left out (a 1.5 h gap).
#
# Bill of house-1 under tariffs/tou_seasonal_us_east.json (a Wednesday in
# January: winter season, weekday schedule, not a holiday):
#   off-peak 24 x 0.250 =  6 kWh x 0.088 USD = 0.528  -> 0.53
#   on-peak  12 x 1.500 = 18 kWh x 0.213 USD = 3.834  -> 3.83
#   mid-peak 12 x 0.750 =  9 kWh x 0.141 USD = 1.269  -> 1.27
#   daily charge 1 day x 0.328767 USD        = 0.3288 -> 0.33
#   subtotal 0.53 + 3.83 + 1.27 + 0.33       = 5.96
#   state sales tax 4 % of 5.96 (energy + fixed) = 0.2384 -> 0.24
#   total                                      = 6.20 USD
# VEE of house-2: the gap (3 intervals, 1.5 h <= the 2 h linear limit) is
# filled by linear interpolation (AEMO method 17) between 0.590 (19:30)
# and 0.630 (21:30): 0.600, 0.610, 0.620.
set -uo pipefail
ami=${1:?path to ami}
here=$(cd "$(dirname "$0")" && pwd)
shared=${AMI_SHARED_DIR:-$here/../../../shared}
small=$here/data/mdm-small.csv
lcl=$here/../data/lcl-sample.csv
tou=$here/../../tariffs/tou_seasonal_us_east.json
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
same() { # name, a, b
  if [ "$2" = "$3" ]; then passes=$((passes + 1)); else
    echo "FAIL: $1: differs:"; diff <(echo "$2") <(echo "$3"); fails=$((fails + 1)); fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/mdm.db

# --- import: the small CSV and the real NEM12 files ------------------------
out=$("$ami" mdm import --db "$db" "$small" 2>&1); expect_status import-csv 0 $?
check import-csv-rows "141 readings: stored 141" "$out"
check import-csv-channels "2 series (2 new channels)" "$out"
nem=()
for f in nem12-au-ausnet-example.csv nem12-au-home-meter01.csv; do
  [ -r "$shared/data/$f" ] && nem+=("$shared/data/$f")
done
if [ ${#nem[@]} -eq 2 ]; then
  out=$("$ami" mdm import --db "$db" --progress "${nem[@]}" 2>&1); expect_status import-nem12 0 $?
  for f in "${nem[@]}"; do
    # readings = 300 records x (1440 / interval minutes of the 200 record)
    want=$(awk -F, '$1==200{per=1440/$9} $1==300{n+=per} END{print n}' "$f")
    check "import-$(basename "$f")" "$f (nem12): 1 series (1 new channels), $want readings" "$out"
  done
  check import-progress "imported " "$out"
  # the ausnet file's 500 records each carry one register read
  check import-registers "$(grep -c '^500' "${nem[0]}") register reads" "$out"
else
  echo "SKIP: NEM12 files not found under $shared/data"
fi
# LCL (London) through stdin: format sniffed from its LCLid header
out=$("$ami" mdm import --db "$db" - <"$lcl" 2>&1); expect_status import-lcl 0 $?
check import-lcl-rows "- (lcl): 3 series (3 new channels), $(($(wc -l <"$lcl") - 1)) readings" "$out"
# a CSV id of digits is the channel number itself
printf 'id,timestamp,kwh\n42,2026-01-01T00:30:00Z,1.5\n' >"$tmp/num.csv"
out=$("$ami" mdm import --db "$db" "$tmp/num.csv" 2>&1); expect_status import-num 0 $?
info1=$("$ami" mdm info --db "$db"); expect_status info 0 $?
check info-num-id "$(printf '%-20s %-20s %-24s' 42 42 42)" "$info1"
check info-lcl "MAC000002" "$info1"
check info-house1 "house-1" "$info1"
check info-house1-span "48 2026-01-14T05:30:00Z 2026-01-15T05:00:00Z" "$(tr -s ' ' <<<"$info1")"

# --- re-import: nothing changes ----------------------------------------------
gzip -c "$small" >"$tmp/small.csv.gz"
out=$("$ami" mdm import --db "$db" "$small" "$tmp/small.csv.gz" "$lcl" "${nem[@]}" 2>&1)
expect_status reimport 0 $?
check reimport-nothing "mdm-small.csv: nothing changed (already imported)" "$out"
check reimport-gz "small.csv.gz: nothing changed (already imported)" "$out"
check reimport-lcl "lcl-sample.csv: nothing changed (already imported)" "$out"
check reimport-unchanged "stored 0, unchanged 141" "$out"
[ ${#nem[@]} -eq 2 ] && check reimport-nem12 "home-meter01.csv: nothing changed" "$out"
same reimport-info "$info1" "$("$ami" mdm info --db "$db")"

# --- a malformed line: exit 1, file:line:column, nothing applied ------------
printf 'id,timestamp,kwh\nhouse-9,2026-01-14T05:30:00Z,0.5\nhouse-9,2026-01-14T06:00:00Z,0.x5\n' >"$tmp/bad.csv"
out=$("$ami" mdm import --db "$db" "$tmp/bad.csv" 2>&1); expect_status malformed 1 $?
# field 3 of line 3 starts at column 30 ("house-9," 8 + the timestamp 20 + ",")
check malformed-where "bad.csv:3:30:" "$out"
check malformed-nothing "nothing of this file imported" "$out"
same malformed-info "$info1" "$("$ami" mdm info --db "$db")"

# --- VEE: the gap of house-2 is estimated and written as a version ----------
out=$("$ami" mdm vee --db "$db" --channel house-2); expect_status vee 0 $?
check vee-gap "gap              3" "$out"
check vee-linear "linear interpolation       (17) 3" "$out"
check vee-written "written: 3 slot(s)" "$out"
out=$("$ami" mdm export --db "$db" --channel house-2 --format csv); expect_status export-csv 0 $?
check vee-est1 "house-2,2026-01-12T20:00:00Z,0.600000,E17" "$out"
check vee-est2 "house-2,2026-01-12T20:30:00Z,0.610000,E17" "$out"
check vee-est3 "house-2,2026-01-12T21:00:00Z,0.620000,E17" "$out"
check vee-actual "house-2,2026-01-12T21:30:00Z,0.630000,A" "$out"
out=$("$ami" mdm vee --db "$db" --channel house-2); expect_status vee-again 0 $?
check vee-idempotent "nothing changed" "$out"
check vee-audit "audit rows: 3" "$("$ami" mdm info --db "$db")"

# --- bill (the hand computation above) ---------------------------------------
id1=$(awk '$3 == "house-1" {print $1}' <<<"$info1")
out=$("$ami" mdm bill --db "$db" --tariff "$tou" --channel "$id1" \
      --from 2026-01-14T05:00 --to 2026-01-15T05:00 --json); expect_status bill-by-number 0 $?
check bill-by-number '"total_minor": 620' "$out"
out=$("$ami" mdm bill --db "$db" --tariff "$tou" --channel house-1 \
      --from 2026-01-14T05:00 --to 2026-01-15T05:00); expect_status bill 0 $?
check bill-on "3.83 USD" "$out"
check bill-mid "1.27 USD" "$out"
check bill-off "0.53 USD" "$out"
check bill-fixed "0.33 USD" "$out"
check bill-tax "0.24 USD" "$out"
check bill-total "$(printf '%-40s %20s %20s %10s USD' TOTAL '' '' 6.20)" "$out"
out=$("$ami" mdm bill --db "$db" --tariff "$tou" --channel house-1 \
      --from 2026-01-14T05:00 --to 2026-01-15T05:00 --json); expect_status bill-json 0 $?
check bill-json-total '"total_minor": 620' "$out"
out=$("$ami" mdm bill --db "$db" --tariff "$tou" --channel house-1 \
      --from 2026-01-14T05:10 --to 2026-01-15T05:00 2>&1); expect_status bill-offgrid 1 $?
check bill-offgrid-msg "interval grid" "$out"

# --- Green Button: every <content> child validates against the ESPI schema --
xsd=$shared/vectors/greenbutton/espi-usage.xsd
"$ami" mdm export --db "$db" --channel house-1 --from 2026-01-14T05:00 \
  --to 2026-01-15T05:00 --format greenbutton --tz new-york --out "$tmp/gb.xml"
expect_status export-gb 0 $?
check gb-reading "<IntervalReading>" "$(cat "$tmp/gb.xml")"
if [ -r "$xsd" ] && command -v xmllint >/dev/null; then
  xmllint --noout "$tmp/gb.xml"; expect_status gb-wellformed 0 $?
  # each <content> child into its own document (one line per document)
  tr -d '\n' <"$tmp/gb.xml" | grep -o '<content>.*</content>' |
    sed 's#</content>#</content>\n#g' | sed -n 's#.*<content>\(.*\)</content>.*#\1#p' >"$tmp/contents"
  k=0
  while IFS= read -r c; do
    printf '<?xml version="1.0" encoding="UTF-8"?>\n%s\n' "$c" >"$tmp/content$k.xml"
    k=$((k + 1))
  done <"$tmp/contents"
  # UsagePoint, LocalTimeParameters, MeterReading, ReadingType, one block
  expect_status gb-contents 5 $k
  xmllint --noout --schema "$xsd" "$tmp"/content*.xml 2>"$tmp/xmllint.log"
  rc=$?; expect_status gb-schema 0 $rc
  [ $rc -eq 0 ] || cat "$tmp/xmllint.log"
else
  echo "SKIP: ESPI schema or xmllint absent (scripts/deps.sh)"
fi

# --- analyze: monthly energy against an independent awk sum ---------------
# The LCL sample's MAC000002, February 2013 (interval starts in February;
# the trial's clock is GMT, so --tz utc puts them in that month).
feb=$(awk -F, '$1=="MAC000002" && $2 ~ /^2013-02/ {s+=$3} END {printf "%.3f", s}' "$lcl")
out=$("$ami" mdm analyze --db "$db" --channel MAC000002 --tz utc 2>&1); expect_status analyze 0 $?
check analyze-feb-energy "2013-02 $(printf '%15s' "$feb")" "$out"
check analyze-scores "anomaly scores (0..1): drop" "$out"
check analyze-backtest "seasonal naive (d-7)" "$out"
check analyze-forecast "forecast for 2013-03-04" "$out"
out=$("$ami" mdm analyze --db "$db" 2>&1); expect_status analyze-needs-channel 2 $?

echo "mdm e2e: $passes passed, $fails failed"
[ $fails -eq 0 ]
