/*
 * cmd_meter.c -- `ami meter`: a smart-meter emulator serving DLMS/COSEM.
 *
 * The meter itself is meter_emu.c (load model -> waveforms -> metrology ->
 * meter application, supply control, firmware update, pushes), configured
 * from a JSON file (meter_config.h, docs/meter-config.md). This file is the
 * I/O around it: a libuv TCP listener with one server engine (lib/dlms) per
 * connection over the TCP wrapper or HDLC-over-TCP, the simulated clock
 * (simulation.speed simulated seconds per real second), outgoing push
 * connections, and signals (SIGUSR1: the supply fails / returns; SIGUSR2:
 * the terminal cover opens / closes).
 *
 * The meter has one clock, the simulated one; the HDLC inactivity timeout
 * is scaled by the speed so that it stays 120 s of real time.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ami/ami_acse.h"
#include "ami/ami_caltime.h"
#include "ami/ami_cosem.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_hex.h"
#include "ami/ami_server.h"
#include "ami/ami_wrapper_link.h"
#include "ami_cli.h"
#include "ami_posix_io.h"
#include "meter_emu.h"

#define PUSH_CLIENT 102u /* the push destination's client address (IDIS) */

typedef struct meter {
  meter_conf conf;
  emu *e;
  ami_server_assoc_cfg assocs[4];
  uv_loop_t *loop;
  uv_timer_t tick;
  uv_signal_t sig_power, sig_cover;
  uint64_t real0;  /* uv_now at start */
  uint64_t sim0;   /* simulated UTC ms at start */
  uint64_t lagged; /* simulated seconds skipped to keep up (never: see tick) */
  bool verbose, cover_open;
  uint32_t push_iip;
  unsigned long sessions;
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
  bool push_only; /* an outgoing push connection */
  bool last_gasp;
} meter_session;

/* Simulated time now, continuous (the emulator steps whole seconds). */
static uint64_t sim_now(const meter *m) {
  uint64_t real = uv_now(m->loop) - m->real0;
  return m->sim0 + (uint64_t)((double)real * m->conf.speed);
}

static uint64_t real_at(const meter *m, uint64_t sim) {
  if (sim <= m->sim0)
    return 0;
  return (uint64_t)((double)(sim - m->sim0) / m->conf.speed);
}

/* ---- server sessions -------------------------------------------------------
 */

