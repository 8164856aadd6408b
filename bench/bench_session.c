/*
 * bench_session.c -- whole DLMS/COSEM sessions and profile streaming, the
 * cost a head-end pays per meter.
 *
 * One object model, built once outside the timed loops, as `ami meter`
 * builds it (apps/ami/cmd_meter.c): a clock, two energy registers and a load
 * profile (Profile Generic: clock + the two double-long-unsigned registers)
 * filled with 100,000 rows, with the three associations of the reference
 * meter (client 16 public, client 2 LLS, client 1 HLS-GMAC ciphered).
 *
 * Timed, per session (everything a head-end creates per meter is inside
 * the loop): client link + engine and server link + engine created, link
 * connect, AARQ/AARE with mechanism 5 (HLS-GMAC) and the ciphered context,
 * HLS passes 3 and 4, a GET of the 96 most recent profile rows (selective
 * access by entry), RLRQ/RLRE, link disconnect, everything freed.
 *   - in-process: the client's pull() fed to the server's recv() and back,
 *     no sockets; over the wrapper link and over the HDLC link (max
 *     information field 1024, window 1, as `ami read` and `ami meter`);
 *   - loopback TCP through arch/posix (libuv): ONE thread and ONE uv loop
 *     hold both the listener (the server side, as `ami meter`) and the
 *     client connection (as `ami read`); a session includes TCP connect,
 *     accept and close on both sides.
 * Streaming: one GET of the whole 100,000-row buffer (no selective access)
 * in an established HLS-GMAC association, answered with
 * GET-Response-With-Datablock (every block ciphered), in-process over the
 * wrapper. The server engine builds the whole attribute before sending it
 * in blocks, so its max_response is raised to 8 MiB (as `ami meter` does;
 * the default 64 KiB would answer other-reason), and the client's to
 * 16 MiB (default 1 MiB).
 *
 * Invocation counters are persisted across sessions through the engines'
 * ic_load/ic_store callbacks, as a head-end and a meter must, so that no
 * GCM nonce repeats; the HLS challenges come from the OpenSSL CSPRNG.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_client.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_selective.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"
#include "ami_posix_io.h"
#include "bench.h"

#define PROFILE_ROWS   100000u
#define RECENT_ROWS    96u
#define HLS_CLIENT     1u
#define SERVER_LDEV    1u
#define GURUX_SESSION  17000.0 /* us per HLS-GMAC session, from the issue */
#define TARGET_TCP_US  500.0   /* the target per loopback session */
#define TARGET_ROWS_PS 1e6     /* the streaming target */

/* ---- the meter's object model (built once) ------------------------------ */

typedef struct fixture {
  ami_cosem_model *model;
  ami_cosem_object *profile;
  ami_server_assoc_cfg assocs[3];
  uint8_t ek[16], ak[16];
  uint8_t server_title[8], client_title[8];
  uint64_t now; /* meter time of the sessions (ms) */
  bool verify;  /* decode every row of the next answers (untimed runs) */
  /* Invocation counters persisted between sessions (one client, one key). */
  uint32_t client_ic;
  ami_sec_counter server_ic;
  /* The GET of the 96 most recent rows. */
  ami_apdu_desc buffer;
  ami_apdu_selection recent;
  uint8_t recent_buf[32];
} fixture;

/* Registers: Wh as a function of the capture time (the model stores the
 * rows; only captures call this). */
static int reg_read(void *ud, ami_cosem_object *obj, unsigned attr,
                    const ami_apdu_selection *sel, uint64_t now_ms, ami_wr *out,
                    uint8_t *dar) {
  (void)ud;
  (void)sel;
  (void)dar;
  if (ami_cosem_object_class(obj) != 3 || attr != 2)
    return AMI_E_NOT_FOUND;
  uint32_t k = ami_cosem_object_ln(obj).c == 1 ? 350u : 20u;
  ami_axdr_put_u32(out, (uint32_t)(now_ms / 1000u / 3600u * k));
  return out->err;
}

