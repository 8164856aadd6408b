/*
 * test_mdm_greenbutton.c -- the Green Button (NAESB ESPI) export.
 *
 * The feed is checked three ways: exact fragments computed by hand here;
 * the LocalTimeParameters of US Eastern time against the ESPI sample in
 * shared/vectors/greenbutton/espi-sample-usage.xml (an independent vector:
 * dstStartRule 360E2000, dstEndRule B40E2000, tzOffset -18000); and
 * xmllint: the whole feed must be well-formed, and every <content> child,
 * cut out into its own document, must validate against espi-usage.xsd.
 * The xmllint part skips with a message when shared/ or xmllint is absent.
 */
#include "ami_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ami/ami_buf.h"
#include "ami/ami_mdm_greenbutton.h"

/* 2026-03-07 00:00 EST = 05:00Z; the next local day (March 8) has 23 hours
 * (US DST starts at 02:00), then 2 hours of March 9. */
#define T0 1772859600LL
#define N  (96 + 92 + 8)

static ami_mdm_interval vals[N];
static const ami_mdm_channel_info chan = {
    7, 5446, AMI_MDM_DELTA, AMI_MDM_IMPORT, AMI_MDM_UNIT_WH, 900, 1000, false};
static const ami_mdm_tz us_east = {
    .kind = AMI_MDM_TZ_US, .std_offset_s = -18000, .dst_save_s = 3600};

static ami_mdm_gb_export make_export(void) {
  for (size_t i = 0; i < N; i++) {
    vals[i].value = (int64_t)i * 10 + 5;
    vals[i].quality = AMI_MDM_Q_ACTUAL;
    vals[i].method = 0;
    vals[i].flags = 0;
  }
  vals[0].quality = AMI_MDM_Q_ESTIMATED;
  vals[1].quality = AMI_MDM_Q_EDITED;
  vals[2].quality = AMI_MDM_Q_MISSING;
  vals[3].quality = AMI_MDM_Q_VALIDATION_FAILED;
  ami_mdm_gb_export x;
  memset(&x, 0, sizeof x);
  x.customer_id = 9001;
  x.feed_title = "Bills & <Usage> \"2026\" 'x'";
  x.usage_point_title = "Z\xc3\xa4hler S\xc3\xbc"
                        "d"; /* "Zähler Süd" in UTF-8 */
  x.reading_title = "Fifteen minute electricity consumption";
  x.updated = 1351036800; /* 2012-10-24T00:00:00Z, as in the ESPI sample */
  x.service = AMI_MDM_GB_ELECTRICITY;
  x.currency = 840;
  x.channel = &chan;
  x.tz = &us_east;
  x.start = T0;
  x.n = N;
  x.values = vals;
  return x;
}

static char *write_feed(const ami_mdm_gb_export *x) {
  ami_dynbuf b;
  ami_dynbuf_init(&b, 1 << 22, NULL);
  assert_ami_ok(ami_mdm_greenbutton_write(&b, x));
  char *s = malloc(b.len + 1);
  assert_non_null(s);
  memcpy(s, b.p, b.len);
  s[b.len] = '\0';
  ami_dynbuf_free(&b);
  return s;
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
    n++;
  return n;
}

static void assert_has(const char *s, const char *needle) {
  if (strstr(s, needle) == NULL)
    fail_msg("feed lacks: %s", needle);
}

/* Remove all whitespace in place (the sample is indented; our output is
 * not), so that two renderings of one element compare equal. */