static int s_recv(void *sp, const uint8_t *p, size_t n, uint64_t now) {
  meter_session *s = sp;
  (void)now;
  return ami_server_recv(s->srv, p, n, sim_now(s->m)) == AMI_OK ? 0 : -1;
}
static size_t s_pull(void *sp, uint8_t *buf, size_t cap, uint64_t now) {
  meter_session *s = sp;
  (void)now;
  return ami_server_pull(s->srv, buf, cap, sim_now(s->m));
}
static uint64_t s_expiry(void *sp) {
  meter_session *s = sp;
  uint64_t e = ami_server_expiry(s->srv);
  if (e == AMI_LINK_NO_EXPIRY)
    return AMI_IO_NO_EXPIRY;
  return s->m->real0 + real_at(s->m, e);
}
static int s_handle_expiry(void *sp, uint64_t now) {
  meter_session *s = sp;
  (void)now;
  int rc = ami_server_handle_expiry(s->srv, sim_now(s->m));
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static bool s_done(void *sp) {
  meter_session *s = sp;
  return s->push_only && !ami_server_want_write(s->srv);
}
static void s_closed(void *sp, int err) {
  meter_session *s = sp;
  if (s->push_only) {
    if (s->m->verbose || err)
      fprintf(stderr, "meter: %s push to %s %s\n",
              s->last_gasp ? "last-gasp" : "alarm/interval",
              s->m->conf.push_destination,
              err ? uv_strerror(err) : "delivered");
    if (!s->last_gasp)
      emu_push_done(s->m->e, err == 0);
  } else if (s->m->verbose) {
    fprintf(stderr, "meter: %s disconnected (%d)\n", s->peer, err);
  }
  ami_server_free(s->srv);
  ami_link_free(s->l);
  free(s);
}

static const ami_io_session_ops session_ops = {
    s_recv, s_pull, s_expiry, s_handle_expiry, s_done, s_closed};

static void on_associated(ami_server *srv, const ami_server_assoc_info *info,
                          void *ud) {
  meter_session *s = ud;
  (void)srv;
  if (s->m->verbose)
    fprintf(stderr, "meter: %s associated as client %u (mechanism %u)\n",
            s->peer, info->client_address, info->mechanism);
}

static meter_session *session_new(meter *m, const char *peer, bool push) {
  meter_session *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->m = m;
  s->push_only = push;
  snprintf(s->peer, sizeof s->peer, "%s", peer);
  if (m->conf.hdlc && !push) {
    ami_hdlc_link_config lc;
    memset(&lc, 0, sizeof lc);
    lc.role = AMI_LINK_SERVER;
    lc.client_address = 0; /* any client */
    lc.server_address = ami_hdlc_addr_server(1, 17);
    lc.limits.max_info_tx = lc.limits.max_info_rx = 1024;
    lc.limits.window_tx = lc.limits.window_rx = 1;
    /* 120 s of real time, whatever the simulation speed (the link's timer
     * runs on the meter's simulated clock). */
    double t = 120000.0 * m->conf.speed;
    lc.inactivity_timeout_ms = t > 4e9 ? 4000000000u : (uint32_t)t;
    s->l = ami_hdlc_link_init(&s->link.h, &lc);
  } else {
    ami_wrapper_link_config wc;
    memset(&wc, 0, sizeof wc);
    wc.role = AMI_LINK_SERVER;
    wc.own_wport = 1;
    wc.peer_wport = push ? PUSH_CLIENT : 0; /* any client */
    s->l = ami_wrapper_link_init(&s->link.w, &wc);
  }
  ami_server_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.version = AMI_SERVER_VERSION;
  cfg.assocs = m->assocs;
  cfg.assoc_count = 4;
  memcpy(cfg.system_title, m->conf.system_title, 8);
  cfg.crypto = ami_crypto_openssl();
  cfg.app = ami_cosem_server_app(emu_model(m->e));
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
  return s;
}

static void *accept_session(void *ud, const char *peer,
                            const ami_io_session_ops **ops) {
  meter *m = ud;
  meter_session *s = session_new(m, peer, false);
  if (!s)
    return NULL;
  m->sessions++;
  if (m->verbose)
    fprintf(stderr, "meter: connection from %s\n", peer);
  *ops = &session_ops;
  return s;
}

/* ---- pushes: the meter opens a connection to the destination ---------------
 */

static void send_push(void *user, ami_span body, bool last_gasp) {
  meter *m = user;
  char host[64] = "127.0.0.1";
  long port;
  meter_session *s = NULL;
  if (ami_cli_split_hostport(m->conf.push_destination, host, sizeof host,
                             &port) == 0)
    s = session_new(m, m->conf.push_destination, true);
  if (!s) {
    if (!last_gasp)
      emu_push_done(m->e, false);
    return;
  }
  s->last_gasp = last_gasp;
  int rc = ami_server_push_unassociated(s->srv, PUSH_CLIENT, body,
                                        ++m->push_iip & 0xFFFFFFu, sim_now(m));
  if (rc == AMI_OK)
    rc = ami_io_tcp_connect(m->loop, host, (int)port, &session_ops, s, NULL);
  if (rc != AMI_OK && rc != 0) {
    fprintf(stderr, "meter: push to %s: %s\n", m->conf.push_destination,
            rc < 0 && rc > -200 ? uv_strerror(rc) : ami_strerror(rc));
    ami_server_free(s->srv);
    ami_link_free(s->l);
    free(s);
    if (!last_gasp)
      emu_push_done(m->e, false);
  }
}

/* ---- the simulated clock, signals ------------------------------------------
 */

static void on_tick(uv_timer_t *t) {
  meter *m = t->data;
  /* At most ~15 ms of work per tick, so connections stay served; when the
   * machine cannot keep up, simulated time falls behind the requested
   * speed rather than skipping seconds. */
  uint64_t t0 = uv_hrtime(), target = sim_now(m);
  while (emu_run_until(m->e, target, 8) > 0 &&
         uv_hrtime() - t0 < 15u * 1000u * 1000u)
    ;
}

static void on_power_signal(uv_signal_t *h, int sig) {
  meter *m = h->data;
  (void)sig;
  bool on = !emu_readout(m->e)->voltage_present;
  fprintf(stderr, "meter: supply %s\n", on ? "restored" : "FAILS");
  emu_set_power(m->e, on);
}

static void on_cover_signal(uv_signal_t *h, int sig) {
  meter *m = h->data;
  (void)sig;
  m->cover_open = !m->cover_open;
  emu_tamper(m->e, m->cover_open ? AMI_METER_TAMPER_TERMINAL_COVER_OPEN
                                 : AMI_METER_TAMPER_TERMINAL_COVER_CLOSE);
}

/* ---- the command
 * ------------------------------------------------------------- */

static void meter_usage(FILE *f) {
  fputs(
      "usage: ami meter [--config FILE] [--listen [ADDR:]PORT] [options]\n"
      "\n"
      "A smart-meter emulator speaking DLMS/COSEM over TCP (the IEC 62056-47\n"
      "wrapper, or HDLC over TCP with --hdlc). Its registers come from a\n"
      "metrology engine fed with simulated voltage and current waveforms of a\n"
      "household (appliance models, or a real London / Sydney household from\n"
      "../shared/data), in simulated time.\n"
      "\n"
      "associations:\n"
      "  client 16  public      no security, read-only\n"
      "  client  2  reader      LLS password, read-only\n"
      "  client  1  management  HLS-GMAC, ciphered, full rights\n"
      "\n"
      "options (override the configuration file):\n"
      "  --config FILE         JSON configuration (docs/meter-config.md)\n"
      "  --listen [ADDR:]PORT  where to listen (default 127.0.0.1:4059)\n"
      "  --hdlc                HDLC framing (server address 1/17)\n"
      "  --speed X             simulated seconds per real second (default 1)\n"
      "  --push HOST:PORT      where pushes go (alarms, last gasp)\n"
      "  --start TIME          simulated start, UTC YYYY-MM-DDTHH:MM:SSZ\n"
      "                        (default: now)\n"
      "  --password TEXT       LLS password of client 2 (default 12345678)\n"
      "  --ek HEX --ak HEX     management keys (default: the Green Book's)\n"
      "  --system-title HEX    the meter's system title\n"
      "  --verbose             log connections and pushes\n"
      "\n"
      "signals: SIGUSR1 the supply fails / returns (last-gasp push), SIGUSR2\n"
      "the terminal cover opens / closes.\n",
      f);
}

static int hexarg(const char *v, uint8_t *out, size_t n) {
  return ami_hex_decode(v, strlen(v), out, n, NULL) == (long)n ? 0 : -1;
}

static int parse_utc(const char *s, int64_t *ms) {
  unsigned y, mo, d, h, mi, se;
  if (sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2uZ", &y, &mo, &d, &h, &mi, &se) != 6)
    return -1;
  *ms = (ami_days_from_civil((int32_t)y, mo, d) * 86400 + h * 3600 + mi * 60 +
         se) *
        1000;
  return 0;
}

static void setup_assocs(meter *m) {
  const meter_conf *c = &m->conf;
  for (int i = 0; i < 4; i++) {
    ami_server_assoc_cfg *a = &m->assocs[i];
    memset(a, 0, sizeof *a);
    a->client_address = (uint16_t)(i == 0   ? 16
                                   : i == 1 ? 2
                                   : i == 2 ? 1
                                            : PUSH_CLIENT);
    a->context = i >= 2 ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
    a->mechanism = i == 0   ? AMI_ACSE_MECH_NONE
                   : i == 1 ? AMI_ACSE_MECH_LLS
                            : AMI_ACSE_MECH_GMAC;
    /* get, set, action, selective access, block transfer, multiple
     * references; plus general protection in the ciphered association. */
    a->conformance = i >= 2 ? 0x00781F | 0x400000u : 0x00781F;
    a->max_receive_pdu = 1024;
    if (i == 1) {
      a->password = (const uint8_t *)c->lls_password;
      a->password_len = strlen(c->lls_password);
    }
    if (i >= 2) { /* the management keys; the push client (102) has no
                     association in the model: it only receives pushes */
      a->has_keys = true;
      memcpy(a->ek, c->ek, 16);
      memcpy(a->ak, c->ak, 16);
    }
  }
}

int ami_cmd_meter(int argc, char **argv) {
  static meter m;
  memset(&m, 0, sizeof m);
  meter_conf *c = &m.conf;
  meter_conf_defaults(c);
  const char *config = NULL;
  for (int i = 1; i < argc; i++) /* the file first, options override it */
    if (!strcmp(argv[i], "--config") && i + 1 < argc)
      config = argv[i + 1];
  if (config) {
    char err[512];
    if (meter_conf_load(c, config, err, sizeof err)) {
      fprintf(stderr, "ami meter: %s: %s\n", config, err);
      return 2;
    }
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      meter_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--config") && v) {
      i++;
    } else if (!strcmp(a, "--listen") && v && strlen(v) < sizeof c->listen) {
      snprintf(c->listen, sizeof c->listen, "%s", v);
      i++;
    } else if (!strcmp(a, "--hdlc")) {
      c->hdlc = true;
    } else if (!strcmp(a, "--push") && v &&
               strlen(v) < sizeof c->push_destination) {
      snprintf(c->push_destination, sizeof c->push_destination, "%s", v);
      i++;
    } else if (!strcmp(a, "--verbose")) {
      m.verbose = true;
    } else if (!strcmp(a, "--speed") && v && atof(v) > 0 && atof(v) <= 1e6) {
      c->speed = atof(v);
      i++;
    } else if (!strcmp(a, "--start") && v && !parse_utc(v, &c->start_utc_ms)) {
      i++;
    } else if (!strcmp(a, "--password") && v &&
               strlen(v) < sizeof c->lls_password) {
      snprintf(c->lls_password, sizeof c->lls_password, "%s", v);
      i++;
    } else if (!strcmp(a, "--ek") && v && !hexarg(v, c->ek, 16)) {
      i++;
    } else if (!strcmp(a, "--ak") && v && !hexarg(v, c->ak, 16)) {
      i++;
    } else if (!strcmp(a, "--system-title") && v &&
               !hexarg(v, c->system_title, 8)) {
      i++;
    } else {
      fprintf(stderr, "ami meter: bad or incomplete option '%s'\n\n", a);
      meter_usage(stderr);
      return 2;
    }
  }
  char host[64] = "127.0.0.1";
  long port;
  if (ami_cli_split_hostport(c->listen, host, sizeof host, &port))
    return 2;

  uint8_t *ds = NULL;
  size_t ds_len = 0;
  if (c->load_dataset[0] &&
      (!strcmp(c->load_model, "london") || !strcmp(c->load_model, "solar"))) {
    /* a replayed dataset: up to 4 GiB, .gz through zcat */
    ds = (uint8_t *)ami_cli_read_input(c->load_dataset, (size_t)4 << 30,
                                       &ds_len);
    if (!ds)
      return 1;
  }
  m.loop = uv_default_loop();
  uv_update_time(m.loop);
  m.real0 = uv_now(m.loop);
  if (c->start_utc_ms) {
    m.sim0 = (uint64_t)c->start_utc_ms;
  } else {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m.sim0 = (uint64_t)ts.tv_sec * 1000u;
  }
  setup_assocs(&m);
  char err[512];
  int rc = emu_new(&m.e, c, m.sim0, ds, ds_len, send_push, &m, err, sizeof err);
  free(ds);
  if (rc) {
    fprintf(stderr, "ami meter: %s\n", err);
    return 1;
  }
  rc = ami_io_tcp_listen(m.loop, host, (int)port, accept_session, &m);
  if (rc < 0) {
    fprintf(stderr, "ami meter: cannot listen on %s:%ld: %s\n", host, port,
            uv_strerror(rc));
    emu_free(m.e);
    return 1;
  }
  uv_timer_init(m.loop, &m.tick);
  m.tick.data = &m;
  uv_timer_start(&m.tick, on_tick, 20, 20);
  uv_signal_init(m.loop, &m.sig_power);
  m.sig_power.data = &m;
  uv_signal_start(&m.sig_power, on_power_signal, SIGUSR1);
  uv_signal_init(m.loop, &m.sig_cover);
  m.sig_cover.data = &m;
  uv_signal_start(&m.sig_cover, on_cover_signal, SIGUSR2);
  printf("ami meter: listening on %s:%ld (%s); load %s, speed %gx, "
         "firmware %s\n",
         host, port,
         c->hdlc ? "HDLC over TCP, server address 1/17"
                 : "TCP "
                   "wrapper",
         c->load_model, c->speed, emu_firmware_id(m.e));
  fflush(stdout);
  signal(SIGPIPE, SIG_IGN);
  uv_run(m.loop, UV_RUN_DEFAULT);
  emu_free(m.e);
  return 0;
}
