/*
 * cmd_meter.c -- `ami meter --listen`: a reference DLMS/COSEM server.
 *
 * One COSEM object model (lib/cosem) behind one server engine per
 * connection (lib/dlms), over the TCP wrapper or HDLC-over-TCP, driven by
 * libuv (arch/posix). Three associations, as a utility configures them:
 *   client 16  public:      no security, read-only
 *   client  2  reader:      LLS (password), read-only
 *   client  1  management:  HLS-GMAC, ciphered context, full rights
 * The registers' values are synthetic functions of time for now; the meter
 * application (metrology, tariffs, events) replaces them in the next issue.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_hex.h"
#include "ami/ami_obis.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"
#include "ami_cli.h"
#include "ami_posix_io.h"

typedef struct meter {
  ami_cosem_model *model;
  ami_server_assoc_cfg assocs[3];
  uint8_t password[32];
  size_t password_len;
  uint8_t system_title[8];
  bool hdlc;
  int64_t epoch_offset_ms; /* wall-clock ms = meter time + this */
  uint64_t time_base;      /* meter time = uv_now + time_base, so that a
                              recorded history has room before "now" */
  uint64_t start_ms;
  ami_cosem_object *profile;
  unsigned long sessions;
  bool verbose;
} meter;

typedef struct meter_session {
  meter *m;
  union {
    ami_wrapper_link w;
    ami_hdlc_link h;
  } link;
  ami_link *l;
  ami_server *srv;
  char peer[64];
} meter_session;

/* ---- synthetic live values ------------------------------------------------
 */

typedef enum { V_IMPORT, V_EXPORT, V_VOLTAGE, V_CURRENT, V_POWER } value_kind;

static int64_t live_value(value_kind k, uint64_t now_ms, uint64_t start_ms) {
  double t = (double)((int64_t)now_ms - (int64_t)start_ms) / 1000.0;
  switch (k) {
  case V_IMPORT:
    return 12345678 + (int64_t)(t * 0.35); /* Wh: a 1.26 kW average load */
  case V_EXPORT:
    return 2345 + (int64_t)(t * 0.02);
  case V_VOLTAGE:
    return 2300 + (int64_t)((now_ms / 1000) % 17) - 8; /* 0.1 V */
  case V_CURRENT:
    return 548 + (int64_t)((now_ms / 1000) % 29); /* 0.01 A */
  case V_POWER:
    return 1260 + (int64_t)((now_ms / 1000) % 41); /* W */
  }
  return 0;
}

static int meter_read(void *ud, ami_cosem_object *obj, unsigned attr,
                      const ami_apdu_selection *sel, uint64_t now_ms,
                      ami_wr *out, uint8_t *dar) {
  meter *m = ud;
  (void)sel;
  (void)dar;
  if (ami_cosem_object_class(obj) != 3 || attr != 2)
    return AMI_E_NOT_FOUND; /* storage and the model's own behaviour */
  ami_obis ln = ami_cosem_object_ln(obj);
  value_kind k = ln.c == 1    ? (ln.d == 8 ? V_IMPORT : V_POWER)
                 : ln.c == 2  ? V_EXPORT
                 : ln.c == 32 ? V_VOLTAGE
                              : V_CURRENT;
  int64_t v = live_value(k, now_ms, m->start_ms);
  if (k == V_VOLTAGE || k == V_CURRENT)
    ami_axdr_put_u16(out, (uint16_t)v);
  else
    ami_axdr_put_u32(out, (uint32_t)v);
  return out->err;
}

/* ---- building the object model --------------------------------------------
 */

static int put_value(ami_cosem_object *o, unsigned attr,
                     void (*enc)(ami_wr *, const void *), const void *arg) {
  uint8_t buf[256];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  enc(&w, arg);
  if (w.err)
    return w.err;
  return ami_cosem_set_attr(o, attr, ami_span_make(buf, w.len));
}

typedef struct su_arg {
  int8_t scaler;
  uint8_t unit;
} su_arg;

static void enc_scaler_unit(ami_wr *w, const void *a) {
  const su_arg *su = a;
  ami_axdr_put_struct(w, 2);
  ami_axdr_put_i8(w, su->scaler);
  ami_axdr_put_enum(w, su->unit);
}

static void enc_octets(ami_wr *w, const void *a) {
  const char *s = a;
  ami_axdr_put_octets(w, s, strlen(s));
}

static void enc_u32(ami_wr *w, const void *a) {
  ami_axdr_put_u32(w, *(const uint32_t *)a);
}