static int add_obj(fixture *f, ami_cosem_assoc *const *as, uint16_t cls,
                   const char *obis, ami_cosem_object **out) {
  ami_obis ln;
  int rc = ami_obis_parse(obis, strlen(obis), &ln);
  if (rc == AMI_OK)
    rc = ami_cosem_add_object(f->model, cls, ln, out);
  for (int i = 0; rc == AMI_OK && i < 3; i++)
    rc = ami_cosem_assoc_add_object_role(
        as[i], *out,
        i == 2 ? AMI_COSEM_ROLE_MANAGEMENT
               : (i == 1 ? AMI_COSEM_ROLE_READER : AMI_COSEM_ROLE_PUBLIC));
  return rc;
}

/* The model and association configs of `ami meter`, with a profile of
 * PROFILE_ROWS rows captured every 15 minutes up to f->now. */
static int fixture_build(fixture *f) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < 16; i++) {
    f->ek[i] = (uint8_t)i;
    f->ak[i] = (uint8_t)(0xD0 + i);
  }
  memcpy(f->server_title, "OAM\0\0\0\0\1", 8);
  memcpy(f->client_title, "OAMCLI\0\1", 8);
  f->now = (uint64_t)(PROFILE_ROWS + 10u) * 900000u;
  static const uint8_t pw[] = "12345678";
  for (int i = 0; i < 3; i++) {
    ami_server_assoc_cfg *a = &f->assocs[i];
    a->client_address = (uint16_t)(i == 0 ? 16 : i == 1 ? 2 : HLS_CLIENT);
    a->context = i == 2 ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
    a->mechanism = i == 0   ? AMI_ACSE_MECH_NONE
                   : i == 1 ? AMI_ACSE_MECH_LLS
                            : AMI_ACSE_MECH_GMAC;
    a->conformance = i == 2 ? 0x00781F | 0x400000u : 0x00781F;
    a->max_receive_pdu = 1024;
    if (i == 1) {
      a->password = pw;
      a->password_len = 8;
    }
    if (i == 2) {
      a->has_keys = true;
      memcpy(a->ek, f->ek, 16);
      memcpy(a->ak, f->ak, 16);
    }
  }
  ami_cosem_limits lim;
  memset(&lim, 0, sizeof lim);
  int rc = ami_cosem_model_new(NULL, &lim, &f->model);
  if (rc != AMI_OK)
    return rc;
  ami_cosem_callbacks cb = {reg_read, NULL, NULL, f};
  ami_cosem_model_set_callbacks(f->model, &cb);
  static const char *const assoc_ln[3] = {"0-0:40.0.1*255", "0-0:40.0.2*255",
                                          "0-0:40.0.3*255"};
  ami_cosem_assoc *as[3];
  for (int i = 0; rc == AMI_OK && i < 3; i++) {
    ami_obis ln;
    rc = ami_obis_parse(assoc_ln[i], strlen(assoc_ln[i]), &ln);
    if (rc == AMI_OK)
      rc = ami_cosem_add_association(f->model, f->assocs[i].client_address,
                                     f->assocs[i].mechanism, ln, &as[i]);
  }
  if (rc == AMI_OK)
    rc = ami_cosem_add_logical_device(f->model, SERVER_LDEV, "OAM0000000000001",
                                      16);
  ami_cosem_object *clock = NULL, *imp = NULL, *exp = NULL;
  if (rc == AMI_OK)
    rc = add_obj(f, as, 8, "0-0:1.0.0*255", &clock);
  if (rc == AMI_OK)
    rc = add_obj(f, as, 3, "1-0:1.8.0*255", &imp);
  if (rc == AMI_OK)
    rc = add_obj(f, as, 3, "1-0:2.8.0*255", &exp);
  if (rc == AMI_OK)
    rc = add_obj(f, as, 7, "1-0:99.1.0*255", &f->profile);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(f->profile, clock, 2, 0, 14);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(f->profile, imp, 2, 0, 5);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(f->profile, exp, 2, 0, 5);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_set_capacity(f->profile, PROFILE_ROWS);
  for (uint32_t i = PROFILE_ROWS; rc == AMI_OK && i > 0; i--)
    rc = ami_cosem_profile_capture(f->profile, f->now - (uint64_t)i * 900000u);
  if (rc == AMI_OK && ami_cosem_profile_entries(f->profile) != PROFILE_ROWS)
    rc = AMI_E_INCONSISTENT;
  /* GET attribute 2 of 1-0:99.1.0*255, entries N-95 .. N (all columns). */
  f->buffer.class_id = 7;
  ami_obis pl = ami_cosem_object_ln(f->profile);
  ami_obis_to_bytes(&pl, f->buffer.obis);
  f->buffer.id = 2;
  ami_wr w;
  ami_wr_init(&w, f->recent_buf, sizeof f->recent_buf);
  ami_selective_entry e = {PROFILE_ROWS - RECENT_ROWS + 1, PROFILE_ROWS, 1, 0};
  ami_selective_entry_encode(&w, &e);
  if (rc == AMI_OK)
    rc = w.err;
  f->recent.present = true;
  f->recent.selector = AMI_SELECTIVE_ENTRY;
  f->recent.params = ami_span_make(f->recent_buf, w.len);
  return rc;
}

