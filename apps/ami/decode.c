/*
 * decode.c -- frames and session state of `ami decode`.
 *
 * A captured unit is recognised by its first bytes: 7E is an HDLC frame
 * (IEC 62056-46), 00 01 a wrapper PDU (IEC 62056-47, version 1), anything
 * else a bare APDU. HDLC segments are joined per direction, the LLC header
 * tells a command (client to server) from a response, and the APDU goes to
 * decode_apdu.c.
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_crypto_openssl.h"
#include "ami/ami_wrapper.h"
#include "ami_cli.h"
#include "decode_int.h"

const char *dec_dir_name(dec_dir dir) {
  return dir == DEC_DIR_TX   ? "client -> server"
         : dir == DEC_DIR_RX ? "server -> client"
                             : "unknown";
}

static void side_init(dec_ctx *c, dec_side *s) {
  ami_hdlc_reasm_init(&s->reasm, DEC_MAX_APDU, NULL);
  ami_dynbuf_init(&s->blocks, DEC_MAX_APDU, NULL);
  ami_dynbuf_init(&s->gbt, DEC_MAX_APDU, NULL);
  ami_sec_init(&s->sec, c->crypto);
  /* A decoder shows what real meters send: accept suite bits set with
   * AES-128 (e.g. SC 0x21), as the Kaifa MA309 does. */
  s->sec.policy = AMI_SEC_POLICY_LAX_SUITE;
  if (c->keys.ek_len)
    ami_sec_set_key(&s->sec, AMI_SEC_KEY_UNICAST, c->keys.ek, c->keys.ek_len);
  if (c->keys.ak_len)
    ami_sec_set_ak(&s->sec, c->keys.ak, c->keys.ak_len);
  if (c->keys.dedicated_key_len)
    ami_sec_set_key(&s->sec, AMI_SEC_KEY_DEDICATED, c->keys.dedicated_key,
                    c->keys.dedicated_key_len);
  if (c->keys.have_system_title) {
    memcpy(s->title, c->keys.system_title, 8);
    s->have_title = true;
    ami_sec_set_peer_title(&s->sec, s->title);
  }
}

dec_ctx *dec_new(const dec_keys *keys) {
  dec_ctx *c = calloc(1, sizeof *c);
  if (!c)
    return NULL;
  c->keys = *keys;
  c->crypto = ami_crypto_openssl();
  for (int i = 0; i < 3; i++)
    side_init(c, &c->side[i]);
  return c;
}

void dec_free(dec_ctx *c) {
  if (!c)
    return;
  for (int i = 0; i < 3; i++) {
    ami_hdlc_reasm_free(&c->side[i].reasm);
    ami_dynbuf_free(&c->side[i].blocks);
    ami_dynbuf_free(&c->side[i].gbt);
    ami_sec_free(&c->side[i].sec);
  }
  free(c);
}

static json_t *new_message(json_t *messages, dec_dir dir) {
  json_t *m = json_object();
  if (dir != DEC_DIR_UNKNOWN)
    ami_cli_set(m, "direction", json_string(dir == DEC_DIR_TX ? "TX" : "RX"));
  json_array_append_new(messages, m);
  return m;
}

static void error(json_t *obj, int err, const char *what) {
  ami_cli_set(
      obj, "error",
      json_sprintf("%s: %s (%s)", what, ami_strerror(err), ami_err_name(err)));
}

static const char *hdlc_kind_name(ami_hdlc_kind k) {
  switch (k) {
  case AMI_HDLC_I:
    return "I";
  case AMI_HDLC_RR:
    return "RR";
  case AMI_HDLC_RNR:
    return "RNR";
  case AMI_HDLC_SNRM:
    return "SNRM";
  case AMI_HDLC_DISC:
    return "DISC";
  case AMI_HDLC_UA:
    return "UA";
  case AMI_HDLC_DM:
    return "DM";
  case AMI_HDLC_FRMR:
    return "FRMR";
  case AMI_HDLC_UI:
    return "UI";
  }
  return "?";
}

