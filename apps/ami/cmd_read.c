/*
 * cmd_read.c -- `ami read`: a field engineer's DLMS/COSEM client.
 *
 * Connects over TCP (wrapper, or HDLC over TCP) or a serial port (HDLC, e.g.
 * an optical probe), associates with the chosen client address and
 * security, runs the requests given on the command line in order, prints
 * each result (readable, --json or --csv), releases and disconnects.
 * Engine: lib/dlms client over an ami_link; I/O: arch/posix (libuv).
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami/ami_caltime.h"
#include "ami/ami_client.h"
#include "ami/ami_cosem_time.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hdlc_link.h"
#include "ami/ami_hex.h"
#include "ami/ami_obis.h"
#include "ami/ami_selective.h"
#include "ami/ami_wrapper_link.h"
#include "ami_cli.h"
#include "ami_posix_io.h"
#include "decode_int.h"
#include "read_fw.h"

#define READ_MAX_OPS 64

typedef enum { OP_GET, OP_SET, OP_ACTION, OP_FW } op_kind;

typedef struct read_op {
  op_kind kind;
  ami_apdu_desc desc;
  ami_apdu_selection sel;
  uint8_t sel_buf[128];
  uint8_t *value; /* SET value / ACTION params (owned), may be NULL */
  size_t value_len;
  char label[96];
  /* A register's scaler_unit, fetched by a hidden request just before its
   * value so that the value can be shown scaled ("230.8 V"). */
  uint32_t id; /* the engine's request id, once queued */
  bool queued;
  bool hidden;  /* this op only fetches the next op's scaler_unit */
  bool have_su; /* (value op) scaler/unit known */
  int8_t scaler;
  uint8_t unit;
} read_op;

typedef enum { OUT_TEXT, OUT_JSON, OUT_CSV } out_format;

typedef struct reader {
  union {
    ami_wrapper_link w;
    ami_hdlc_link h;
  } link;
  ami_link *l;
  ami_client *c;
  read_op ops[READ_MAX_OPS];
  size_t nops, answered;
  out_format fmt;
  json_t *results; /* JSON array, for --json */
  int failures;
  bool released, finished, association_failed;
  uv_loop_t *loop;
  ami_read_fw *fw; /* a fw-update request (at most one), owned */
  size_t next_op;  /* the first op not yet queued */
  size_t fw_op;    /* its index in ops */
} reader;

static const char *dar_text(uint8_t dar) {
  return ami_apdu_dar_name(dar);
}

/* ---- output ----------------------------------------------------------------
 */

static void csv_cell(FILE *f, json_t *v) {
  json_t *val = json_object_get(v, "value");
  json_t *note = json_object_get(v, "datetime");
  if (!note)
    note = json_object_get(v, "scaled");
  if (!note)
    note = json_object_get(v, "obis");
  if (json_is_string(note))
    fprintf(f, "%s", json_string_value(note));
  else if (json_is_string(val))
    fprintf(f, "%s", json_string_value(val));
  else if (json_is_integer(val))
    fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(val));
  else if (json_is_real(val))
    fprintf(f, "%.17g", json_real_value(val));
  else if (json_is_boolean(val))
    fputs(json_is_true(val) ? "true" : "false", f);
}

/* CSV: an array of structures is a table (one row per element); anything
 * else is one row. */
static void print_csv(const read_op *op, json_t *v) {
  json_t *items = json_object_get(v, "items");
  const char *type = json_string_value(json_object_get(v, "type"));
  if (type && !strcmp(type, "array")) {
    size_t i;
    json_t *row;
    json_array_foreach(items, i, row) {
      json_t *cells = json_object_get(row, "items");
      if (json_is_array(cells)) {
        size_t j;
        json_t *cell;
        json_array_foreach(cells, j, cell) {
          if (j)
            fputc(',', stdout);
          csv_cell(stdout, cell);
        }
      } else {
        csv_cell(stdout, row);
      }
      fputc('\n', stdout);
    }
    return;
  }
  printf("%s,", op->label);
  csv_cell(stdout, v);
  fputc('\n', stdout);
}