/* ---- one session's engines and links ------------------------------------- */

typedef struct session {
  fixture *f;
  bool hdlc;
  ami_link *clink, *slink; /* owned: heap links of the framing's size */
  ami_client *c;
  ami_server *s;
  uint64_t now;
  const ami_apdu_selection *sel; /* the GET's selection; NULL = none */
  uint32_t rows_expected;
  bool release_after_get; /* false: streaming keeps the association */
  bool associated, answered, released;
  size_t data_len; /* the Data of the last GET answer */
  int err;
} session;

/* A link of the framing's own size on the heap (a head-end or a meter
 * keeps one per connection); NULL when out of memory. The links of
 * `ami read` (client 1) and `ami meter` (logical device 1, 1/17 in HDLC,
 * information fields of 1024, window 1). */
static ami_link *link_new(bool hdlc, ami_link_role role) {
  if (hdlc) {
    ami_hdlc_link *h = calloc(1, sizeof *h);
    if (!h)
      return NULL;
    ami_hdlc_link_config lc;
    memset(&lc, 0, sizeof lc);
    lc.role = role;
    lc.client_address = role == AMI_LINK_CLIENT ? HLS_CLIENT : 0;
    lc.server_address = ami_hdlc_addr_server(SERVER_LDEV, 17);
    lc.limits.max_info_tx = lc.limits.max_info_rx = 1024;
    if (role == AMI_LINK_CLIENT) {
      lc.propose_limits = true;
    } else {
      lc.limits.window_tx = lc.limits.window_rx = 1;
      lc.inactivity_timeout_ms = 120000;
    }
    return ami_hdlc_link_init(h, &lc);
  }
  ami_wrapper_link *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  ami_wrapper_link_config wc;
  memset(&wc, 0, sizeof wc);
  wc.role = role;
  wc.own_wport = role == AMI_LINK_CLIENT ? HLS_CLIENT : SERVER_LDEV;
  wc.peer_wport = role == AMI_LINK_CLIENT ? SERVER_LDEV : 0;
  return ami_wrapper_link_init(w, &wc);
}

/* The link interface is the first member of both link structs. */
static void link_delete(ami_link *l) {
  ami_link_free(l);
  free(l);
}

/* Decode every row of a profile answer (outside the timed runs): n rows of
 * {date-time octet-string(12), double-long-unsigned, double-long-unsigned},
 * the last one captured 15 minutes before f->now, nothing after them. */
static int check_rows(const fixture *f, ami_span d, uint32_t want) {
  ami_axdr_dec dec;
  uint32_t n = 0, fields = 0, imp = 0, exp = 0;
  ami_span clock;
  ami_axdr_dec_init(&dec, d.p, d.len);
  int rc = ami_axdr_get_array(&dec, &n);
  if (rc == AMI_OK && n != want)
    rc = AMI_E_INCONSISTENT;
  for (uint32_t i = 0; rc == AMI_OK && i < n; i++) {
    rc = ami_axdr_get_struct(&dec, &fields);
    if (rc == AMI_OK)
      rc = fields == 3 ? ami_axdr_get_octets(&dec, &clock) : AMI_E_INCONSISTENT;
    if (rc == AMI_OK)
      rc = clock.len == 12 ? ami_axdr_get_u32(&dec, &imp) : AMI_E_INCONSISTENT;
    if (rc == AMI_OK)
      rc = ami_axdr_get_u32(&dec, &exp);
  }
  uint64_t last = f->now - 900000u;
  if (rc == AMI_OK && (dec.pos != d.len || imp != last / 3600000u * 350u ||
                       exp != last / 3600000u * 20u))
    rc = AMI_E_INCONSISTENT;
  return rc;
}

