/*
 * decode_apdu.c -- APDUs to JSON for `ami decode`: ACSE (AARQ/AARE/RLRQ/
 * RLRE), every xDLMS service, ciphered envelopes (decrypted when the keys
 * and system titles are known), data blocks and general block transfer
 * joined, HLS-GMAC passes 3 and 4 verified, responses paired with their
 * requests by invoke id.
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami_cli.h"
#include "decode_int.h"

#define DEC_MAX_NESTING 4 /* ciphering inside GBT inside ciphering ... */

static void error(json_t *obj, int err, const char *what) {
  ami_cli_set(
      obj, "error",
      json_sprintf("%s: %s (%s)", what, ami_strerror(err), ami_err_name(err)));
}

static json_t *iip_json(uint8_t iip) {
  json_t *o = json_object();
  ami_cli_set(o, "invoke_id", json_integer(AMI_APDU_IIP_INVOKE_ID(iip)));
  ami_cli_set(o, "confirmed", json_boolean(AMI_APDU_IIP_CONFIRMED(iip)));
  ami_cli_set(o, "priority",
              json_string(AMI_APDU_IIP_HIGH(iip) ? "high" : "normal"));
  return o;
}

static json_t *octets_json(ami_span s) {
  json_t *o = json_object();
  ami_cli_set(o, "hex", ami_cli_hex(s.p, s.len));
  bool text = s.len > 0;
  for (size_t i = 0; i < s.len; i++)
    if (s.p[i] < 0x20 || s.p[i] > 0x7E)
      text = false;
  if (text)
    ami_cli_set(o, "text", json_stringn((const char *)s.p, s.len));
  return o;
}

/* Data value with problems counted. */
static json_t *data(ami_span s, int *problems) {
  int err;
  json_t *j = dec_data_json_all(s, &err);
  if (err != AMI_OK)
    (*problems)++;
  return j;
}

/* ---------------------------------------------------------------------- */
/* Remembering requests and scaler_units across a session */

static void remember_request(dec_ctx *c, uint8_t iip, uint8_t service,
                             const ami_apdu_desc *items, size_t n) {
  dec_pending *p = &c->pending[AMI_APDU_IIP_INVOKE_ID(iip)];
  p->service = service;
  p->n = (uint8_t)(n > DEC_PENDING_ITEMS ? DEC_PENDING_ITEMS : n);
  memcpy(p->items, items, p->n * sizeof *items);
}

static const dec_pending *pending_for(dec_ctx *c, uint8_t iip,
                                      uint8_t service) {
  dec_pending *p = &c->pending[AMI_APDU_IIP_INVOKE_ID(iip)];
  return p->service == service ? p : NULL;
}

static bool scaler_unit_of(dec_ctx *c, const uint8_t obis[6], int8_t *scaler,
                           uint8_t *unit) {
  for (size_t i = 0; i < c->nsu; i++)
    if (memcmp(c->su[i].obis, obis, 6) == 0) {
      *scaler = c->su[i].scaler;
      *unit = c->su[i].unit;
      return true;
    }
  return false;
}

/* A response value for attribute `d`: learn scaler_units (attribute 3 of
 * Register and Extended register, 4 of Demand register), and annotate
 * values whose scaler_unit is known. */
static void relate_value(dec_ctx *c, const ami_apdu_desc *d, json_t *v) {
  bool su_attr = ((d->class_id == 3 || d->class_id == 4) && d->id == 3) ||
                 (d->class_id == 5 && d->id == 4);
  bool value_attr = ((d->class_id == 3 || d->class_id == 4) && d->id == 2) ||
                    (d->class_id == 5 && (d->id == 2 || d->id == 3));
  json_t *items = json_object_get(v, "items");
  if (su_attr && json_array_size(items) == 2) {
    json_t *s = json_object_get(json_array_get(items, 0), "value");
    json_t *u = json_object_get(json_array_get(items, 1), "value");
    if (json_is_integer(s) && json_is_integer(u)) {
      size_t i = 0;
      while (i < c->nsu && memcmp(c->su[i].obis, d->obis, 6) != 0)
        i++;
      if (i == c->nsu && c->nsu < DEC_SCALERS)
        c->nsu++;
      if (i < DEC_SCALERS) {
        memcpy(c->su[i].obis, d->obis, 6);
        c->su[i].scaler = (int8_t)json_integer_value(s);
        c->su[i].unit = (uint8_t)json_integer_value(u);
      }
    }
  }
  int8_t scaler;
  uint8_t unit;
  if (value_attr && scaler_unit_of(c, d->obis, &scaler, &unit))
    dec_annotate_scaled(v, scaler, unit);
  /* Association LN object_list: name each object's interface class. */
  if (d->class_id == 15 && d->id == 2) {
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj) {
      json_t *cls = json_array_get(json_object_get(obj, "items"), 0);
      json_t *id = json_object_get(cls, "value");
      const char *name = json_is_integer(id)
                             ? dec_class_name((uint16_t)json_integer_value(id))
                             : NULL;
      if (name)
        ami_cli_set(cls, "meaning", json_string(name));
    }
  }
}

/* ---------------------------------------------------------------------- */
/* Block reassembly (GET with-datablock, SET/ACTION with (first) datablock) */

/* Adds one block. Returns 1 with *whole set when the last block is in, 0
 * when more are expected, -1 on a sequence error (noted in `o`). */
