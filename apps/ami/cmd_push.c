/*
 * cmd_push.c -- `ami push-listen`: receive the pushes meters send on
 * connections THEY open (IEC 62056-6-2 Push Setup, class 40: the
 * destination is a head-end address; alarms and "last gasp" arrive here).
 *
 * Each accepted TCP connection gets its own client engine (lib/dlms
 * ami_client) over a wrapper or HDLC link, never associated: the engine
 * delivers DataNotification and EventNotification APDUs, deciphering them
 * with the pre-shared keys (suite 0, glo-/general-glo-ciphering) when
 * given. Each push is printed as it arrives (readable or one JSON object
 * per line) with the values decoded and named; --count N stops after N.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_client.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_hex.h"
#include "ami/ami_wrapper_link.h"
#include "ami_cli.h"
#include "ami_posix_io.h"
#include "decode_int.h"

typedef struct push_cfg {
  bool hdlc, json, lax;
  long client;
  bool have_ek, have_ak;
  uint8_t ek[16], ak[16];
  long count; /* stop after this many pushes (0: never) */
  long seen;
  uv_loop_t *loop;
} push_cfg;

typedef struct push_conn {
  push_cfg *cfg;
  char peer[64];
  union {
    ami_wrapper_link w;
    ami_hdlc_link h;
  } link;
  ami_link *l;
  ami_client *c;
} push_conn;