/* Client callbacks: GET once associated, check the answer, release. */
static void c_associated(ami_client *c, int result,
                         const ami_client_assoc_info *info, void *ud) {
  session *x = ud;
  (void)info;
  if (result != AMI_OK) {
    x->err = result;
    return;
  }
  x->associated = true;
  if (x->rows_expected) {
    uint32_t id;
    int rc = ami_client_get(c, &x->f->buffer, x->sel, &id);
    if (rc != AMI_OK)
      x->err = rc;
  }
}

static void c_response(ami_client *c, const ami_client_response *r, void *ud) {
  session *x = ud;
  x->answered = true;
  if (r->error != AMI_OK || r->count != 1 || r->results[0].dar != 0) {
    x->err = r->error != AMI_OK ? r->error : AMI_E_INCONSISTENT;
    return;
  }
  /* The answer must be an array of exactly the rows asked for. */
  ami_span d = r->results[0].data;
  ami_axdr_dec dec;
  uint32_t n = 0;
  ami_axdr_dec_init(&dec, d.p, d.len);
  if (ami_axdr_get_array(&dec, &n) != AMI_OK || n != x->rows_expected)
    x->err = AMI_E_INCONSISTENT;
  if (x->f->verify && !x->err)
    x->err = check_rows(x->f, d, x->rows_expected);
  x->data_len = d.len;
  if (x->release_after_get && ami_client_release(c) != AMI_OK)
    x->err = AMI_E_STATE;
}

static void c_released(ami_client *c, int result, void *ud) {
  session *x = ud;
  (void)c;
  if (result != AMI_OK)
    x->err = result;
  x->released = true;
  ami_link_disconnect(x->clink, x->now);
}

static void c_error(ami_client *c, int err, const char *what, void *ud) {
  session *x = ud;
  (void)c;
  fprintf(stderr, "bench_session: client: %s: %s\n", what, ami_strerror(err));
  x->err = err;
}

static int c_ic_load(ami_client *c, uint32_t *next_ic, void *ud) {
  session *x = ud;
  (void)c;
  *next_ic = x->f->client_ic;
  return AMI_OK;
}

static void c_ic_store(ami_client *c, uint32_t next_ic, void *ud) {
  session *x = ud;
  (void)c;
  x->f->client_ic = next_ic;
}

static const ami_client_callbacks client_cb = {.version =
                                                   AMI_CLIENT_CALLBACKS_VERSION,
                                               .on_associated = c_associated,
                                               .on_response = c_response,
                                               .on_released = c_released,
                                               .on_error = c_error,
                                               .ic_load = c_ic_load,
                                               .ic_store = c_ic_store};

static int s_ic_load(void *ud, uint16_t client, ami_sec_key_kind key,
                     ami_sec_counter *counter) {
  fixture *f = ud;
  (void)client;
  (void)key;
  *counter = f->server_ic;
  return AMI_OK;
}

static int s_ic_store(void *ud, uint16_t client, ami_sec_key_kind key,
                      const ami_sec_counter *counter) {
  fixture *f = ud;
  (void)client;
  (void)key;
  f->server_ic = *counter;
  return AMI_OK;
}

static const ami_server_callbacks server_cb = {.version =
                                                   AMI_SERVER_CALLBACKS_VERSION,
                                               .ic_load = s_ic_load,
                                               .ic_store = s_ic_store};

/* The server engine of `ami meter` on link l (callbacks' user data: f). */
static int server_new(fixture *f, ami_link *l, ami_server **out) {
  ami_server_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.version = AMI_SERVER_VERSION;
  cfg.assocs = f->assocs;
  cfg.assoc_count = 3;
  memcpy(cfg.system_title, f->server_title, 8);
  cfg.crypto = ami_crypto_openssl();
  cfg.app = ami_cosem_server_app(f->model);
  cfg.link = l;
  cfg.max_response = 8u << 20; /* the whole profile in one GET */
  cfg.vaa_name = 0x0007;
  return ami_server_new(out, &cfg, &server_cb, f, NULL);
}