static void emit(reader *r, const read_op *op, json_t *v) {
  if (r->fmt == OUT_JSON) {
    json_t *o = json_object();
    ami_cli_set(o, "request", json_string(op->label));
    ami_cli_set(o, "result", v);
    json_array_append_new(r->results, o);
    return;
  }
  if (r->fmt == OUT_CSV)
    print_csv(op, v);
  else {
    json_t *doc = json_object();
    json_object_set(doc, op->label, v);
    ami_cli_render_text(stdout, doc);
    json_decref(doc);
  }
  json_decref(v);
}

static void emit_error(reader *r, const read_op *op, const char *fmt_msg) {
  r->failures++;
  json_t *o = json_object();
  ami_cli_set(o, "error", json_string(fmt_msg));
  if (r->fmt == OUT_TEXT)
    fprintf(stdout, "%s: error: %s\n", op->label, fmt_msg);
  else if (r->fmt == OUT_CSV)
    fprintf(stderr, "ami read: %s: %s\n", op->label, fmt_msg);
  if (r->fmt == OUT_JSON) {
    ami_cli_set(o, "request", json_string(op->label));
    json_array_append_new(r->results, o);
  } else {
    json_decref(o);
  }
}

/* ---- engine callbacks ------------------------------------------------------
 */

static void finish(reader *r) {
  if (!r->released) {
    r->released = true;
    if (ami_client_is_associated(r->c))
      ami_client_release(r->c);
    else
      r->finished = true;
  }
}

/* Queue the requests from r->next_op on; a fw-update is a sequence of its
 * own, so the requests after it wait until it has finished (a `get` of the
 * firmware identifier after `fw-update` reads the new one). */
static void queue_all(reader *r) {
  for (size_t i = r->next_op; i < r->nops; i++) {
    read_op *op = &r->ops[i];
    uint32_t id;
    if (op->kind == OP_FW) {
      r->next_op = i + 1;
      ami_read_fw_start(r->fw, r->c);
      return;
    }
    const ami_apdu_selection *sel = op->sel.present ? &op->sel : NULL;
    int rc;
    if (op->kind == OP_GET)
      rc = ami_client_get(r->c, &op->desc, sel, &id);
    else if (op->kind == OP_SET)
      rc = ami_client_set(r->c, &op->desc, NULL,
                          ami_span_make(op->value, op->value_len), &id);
    else
      rc = ami_client_action(r->c, &op->desc,
                             ami_span_make(op->value, op->value_len), &id);
    if (rc != AMI_OK) {
      if (!op->hidden)
        emit_error(r, op, ami_strerror(rc));
      r->answered++;
    } else {
      op->id = id;
      op->queued = true;
    }
  }
  if (r->answered == r->nops)
    finish(r);
}

static void on_associated(ami_client *c, int result,
                          const ami_client_assoc_info *info, void *ud) {
  reader *r = ud;
  (void)c;
  if (result != AMI_OK) {
    char msg[256];
    if (info && info->result >= 0)
      snprintf(msg, sizeof msg, "association rejected: %s (%s: %s)%s%s",
               ami_acse_result_name(info->result),
               info->diag_source == AMI_ACSE_DIAG_USER
                   ? "acse-service-user"
                   : "acse-service-provider",
               ami_acse_diag_name(info->diag_source, info->diagnostic),
               info->has_cse ? "; " : "",
               info->has_cse ? ami_apdu_service_error_value_name(
                                   info->cse.error, info->cse.value)
                             : "");
    else
      snprintf(msg, sizeof msg, "association failed: %s", ami_strerror(result));
    fprintf(stderr, "ami read: %s\n", msg);
    r->association_failed = true;
    r->failures++;
    r->finished = true;
    ami_link_disconnect(r->l, uv_now(r->loop));
    return;
  }
  queue_all(r);
}