static void on_push(ami_client *c, const ami_client_push *p, void *ud) {
  push_conn *pc = ud;
  (void)c;
  push_cfg *cfg = pc->cfg;
  cfg->seen++;
  json_t *o = json_object();
  ami_cli_set(o, "from", json_string(pc->peer));
  ami_cli_set(o, "kind",
              json_string(p->tag == AMI_APDU_DATA_NOTIFICATION
                              ? "data-notification"
                              : "event-notification"));
  if (p->tag == AMI_APDU_DATA_NOTIFICATION)
    ami_cli_set(o, "long-invoke-id", json_integer(p->long_iip & 0xFFFFFF));
  if (p->date_time.len == 12) {
    ami_cosem_datetime dt;
    ami_cosem_datetime_decode(p->date_time.p, &dt);
    char t[48];
    ami_cosem_datetime_format(&dt, AMI_COSEM_DEV_STANDARD, t, sizeof t);
    ami_cli_set(o, "date-time", json_string(t));
  }
  int err = AMI_OK;
  ami_cli_set(o, "body", dec_data_json_all(p->body, &err));
  if (err != AMI_OK)
    ami_cli_set(o, "warning", json_string(ami_strerror(err)));
  if (cfg->json) {
    json_dumpf(o, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
  } else {
    json_t *doc = json_object();
    char key[32];
    snprintf(key, sizeof key, "push %ld", cfg->seen);
    json_object_set(doc, key, o);
    ami_cli_render_text(stdout, doc);
    json_decref(doc);
  }
  fflush(stdout);
  json_decref(o);
  if (cfg->count && cfg->seen >= cfg->count)
    uv_stop(cfg->loop);
}

static void on_error(ami_client *c, int err, const char *what, void *ud) {
  push_conn *pc = ud;
  (void)c;
  fprintf(stderr, "ami push-listen: %s: %s: %s\n", pc->peer,
          what ? what : "error", ami_strerror(err));
}

static int p_recv(void *sp, const uint8_t *p, size_t n, uint64_t now) {
  push_conn *pc = sp;
  return ami_client_recv(pc->c, p, n, now) == AMI_OK ? 0 : -1;
}
static size_t p_pull(void *sp, uint8_t *buf, size_t cap, uint64_t now) {
  push_conn *pc = sp;
  return ami_client_pull(pc->c, buf, cap, now);
}
static uint64_t p_expiry(void *sp) {
  push_conn *pc = sp;
  uint64_t e = ami_client_expiry(pc->c);
  return e == AMI_LINK_NO_EXPIRY ? AMI_IO_NO_EXPIRY : e;
}
static int p_handle_expiry(void *sp, uint64_t now) {
  push_conn *pc = sp;
  int rc = ami_client_handle_expiry(pc->c, now);
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static void p_closed(void *sp, int err) {
  push_conn *pc = sp;
  (void)err;
  ami_client_free(pc->c);
  ami_link_free(pc->l);
  free(pc);
}

static const ami_io_session_ops push_ops = {p_recv,          p_pull, p_expiry,
                                            p_handle_expiry, NULL,   p_closed};

static void *accept_push(void *ud, const char *peer,
                         const ami_io_session_ops **ops) {
  push_cfg *cfg = ud;
  push_conn *pc = calloc(1, sizeof *pc);
  if (!pc)
    return NULL;
  pc->cfg = cfg;
  snprintf(pc->peer, sizeof pc->peer, "%s", peer);
  if (cfg->hdlc) {
    /* The meter sends UI frames (or I frames after its own SNRM): we are
     * the HDLC secondary's peer at the client address. */
    ami_hdlc_link_config lc;
    memset(&lc, 0, sizeof lc);
    lc.role = AMI_LINK_SERVER;
    lc.client_address = (uint16_t)cfg->client;
    lc.server_address = ami_hdlc_addr_server(1, 17);
    pc->l = ami_hdlc_link_init(&pc->link.h, &lc);
  } else {
    ami_wrapper_link_config wc;
    memset(&wc, 0, sizeof wc);
    wc.role = AMI_LINK_CLIENT;
    wc.own_wport = (uint16_t)cfg->client;
    wc.peer_wport = 0; /* any meter logical device */
    pc->l = ami_wrapper_link_init(&pc->link.w, &wc);
    /* The meter opened the connection: the client-role link is up now. */
    ami_link_connect(pc->l, uv_now(cfg->loop));
  }
  ami_client_cfg cc;
  memset(&cc, 0, sizeof cc);
  cc.context = cfg->have_ek ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
  cc.crypto = ami_crypto_openssl();
  cc.lax_suite = cfg->lax;
  cc.timeout_ms = 30000;
  if (cfg->have_ek) {
    cc.ek = cfg->ek;
    cc.ek_len = 16;
    cc.security = AMI_SEC_SC_ENC;
  }
  if (cfg->have_ak) {
    cc.ak = cfg->ak;
    cc.ak_len = 16;
    cc.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  }
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_push = on_push,
                                          .on_error = on_error};
  if (!pc->l || ami_client_new(&pc->c, &cc, &cb, pc, pc->l, NULL) != AMI_OK) {
    ami_link_free(pc->l);
    free(pc);
    return NULL;
  }
  *ops = &push_ops;
  return pc;
}

static void push_usage(FILE *f) {
  fputs("usage: ami push-listen --listen [ADDR:]PORT [options]\n"
        "\n"
        "Receives DLMS/COSEM pushes (DataNotification, EventNotification)\n"
        "that meters send on connections they open, and prints them.\n"
        "\n"
        "options:\n"
        "  --listen [ADDR:]PORT  where to listen (default address "
        "127.0.0.1)\n"
        "  --hdlc                HDLC framing (default the TCP wrapper)\n"
        "  --client N            our address (wPort / HDLC client, default "
        "102)\n"
        "  --ek HEX [--ak HEX]   keys of ciphered pushes (suite 0)\n"
        "  --lax-suite           accept suite id 1 in the security control\n"
        "                        byte (sent by some meters, e.g. Kaifa)\n"
        "  --count N             exit after N pushes\n"
        "  --json                one JSON object per push and line\n",
        f);
}

int ami_cmd_push_listen(int argc, char **argv) {
  static push_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.client = 102;
  const char *listen = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      push_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--hdlc")) {
      cfg.hdlc = true;
    } else if (!strcmp(a, "--json")) {
      cfg.json = true;
    } else if (!strcmp(a, "--lax-suite")) {
      cfg.lax = true;
    } else if (!v) {
      fprintf(stderr, "ami push-listen: %s needs a value\n", a);
      return 2;
    } else if (!strcmp(a, "--listen")) {
      listen = v, i++;
    } else if (!strcmp(a, "--client") &&
               !ami_cli_parse_long(v, 1, 0x7F, &cfg.client)) {
      i++;
    } else if (!strcmp(a, "--count") &&
               !ami_cli_parse_long(v, 1, 1000000000, &cfg.count)) {
      i++;
    } else if (!strcmp(a, "--ek") &&
               ami_hex_decode(v, strlen(v), cfg.ek, 16, NULL) == 16) {
      cfg.have_ek = true, i++;
    } else if (!strcmp(a, "--ak") &&
               ami_hex_decode(v, strlen(v), cfg.ak, 16, NULL) == 16) {
      cfg.have_ak = true, i++;
    } else {
      fprintf(stderr, "ami push-listen: bad option or value '%s %s'\n", a, v);
      return 2;
    }
  }
  char host[64] = "127.0.0.1";
  long port;
  if (!listen || ami_cli_split_hostport(listen, host, sizeof host, &port)) {
    push_usage(stderr);
    return 2;
  }
  cfg.loop = uv_default_loop();
  int rc = ami_io_tcp_listen(cfg.loop, host, (int)port, accept_push, &cfg);
  if (rc < 0) {
    fprintf(stderr, "ami push-listen: cannot listen on %s:%ld: %s\n", host,
            port, uv_strerror(rc));
    return 1;
  }
  printf("ami push-listen: listening on %s:%ld (%s, client %ld)\n", host, port,
         cfg.hdlc ? "HDLC" : "TCP wrapper", cfg.client);
  fflush(stdout);
  signal(SIGPIPE, SIG_IGN);
  uv_run(cfg.loop, UV_RUN_DEFAULT);
  return 0;
}