static void strip_ws(char *s) {
  char *o = s;
  for (; *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
      *o++ = *s;
  *o = '\0';
}

static void test_gb_content(void **state) {
  (void)state;
  ami_mdm_gb_export x = make_export();
  char *f = write_feed(&x);
  /* 4 resources + 3 local-day blocks */
  assert_int_equal(count(f, "<entry>"), 7);
  /* one value is missing: N - 1 readings */
  assert_int_equal(count(f, "<IntervalReading>"), N - 1);
  /* blocks: 24 h from T0, 23 h (spring forward), then 2 h */
  assert_has(f, "<interval><duration>86400</duration>"
                "<start>1772859600</start></interval>");
  assert_has(f, "<interval><duration>82800</duration>"
                "<start>1772946000</start></interval>");
  assert_has(f, "<interval><duration>7200</duration>"
                "<start>1773028800</start></interval>");
  /* value 5: 5*10+5 = 55 milli-Wh, starting T0 + 5*900 = 1772864100 */
  assert_has(f, "<IntervalReading><ReadingQuality><quality>0</quality>"
                "</ReadingQuality><timePeriod><duration>900</duration>"
                "<start>1772864100</start></timePeriod><value>55</value>"
                "</IntervalReading>");
  /* qualities: estimated 8, edited 7, questionable 10; value 2 absent */
  assert_has(f, "<quality>8</quality></ReadingQuality><timePeriod><duration>"
                "900</duration><start>1772859600</start>");
  assert_has(f, "<quality>7</quality></ReadingQuality><timePeriod><duration>"
                "900</duration><start>1772860500</start>");
  assert_int_equal(count(f, "<start>1772861400</start>"), 0);
  assert_has(f, "<quality>10</quality></ReadingQuality><timePeriod><duration>"
                "900</duration><start>1772862300</start>");
  /* ReadingType: deltaData, electricity, USD, forward, 900 s, energy,
   * milli (-3), Wh (72) */
  assert_has(f, "<ReadingType xmlns=\"http://naesb.org/espi\">"
                "<accumulationBehaviour>4</accumulationBehaviour>"
                "<commodity>1</commodity><currency>840</currency>"
                "<dataQualifier>12</dataQualifier>"
                "<flowDirection>1</flowDirection>"
                "<intervalLength>900</intervalLength><kind>12</kind>"
                "<powerOfTenMultiplier>-3</powerOfTenMultiplier>"
                "<timeAttribute>0</timeAttribute><uom>72</uom></ReadingType>");
  /* LocalTimeParameters of US Eastern (the sample's values) */
  assert_has(f, "<LocalTimeParameters xmlns=\"http://naesb.org/espi\">"
                "<dstEndRule>B40E2000</dstEndRule><dstOffset>3600</dstOffset>"
                "<dstStartRule>360E2000</dstStartRule>"
                "<tzOffset>-18000</tzOffset></LocalTimeParameters>");
  /* escaping of text; UTF-8 passes through */
  assert_has(f, "<title>Bills &amp; &lt;Usage&gt; &quot;2026&quot; "
                "&apos;x&apos;</title>");
  assert_has(f, "<title>Z\xc3\xa4hler S\xc3\xbc"
                "d</title>");
  assert_has(f, "<updated>2012-10-24T00:00:00Z</updated>");
  assert_has(f, "<link rel=\"self\" href=\"/espi/1_1/resource/RetailCustomer/"
                "9001/UsagePoint/5446/MeterReading/7/IntervalBlock/2\"/>");

  /* ids: urn:uuid, lower case, version 8, RFC variant (10xx) */
  const char *id = strstr(f, "<id>urn:uuid:");
  assert_non_null(id);
  id += strlen("<id>urn:uuid:");
  for (int i = 0; i < 36; i++) {
    if (i == 8 || i == 13 || i == 18 || i == 23)
      assert_int_equal(id[i], '-');
    else
      assert_non_null(strchr("0123456789abcdef", id[i]));
  }
  assert_int_equal(id[14], '8');
  assert_non_null(strchr("89ab", id[19]));
  assert_int_equal(id[36], '<');

  /* deterministic: the same export twice is byte-identical */
  char *g = write_feed(&x);
  assert_string_equal(f, g);
  free(g);

  /* fixed 6-hour blocks: 196 values * 15 min = 49 h -> 9 blocks */
  x.block_s = 6 * 3600;
  g = write_feed(&x);
  assert_int_equal(count(g, "<IntervalBlock xmlns"), 9);
  free(g);
  free(f);
}

static void test_gb_sample_local_time(void **state) {
  (void)state;
  const char *path =
      ami_test_shared_path("vectors/greenbutton/espi-sample-usage.xml");
  if (path == NULL) {
    print_message("shared/ absent: sample comparison skipped\n");
    skip();
  }
  char *sample = ami_test_read_file(path, NULL);
  assert_non_null(sample);
  char *a = strstr(sample, "<LocalTimeParameters");
  assert_non_null(a);
  char *e = strstr(a, "</LocalTimeParameters>");
  assert_non_null(e);
  e[strlen("</LocalTimeParameters>")] = '\0';
  strip_ws(a);
  /* "<LocalTimeParametersxmlns=..." after stripping: compare our element
   * with the same whitespace removed */
  ami_mdm_gb_export x = make_export();
  char *f = write_feed(&x);
  char *o = strstr(f, "<LocalTimeParameters");
  assert_non_null(o);
  char *oe = strstr(o, "</LocalTimeParameters>");
  oe[strlen("</LocalTimeParameters>")] = '\0';
  strip_ws(o);
  assert_string_equal(o, a);
  free(f);
  free(sample);
}

static void test_gb_dst_rules(void **state) {
  (void)state;
  uint32_t s, e;
  /* EU in CET: last (7) Sunday (7) of March at 02:00 local (01:00Z):
   * 3<<28 | 7<<25 | 7<<17 | 2<<12 = 0x3E0E2000; of October at 03:00 CEST:
   * 10<<28 | 7<<25 | 7<<17 | 3<<12 = 0xAE0E3000 */
  ami_mdm_tz cet = {
      .kind = AMI_MDM_TZ_EU, .std_offset_s = 3600, .dst_save_s = 3600};
  ami_mdm_greenbutton_dst_rules(&cet, &s, &e);
  assert_int_equal(s, 0x3E0E2000u);
  assert_int_equal(e, 0xAE0E3000u);
  /* UK (GMT): 01:00 and 02:00 local */
  ami_mdm_tz uk = {
      .kind = AMI_MDM_TZ_EU, .std_offset_s = 0, .dst_save_s = 3600};
  ami_mdm_greenbutton_dst_rules(&uk, &s, &e);
  assert_int_equal(s, 0x3E0E1000u);
  assert_int_equal(e, 0xAE0E2000u);
  /* AU: first (2) Sunday of October 02:00, of April 03:00 */
  ami_mdm_tz syd = {
      .kind = AMI_MDM_TZ_AU_SOUTH, .std_offset_s = 36000, .dst_save_s = 3600};
  ami_mdm_greenbutton_dst_rules(&syd, &s, &e);
  assert_int_equal(s, 0xA40E2000u);
  assert_int_equal(e, 0x440E3000u);
  ami_mdm_tz none = {
      .kind = AMI_MDM_TZ_FIXED, .std_offset_s = 19800, .dst_save_s = 0};
  ami_mdm_greenbutton_dst_rules(&none, &s, &e);
  assert_int_equal(s, 0xFFFFFFFFu);
  assert_int_equal(e, 0xFFFFFFFFu);
  /* a zero saving is the default hour (CEST is 03:00 at the end); a
   * CUSTOM zone has no ESPI rule */
  ami_mdm_tz cet0 = {.kind = AMI_MDM_TZ_EU, .std_offset_s = 3600};
  ami_mdm_greenbutton_dst_rules(&cet0, &s, &e);
  assert_int_equal(s, 0x3E0E2000u);
  assert_int_equal(e, 0xAE0E3000u);
  ami_mdm_tz custom = {.kind = AMI_MDM_TZ_CUSTOM, .std_offset_s = 3600};
  ami_mdm_greenbutton_dst_rules(&custom, &s, &e);
  assert_int_equal(s, 0xFFFFFFFFu);
  assert_int_equal(e, 0xFFFFFFFFu);
}

static void test_gb_errors(void **state) {
  (void)state;
  ami_mdm_gb_export x = make_export();
  ami_dynbuf b;
  ami_dynbuf_init(&b, 1 << 22, NULL);
  static const char *const bad[] = {
      "\xc3\x28",         /* broken 2-byte sequence */
      "\xc0\xaf",         /* overlong '/' */
      "\xed\xa0\x80",     /* UTF-16 surrogate */
      "a\x01z",           /* control character */
      "\xf4\x90\x80\x80", /* above U+10FFFF */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    x.reading_title = bad[i];
    assert_ami(AMI_E_BAD_VALUE, ami_mdm_greenbutton_write(&b, &x));
  }
  x = make_export();
  x.start = T0 + 1; /* off the interval grid */
  assert_ami(AMI_E_INVAL, ami_mdm_greenbutton_write(&b, &x));
  x = make_export();
  x.block_s = 1000; /* not a multiple of 900 */
  assert_ami(AMI_E_INVAL, ami_mdm_greenbutton_write(&b, &x));
  x = make_export();
  vals[50].value = 140737488355329LL; /* Int48 maximum + 1 */
  assert_ami(AMI_E_RANGE, ami_mdm_greenbutton_write(&b, &x));
  ami_dynbuf_free(&b);

  /* the buffer's cap */
  x = make_export();
  ami_dynbuf_init(&b, 2000, NULL);
  assert_ami(AMI_E_LIMIT, ami_mdm_greenbutton_write(&b, &x));
  ami_dynbuf_free(&b);

  /* every allocation failure is reported, nothing leaks */
  ami_test_failalloc fa;
  ami_test_failalloc_init(&fa, -1);
  ami_dynbuf_init(&b, 1 << 22, &fa.base);
  assert_ami_ok(ami_mdm_greenbutton_write(&b, &x));
  ami_dynbuf_free(&b);
  long calls = fa.calls;
  assert_true(calls > 0);
  for (long k = 0; k < calls; k++) {
    ami_test_failalloc_init(&fa, k);
    ami_dynbuf_init(&b, 1 << 22, &fa.base);
    assert_ami(AMI_E_NOMEM, ami_mdm_greenbutton_write(&b, &x));
    ami_dynbuf_free(&b);
    assert_int_equal(fa.live, 0);
  }
}

/* Write s to a fresh temp file; returns its path (static storage in p). */
static void temp_write(char *p, size_t cap, const char *dir, const char *name,
                       const char *s, size_t n) {
  snprintf(p, cap, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(s, 1, n, f), n);
  fclose(f);
}

static void test_gb_schema_valid(void **state) {
  (void)state;
  const char *xsd = ami_test_shared_path("vectors/greenbutton/espi-usage.xsd");
  if (xsd == NULL) {
    print_message("shared/ absent: ESPI schema validation skipped\n");
    skip();
  }
  char xsd_path[1024];
  snprintf(xsd_path, sizeof xsd_path, "%s", xsd);
  if (system("command -v xmllint >/dev/null 2>&1") != 0) {
    print_message("xmllint not installed (scripts/deps.sh): skipped\n");
    skip();
  }
  char dir[] = "/tmp/ami_gb_XXXXXX";
  assert_non_null(mkdtemp(dir));

  ami_mdm_gb_export x = make_export();
  char *f = write_feed(&x);
  char path[1200], cmd[8192];
  temp_write(path, sizeof path, dir, "feed.xml", f, strlen(f));
  snprintf(cmd, sizeof cmd, "xmllint --noout '%s'", path);
  assert_int_equal(system(cmd), 0); /* the feed is well-formed XML */

  /* each <content> child as its own document */
  size_t used = (size_t)snprintf(cmd, sizeof cmd,
                                 "xmllint --noout --schema '%s'", xsd_path);
  int k = 0;
  for (char *p = strstr(f, "<content>"); p != NULL;
       p = strstr(p, "<content>")) {
    p += strlen("<content>");
    char *e = strstr(p, "</content>");
    assert_non_null(e);
    const char *decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    size_t n = strlen(decl) + (size_t)(e - p);
    char *doc = malloc(n + 1);
    assert_non_null(doc);
    memcpy(doc, decl, strlen(decl));
    memcpy(doc + strlen(decl), p, (size_t)(e - p));
    char name[32];
    snprintf(name, sizeof name, "content%d.xml", k++);
    temp_write(path, sizeof path, dir, name, doc, n);
    free(doc);
    used += (size_t)snprintf(cmd + used, sizeof cmd - used, " '%s'", path);
    assert_true(used < sizeof cmd);
    p = e;
  }
  assert_int_equal(k, 7);
  /* schema warnings (the missing atom.xsd import) go to /dev/null; a
   * validation failure still fails the exit status */
  snprintf(cmd + used, sizeof cmd - used, " 2>%s/xmllint.log", dir);
  int rc = system(cmd);
  if (rc != 0) {
    char log[1200];
    snprintf(log, sizeof log, "%s/xmllint.log", dir);
    char *txt = ami_test_read_file(log, NULL);
    fail_msg("ESPI schema validation failed:\n%s", txt ? txt : "?");
  }
  /* negative control: the same command rejects a misordered reading */
  static const char wrong[] =
      "<?xml version=\"1.0\"?>\n<IntervalBlock xmlns=\"http://naesb.org/espi\">"
      "<IntervalReading><value>1</value><timePeriod><duration>900</duration>"
      "<start>0</start></timePeriod></IntervalReading></IntervalBlock>";
  temp_write(path, sizeof path, dir, "wrong.xml", wrong, sizeof wrong - 1);
  snprintf(cmd, sizeof cmd, "xmllint --noout --schema '%s' '%s' 2>/dev/null",
           xsd_path, path);
  assert_int_not_equal(system(cmd), 0);

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gb_content),
      cmocka_unit_test(test_gb_sample_local_time),
      cmocka_unit_test(test_gb_dst_rules),
      cmocka_unit_test(test_gb_errors),
      cmocka_unit_test(test_gb_schema_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