/* The client engine of `ami read --auth hls` (client 1, HLS-GMAC,
 * ciphered context, requests authenticated and encrypted). */
static int client_new(session *x, ami_link *l, ami_client **out) {
  fixture *f = x->f;
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.context = AMI_ACSE_CTX_LN_CIPHERED;
  cfg.mechanism = AMI_ACSE_MECH_GMAC;
  cfg.conformance = 0x00781F | 0x400000u;
  cfg.timeout_ms = 5000;
  cfg.max_response = 16u << 20;
  cfg.crypto = ami_crypto_openssl();
  cfg.ek = f->ek;
  cfg.ek_len = 16;
  cfg.ak = f->ak;
  cfg.ak_len = 16;
  memcpy(cfg.system_title, f->client_title, 8);
  cfg.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  return ami_client_new(out, &cfg, &client_cb, x, l, NULL);
}

/* ---- in-process sessions ------------------------------------------------- */

static uint8_t wire[1u << 17]; /* bytes moving between the two engines */

/* Move bytes both ways until neither engine has anything to send. */
static int shuttle(session *x) {
  for (long guard = 0; guard < 10000000L && !x->err; guard++) {
    size_t n = ami_client_pull(x->c, wire, sizeof wire, x->now);
    if (n) {
      int rc = ami_server_recv(x->s, wire, n, x->now);
      if (rc != AMI_OK)
        return rc;
    }
    size_t m = ami_server_pull(x->s, wire, sizeof wire, x->now);
    if (m) {
      int rc = ami_client_recv(x->c, wire, m, x->now);
      if (rc != AMI_OK)
        return rc;
    }
    if (!n && !m)
      return AMI_OK;
  }
  return x->err ? x->err : AMI_E_STATE;
}

/* Create links and engines (x->f, x->hdlc set; the rest zeroed). */
static int session_open(session *x) {
  x->clink = link_new(x->hdlc, AMI_LINK_CLIENT);
  x->slink = link_new(x->hdlc, AMI_LINK_SERVER);
  if (!x->clink || !x->slink)
    return AMI_E_NOMEM;
  int rc = server_new(x->f, x->slink, &x->s);
  if (rc == AMI_OK)
    rc = client_new(x, x->clink, &x->c);
  if (rc == AMI_OK)
    rc = ami_client_associate(x->c);
  return rc;
}

static void session_close(session *x) {
  ami_client_free(x->c);
  ami_server_free(x->s);
  if (x->clink)
    link_delete(x->clink);
  if (x->slink)
    link_delete(x->slink);
}

typedef struct inproc_job {
  fixture *f;
  bool hdlc;
  int err;
} inproc_job;

/* One complete HLS-GMAC session, in memory. */
static void run_inproc(void *arg) {
  inproc_job *j = arg;
  session *x = calloc(1, sizeof *x);
  if (!x) {
    j->err = AMI_E_NOMEM;
    return;
  }
  x->f = j->f;
  x->hdlc = j->hdlc;
  x->now = j->f->now;
  x->sel = &j->f->recent;
  x->rows_expected = RECENT_ROWS;
  x->release_after_get = true;
  int rc = session_open(x);
  if (rc == AMI_OK)
    rc = shuttle(x);
  if (rc == AMI_OK && x->err)
    rc = x->err;
  if (rc == AMI_OK &&
      (!x->answered || !x->released || ami_link_is_connected(x->clink) ||
       (x->hdlc && ami_link_is_connected(x->slink))))
    rc = AMI_E_STATE;
  if (rc != AMI_OK && !j->err)
    j->err = rc;
  session_close(x);
  free(x);
}

static void fmt_us(char *o, size_t n, double s) {
  snprintf(o, n, "%.0f us", s * 1e6);
}