static json_t *hdlc_addr_json(const ami_hdlc_addr *a) {
  if (a->size == 1)
    return json_integer(a->upper);
  return json_sprintf("%u/%u", a->upper, a->lower);
}

/* The header of one HDLC frame. */
static json_t *hdlc_frame_json(const ami_hdlc_frame *f) {
  json_t *o = json_object();
  ami_cli_set(o, "kind", json_string("hdlc"));
  ami_cli_set(o, "control", json_string(hdlc_kind_name(f->control.kind)));
  ami_cli_set(o, "destination", hdlc_addr_json(&f->dst));
  ami_cli_set(o, "source", hdlc_addr_json(&f->src));
  if (f->control.kind == AMI_HDLC_I)
    ami_cli_set(o, "ns", json_integer(f->control.ns));
  if (f->control.kind == AMI_HDLC_I || f->control.kind == AMI_HDLC_RR ||
      f->control.kind == AMI_HDLC_RNR)
    ami_cli_set(o, "nr", json_integer(f->control.nr));
  ami_cli_set(o,
              f->control.kind == AMI_HDLC_UA ||
                      f->control.kind == AMI_HDLC_DM ||
                      f->control.kind == AMI_HDLC_FRMR
                  ? "final"
                  : "poll",
              json_boolean(f->control.pf));
  if (f->segmented)
    ami_cli_set(o, "segmented", json_true());
  ami_cli_set(o, "info_length", json_integer((json_int_t)f->info.len));
  return o;
}

static json_t *hdlc_params_json(const ami_hdlc_params *p) {
  json_t *o = json_object();
  ami_cli_set(o, "max_info_tx", json_integer(p->max_info_tx));
  ami_cli_set(o, "max_info_rx", json_integer(p->max_info_rx));
  ami_cli_set(o, "window_tx", json_integer(p->window_tx));
  ami_cli_set(o, "window_rx", json_integer(p->window_rx));
  return o;
}

/* One HDLC frame: header, negotiation parameters, and the APDU once its
 * last segment is in. */
static int hdlc_frame(dec_ctx *c, dec_dir dir, const ami_hdlc_frame *f,
                      json_t *m) {
  json_t *fj = hdlc_frame_json(f);
  ami_cli_set(m, "frame", fj);
  ami_hdlc_kind k = f->control.kind;
  if ((k == AMI_HDLC_SNRM || k == AMI_HDLC_UA) && f->info.len > 0) {
    ami_hdlc_params p;
    int rc = ami_hdlc_params_decode(f->info, &p);
    if (rc != AMI_OK) {
      error(m, rc, "SNRM/UA parameters");
      return 1;
    }
    ami_cli_set(fj, "parameters", hdlc_params_json(&p));
    return 0;
  }
  if ((k != AMI_HDLC_I && k != AMI_HDLC_UI) || f->info.len == 0)
    return 0;
  dec_side *s = &c->side[dir];
  ami_span apdu;
  int rc = ami_hdlc_reasm_add(&s->reasm, f->info, f->segmented, &apdu);
  if (rc == AMI_E_AGAIN) {
    ami_cli_set(m, "note",
                json_sprintf("segment kept: %zu bytes so far, more follow",
                             s->reasm.buf.len));
    return 0;
  }
  if (rc != AMI_OK) {
    error(m, rc, "HDLC reassembly");
    return 1;
  }
  if (f->segmented == false && apdu.len > f->info.len)
    ami_cli_set(fj, "reassembled_length", json_integer((json_int_t)apdu.len));
  /* The LLC header says who is speaking (IEC 62056-46 LLC sublayer). */
  ami_span body;
  if (ami_hdlc_llc_strip(apdu, AMI_HDLC_LLC_COMMAND, &body) == AMI_OK) {
    ami_cli_set(fj, "llc", json_string("E6 E6 00 (command)"));
    if (dir == DEC_DIR_UNKNOWN)
      dir = DEC_DIR_TX;
  } else if (ami_hdlc_llc_strip(apdu, AMI_HDLC_LLC_RESPONSE, &body) == AMI_OK) {
    ami_cli_set(fj, "llc", json_string("E6 E7 00 (response)"));
    if (dir == DEC_DIR_UNKNOWN)
      dir = DEC_DIR_RX;
  } else {
    error(m, AMI_E_HDLC_LLC, "HDLC information field");
    return 1;
  }
  return dec_apdu(c, dir, body, m, "apdu", 0);
}