static int add(meter *m, ami_cosem_assoc *const *assocs, uint16_t cls,
               const char *obis, ami_cosem_object **out) {
  ami_obis ln;
  int rc = ami_obis_parse(obis, strlen(obis), &ln);
  if (rc == AMI_OK)
    rc = ami_cosem_add_object(m->model, cls, ln, out);
  for (int i = 0; rc == AMI_OK && i < 3; i++)
    rc = ami_cosem_assoc_add_object_role(
        assocs[i], *out,
        i == 2 ? AMI_COSEM_ROLE_MANAGEMENT
               : (i == 1 ? AMI_COSEM_ROLE_READER : AMI_COSEM_ROLE_PUBLIC));
  return rc;
}

static int build_model(meter *m, uint64_t now) {
  int rc = ami_cosem_model_new(NULL, NULL, &m->model);
  if (rc != AMI_OK)
    return rc;
  ami_cosem_callbacks cb = {meter_read, NULL, NULL, m};
  ami_cosem_model_set_callbacks(m->model, &cb);
  ami_obis assoc_ln[3];
  ami_obis_parse("0-0:40.0.1*255", 14, &assoc_ln[0]);
  ami_obis_parse("0-0:40.0.2*255", 14, &assoc_ln[1]);
  ami_obis_parse("0-0:40.0.3*255", 14, &assoc_ln[2]);
  ami_cosem_assoc *as[3];
  static const uint16_t clients[3] = {16, 2, 1};
  static const uint8_t mech[3] = {AMI_ACSE_MECH_NONE, AMI_ACSE_MECH_LLS,
                                  AMI_ACSE_MECH_GMAC};
  for (int i = 0; rc == AMI_OK && i < 3; i++)
    rc = ami_cosem_add_association(m->model, clients[i], mech[i], assoc_ln[i],
                                   &as[i]);
  if (rc != AMI_OK)
    return rc;
  rc = ami_cosem_add_logical_device(m->model, 1, "OAM0000000000001", 16);
  ami_cosem_object *clock, *ldn, *o, *imp, *exp;
  if (rc == AMI_OK)
    rc = add(m, as, 8, "0-0:1.0.0*255", &clock);
  if (rc == AMI_OK) {
    ami_cosem_clock_set_offset(clock, m->epoch_offset_ms);
    rc = add(m, as, 1, "0-0:42.0.0*255", &ldn);
  }
  if (rc == AMI_OK)
    rc = put_value(ldn, 2, enc_octets, "OAM0000000000001");
  if (rc == AMI_OK)
    rc = add(m, as, 1, "0-0:96.1.0*255", &o);
  if (rc == AMI_OK)
    rc = put_value(o, 2, enc_octets, "OPENAMI-REF-0001");
  static const struct {
    const char *obis;
    int8_t scaler;
    uint8_t unit;
  } regs[] = {{"1-0:1.8.0*255", 0, 30},
              {"1-0:2.8.0*255", 0, 30},
              {"1-0:32.7.0*255", -1, 35},
              {"1-0:31.7.0*255", -2, 33},
              {"1-0:1.7.0*255", 0, 27}};
  ami_cosem_object *reg[5] = {0};
  for (size_t i = 0; rc == AMI_OK && i < 5; i++) {
    rc = add(m, as, 3, regs[i].obis, &reg[i]);
    su_arg su = {regs[i].scaler, regs[i].unit};
    if (rc == AMI_OK)
      rc = put_value(reg[i], 3, enc_scaler_unit, &su);
  }
  imp = reg[0];
  exp = reg[1];
  /* Load profile 1: 15-minute energy, one day already recorded. */
  if (rc == AMI_OK)
    rc = add(m, as, 7, "1-0:99.1.0*255", &m->profile);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(m->profile, clock, 2, 0, 14);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(m->profile, imp, 2, 0, 5);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_add_column(m->profile, exp, 2, 0, 5);
  if (rc == AMI_OK)
    rc = ami_cosem_profile_set_capacity(m->profile, 96 * 40);
  uint32_t period = 900;
  if (rc == AMI_OK)
    rc = put_value(m->profile, 4, enc_u32, &period);
  for (int i = 96; rc == AMI_OK && i > 0; i--) {
    uint64_t t = now > (uint64_t)i * 900000u ? now - (uint64_t)i * 900000u : 0;
    rc = ami_cosem_profile_capture(m->profile, t);
  }
  return rc;
}

/* ---- sessions ---------------------------------------------------------------
 */