/* The firmware update ended (or the link went): report it as its op. */
static void fw_finished(reader *r) {
  const char *msg;
  read_op *op = &r->ops[r->fw_op];
  if (ami_read_fw_failed(r->fw, &msg)) {
    emit_error(r, op, msg);
  } else {
    json_t *ok = json_object();
    ami_cli_set(ok, "type", json_string("result"));
    ami_cli_set(ok, "value", json_string(msg));
    emit(r, op, ok);
  }
  r->answered++;
  if (r->answered == r->nops)
    finish(r);
  else if (r->next_op > r->fw_op && r->next_op < r->nops &&
           ami_client_is_associated(r->c))
    queue_all(r); /* the requests after the firmware update */
}

static void on_response(ami_client *c, const ami_client_response *resp,
                        void *ud) {
  reader *r = ud;
  if (r->fw && !ami_read_fw_done(r->fw) && ami_read_fw_owns(r->fw, resp->id)) {
    ami_read_fw_on_response(r->fw, c, resp, uv_now(r->loop));
    if (ami_read_fw_done(r->fw))
      fw_finished(r);
    return;
  }
  /* Responses are matched to requests by id, never by order. */
  size_t i = 0;
  while (i < r->nops && !(r->ops[i].queued && r->ops[i].id == resp->id))
    i++;
  if (i >= r->nops)
    return;
  read_op *op = &r->ops[i];
  op->queued = false;
  r->answered++;
  if (op->hidden) {
    ami_axdr_dec d;
    uint32_t n;
    int8_t sc;
    uint8_t un;
    if (resp->error == AMI_OK && resp->count >= 1 &&
        resp->results[0].dar == 0) {
      ami_span v = resp->results[0].data;
      ami_axdr_dec_init(&d, v.p, v.len);
      if (ami_axdr_get_struct(&d, &n) == AMI_OK && n == 2 &&
          ami_axdr_get_i8(&d, &sc) == AMI_OK &&
          ami_axdr_get_enum(&d, &un) == AMI_OK && i + 1 < r->nops) {
        r->ops[i + 1].have_su = true;
        r->ops[i + 1].scaler = sc;
        r->ops[i + 1].unit = un;
      }
    }
    if (r->answered == r->nops)
      finish(r);
    return;
  }
  if (resp->error != AMI_OK) {
    char msg[160];
    if (resp->exception)
      snprintf(msg, sizeof msg, "exception: %s / %s",
               ami_apdu_state_error_name(resp->state_error),
               ami_apdu_exception_service_name(resp->service_error));
    else
      snprintf(msg, sizeof msg, "%s", ami_strerror(resp->error));
    emit_error(r, op, msg);
  } else if (resp->count >= 1 && resp->results[0].dar != 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "%s (data-access-result %u)",
             op->kind == OP_ACTION
                 ? ami_apdu_action_result_name(resp->results[0].dar)
                 : dar_text(resp->results[0].dar),
             resp->results[0].dar);
    emit_error(r, op, msg);
  } else if (resp->count >= 1 && resp->results[0].data.len > 0) {
    int err;
    json_t *v = dec_data_json_all(resp->results[0].data, &err);
    if (op->have_su)
      dec_annotate_scaled(v, op->scaler, op->unit);
    emit(r, op, v);
    if (err != AMI_OK)
      r->failures++;
  } else {
    json_t *ok = json_object();
    ami_cli_set(ok, "type", json_string("result"));
    ami_cli_set(ok, "value", json_string("success"));
    emit(r, op, ok);
  }
  if (r->answered == r->nops)
    finish(r);
}

static void on_released(ami_client *c, int result, void *ud) {
  reader *r = ud;
  (void)c;
  (void)result;
  r->finished = true;
  ami_link_disconnect(r->l, uv_now(r->loop));
}

static void on_error(ami_client *c, int err, const char *what, void *ud) {
  (void)c;
  (void)ud;
  fprintf(stderr, "ami read: %s: %s\n", what ? what : "error",
          ami_strerror(err));
}