static int add_block(dec_side *s, uint32_t number, bool last, ami_span raw,
                     json_t *o, ami_span *whole) {
  if (number == 1 || s->next_block == 0) {
    ami_dynbuf_reset(&s->blocks);
    if (number != 1) {
      error(o, AMI_E_BLOCK_NUMBER, "first data block is not number 1");
      s->next_block = 0;
      return -1;
    }
  } else if (number != s->next_block) {
    ami_cli_set(o, "error",
                json_sprintf("data block %u where %u was expected", number,
                             s->next_block));
    s->next_block = 0;
    return -1;
  }
  int rc = ami_dynbuf_append(&s->blocks, raw.p, raw.len);
  if (rc != AMI_OK) {
    error(o, rc, "data blocks");
    s->next_block = 0;
    return -1;
  }
  if (!last) {
    s->next_block = number + 1;
    ami_cli_set(o, "note",
                json_sprintf("block %u kept (%zu bytes so far)", number,
                             s->blocks.len));
    return 0;
  }
  s->next_block = 0;
  *whole = ami_span_make(s->blocks.p, s->blocks.len);
  return 1;
}

/* ---------------------------------------------------------------------- */
/* xDLMS services */

static json_t *selection_json(const ami_apdu_selection *sel, int *problems) {
  json_t *o = json_object();
  const char *names[] = {NULL, "range_descriptor", "entry_descriptor"};
  ami_cli_set(o, "selector", json_integer(sel->selector));
  if (sel->selector <= 2 && names[sel->selector])
    ami_cli_set(o, "selector_name", json_string(names[sel->selector]));
  ami_cli_set(o, "parameters", data(sel->params, problems));
  return o;
}

static json_t *get_result_json(dec_ctx *c, const ami_apdu_get_result *r,
                               const ami_apdu_desc *req, int *problems) {
  if (r->choice == 1) {
    json_t *o = json_object();
    ami_cli_set(o, "data_access_result", json_integer(r->dar));
    ami_cli_set(o, "meaning", json_string(ami_apdu_dar_name(r->dar)));
    return o;
  }
  json_t *v = data(r->data, problems);
  if (req)
    relate_value(c, req, v);
  return v;
}

