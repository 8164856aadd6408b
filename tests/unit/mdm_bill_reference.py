# Independent reference for test_mdm_bill.c (test_bill_real_ausgrid_month):
# Independent computation of the January 2012 bill of Ausgrid customer 12
# under tariffs/net_metering_au_nsw.json (interval netting), with Python's
# zoneinfo and decimal -- no OpenAMI code involved.
# Run: AMI_SHARED_DIR=../shared python3 tests/unit/mdm_bill_reference.py
import csv, datetime as dt, os
from decimal import Decimal, ROUND_HALF_EVEN, ROUND_HALF_UP
from zoneinfo import ZoneInfo
SYD = ZoneInfo("Australia/Sydney")
AEST = dt.timezone(dt.timedelta(hours=10))
def mwh(s):  # kWh text -> integer mWh, rounded at 6 decimals (half up)
    return int((Decimal(s) * 1000000).quantize(Decimal(1), ROUND_HALF_UP))
def period(local):
    m = local.hour * 60 + local.minute
    if local.isoweekday() >= 6:
        return "offpeak" if m < 420 or m >= 1320 else "shoulder"
    if m < 420 or m >= 1320: return "offpeak"
    if 840 <= m < 1200: return "peak"
    return "shoulder"
price = {"peak": 512000, "shoulder": 297000, "offpeak": 214000}
billed = {"peak": 0, "shoulder": 0, "offpeak": 0}
credited = imp = exp = n = 0
start = dt.datetime(2012, 1, 1, tzinfo=AEST); end = dt.datetime(2012, 2, 1, tzinfo=AEST)
for row in csv.reader(open(os.path.join(os.environ.get("AMI_SHARED_DIR", "../shared"),
                                       "data/ausgrid-solar-home-customer12-2011-2012.csv"))):
    if row[0] == "": continue
    t = dt.datetime.strptime(row[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=AEST)
    if not (start <= t < end): continue
    n += 1
    gc, gg = mwh(row[1]), mwh(row[2])
    imp += gc; exp += gg
    net = gc - gg
    p = period(t.astimezone(SYD))
    if net > 0: billed[p] += net
    else: credited -= net
def cents(q, pr, div): return int((Decimal(q) * pr / div).quantize(Decimal(1), ROUND_HALF_EVEN))
print("n", n, "import", imp, "export", exp, "billed", billed, "credited", credited)
lines = {p: cents(billed[p], price[p], 10**10) for p in billed}
exp_c = -cents(credited, 50000, 10**10)
# daily charge: cycle 2011-12-31T14:00Z .. 2012-01-31T14:00Z = AEDT 01:00 Jan 1 .. 01:00 Feb 1
md = 30 * 1000 + int((Decimal(23 * 1000) / 24).quantize(Decimal(1), ROUND_HALF_EVEN)) + int((Decimal(1000) / 24).quantize(Decimal(1), ROUND_HALF_EVEN))
fixed = cents(md, 1100000, 10**7)
sub = sum(lines.values()) + exp_c + fixed
gst = cents(sum(lines.values()) + fixed, 100000, 10**6)
print("lines", lines, "export", exp_c, "mdays", md, "fixed", fixed, "subtotal", sub, "gst", gst, "total", sub + gst)