static int s_recv(void *sp, const uint8_t *p, size_t n, uint64_t now) {
  meter_session *s = sp;
  int rc = ami_server_recv(s->srv, p, n, now + s->m->time_base);
  return rc == AMI_OK ? 0 : -1;
}
static size_t s_pull(void *sp, uint8_t *buf, size_t cap, uint64_t now) {
  meter_session *s = sp;
  return ami_server_pull(s->srv, buf, cap, now + s->m->time_base);
}
static uint64_t s_expiry(void *sp) {
  meter_session *s = sp;
  uint64_t e = ami_server_expiry(s->srv);
  if (e == AMI_LINK_NO_EXPIRY)
    return AMI_IO_NO_EXPIRY;
  return e > s->m->time_base ? e - s->m->time_base : 0;
}
static int s_handle_expiry(void *sp, uint64_t now) {
  meter_session *s = sp;
  int rc = ami_server_handle_expiry(s->srv, now + s->m->time_base);
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static void s_closed(void *sp, int err) {
  meter_session *s = sp;
  if (s->m->verbose)
    fprintf(stderr, "meter: %s disconnected (%d)\n", s->peer, err);
  ami_server_free(s->srv);
  ami_link_free(s->l);
  free(s);
}

static const ami_io_session_ops session_ops = {
    s_recv, s_pull, s_expiry, s_handle_expiry, NULL, s_closed};

static void on_associated(ami_server *srv, const ami_server_assoc_info *info,
                          void *ud) {
  meter_session *s = ud;
  (void)srv;
  if (s->m->verbose)
    fprintf(stderr, "meter: %s associated as client %u (mechanism %u)\n",
            s->peer, info->client_address, info->mechanism);
}

static void *accept_session(void *ud, const char *peer,
                            const ami_io_session_ops **ops) {
  meter *m = ud;
  meter_session *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->m = m;
  snprintf(s->peer, sizeof s->peer, "%s", peer);
  if (m->hdlc) {
    ami_hdlc_link_config lc;
    memset(&lc, 0, sizeof lc);
    lc.role = AMI_LINK_SERVER;
    lc.client_address = 0; /* any client */
    lc.server_address = ami_hdlc_addr_server(1, 17);
    lc.limits.max_info_tx = lc.limits.max_info_rx = 1024;
    lc.limits.window_tx = lc.limits.window_rx = 1;
    lc.inactivity_timeout_ms = 120000;
    s->l = ami_hdlc_link_init(&s->link.h, &lc);
  } else {
    ami_wrapper_link_config wc;
    memset(&wc, 0, sizeof wc);
    wc.role = AMI_LINK_SERVER;
    wc.own_wport = 1;
    wc.peer_wport = 0; /* any client */
    s->l = ami_wrapper_link_init(&s->link.w, &wc);
  }
  ami_server_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.version = AMI_SERVER_VERSION;
  cfg.assocs = m->assocs;
  cfg.assoc_count = 3;
  memcpy(cfg.system_title, m->system_title, 8);
  cfg.crypto = ami_crypto_openssl();
  cfg.app = ami_cosem_server_app(m->model);
  cfg.link = s->l;
  cfg.max_response = 8u << 20;
  cfg.vaa_name = 0x0007;
  static const ami_server_callbacks cb = {
      .version = AMI_SERVER_CALLBACKS_VERSION, .on_associated = on_associated};
  if (ami_server_new(&s->srv, &cfg, &cb, s, NULL) != AMI_OK) {
    ami_link_free(s->l);
    free(s);
    return NULL;
  }
  m->sessions++;
  if (m->verbose)
    fprintf(stderr, "meter: connection from %s\n", peer);
  *ops = &session_ops;
  return s;
}

/* ---- the command
 * ------------------------------------------------------------- */

static void meter_usage(FILE *f) {
  fputs(
      "usage: ami meter --listen [ADDR:]PORT [options]\n"
      "\n"
      "A reference DLMS/COSEM server (a meter) on TCP: the IEC 62056-47 "
      "wrapper\n"
      "by default, or HDLC (IEC 62056-46) over TCP with --hdlc.\n"
      "\n"
      "associations:\n"
      "  client 16  public      no security, read-only\n"
      "  client  2  reader      LLS password (--password), read-only\n"
      "  client  1  management  HLS-GMAC, ciphered (--ek, --ak), full rights\n"
      "\n"
      "objects: clock 0-0:1.0.0, logical device name 0-0:42.0.0, serial\n"
      "0-0:96.1.0, registers 1-0:1.8.0 (Wh), 1-0:2.8.0 (Wh), 1-0:32.7.0 (V),\n"
      "1-0:31.7.0 (A), 1-0:1.7.0 (W), load profile 1-0:99.1.0 (15 min, one "
      "day\n"
      "recorded), association views 0-0:40.0.0 and SAP assignment.\n"
      "Register values are synthetic for now.\n"
      "\n"
      "options:\n"
      "  --listen [ADDR:]PORT  where to listen (default address 127.0.0.1)\n"
      "  --hdlc                HDLC framing (server address 1/17)\n"
      "  --password TEXT       LLS password of client 2 (default 12345678)\n"
      "  --ek HEX --ak HEX     management keys (default: the Green Book's)\n"
      "  --system-title HEX    the meter's system title (default "
      "4F414D0000000001)\n"
      "  --verbose             log connections to standard error\n",
      f);
}

static int hexarg(const char *v, uint8_t *out, size_t n) {
  return ami_hex_decode(v, strlen(v), out, n, NULL) == (long)n ? 0 : -1;
}

int ami_cmd_meter(int argc, char **argv) {
  static meter m;
  memset(&m, 0, sizeof m);
  const char *listen = NULL;
  uint8_t ek[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  uint8_t ak[16] = {0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7,
                    0xD8, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF};
  memcpy(m.system_title, "OAM\0\0\0\0\1", 8);
  memcpy(m.password, "12345678", 8);
  m.password_len = 8;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      meter_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--listen") && v) {
      listen = v;
      i++;
    } else if (!strcmp(a, "--hdlc")) {
      m.hdlc = true;
    } else if (!strcmp(a, "--verbose")) {
      m.verbose = true;
    } else if (!strcmp(a, "--password") && v && strlen(v) <= 32) {
      m.password_len = strlen(v);
      memcpy(m.password, v, m.password_len);
      i++;
    } else if (!strcmp(a, "--ek") && v && !hexarg(v, ek, 16)) {
      i++;
    } else if (!strcmp(a, "--ak") && v && !hexarg(v, ak, 16)) {
      i++;
    } else if (!strcmp(a, "--system-title") && v &&
               !hexarg(v, m.system_title, 8)) {
      i++;
    } else {
      fprintf(stderr, "ami meter: bad or incomplete option '%s'\n\n", a);
      meter_usage(stderr);
      return 2;
    }
  }
  if (!listen) {
    meter_usage(stderr);
    return 2;
  }
  char host[64] = "127.0.0.1";
  long port;
  const char *colon = strrchr(listen, ':');
  const char *port_text = listen;
  if (colon) {
    size_t hl = (size_t)(colon - listen);
    if (hl == 0 || hl >= sizeof host) {
      fprintf(stderr, "ami meter: bad address '%s'\n", listen);
      return 2;
    }
    memcpy(host, listen, hl);
    host[hl] = '\0';
    port_text = colon + 1;
  }
  if (ami_cli_parse_long(port_text, 1, 65535, &port) != 0) {
    fprintf(stderr, "ami meter: bad port in '%s'\n", listen);
    return 2;
  }

  uv_loop_t *loop = uv_default_loop();
  uv_update_time(loop);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t wall = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
  m.time_base = 400u * 86400000u; /* 400 days of history room */
  uint64_t now = uv_now(loop) + m.time_base;
  m.start_ms = now;
  m.epoch_offset_ms = wall - (int64_t)now;

  for (int i = 0; i < 3; i++) {
    ami_server_assoc_cfg *a = &m.assocs[i];
    a->client_address = (uint16_t)(i == 0 ? 16 : i == 1 ? 2 : 1);
    a->context = i == 2 ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
    a->mechanism = i == 0   ? AMI_ACSE_MECH_NONE
                   : i == 1 ? AMI_ACSE_MECH_LLS
                            : AMI_ACSE_MECH_GMAC;
    /* get, set, action, selective access, block transfer, multiple
     * references; plus general protection in the ciphered association. */
    a->conformance = i == 2 ? 0x00781F | 0x400000u : 0x00781F;
    a->max_receive_pdu = 1024;
    if (i == 1) {
      a->password = m.password;
      a->password_len = m.password_len;
    }
    if (i == 2) {
      a->has_keys = true;
      memcpy(a->ek, ek, 16);
      memcpy(a->ak, ak, 16);
    }
  }
  int rc = build_model(&m, now);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami meter: building the object model: %s\n",
            ami_strerror(rc));
    return 1;
  }
  rc = ami_io_tcp_listen(loop, host, (int)port, accept_session, &m);
  if (rc < 0) {
    fprintf(stderr, "ami meter: cannot listen on %s:%ld: %s\n", host, port,
            uv_strerror(rc));
    ami_cosem_model_free(m.model);
    return 1;
  }
  printf("ami meter: listening on %s:%ld (%s)\n", host, port,
         m.hdlc ? "HDLC over TCP, server address 1/17" : "TCP wrapper");
  fflush(stdout);
  signal(SIGPIPE, SIG_IGN);
  uv_run(loop, UV_RUN_DEFAULT);
  ami_cosem_model_free(m.model);
  return 0;
}