/* ---- I/O adapters ----------------------------------------------------------
 */

static int r_recv(void *rp, const uint8_t *p, size_t n, uint64_t now) {
  reader *r = rp;
  return ami_client_recv(r->c, p, n, now) == AMI_OK ? 0 : -1;
}
static size_t r_pull(void *rp, uint8_t *buf, size_t cap, uint64_t now) {
  reader *r = rp;
  return ami_client_pull(r->c, buf, cap, now);
}
static uint64_t r_expiry(void *rp) {
  reader *r = rp;
  uint64_t e = ami_client_expiry(r->c);
  e = e == AMI_LINK_NO_EXPIRY ? AMI_IO_NO_EXPIRY : e;
  if (r->fw) {
    uint64_t f = ami_read_fw_expiry(r->fw);
    if (f != UINT64_MAX && (e == AMI_IO_NO_EXPIRY || f < e))
      e = f;
  }
  return e;
}
static int r_handle_expiry(void *rp, uint64_t now) {
  reader *r = rp;
  if (r->fw)
    ami_read_fw_handle_expiry(r->fw, r->c, now);
  int rc = ami_client_handle_expiry(r->c, now);
  return rc == AMI_OK || rc == AMI_E_AGAIN ? 0 : -1;
}
static bool r_done(void *rp) {
  reader *r = rp;
  return r->finished && !ami_link_is_connected(r->l) &&
         !ami_client_want_write(r->c);
}
static void r_closed(void *rp, int err) {
  reader *r = rp;
  if (r->fw && !ami_read_fw_done(r->fw)) {
    ami_read_fw_link_lost(r->fw);
    fw_finished(r);
  }
  if (!r->finished) {
    fprintf(stderr, "ami read: connection closed before the end: %s\n",
            err ? uv_strerror(err) : "by the meter");
    r->failures++;
  }
  r->finished = true;
}

static const ami_io_session_ops reader_ops = {
    r_recv, r_pull, r_expiry, r_handle_expiry, r_done, r_closed};

/* ---- command line -------------------------------------------------------- */

static void read_usage(FILE *f) {
  fputs(
      "usage: ami read (--connect HOST:PORT | --serial DEVICE) [options] "
      "REQUEST...\n"
      "\n"
      "Reads and commands a DLMS/COSEM meter.\n"
      "\n"
      "requests (run in order, in one association):\n"
      "  objects                       the association's object list\n"
      "  get CLASS OBIS ATTR           e.g. get 3 1-0:1.8.0 2\n"
      "  set CLASS OBIS ATTR DATAHEX   DATAHEX: one A-XDR Data, e.g. 1100\n"
      "  action CLASS OBIS METHOD [DATAHEX]\n"
      "  profile OBIS [FROM TO | #FIRST-#LAST]\n"
      "                                a Profile Generic buffer, by time\n"
      "                                (UTC, 2026-11-22T00:00) or by entry\n"
      "  disconnect | reconnect        Disconnect Control 0-0:96.3.10\n"
      "                                remote_disconnect / remote_reconnect\n"
      "  fw-update FILE                send a firmware image through Image\n"
      "                                Transfer 0-0:44.0.0: blocks, verify,\n"
      "                                activate (the meter checks its\n"
      "                                signature)\n"
      "\n"
      "options:\n"
      "  --connect HOST:PORT   TCP (default the wrapper; --hdlc for HDLC)\n"
      "  --serial DEVICE       HDLC over a serial port (--baud, default 9600)\n"
      "  --hdlc                HDLC framing over TCP\n"
      "  --client N            client address (default 16, the public client)\n"
      "  --server N[/M]        server logical device [/physical] (default "
      "1/17\n"
      "                        for HDLC, 1 for the wrapper)\n"
      "  --auth none|lls|hls   security (default none)\n"
      "  --password TEXT       LLS password\n"
      "  --ek HEX --ak HEX     keys for HLS-GMAC and ciphering\n"
      "  --system-title HEX    our system title (default 4F414D434C490001)\n"
      "  --timeout MS          per request (default 5000)\n"
      "  --json | --csv        output format (default readable)\n",
      f);
}