static int report_session(fixture *f, const char *what, void (*fn)(void *),
                          void *arg, int *err, const char *peer,
                          double peer_us) {
  *err = 0;
  f->verify = true; /* warm up, and check the answer row by row */
  fn(arg);
  f->verify = false;
  if (*err) {
    fprintf(stderr, "bench_session: %s failed: %s\n", what, ami_strerror(*err));
    return 1;
  }
  double t = bench_best(fn, arg, bench_calibrate(fn, arg, 0.2), 5);
  if (*err) {
    fprintf(stderr, "bench_session: %s failed: %s\n", what, ami_strerror(*err));
    return 1;
  }
  char o[32], p[40], r[32];
  fmt_us(o, sizeof o, t);
  snprintf(p, sizeof p, "%s", peer);
  if (peer_us > 0)
    snprintf(r, sizeof r, "%.0fx", peer_us / (t * 1e6));
  else
    snprintf(r, sizeof r, "-");
  bench_row(what, o, p, r);
  snprintf(o, sizeof o, "%.0f /s", 1.0 / t);
  bench_row("  sessions per second, one core", o, "", "");
  return 0;
}

/* ---- loopback TCP (arch/posix, libuv) ------------------------------------ */

typedef struct tcp_bench {
  fixture *f;
  uv_loop_t loop;
  int port;
  bool hdlc;
  int err;
  unsigned long server_closed, client_closed;
} tcp_bench;

/* Client side of one connection. */
typedef struct tcp_side {
  session x;
  tcp_bench *b;
} tcp_side;

/* Server side of one connection (as `ami meter`'s meter_session). */
typedef struct srv_side {
  tcp_bench *b;
  ami_link *slink;
  ami_server *s;
} srv_side;