static int feed_hdlc(dec_ctx *c, dec_dir dir, const uint8_t *p, size_t n,
                     json_t *messages) {
  ami_hdlc_deframer *d = malloc(sizeof *d);
  if (!d)
    return 1;
  ami_hdlc_deframer_init(d, 0);
  int problems = 0;
  size_t off = 0;
  for (;;) {
    ami_hdlc_frame f;
    size_t used = 0;
    int rc = ami_hdlc_deframer_feed(d, p + off, n - off, &used, &f);
    off += used;
    if (rc == AMI_E_AGAIN)
      break;
    json_t *m = new_message(messages, dir);
    if (rc != AMI_OK) {
      error(m, rc, "HDLC frame");
      problems++;
      continue;
    }
    problems += hdlc_frame(c, dir, &f, m);
  }
  size_t stray = d->discarded + ami_hdlc_deframer_pending(d);
  if (stray > 0) {
    json_t *m = new_message(messages, dir);
    ami_cli_set(m, "error",
                json_sprintf("%zu byte%s outside any complete HDLC frame",
                             stray, stray == 1 ? "" : "s"));
    problems++;
  }
  free(d);
  return problems;
}

static int feed_wrapper(dec_ctx *c, dec_dir dir, const uint8_t *p, size_t n,
                        json_t *messages) {
  int problems = 0;
  size_t off = 0;
  while (off < n) {
    ami_wrapper_pdu pdu;
    size_t used = 0;
    json_t *m = new_message(messages, dir);
    int rc = ami_wrapper_decode(ami_span_make(p + off, n - off), &pdu, &used);
    if (rc != AMI_OK && rc != AMI_E_TRAILING) {
      error(m, rc, "wrapper frame");
      return problems + 1;
    }
    json_t *fj = json_object();
    ami_cli_set(fj, "kind", json_string("wrapper"));
    ami_cli_set(fj, "version", json_integer(1));
    ami_cli_set(fj, "source", json_integer(pdu.src_wport));
    ami_cli_set(fj, "destination", json_integer(pdu.dst_wport));
    ami_cli_set(fj, "length", json_integer((json_int_t)pdu.apdu.len));
    ami_cli_set(m, "frame", fj);
    problems += dec_apdu(c, dir, pdu.apdu, m, "apdu", 0);
    off += used;
  }
  return problems;
}

int dec_feed(dec_ctx *c, dec_dir dir, const uint8_t *p, size_t n,
             json_t *messages) {
  if (n == 0)
    return 0;
  if (p[0] == AMI_HDLC_FLAG)
    return feed_hdlc(c, dir, p, n, messages);
  if (n >= AMI_WRAPPER_HEADER_LEN && p[0] == 0x00 && p[1] == 0x01)
    return feed_wrapper(c, dir, p, n, messages);
  json_t *m = new_message(messages, dir);
  return dec_apdu(c, dir, ami_span_make(p, n), m, "apdu", 0);
}

int dec_warnings(const dec_ctx *c) {
  return c->warnings;
}

int dec_finish(dec_ctx *c, json_t *messages) {
  int problems = 0;
  for (int i = 0; i < 3; i++) {
    dec_side *s = &c->side[i];
    const char *what = NULL;
    size_t len = 0;
    if (s->reasm.buf.len > 0 && s->reasm.state != 0) {
      what = "HDLC segments";
      len = s->reasm.buf.len;
    } else if (s->next_block != 0) {
      what = "data blocks";
      len = s->blocks.len;
    } else if (s->gbt_next != 0) {
      what = "general block transfer blocks";
      len = s->gbt.len;
    }
    if (what) {
      json_t *m = new_message(messages, (dec_dir)i);
      ami_cli_set(m, "error",
                  json_sprintf("input ended with %zu bytes of %s waiting "
                               "for the rest",
                               len, what));
      problems++;
    }
  }
  return problems;
}