static void get_request(dec_ctx *c, const ami_apdu_get_request *g, json_t *o,
                        int *problems) {
  static const char *const forms[] = {
      NULL, "get-request-normal", "get-request-next", "get-request-with-list"};
  ami_cli_set(o, "kind", json_string(g->choice <= 3 ? forms[g->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(g->iip));
  if (g->choice == 1) {
    ami_cli_set(o, "attribute", dec_desc_json(&g->attr, false));
    if (g->sel.present)
      ami_cli_set(o, "selective_access", selection_json(&g->sel, problems));
    remember_request(c, g->iip, AMI_APDU_GET_REQUEST, &g->attr, 1);
  } else if (g->choice == 2) {
    ami_cli_set(o, "block_number", json_integer(g->block_number));
  } else {
    ami_apdu_iter it;
    ami_apdu_attr_sel a;
    ami_apdu_desc descs[DEC_PENDING_ITEMS];
    size_t n = 0;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &g->list);
    while (ami_apdu_next_attr_sel(&it, &a) == 1) {
      json_t *d = dec_desc_json(&a.attr, false);
      if (a.sel.present)
        ami_cli_set(d, "selective_access", selection_json(&a.sel, problems));
      json_array_append_new(list, d);
      if (n < DEC_PENDING_ITEMS)
        descs[n++] = a.attr;
    }
    ami_cli_set(o, "attributes", list);
    remember_request(c, g->iip, AMI_APDU_GET_REQUEST, descs, n);
  }
}

static void get_response(dec_ctx *c, dec_side *s,
                         const ami_apdu_get_response *g, json_t *o,
                         int *problems) {
  static const char *const forms[] = {NULL, "get-response-normal",
                                      "get-response-with-datablock",
                                      "get-response-with-list"};
  ami_cli_set(o, "kind", json_string(g->choice <= 3 ? forms[g->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(g->iip));
  const dec_pending *p = pending_for(c, g->iip, AMI_APDU_GET_REQUEST);
  if (p && p->n > 0 && g->choice != 3)
    ami_cli_set(o, "request", dec_desc_json(&p->items[0], false));
  if (g->choice == 1) {
    ami_cli_set(o, "result",
                get_result_json(c, &g->result, p && p->n ? &p->items[0] : NULL,
                                problems));
  } else if (g->choice == 2) {
    const ami_apdu_datablock_g *b = &g->block;
    ami_cli_set(o, "last_block", json_boolean(b->last));
    ami_cli_set(o, "block_number", json_integer(b->block_number));
    if (b->choice == 1) {
      ami_cli_set(o, "data_access_result", json_integer(b->dar));
      ami_cli_set(o, "meaning", json_string(ami_apdu_dar_name(b->dar)));
      s->next_block = 0;
      return;
    }
    ami_cli_set(o, "raw_data_length", json_integer((json_int_t)b->raw.len));
    ami_span whole;
    int r = add_block(s, b->block_number, b->last, b->raw, o, &whole);
    if (r < 0)
      (*problems)++;
    if (r == 1) {
      json_t *v = data(whole, problems);
      if (p && p->n)
        relate_value(c, &p->items[0], v);
      ami_cli_set(
          o, "reassembled",
          json_sprintf("%u blocks, %zu bytes", b->block_number, whole.len));
      ami_cli_set(o, "result", v);
    }
  } else {
    ami_apdu_iter it;
    ami_apdu_get_result r;
    json_t *list = json_array();
    size_t i = 0;
    ami_apdu_iter_init(&it, &g->list);
    while (ami_apdu_next_get_result(&it, &r) == 1) {
      const ami_apdu_desc *req = p && i < p->n ? &p->items[i] : NULL;
      json_t *item = json_object();
      if (req)
        ami_cli_set(item, "request", dec_desc_json(req, false));
      ami_cli_set(item, "result", get_result_json(c, &r, req, problems));
      json_array_append_new(list, item);
      i++;
    }
    ami_cli_set(o, "results", list);
  }
}

static void set_request(dec_ctx *c, dec_side *s, const ami_apdu_set_request *r,
                        json_t *o, int *problems) {
  static const char *const forms[] = {
      NULL,
      "set-request-normal",
      "set-request-with-first-datablock",
      "set-request-with-datablock",
      "set-request-with-list",
      "set-request-with-list-and-first-datablock"};
  (void)c;
  ami_cli_set(o, "kind", json_string(r->choice <= 5 ? forms[r->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(r->iip));
  if (r->choice == 1 || r->choice == 2) {
    ami_cli_set(o, "attribute", dec_desc_json(&r->attr, false));
    if (r->sel.present)
      ami_cli_set(o, "selective_access", selection_json(&r->sel, problems));
  }
  if (r->choice == 1)
    ami_cli_set(o, "value", data(r->value, problems));
  if (r->choice == 4 || r->choice == 5) {
    ami_apdu_iter it;
    ami_apdu_attr_sel a;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->list);
    while (ami_apdu_next_attr_sel(&it, &a) == 1)
      json_array_append_new(list, dec_desc_json(&a.attr, false));
    ami_cli_set(o, "attributes", list);
  }
  if (r->choice == 4) {
    ami_apdu_iter it;
    ami_span v;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->values);
    while (ami_apdu_next_data(&it, &v) == 1)
      json_array_append_new(list, data(v, problems));
    ami_cli_set(o, "values", list);
  }
  if (r->choice == 2 || r->choice == 3 || r->choice == 5) {
    ami_cli_set(o, "last_block", json_boolean(r->block.last));
    ami_cli_set(o, "block_number", json_integer(r->block.block_number));
    ami_span whole;
    int k = add_block(s, r->block.block_number, r->block.last, r->block.raw, o,
                      &whole);
    if (k < 0)
      (*problems)++;
    if (k == 1)
      ami_cli_set(o, "value", data(whole, problems));
  }
}

static void set_response(const ami_apdu_set_response *r, json_t *o) {
  static const char *const forms[] = {NULL,
                                      "set-response-normal",
                                      "set-response-datablock",
                                      "set-response-last-datablock",
                                      "set-response-last-datablock-with-list",
                                      "set-response-with-list"};
  ami_cli_set(o, "kind", json_string(r->choice <= 5 ? forms[r->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(r->iip));
  if (r->choice == 1 || r->choice == 3) {
    ami_cli_set(o, "result", json_integer(r->result));
    ami_cli_set(o, "meaning", json_string(ami_apdu_dar_name(r->result)));
  }
  if (r->choice >= 2 && r->choice <= 4)
    ami_cli_set(o, "block_number", json_integer(r->block_number));
  if (r->choice == 4 || r->choice == 5) {
    ami_apdu_iter it;
    uint8_t dar;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->list);
    while (ami_apdu_next_dar(&it, &dar) == 1)
      json_array_append_new(list, json_string(ami_apdu_dar_name(dar)));
    ami_cli_set(o, "results", list);
  }
}

/* HLS-GMAC pass 3 (client's f(StoC) in reply_to_HLS_authentication) and
 * pass 4 (server's f(CtoS) in the response), IEC 62056-5-3 §9.2.7.4. */
static void verify_hls(dec_ctx *c, dec_dir dir, ami_span value, json_t *o,
                       int *problems) {
  if (c->mechanism != 5 || dir == DEC_DIR_UNKNOWN)
    return;
  /* The value is an octet-string: 09 len SC IC tag. */
  ami_axdr_dec d;
  ami_span f;
  ami_axdr_dec_init(&d, value.p, value.len);
  if (ami_axdr_get_string(&d, AMI_AXDR_OCTET_STRING, &f) != AMI_OK)
    return;
  dec_side *self = &c->side[dir];
  dec_side *other = &c->side[dir == DEC_DIR_TX ? DEC_DIR_RX : DEC_DIR_TX];
  const char *pass = dir == DEC_DIR_TX ? "pass 3: f(StoC)" : "pass 4: f(CtoS)";
  if (other->challenge_len == 0 || !self->have_title || c->keys.ek_len == 0 ||
      c->keys.ak_len == 0) {
    ami_cli_set(o, "hls_gmac",
                json_sprintf("%s not checked (challenge, system title or "
                             "keys unknown)",
                             pass));
    return;
  }
  int rc = ami_sec_hls_gmac_verify(
      &self->sec, ami_span_make(other->challenge, other->challenge_len), f);
  if (rc == AMI_OK) {
    ami_cli_set(o, "hls_gmac", json_sprintf("%s verified", pass));
  } else {
    ami_cli_set(o, "hls_gmac",
                json_sprintf("%s FAILED: %s", pass, ami_strerror(rc)));
    (*problems)++;
  }
}

static void action_request(dec_ctx *c, dec_dir dir, dec_side *s,
                           const ami_apdu_action_request *r, json_t *o,
                           int *problems) {
  static const char *const forms[] = {
      NULL,
      "action-request-normal",
      "action-request-next-pblock",
      "action-request-with-list",
      "action-request-with-first-pblock",
      "action-request-with-list-and-first-pblock",
      "action-request-with-pblock"};
  ami_cli_set(o, "kind", json_string(r->choice <= 6 ? forms[r->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(r->iip));
  if (r->choice == 1 || r->choice == 4) {
    ami_cli_set(o, "method", dec_desc_json(&r->method, true));
    remember_request(c, r->iip, AMI_APDU_ACTION_REQUEST, &r->method, 1);
  }
  if (r->choice == 1 && r->has_params) {
    ami_cli_set(o, "parameters", data(r->params, problems));
    static const uint8_t assoc[6] = {0, 0, 40, 0, 0, 255};
    if (r->method.class_id == 15 && r->method.id == 1 &&
        memcmp(r->method.obis, assoc, 5) == 0)
      verify_hls(c, dir, r->params, o, problems);
  }
  if (r->choice == 2)
    ami_cli_set(o, "block_number", json_integer(r->block_number));
  if (r->choice == 3 || r->choice == 5) {
    ami_apdu_iter it;
    ami_apdu_desc m;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->list);
    while (ami_apdu_next_method_desc(&it, &m) == 1)
      json_array_append_new(list, dec_desc_json(&m, true));
    ami_cli_set(o, "methods", list);
  }
  if (r->choice == 3) {
    ami_apdu_iter it;
    ami_span v;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->params_list);
    while (ami_apdu_next_data(&it, &v) == 1)
      json_array_append_new(list, data(v, problems));
    ami_cli_set(o, "parameters", list);
  }
  if (r->choice >= 4) {
    ami_cli_set(o, "last_block", json_boolean(r->block.last));
    ami_cli_set(o, "block_number", json_integer(r->block.block_number));
    ami_span whole;
    int k = add_block(s, r->block.block_number, r->block.last, r->block.raw, o,
                      &whole);
    if (k < 0)
      (*problems)++;
    if (k == 1)
      ami_cli_set(o, "parameters", data(whole, problems));
  }
}

static json_t *action_result_json(dec_ctx *c, dec_dir dir,
                                  const ami_apdu_action_result *r,
                                  const ami_apdu_desc *req, int *problems) {
  json_t *o = json_object();
  ami_cli_set(o, "result", json_integer(r->result));
  ami_cli_set(o, "meaning",
              json_string(ami_apdu_action_result_name(r->result)));
  if (r->has_return) {
    ami_cli_set(o, "return", get_result_json(c, &r->ret, NULL, problems));
    if (req && req->class_id == 15 && req->id == 1 && r->ret.choice == 0)
      verify_hls(c, dir, r->ret.data, o, problems);
  }
  return o;
}

static void action_response(dec_ctx *c, dec_dir dir, dec_side *s,
                            const ami_apdu_action_response *r, json_t *o,
                            int *problems) {
  static const char *const forms[] = {
      NULL, "action-response-normal", "action-response-with-pblock",
      "action-response-with-list", "action-response-next-pblock"};
  ami_cli_set(o, "kind", json_string(r->choice <= 4 ? forms[r->choice] : "?"));
  ami_cli_set(o, "invoke", iip_json(r->iip));
  const dec_pending *p = pending_for(c, r->iip, AMI_APDU_ACTION_REQUEST);
  const ami_apdu_desc *req = p && p->n ? &p->items[0] : NULL;
  if (req)
    ami_cli_set(o, "request", dec_desc_json(req, true));
  if (r->choice == 1) {
    json_t *res = action_result_json(c, dir, &r->result, req, problems);
    ami_cli_set(o, "response", res);
  } else if (r->choice == 2) {
    ami_cli_set(o, "last_block", json_boolean(r->block.last));
    ami_cli_set(o, "block_number", json_integer(r->block.block_number));
    ami_span whole;
    int k = add_block(s, r->block.block_number, r->block.last, r->block.raw, o,
                      &whole);
    if (k < 0)
      (*problems)++;
    if (k == 1)
      ami_cli_set(o, "response", data(whole, problems));
  } else if (r->choice == 3) {
    ami_apdu_iter it;
    ami_apdu_action_result ar;
    json_t *list = json_array();
    ami_apdu_iter_init(&it, &r->list);
    while (ami_apdu_next_action_result(&it, &ar) == 1)
      json_array_append_new(list,
                            action_result_json(c, dir, &ar, NULL, problems));
    ami_cli_set(o, "responses", list);
  } else {
    ami_cli_set(o, "block_number", json_integer(r->block_number));
  }
}

static json_t *conformance_json(uint32_t conf) {
  json_t *o = json_object();
  ami_cli_set(o, "bits", json_sprintf("%06X", conf & 0xFFFFFFu));
  json_t *names = json_array();
  for (unsigned n = 0; n < 24; n++)
    if (conf & AMI_CONFORMANCE_BIT(n))
      json_array_append_new(names,
                            json_string(ami_apdu_conformance_bit_name(n)));
  ami_cli_set(o, "services", names);
  return o;
}

static void sn_services(const ami_apdu *a, json_t *o, int *problems) {
  ami_cli_set(o, "kind", json_string(ami_apdu_tag_name(a->tag)));
  const ami_apdu_sn *sn = &a->u.sn;
  if (sn->has_time)
    ami_cli_set(o, "time", octets_json(sn->time));
  ami_apdu_iter it;
  json_t *list = json_array();
  ami_apdu_iter_init(&it, &sn->list);
  if (a->tag == AMI_APDU_READ_RESPONSE) {
    ami_apdu_read_result r;
    while (ami_apdu_next_read_result(&it, &r) == 1) {
      json_t *item = json_object();
      if (r.choice == 0)
        ami_cli_set(item, "data", data(r.data, problems));
      else if (r.choice == 1)
        ami_cli_set(item, "data_access_error",
                    json_string(ami_apdu_dar_name(r.dar)));
      else
        ami_cli_set(item, "block_number", json_integer(r.block_number));
      json_array_append_new(list, item);
    }
  } else if (a->tag == AMI_APDU_WRITE_RESPONSE) {
    ami_apdu_write_result r;
    while (ami_apdu_next_write_result(&it, &r) == 1)
      json_array_append_new(list, json_string(r.choice == 0 ? "success"
                                              : r.choice == 1
                                                  ? ami_apdu_dar_name(r.dar)
                                                  : "block-number"));
  } else {
    ami_apdu_var_access v;
    while (ami_apdu_next_var_access(&it, &v) == 1) {
      json_t *item = json_object();
      ami_cli_set(item, "variable_name", json_sprintf("0x%04X", v.name));
      if (v.choice == 4)
        ami_cli_set(item, "parameters", data(v.params, problems));
      json_array_append_new(list, item);
    }
  }
  ami_cli_set(o, "items", list);
  if (sn->values.count > 0) {
    ami_span v;
    json_t *vals = json_array();
    ami_apdu_iter_init(&it, &sn->values);
    while (ami_apdu_next_data(&it, &v) == 1)
      json_array_append_new(vals, data(v, problems));
    ami_cli_set(o, "values", vals);
  }
}

/* ---------------------------------------------------------------------- */
/* Ciphered APDUs */

static json_t *security_control_json(uint8_t sc) {
  json_t *o = json_object();
  ami_cli_set(o, "byte", json_sprintf("0x%02X", sc));
  const char *what = (sc & 0x30) == 0x30   ? "authenticated and encrypted"
                     : (sc & 0x30) == 0x10 ? "authenticated only"
                     : (sc & 0x30) == 0x20 ? "encrypted only"
                                           : "neither";
  ami_cli_set(o, "protection", json_string(what));
  ami_cli_set(o, "suite", json_integer(sc & 0x0F));
  ami_cli_set(o, "key_set", json_string(sc & 0x40 ? "broadcast" : "unicast"));
  if (sc & 0x80)
    ami_cli_set(o, "compression", json_true());
  return o;
}

static int ciphered(dec_ctx *c, dec_dir dir, ami_span in, json_t *o,
                    int depth) {
  ami_sec_info info;
  int rc = ami_sec_parse(in, &info);
  ami_cli_set(o, "kind", json_string(ami_apdu_tag_name(in.p[0])));
  if (rc != AMI_OK) {
    error(o, rc, "ciphered APDU");
    return 1;
  }
  ami_cli_set(o, "security_control", security_control_json(info.sc));
  ami_cli_set(o, "invocation_counter", json_integer(info.ic));
  dec_side *s = &c->side[dir];
  if (info.title.len == 8) {
    ami_cli_set(o, "system_title", octets_json(info.title));
    /* general-glo/ded ciphering names its sender. */
    memcpy(s->title, info.title.p, 8);
    s->have_title = true;
    ami_sec_set_peer_title(&s->sec, s->title);
  } else if (s->have_title) {
    ami_cli_set(o, "sender_system_title",
                octets_json(ami_span_make(s->title, 8)));
  }
  if (info.auth_tag.len)
    ami_cli_set(o, "authentication_tag",
                ami_cli_hex(info.auth_tag.p, info.auth_tag.len));
  if (c->keys.ek_len == 0) {
    ami_cli_set(o, "note",
                json_string("not decrypted: no block cipher key (--ek)"));
    return 0;
  }
  if (!s->have_title) {
    ami_cli_set(o, "note",
                json_string("not decrypted: the sender's system "
                            "title is unknown (--system-title)"));
    return 0;
  }
  uint8_t *plain = malloc(in.len);
  if (!plain)
    return 1;
  ami_wr w;
  ami_wr_init(&w, plain, in.len);
  rc = ami_sec_decrypt(&s->sec, in, &w, &info);
  if (rc == AMI_E_REPLAY) {
    /* Show it all the same, flagged: a capture may hold a replay. */
    ami_cli_set(o, "replay",
                json_sprintf("invocation counter %u is not above the last "
                             "one seen (%u)",
                             info.ic, s->sec.ic[AMI_SEC_KEY_UNICAST].rx_last));
    ami_sec_counter saved = s->sec.ic[AMI_SEC_KEY_UNICAST];
    s->sec.ic[AMI_SEC_KEY_UNICAST].rx_valid = false;
    rc = ami_sec_decrypt(&s->sec, in, &w, &info);
    s->sec.ic[AMI_SEC_KEY_UNICAST] = saved;
  }
  if (rc != AMI_OK) {
    error(o, rc, "decryption");
    free(plain);
    return 1;
  }
  ami_cli_set(o, "authenticated", json_boolean(info.auth_tag.len > 0));
  int problems = json_object_get(o, "replay") ? 1 : 0;
  problems +=
      dec_apdu(c, dir, ami_span_make(plain, w.len), o, "decrypted", depth + 1);
  free(plain);
  return problems;
}

/* ---------------------------------------------------------------------- */
/* ACSE */

static int user_info(dec_ctx *c, dec_dir dir, const ami_acse_user_info *u,
                     json_t *o, int depth) {
  if (!u->present)
    return 0;
  /* Re-encode the inner APDU to hand its exact bytes to the decoder (and
   * to decryption, which needs the whole ciphered APDU). */
  uint8_t buf[1024];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  int rc = ami_apdu_encode(&w, &u->apdu);
  if (rc != AMI_OK) {
    error(o, rc, "user-information");
    return 1;
  }
  return dec_apdu(c, dir, ami_span_make(buf, w.len), o, "user_information",
                  depth + 1);
}

static void remember_title(dec_ctx *c, dec_dir dir, const ami_acse_octets *t) {
  if (!t->present || t->value.len != 8 || dir == DEC_DIR_UNKNOWN)
    return;
  dec_side *s = &c->side[dir];
  if (c->keys.have_system_title && dir == DEC_DIR_UNKNOWN)
    return;
  memcpy(s->title, t->value.p, 8);
  s->have_title = true;
  ami_sec_set_peer_title(&s->sec, s->title);
}

static void remember_challenge(dec_ctx *c, dec_dir dir,
                               const ami_acse_auth *a) {
  if (!a->present || dir == DEC_DIR_UNKNOWN)
    return;
  dec_side *s = &c->side[dir];
  s->challenge_len =
      a->value.len < sizeof s->challenge ? a->value.len : sizeof s->challenge;
  memcpy(s->challenge, a->value.p, s->challenge_len);
}

/* Some servers send ACSE APDUs whose BER lengths are too short (the Gurux
 * server's RLRE declares 63 24 and BE 22 around a correct 04 21 octet
 * string). Rather than hide what the peer said, find the user-information's
 * octet string by its own length, decode it, and flag the APDU as
 * non-conforming. Returns true when that worked. */
static bool recover_user_info(dec_ctx *c, dec_dir dir, ami_span in, json_t *o,
                              int depth) {
  for (size_t i = 2; i + 4 <= in.len; i++) {
    if (in.p[i] != 0xBE || in.p[i + 2] != 0x04 || in.p[i + 3] >= 0x80)
      continue;
    size_t n = in.p[i + 3];
    if (i + 4 + n != in.len)
      continue;
    ami_cli_set(o, "warning",
                json_sprintf("non-conforming BER lengths (declared %u, %u "
                             "bytes present); user-information recovered "
                             "from its own octet-string length",
                             in.p[1], (unsigned)(in.len - 2)));
    c->warnings++;
    if (in.p[2] == 0x80 && in.p[3] == 0x01)
      ami_cli_set(o, "reason",
                  json_string(ami_acse_release_reason_name(in.p[0], in.p[4])));
    return dec_apdu(c, dir, ami_span_make(in.p + i + 4, n), o,
                    "user_information", depth + 1) == 0;
  }
  return false;
}

static json_t *name_json(const ami_acse_name *n, const char *(*fn)(unsigned)) {
  if (n->id != 0xFF && fn(n->id))
    return json_sprintf("%s (%u)", fn(n->id), n->id);
  return ami_cli_hex(n->oid.p, n->oid.len);
}

static int acse(dec_ctx *c, dec_dir dir, ami_span in, json_t *o, int depth) {
  ami_acse a;
  size_t used = 0;
  int rc = ami_acse_decode_prefix(in, &a, &used);
  ami_cli_set(o, "kind", json_string(ami_apdu_tag_name(in.p[0])));
  if (rc == AMI_E_BAD_LENGTH && recover_user_info(c, dir, in, o, depth))
    return 0;
  if (rc != AMI_OK) {
    error(o, rc, "ACSE APDU");
    ami_cli_set(o, "raw", ami_cli_hex(in.p, in.len));
    return 1;
  }
  int problems = 0;
  if (used < in.len)
    ami_cli_set(
        o, "note",
        json_sprintf("%zu bytes after the APDU ignored", in.len - used));
  if (a.tag == AMI_ACSE_AARQ) {
    const ami_acse_aarq *q = &a.u.aarq;
    if (dir == DEC_DIR_UNKNOWN)
      dir = DEC_DIR_TX;
    ami_cli_set(o, "application_context",
                name_json(&q->context, ami_acse_context_name));
    if (q->calling_ap_title.present)
      ami_cli_set(o, "calling_ap_title",
                  octets_json(q->calling_ap_title.value));
    if (q->mechanism.present) {
      ami_cli_set(o, "mechanism",
                  name_json(&q->mechanism, ami_acse_mechanism_name));
      c->mechanism = q->mechanism.id;
    }
    if (q->auth_value.present)
      ami_cli_set(o, q->mechanism.id == 1 ? "password" : "challenge_ctos",
                  octets_json(q->auth_value.value));
    remember_title(c, dir, &q->calling_ap_title);
    remember_challenge(c, dir, &q->auth_value);
    problems += user_info(c, dir, &q->user_info, o, depth);
  } else if (a.tag == AMI_ACSE_AARE) {
    const ami_acse_aare *r = &a.u.aare;
    if (dir == DEC_DIR_UNKNOWN)
      dir = DEC_DIR_RX;
    ami_cli_set(o, "application_context",
                name_json(&r->context, ami_acse_context_name));
    ami_cli_set(o, "result",
                json_string(ami_acse_result_name(r->result.value)));
    if (r->diagnostic.present)
      ami_cli_set(o, "diagnostic",
                  json_sprintf("%s: %s",
                               r->diagnostic.source == 1
                                   ? "acse-service-user"
                                   : "acse-service-provider",
                               ami_acse_diag_name(r->diagnostic.source,
                                                  r->diagnostic.value)));
    if (r->responding_ap_title.present)
      ami_cli_set(o, "responding_ap_title",
                  octets_json(r->responding_ap_title.value));
    if (r->mechanism.present)
      ami_cli_set(o, "mechanism",
                  name_json(&r->mechanism, ami_acse_mechanism_name));
    if (r->auth_value.present)
      ami_cli_set(o, "challenge_stoc", octets_json(r->auth_value.value));
    remember_title(c, dir, &r->responding_ap_title);
    remember_challenge(c, dir, &r->auth_value);
    problems += user_info(c, dir, &r->user_info, o, depth);
  } else {
    const ami_acse_release *r = a.tag == AMI_ACSE_RLRQ ? &a.u.rlrq : &a.u.rlre;
    if (r->reason.present)
      ami_cli_set(
          o, "reason",
          json_string(ami_acse_release_reason_name(a.tag, r->reason.value)));
    problems += user_info(c, dir, &r->user_info, o, depth);
  }
  return problems;
}

/* ---------------------------------------------------------------------- */

int dec_apdu(dec_ctx *c, dec_dir dir, ami_span in, json_t *parent,
             const char *key, int depth) {
  json_t *o = json_object();
  ami_cli_set(parent, key, o);
  if (in.len == 0) {
    ami_cli_set(o, "error", json_string("empty APDU"));
    return 1;
  }
  if (depth > DEC_MAX_NESTING) {
    ami_cli_set(o, "error", json_string("APDUs nested too deeply"));
    return 1;
  }
  uint8_t tag = in.p[0];
  if (tag >= AMI_ACSE_AARQ && tag <= AMI_ACSE_RLRE)
    return acse(c, dir, in, o, depth);
  if (ami_apdu_is_ciphered(tag) && tag != AMI_APDU_GENERAL_CIPHERING &&
      tag != AMI_APDU_GENERAL_SIGNING)
    return ciphered(c, dir, in, o, depth);

  ami_apdu a;
  size_t used = 0;
  int rc = ami_apdu_decode_prefix(in, &a, &used);
  if (rc != AMI_OK) {
    ami_cli_set(o, "kind", json_string(ami_apdu_tag_name(tag)));
    error(o, rc, "APDU");
    ami_cli_set(o, "raw", ami_cli_hex(in.p, in.len));
    return 1;
  }
  if (used < in.len) {
    /* Report, don't fail (a known quirk of one server). */
    ami_cli_set(o, "trailing",
                ami_cli_trailing(in.p + used, in.len - used, "the APDU"));
  }
  int problems = 0;
  dec_side *s = &c->side[dir];
  switch (a.tag) {
  case AMI_APDU_INITIATE_REQUEST: {
    const ami_apdu_initiate_request *r = &a.u.initiate_request;
    ami_cli_set(o, "kind", json_string("initiate-request"));
    if (r->has_dedicated_key) {
      ami_cli_set(o, "dedicated_key",
                  ami_cli_hex(r->dedicated_key.p, r->dedicated_key.len));
      for (int i = 0; i < 3; i++)
        ami_sec_set_key(&c->side[i].sec, AMI_SEC_KEY_DEDICATED,
                        r->dedicated_key.p, r->dedicated_key.len);
    }
    ami_cli_set(o, "response_allowed", json_boolean(r->response_allowed));
    ami_cli_set(o, "dlms_version", json_integer(r->dlms_version));
    ami_cli_set(o, "conformance", conformance_json(r->conformance));
    ami_cli_set(o, "client_max_receive_pdu_size",
                json_integer(r->max_pdu_size));
    break;
  }
  case AMI_APDU_INITIATE_RESPONSE: {
    const ami_apdu_initiate_response *r = &a.u.initiate_response;
    ami_cli_set(o, "kind", json_string("initiate-response"));
    ami_cli_set(o, "dlms_version", json_integer(r->dlms_version));
    ami_cli_set(o, "conformance", conformance_json(r->conformance));
    ami_cli_set(o, "server_max_receive_pdu_size",
                json_integer(r->max_pdu_size));
    ami_cli_set(o, "vaa_name", json_sprintf("0x%04X", r->vaa_name));
    break;
  }
  case AMI_APDU_CONFIRMED_SERVICE_ERROR: {
    const ami_apdu_cse *e = &a.u.cse;
    ami_cli_set(o, "kind", json_string("confirmed-service-error"));
    ami_cli_set(o, "service",
                json_string(ami_apdu_cse_service_name(e->service)));
    ami_cli_set(
        o, "error",
        json_sprintf("%s: %s", ami_apdu_service_error_name(e->error),
                     ami_apdu_service_error_value_name(e->error, e->value)));
    problems++;
    break;
  }
  case AMI_APDU_DATA_NOTIFICATION: {
    const ami_apdu_data_notification *n = &a.u.notification;
    ami_cli_set(o, "kind", json_string("data-notification"));
    ami_cli_set(o, "long_invoke_id", json_integer(n->long_iip & 0xFFFFFF));
    if (n->date_time.len > 0) {
      uint8_t tmp[16];
      json_t *dt;
      if (n->date_time.len == 12) {
        /* Give it the date-time annotation an octet-string(12) gets. */
        tmp[0] = AMI_AXDR_OCTET_STRING;
        tmp[1] = 12;
        memcpy(tmp + 2, n->date_time.p, 12);
        dt = data(ami_span_make(tmp, 14), &problems);
      } else {
        dt = octets_json(n->date_time);
      }
      ami_cli_set(o, "date_time", dt);
    }
    ami_cli_set(o, "body", data(n->body, &problems));
    break;
  }
  case AMI_APDU_EVENT_NOTIFICATION_REQUEST: {
    const ami_apdu_event_notification *e = &a.u.event;
    ami_cli_set(o, "kind", json_string("event-notification-request"));
    if (e->has_time)
      ami_cli_set(o, "time", octets_json(e->time));
    ami_cli_set(o, "attribute", dec_desc_json(&e->attr, false));
    ami_cli_set(o, "value", data(e->value, &problems));
    break;
  }
  case AMI_APDU_GET_REQUEST:
    get_request(c, &a.u.get_request, o, &problems);
    break;
  case AMI_APDU_GET_RESPONSE:
    get_response(c, s, &a.u.get_response, o, &problems);
    break;
  case AMI_APDU_SET_REQUEST:
    set_request(c, s, &a.u.set_request, o, &problems);
    break;
  case AMI_APDU_SET_RESPONSE:
    set_response(&a.u.set_response, o);
    break;
  case AMI_APDU_ACTION_REQUEST:
    action_request(c, dir, s, &a.u.action_request, o, &problems);
    break;
  case AMI_APDU_ACTION_RESPONSE:
    action_response(c, dir, s, &a.u.action_response, o, &problems);
    break;
  case AMI_APDU_EXCEPTION_RESPONSE: {
    const ami_apdu_exception *e = &a.u.exception;
    ami_cli_set(o, "kind", json_string("exception-response"));
    ami_cli_set(o, "state_error",
                json_string(ami_apdu_state_error_name(e->state_error)));
    ami_cli_set(o, "service_error",
                json_string(ami_apdu_exception_service_name(e->service_error)));
    if (e->service_error == AMI_APDU_EXC_INVOCATION_COUNTER_ERROR)
      ami_cli_set(o, "expected_invocation_counter",
                  json_integer(e->invocation_counter));
    problems++;
    break;
  }
  case AMI_APDU_GENERAL_BLOCK_TRANSFER: {
    const ami_apdu_gbt *g = &a.u.gbt;
    bool last = g->block_control & AMI_APDU_GBT_LAST;
    ami_cli_set(o, "kind", json_string("general-block-transfer"));
    ami_cli_set(o, "last_block", json_boolean(last));
    ami_cli_set(o, "streaming",
                json_boolean(g->block_control & AMI_APDU_GBT_STREAMING));
    ami_cli_set(o, "window",
                json_integer(g->block_control & AMI_APDU_GBT_WINDOW_MASK));
    ami_cli_set(o, "block_number", json_integer(g->block_number));
    ami_cli_set(o, "block_number_ack", json_integer(g->block_number_ack));
    ami_cli_set(o, "block_data_length", json_integer((json_int_t)g->data.len));
    if (g->block_number == 1 || s->gbt_next == 0)
      ami_dynbuf_reset(&s->gbt);
    if (g->data.len == 0)
      break; /* an acknowledgement only */
    if (s->gbt_next != 0 && g->block_number != s->gbt_next) {
      ami_cli_set(o, "error",
                  json_sprintf("block %u where %u was expected",
                               g->block_number, s->gbt_next));
      s->gbt_next = 0;
      problems++;
      break;
    }
    rc = ami_dynbuf_append(&s->gbt, g->data.p, g->data.len);
    if (rc != AMI_OK) {
      error(o, rc, "general block transfer");
      s->gbt_next = 0;
      problems++;
      break;
    }
    if (!last) {
      s->gbt_next = (uint16_t)(g->block_number + 1);
      break;
    }
    s->gbt_next = 0;
    /* The joined blocks are one APDU; copy them, since decoding it may
     * start another transfer on this side. */
    uint8_t *whole = malloc(s->gbt.len);
    if (!whole)
      return problems + 1;
    size_t wl = s->gbt.len;
    memcpy(whole, s->gbt.p, wl);
    problems +=
        dec_apdu(c, dir, ami_span_make(whole, wl), o, "reassembled", depth + 1);
    free(whole);
    break;
  }
  case AMI_APDU_READ_REQUEST:
  case AMI_APDU_READ_RESPONSE:
  case AMI_APDU_WRITE_REQUEST:
  case AMI_APDU_WRITE_RESPONSE:
  case AMI_APDU_UNCONFIRMED_WRITE_REQUEST:
  case AMI_APDU_INFORMATION_REPORT_REQUEST:
    sn_services(&a, o, &problems);
    break;
  default:
    ami_cli_set(o, "kind", json_string(ami_apdu_tag_name(tag)));
    ami_cli_set(o, "raw", ami_cli_hex(in.p, in.len));
  }
  return problems;
}