/* Server side: one engine per accepted connection, freed when it closes. */
static int ts_recv(void *sp, const uint8_t *p, size_t n, uint64_t now) {
  srv_side *t = sp;
  return ami_server_recv(t->s, p, n, now) == AMI_OK ? 0 : -1;
}
static size_t ts_pull(void *sp, uint8_t *buf, size_t cap, uint64_t now) {
  srv_side *t = sp;
  return ami_server_pull(t->s, buf, cap, now);
}
static uint64_t ts_expiry(void *sp) {
  srv_side *t = sp;
  uint64_t e = ami_server_expiry(t->s);
  return e == AMI_LINK_NO_EXPIRY ? AMI_IO_NO_EXPIRY : e;
}
static int ts_handle_expiry(void *sp, uint64_t now) {
  srv_side *t = sp;
  int rc = ami_server_handle_expiry(t->s, now);
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static void ts_closed(void *sp, int err) {
  srv_side *t = sp;
  (void)err;
  t->b->server_closed++;
  ami_server_free(t->s);
  link_delete(t->slink);
  free(t);
}
static const ami_io_session_ops server_ops = {
    ts_recv, ts_pull, ts_expiry, ts_handle_expiry, NULL, ts_closed};

static void *ts_accept(void *ud, const char *peer,
                       const ami_io_session_ops **ops) {
  tcp_bench *b = ud;
  (void)peer;
  srv_side *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->b = b;
  t->slink = link_new(b->hdlc, AMI_LINK_SERVER);
  if (!t->slink || server_new(b->f, t->slink, &t->s) != AMI_OK) {
    if (t->slink)
      link_delete(t->slink);
    free(t);
    b->err = AMI_E_NOMEM;
    return NULL;
  }
  *ops = &server_ops;
  return t;
}

/* Client side: as `ami read`. */
static int tc_recv(void *sp, const uint8_t *p, size_t n, uint64_t now) {
  tcp_side *t = sp;
  t->x.now = now;
  return ami_client_recv(t->x.c, p, n, now) == AMI_OK ? 0 : -1;
}
static size_t tc_pull(void *sp, uint8_t *buf, size_t cap, uint64_t now) {
  tcp_side *t = sp;
  t->x.now = now;
  return ami_client_pull(t->x.c, buf, cap, now);
}
static uint64_t tc_expiry(void *sp) {
  tcp_side *t = sp;
  uint64_t e = ami_client_expiry(t->x.c);
  return e == AMI_CLIENT_NO_EXPIRY ? AMI_IO_NO_EXPIRY : e;
}
static int tc_handle_expiry(void *sp, uint64_t now) {
  tcp_side *t = sp;
  t->x.now = now;
  int rc = ami_client_handle_expiry(t->x.c, now);
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static bool tc_done(void *sp) {
  tcp_side *t = sp;
  return (t->x.released || t->x.err) && !ami_link_is_connected(t->x.clink) &&
         !ami_client_want_write(t->x.c);
}
static void tc_closed(void *sp, int err) {
  tcp_side *t = sp;
  t->b->client_closed++;
  if (!t->x.released && !t->b->err)
    t->b->err = t->x.err ? t->x.err : (err ? err : AMI_E_CLOSED);
}
static const ami_io_session_ops client_ops = {
    tc_recv, tc_pull, tc_expiry, tc_handle_expiry, tc_done, tc_closed};

typedef struct tcp_job {
  tcp_bench *b;
  int err;
} tcp_job;

/* One complete session over loopback TCP: both sides on b->loop; returns
 * when both ends have closed the connection. */
static void run_tcp(void *arg) {
  tcp_job *j = arg;
  tcp_bench *b = j->b;
  tcp_side *t = calloc(1, sizeof *t);
  if (!t) {
    j->err = AMI_E_NOMEM;
    return;
  }
  t->b = b;
  t->x.f = b->f;
  t->x.hdlc = b->hdlc;
  t->x.sel = &b->f->recent;
  t->x.rows_expected = RECENT_ROWS;
  t->x.release_after_get = true;
  t->x.clink = link_new(b->hdlc, AMI_LINK_CLIENT);
  unsigned long sc = b->server_closed, cc = b->client_closed;
  int rc = t->x.clink ? client_new(&t->x, t->x.clink, &t->x.c) : AMI_E_NOMEM;
  if (rc == AMI_OK)
    rc = ami_client_associate(t->x.c);
  if (rc == AMI_OK && ami_io_tcp_connect(&b->loop, "127.0.0.1", b->port,
                                         &client_ops, t, NULL) < 0)
    rc = AMI_E_CLOSED;
  if (rc == AMI_OK) {
    while (b->client_closed == cc || b->server_closed == sc)
      uv_run(&b->loop, UV_RUN_ONCE);
    if (t->x.err || !t->x.answered)
      rc = t->x.err ? t->x.err : AMI_E_STATE;
  }
  if (rc != AMI_OK && !j->err)
    j->err = rc;
  if (b->err && !j->err)
    j->err = b->err;
  ami_client_free(t->x.c);
  if (t->x.clink)
    link_delete(t->x.clink);
  free(t);
}

/* The listener from ami_io_tcp_listen has no close function (it lives as
 * long as the loop); at the end of the benchmark every handle left is
 * closed. The listener's data is its own heap block (arch/posix). */
static void close_listener(uv_handle_t *h) {
  free(h->data);
}
static void close_all(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, close_listener);
}

static int bench_tcp(fixture *f, bool hdlc, const char *what) {
  static tcp_bench b;
  memset(&b, 0, sizeof b);
  b.f = f;
  b.hdlc = hdlc;
  if (uv_loop_init(&b.loop) != 0)
    return 1;
  int rc = -1;
  int base = 20000 + (int)(getpid() % 20000);
  for (int i = 0; i < 64 && rc < 0; i++) {
    b.port = base + i * 7;
    rc = ami_io_tcp_listen(&b.loop, "127.0.0.1", b.port, ts_accept, &b);
  }
  if (rc < 0) {
    fprintf(stderr, "bench_session: cannot listen: %s\n", uv_strerror(rc));
    uv_loop_close(&b.loop);
    return 1;
  }
  tcp_job j = {&b, 0};
  int r =
      report_session(f, what, run_tcp, &j, &j.err,
                     hdlc ? "-" : "target < 500 us", hdlc ? 0 : TARGET_TCP_US);
  uv_walk(&b.loop, close_all, NULL);
  uv_run(&b.loop, UV_RUN_DEFAULT);
  uv_loop_close(&b.loop);
  return r;
}

/* ---- profile streaming --------------------------------------------------- */

typedef struct stream_job {
  session *x;
  const ami_apdu_selection *sel; /* NULL: the whole buffer */
  int err;
} stream_job;

/* One GET of the profile buffer in the open association. */
static void run_stream(void *arg) {
  stream_job *j = arg;
  session *x = j->x;
  x->answered = false;
  x->data_len = 0;
  uint32_t id;
  int rc = ami_client_get(x->c, &x->f->buffer, j->sel, &id);
  if (rc == AMI_OK)
    rc = shuttle(x);
  if (rc == AMI_OK && (x->err || !x->answered))
    rc = x->err ? x->err : AMI_E_STATE;
  if (rc != AMI_OK && !j->err)
    j->err = rc;
}

static int bench_stream(fixture *f) {
  session *x = calloc(1, sizeof *x);
  if (!x)
    return 1;
  x->f = f;
  x->now = f->now;
  x->rows_expected = 0; /* associate only: no GET queued on association */
  int rc = session_open(x);
  if (rc == AMI_OK)
    rc = shuttle(x);
  if (rc == AMI_OK && !x->associated)
    rc = x->err ? x->err : AMI_E_STATE;
  x->rows_expected = PROFILE_ROWS;
  stream_job j = {x, NULL, rc};
  /* The first GET of a fresh engine, timed alone: the server engine grows
   * its answer buffer from 256 bytes, re-encoding on each doubling. */
  double t0 = bench_now();
  if (!j.err)
    run_stream(&j);
  double first = bench_now() - t0;
  f->verify = true; /* one more, checked row by row, untimed */
  if (!j.err)
    run_stream(&j);
  f->verify = false;
  double t = 0;
  if (!j.err)
    t = bench_best(run_stream, &j, 1, 7);
  if (j.err) {
    fprintf(stderr, "bench_session: profile streaming failed: %s\n",
            ami_strerror(j.err));
    session_close(x);
    free(x);
    return 1;
  }
  char o[32], p[40], r[32];
  snprintf(o, sizeof o, "%.2f M rows/s", PROFILE_ROWS / t / 1e6);
  snprintf(r, sizeof r, "%.1fx", PROFILE_ROWS / t / TARGET_ROWS_PS);
  bench_row("profile streaming, 100,000 rows, blocks", o, "target > 1 M rows/s",
            r);
  snprintf(o, sizeof o, "%.0f MB/s", (double)x->data_len / t / 1e6);
  snprintf(p, sizeof p, "%.2f MB Data", (double)x->data_len / 1e6);
  bench_row("  A-XDR Data moved (HLS, ciphered blocks)", o, p, "");
  snprintf(o, sizeof o, "%.1f ms", t * 1e3);
  snprintf(p, sizeof p, "first GET %.1f ms", first * 1e3);
  bench_row("  one GET of the whole buffer", o, p, "");
  /* The 96 most recent rows again, in the same (warm) association: what
   * one request costs once the engines' buffers have grown. */
  j.sel = &f->recent;
  x->rows_expected = RECENT_ROWS;
  run_stream(&j);
  if (!j.err)
    t = bench_best(run_stream, &j, bench_calibrate(run_stream, &j, 0.1), 5);
  if (j.err) {
    fprintf(stderr, "bench_session: GET of 96 rows failed: %s\n",
            ami_strerror(j.err));
    session_close(x);
    free(x);
    return 1;
  }
  fmt_us(o, sizeof o, t);
  bench_row("GET 96 rows, open HLS association, wrapper", o, "", "");
  session_close(x);
  free(x);
  return 0;
}

int bench_session(void) {
  static fixture f;
  double t0 = bench_now();
  int rc = fixture_build(&f);
  if (rc != AMI_OK) {
    fprintf(stderr, "bench_session: building the model: %s\n",
            ami_strerror(rc));
    ami_cosem_model_free(f.model);
    return 1;
  }
  fprintf(stderr,
          "bench_session: model with %u profile rows built in %.0f "
          "ms (not timed below)\n",
          PROFILE_ROWS, (bench_now() - t0) * 1e3);
  int r = 0;
  inproc_job j = {&f, false, 0};
  r |= report_session(&f, "HLS-GMAC session, in-process, wrapper", run_inproc,
                      &j, &j.err, "Gurux C ~17 ms (*)", GURUX_SESSION);
  j.hdlc = true;
  r |= report_session(&f, "HLS-GMAC session, in-process, HDLC 1024", run_inproc,
                      &j, &j.err, "Gurux C ~17 ms (*)", GURUX_SESSION);
  r |= bench_tcp(&f, false, "HLS-GMAC session, loopback TCP, wrapper");
  r |= bench_tcp(&f, true, "HLS-GMAC session, loopback TCP, HDLC 1024");
  r |= bench_stream(&f);
  ami_cosem_model_free(f.model);
  return r;
}