static int parse_desc(char **argv, int i, int argc, ami_apdu_desc *d,
                      char *label, size_t lcap, const char *verb) {
  if (i + 2 >= argc)
    return -1;
  ami_obis ob;
  long cls = strtol(argv[i], NULL, 10);
  long id = strtol(argv[i + 2], NULL, 10);
  if (cls <= 0 || cls > 65535 || id < -128 || id > 127 ||
      ami_obis_parse(argv[i + 1], strlen(argv[i + 1]), &ob) != AMI_OK)
    return -1;
  d->class_id = (uint16_t)cls;
  ami_obis_to_bytes(&ob, d->obis);
  d->id = (int8_t)id;
  char txt[AMI_OBIS_TEXT_MAX];
  ami_obis_format(&ob, txt, sizeof txt);
  snprintf(label, lcap, "%s %ld %s %ld", verb, cls, txt, id);
  return 0;
}

static uint8_t *hex_value(const char *s, size_t *len) {
  size_t n = strlen(s);
  uint8_t *b = malloc(n / 2 + 1);
  long got = b ? ami_hex_decode(s, n, b, n / 2 + 1, NULL) : -1;
  if (got <= 0 || ami_axdr_validate(ami_span_make(b, (size_t)got), NULL)) {
    free(b);
    return NULL;
  }
  *len = (size_t)got;
  return b;
}

/* "2026-11-22T00:00[:SS]" (UTC) -> a COSEM date-time. */
static int parse_time(const char *s, ami_cosem_datetime *dt) {
  unsigned y, mo, d, h = 0, mi = 0, se = 0;
  int n = sscanf(s, "%4u-%2u-%2u%*[T ]%2u:%2u:%2u", &y, &mo, &d, &h, &mi, &se);
  if (n < 3)
    return -1;
  int64_t secs =
      ami_days_from_civil((int32_t)y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return ami_cosem_datetime_from_utc(secs, 0, 0, AMI_COSEM_DEV_STANDARD, 0,
                                     dt) == AMI_OK
             ? 0
             : -1;
}

static int parse_profile(char **argv, int i, int argc, read_op *op, int *used) {
  ami_obis ob;
  if (i >= argc || ami_obis_parse(argv[i], strlen(argv[i]), &ob) != AMI_OK)
    return -1;
  op->desc.class_id = 7;
  ami_obis_to_bytes(&ob, op->desc.obis);
  op->desc.id = 2;
  char txt[AMI_OBIS_TEXT_MAX];
  ami_obis_format(&ob, txt, sizeof txt);
  snprintf(op->label, sizeof op->label, "profile %s", txt);
  *used = 1;
  ami_wr w;
  ami_wr_init(&w, op->sel_buf, sizeof op->sel_buf);
  unsigned first, last;
  if (i + 1 < argc && sscanf(argv[i + 1], "#%u-#%u", &first, &last) == 2) {
    ami_selective_entry e = {first, last, 1, 0};
    ami_selective_entry_encode(&w, &e);
    op->sel.selector = 2;
    *used = 2;
  } else if (i + 2 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') {
    ami_cosem_datetime from, to;
    if (parse_time(argv[i + 1], &from) || parse_time(argv[i + 2], &to))
      return -1;
    uint8_t fb[14], tb[14];
    ami_wr fw, tw;
    ami_wr_init(&fw, fb, sizeof fb);
    ami_wr_init(&tw, tb, sizeof tb);
    ami_axdr_put_datetime_octets(&fw, &from);
    ami_axdr_put_datetime_octets(&tw, &to);
    ami_selective_range rg;
    memset(&rg, 0, sizeof rg);
    rg.restricting_object.class_id = 8;
    ami_obis_parse("0-0:1.0.0*255", 13, &rg.restricting_object.logical_name);
    rg.restricting_object.attribute_index = 2;
    rg.from_value = ami_span_make(fb, fw.len);
    rg.to_value = ami_span_make(tb, tw.len);
    ami_selective_range_encode(&w, &rg);
    op->sel.selector = 1;
    *used = 3;
  } else {
    return 0; /* the whole buffer */
  }
  if (w.err)
    return -1;
  op->sel.present = true;
  op->sel.params = ami_span_make(op->sel_buf, w.len);
  return 0;
}

static int parse_requests(reader *r, int argc, char **argv, int i) {
  while (i < argc) {
    if (r->nops >= READ_MAX_OPS)
      return -1;
    read_op *op = &r->ops[r->nops];
    memset(op, 0, sizeof *op);
    const char *verb = argv[i++];
    if (!strcmp(verb, "objects")) {
      op->kind = OP_GET;
      op->desc.class_id = 15;
      memcpy(op->desc.obis, "\0\0\x28\0\0\xff", 6);
      op->desc.id = 2;
      snprintf(op->label, sizeof op->label, "objects");
    } else if (!strcmp(verb, "get") || !strcmp(verb, "set") ||
               !strcmp(verb, "action")) {
      op->kind = !strcmp(verb, "get")   ? OP_GET
                 : !strcmp(verb, "set") ? OP_SET
                                        : OP_ACTION;
      if (parse_desc(argv, i, argc, &op->desc, op->label, sizeof op->label,
                     verb))
        return -1;
      i += 3;
      if (op->kind == OP_SET || (op->kind == OP_ACTION && i < argc &&
                                 strchr("0123456789ABCDEFabcdef", argv[i][0]) &&
                                 strlen(argv[i]) >= 2 && argv[i][1] != '-')) {
        if (i >= argc || !(op->value = hex_value(argv[i], &op->value_len)))
          return -1;
        i++;
      }
      /* Register, Extended or Demand register value: fetch its
       * scaler_unit first (attribute 3, or 4 for a Demand register). */
      uint16_t cls = op->desc.class_id;
      bool value_attr = ((cls == 3 || cls == 4) && op->desc.id == 2) ||
                        (cls == 5 && (op->desc.id == 2 || op->desc.id == 3));
      if (op->kind == OP_GET && value_attr && r->nops + 1 < READ_MAX_OPS) {
        r->ops[r->nops + 1] = *op;
        memset(op, 0, sizeof *op);
        op->kind = OP_GET;
        op->hidden = true;
        op->desc = r->ops[r->nops + 1].desc;
        op->desc.id = cls == 5 ? 4 : 3;
        snprintf(op->label, sizeof op->label, "(scaler_unit)");
        r->nops++;
      }
    } else if (!strcmp(verb, "disconnect") || !strcmp(verb, "reconnect")) {
      /* IEC 62056-6-2 class 70: method 1 remote_disconnect, 2
       * remote_reconnect, each with data integer(0). */
      op->kind = OP_ACTION;
      op->desc.class_id = 70;
      memcpy(op->desc.obis, "\0\0\x60\x03\x0a\xff", 6);
      op->desc.id = verb[0] == 'd' ? 1 : 2;
      op->value = malloc(2);
      if (!op->value)
        return -1;
      op->value[0] = 0x0F;
      op->value[1] = 0x00;
      op->value_len = 2;
      snprintf(op->label, sizeof op->label, "%s", verb);
    } else if (!strcmp(verb, "fw-update")) {
      if (r->fw || i >= argc || ami_read_fw_new(&r->fw, argv[i], NULL))
        return -1;
      op->kind = OP_FW;
      r->fw_op = r->nops;
      snprintf(op->label, sizeof op->label, "fw-update %s", argv[i]);
      i++;
    } else if (!strcmp(verb, "profile")) {
      int used;
      op->kind = OP_GET;
      if (parse_profile(argv, i, argc, op, &used))
        return -1;
      i += used;
    } else {
      fprintf(stderr, "ami read: unknown request '%s'\n", verb);
      return -1;
    }
    r->nops++;
  }
  return r->nops > 0 ? 0 : -1;
}

int ami_cmd_read(int argc, char **argv) {
  static reader r;
  memset(&r, 0, sizeof r);
  const char *connect = NULL, *serial = NULL, *password = NULL;
  long baud = 9600, timeout = 5000;
  long client = 16, server = 1, physical = 17;
  bool hdlc = false;
  uint8_t mech = AMI_ACSE_MECH_NONE;
  uint8_t ek[16], ak[16], title[8] = {'O', 'A', 'M', 'C', 'L', 'I', 0, 1};
  bool have_ek = false, have_ak = false;
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      read_usage(stdout);
      return 0;
    } else if (a[0] != '-') {
      break;
    } else if (!strcmp(a, "--hdlc")) {
      hdlc = true;
    } else if (!strcmp(a, "--json")) {
      r.fmt = OUT_JSON;
    } else if (!strcmp(a, "--csv")) {
      r.fmt = OUT_CSV;
    } else if (!v) {
      fprintf(stderr, "ami read: %s needs a value\n", a);
      return 2;
    } else if (!strcmp(a, "--connect")) {
      connect = v, i++;
    } else if (!strcmp(a, "--serial")) {
      serial = v, hdlc = true, i++;
    } else if (!strcmp(a, "--baud")) {
      if (ami_cli_parse_long(v, 300, 115200, &baud)) {
        fprintf(stderr, "ami read: bad --baud '%s'\n", v);
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--client")) {
      if (ami_cli_parse_long(v, 0, 0x7F, &client)) {
        fprintf(stderr, "ami read: bad --client '%s'\n", v);
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--server")) {
      char *slash;
      server = strtol(v, &slash, 10);
      if (*slash == '/')
        physical = strtol(slash + 1, NULL, 10);
      i++;
    } else if (!strcmp(a, "--auth")) {
      mech = !strcmp(v, "lls")    ? AMI_ACSE_MECH_LLS
             : !strcmp(v, "hls")  ? AMI_ACSE_MECH_GMAC
             : !strcmp(v, "none") ? AMI_ACSE_MECH_NONE
                                  : 0xFF;
      if (mech == 0xFF) {
        fprintf(stderr, "ami read: --auth none, lls or hls\n");
        return 2;
      }
      i++;
    } else if (!strcmp(a, "--password")) {
      password = v, i++;
    } else if (!strcmp(a, "--ek") &&
               ami_hex_decode(v, strlen(v), ek, 16, NULL) == 16) {
      have_ek = true, i++;
    } else if (!strcmp(a, "--ak") &&
               ami_hex_decode(v, strlen(v), ak, 16, NULL) == 16) {
      have_ak = true, i++;
    } else if (!strcmp(a, "--system-title") &&
               ami_hex_decode(v, strlen(v), title, 8, NULL) == 8) {
      i++;
    } else if (!strcmp(a, "--timeout")) {
      if (ami_cli_parse_long(v, 1, 3600000, &timeout)) {
        fprintf(stderr, "ami read: bad --timeout '%s'\n", v);
        return 2;
      }
      i++;
    } else {
      fprintf(stderr, "ami read: bad option or value '%s %s'\n", a, v);
      return 2;
    }
  }
  if ((!connect && !serial) || parse_requests(&r, argc, argv, i) != 0 ||
      client < 0 || client > 0x7F || server < 0 || server > 0x3FFF) {
    read_usage(stderr);
    return 2;
  }
  if (mech == AMI_ACSE_MECH_GMAC && (!have_ek || !have_ak)) {
    fprintf(stderr, "ami read: --auth hls needs --ek and --ak\n");
    return 2;
  }

  /* The link. */
  if (hdlc) {
    ami_hdlc_link_config lc;
    memset(&lc, 0, sizeof lc);
    lc.role = AMI_LINK_CLIENT;
    lc.client_address = (uint16_t)client;
    lc.server_address =
        ami_hdlc_addr_server((uint16_t)server, (uint16_t)physical);
    lc.limits.max_info_tx = lc.limits.max_info_rx = 1024;
    lc.propose_limits = true;
    lc.response_timeout_ms = (uint32_t)timeout;
    r.l = ami_hdlc_link_init(&r.link.h, &lc);
  } else {
    ami_wrapper_link_config wc;
    memset(&wc, 0, sizeof wc);
    wc.role = AMI_LINK_CLIENT;
    wc.own_wport = (uint16_t)client;
    wc.peer_wport = (uint16_t)server;
    r.l = ami_wrapper_link_init(&r.link.w, &wc);
  }
  /* The engine. */
  ami_client_cfg cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.context = have_ek ? AMI_ACSE_CTX_LN_CIPHERED : AMI_ACSE_CTX_LN;
  cfg.mechanism = mech;
  if (password) {
    cfg.password = (const uint8_t *)password;
    cfg.password_len = strlen(password);
  }
  cfg.conformance = 0x00781F | (have_ek ? 0x400000u : 0);
  cfg.timeout_ms = (uint32_t)timeout;
  cfg.max_response = 16u << 20;
  cfg.queue_max = READ_MAX_OPS;
  cfg.crypto = ami_crypto_openssl();
  if (have_ek) {
    cfg.ek = ek;
    cfg.ek_len = 16;
    cfg.random_dedicated_key = false;
  }
  if (have_ak) {
    cfg.ak = ak;
    cfg.ak_len = 16;
  }
  memcpy(cfg.system_title, title, 8);
  cfg.security = AMI_SEC_SC_AUTH | AMI_SEC_SC_ENC;
  static const ami_client_callbacks cb = {.version =
                                              AMI_CLIENT_CALLBACKS_VERSION,
                                          .on_associated = on_associated,
                                          .on_response = on_response,
                                          .on_released = on_released,
                                          .on_error = on_error};
  int rc = ami_client_new(&r.c, &cfg, &cb, &r, r.l, NULL);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami read: %s\n", ami_strerror(rc));
    return 1;
  }
  r.results = json_array();
  r.loop = uv_default_loop();
  rc = ami_client_associate(r.c);
  if (rc == AMI_OK) {
    if (serial) {
      rc = ami_io_serial_open(r.loop, serial, (int)baud, &reader_ops, &r, NULL);
    } else {
      char host[64];
      long port;
      const char *colon = strrchr(connect, ':');
      size_t hl = colon ? (size_t)(colon - connect) : 0;
      if (!colon || hl == 0 || hl >= sizeof host ||
          ami_cli_parse_long(colon + 1, 1, 65535, &port)) {
        fprintf(stderr, "ami read: --connect HOST:PORT\n");
        return 2;
      }
      memcpy(host, connect, hl);
      host[hl] = '\0';
      rc = ami_io_tcp_connect(r.loop, host, (int)port, &reader_ops, &r, NULL);
    }
    if (rc < 0) {
      fprintf(stderr, "ami read: cannot open %s: %s\n",
              serial ? serial : connect, uv_strerror(rc));
      r.failures++;
    } else {
      uv_run(r.loop, UV_RUN_DEFAULT);
    }
  }
  if (r.fmt == OUT_JSON) {
    json_t *doc = json_object();
    ami_cli_set(doc, "results", r.results);
    ami_cli_set(doc, "failures", json_integer(r.failures));
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(doc);
  } else {
    json_decref(r.results);
  }
  if (r.answered < r.nops && !r.association_failed) {
    fprintf(stderr, "ami read: %zu of %zu requests not answered\n",
            r.nops - r.answered, r.nops);
    r.failures++;
  }
  ami_client_free(r.c);
  ami_link_free(r.l);
  for (size_t k = 0; k < r.nops; k++)
    free(r.ops[k].value);
  ami_read_fw_free(r.fw);
  return r.failures ? 1 : 0;
}
