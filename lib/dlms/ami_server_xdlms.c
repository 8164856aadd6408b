/*
 * ami_server_xdlms.c -- the server engine's xDLMS services: GET, SET and
 * ACTION in their normal and with-list forms, dispatched item by item to
 * the application (ami_server_app.h); GET responses too large for one APDU
 * go out as GET-Response-With-Datablock served on GET-Request-Next; SET
 * datablocks and ACTION pblocks from the client are reassembled (bounded).
 *
 * References: IEC 62056-5-3 §8 (GET/SET/ACTION services and their block
 * transfer), Data-Access-Result and Action-Result enumerations.
 */
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami_server_internal.h"

/* Data-Access-Result values the engine itself produces. */
#define DAR_LONG_GET_ABORTED     15u
#define DAR_NO_LONG_GET          16u
#define DAR_LONG_SET_ABORTED     17u
#define DAR_NO_LONG_SET          18u
#define DAR_BLOCK_NUMBER_INVALID 19u
#define DAR_OTHER_REASON         250u

/* Worst-case header of a GET-Response-With-Datablock: tag, choice, iip,
 * last, block number (4), raw-data choice, a 4-byte length (5). */
#define GET_BLOCK_HEADER 14u

void ami__srv_blocks_reset(ami_server *s) {
  s->blk_active = false;
  s->blk_num = 0;
  s->blk_len = 0;
  s->blk_pos = 0;
  s->blk_stream = false;
  s->blk_done = false;
  s->blk_action = false;
  s->rs_tag = 0;
  s->rs_num = 0;
  ami_dynbuf_reset(&s->rs);
}

/* ---------------------------------------------------------------------- */
/* Calling the application */

/* Run one GET (want_get) or ACTION item with an output buffer that grows
 * from 256 bytes to cfg.max_response while the application answers
 * AMI_E_BUFFER_FULL. The output lands in s->data (*out). A failure of the
 * call becomes other-reason. Returns AMI_OK or a fatal AMI_E_NOMEM. */
static int app_call(ami_server *s, bool want_get, const ami_apdu_desc *d,
                    const ami_apdu_selection *sel, ami_span params,
                    ami_span *out, bool *has_out, uint8_t *res) {
  size_t cap = s->data.cap ? s->data.cap : 256;
  if (cap > s->cfg.max_response)
    cap = s->cfg.max_response;
  ami_server_assoc_info info;
  ami__srv_info(s, &info);
  *out = ami_span_make(NULL, 0);
  for (;;) {
    int rc = ami__srv_reserve(s, &s->data, cap);
    if (rc != AMI_OK)
      return rc;
    ami_wr w;
    ami_wr_init(&w, s->data.p, cap);
    *res = 0;
    *has_out = false;
    if (want_get) {
      rc = s->cfg.app->get(s->cfg.app->user_data, &info, d, sel, &w, res);
      *has_out = rc == AMI_OK && *res == 0;
    } else {
      rc = s->cfg.app->action(s->cfg.app->user_data, &info, d, params, &w,
                              has_out, res);
      *has_out = *has_out && rc == AMI_OK;
    }
    if (rc == AMI_OK && w.err == AMI_OK) {
      if (*has_out && w.len == 0) {
        *has_out = false;
        if (want_get)
          *res = DAR_OTHER_REASON; /* no Data at all: the app's bug */
      }
      *out = ami_span_make(w.p, w.len);
      return AMI_OK;
    }
    if ((rc == AMI_E_BUFFER_FULL || w.err == AMI_E_BUFFER_FULL) &&
        cap < s->cfg.max_response) {
      cap = cap * 2 < s->cfg.max_response ? cap * 2 : s->cfg.max_response;
      continue;
    }
    if (rc == AMI_E_NOMEM)
      return rc;
    ami__srv_error(s, rc != AMI_OK ? rc : w.err, "application call failed");
    *has_out = false;
    *res = DAR_OTHER_REASON;
    return AMI_OK;
  }
}

static uint8_t app_set(ami_server *s, const ami_apdu_desc *d,
                       const ami_apdu_selection *sel, ami_span value) {
  ami_server_assoc_info info;
  ami__srv_info(s, &info);
  uint8_t dar = 0;
  int rc = s->cfg.app->set(s->cfg.app->user_data, &info, d, sel, value, &dar);
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "application set failed");
    dar = DAR_OTHER_REASON;
  }
  return dar;
}

/* Append one list item (of at most `need` bytes) at s->list + *len. */
static int list_append(ami_server *s, size_t *len, ami_apdu_elem elem,
                       const void *item, size_t need) {
  int rc = ami__srv_reserve(s, &s->list, *len + need);
  if (rc != AMI_OK)
    return rc;
  ami_wr w;
  ami_wr_init(&w, s->list.p + *len, s->list.cap - *len);
  rc = ami_apdu_write_item(&w, elem, item);
  if (rc != AMI_OK)
    return rc;
  *len += w.len;
  return AMI_OK;
}

/* Put the A-XDR count of `count` items in front of the items that start at
 * s->list + 5; returns the span of count || items. */
static ami_span list_with_count(ami_server *s, size_t end, uint32_t count) {
  uint8_t c[5];
  ami_wr w;
  ami_wr_init(&w, c, sizeof c);
  ami_axdr_put_len(&w, count);
  size_t start = 5 - w.len;
  memcpy(s->list.p + start, c, w.len);
  return ami_span_make(s->list.p + start, end - start);
}

/* ---------------------------------------------------------------------- */
/* GET (IEC 62056-5-3 §8 GET service, Get-Response-With-Datablock) */

static int get_block_error(ami_server *s, uint8_t iip, uint32_t num,
                           uint8_t dar);
static int stream_fill(ami_server *s, size_t want, uint8_t *dar);

/* Send the next block of the long GET payload held in s->list (refilled
 * from the application first when the value is streamed). */
static int send_block(ami_server *s, uint8_t iip) {
  size_t lim = ami__srv_send_limit(s);
  size_t room = lim > GET_BLOCK_HEADER + 16 ? lim - GET_BLOCK_HEADER : 16;
  if (s->blk_stream) {
    uint8_t dar = 0;
    int rc = stream_fill(s, room + 1, &dar);
    if (rc != AMI_OK || dar) {
      uint32_t num = s->blk_num + 1;
      ami__srv_blocks_reset(s);
      if (rc == AMI_E_NOMEM)
        return rc;
      return get_block_error(s, iip, num, dar ? dar : DAR_LONG_GET_ABORTED);
    }
  }
  size_t left = s->blk_len - s->blk_pos;
  size_t n = left < room ? left : room;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_RESPONSE;
  a.u.get_response.choice = 2;
  a.u.get_response.iip = iip;
  a.u.get_response.block.block_number = ++s->blk_num;
  a.u.get_response.block.last = n == left && (!s->blk_stream || s->blk_done);
  a.u.get_response.block.choice = 0;
  a.u.get_response.block.raw =
      ami_span_make(s->list.p + s->blk_off + s->blk_pos, n);
  s->blk_pos += n;
  if (a.u.get_response.block.last)
    s->blk_active = false;
  return ami__srv_send_apdu(s, &a);
}

/* Answer with the payload (starting at s->list + off, len bytes) as a
 * normal response when `normal` fits, else start a long GET. */
static int get_answer(ami_server *s, const ami_apdu *normal, size_t normal_len,
                      size_t off, size_t len, uint8_t iip) {
  if (normal_len <= ami__srv_send_limit(s))
    return ami__srv_send_apdu(s, normal);
  s->blk_active = true;
  s->blk_iip = iip;
  s->blk_num = 0;
  s->blk_off = off;
  s->blk_len = len;
  s->blk_pos = 0;
  return send_block(s, iip);
}

static int get_block_error(ami_server *s, uint8_t iip, uint32_t num,
                           uint8_t dar) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_RESPONSE;
  a.u.get_response.choice = 2;
  a.u.get_response.iip = iip;
  a.u.get_response.block.last = true;
  a.u.get_response.block.block_number = num;
  a.u.get_response.block.choice = 1;
  a.u.get_response.block.dar = dar;
  return ami__srv_send_apdu(s, &a);
}

/* Make at least `want` unsent bytes of a streamed value available in
 * s->list (fewer only when the value is complete), calling the
 * application's get_part. Unsent bytes move to the front first, so the
 * buffer holds about one block, never the whole value. A DAR the
 * application sets (first call: access denied, ...) lands in *dar;
 * AMI_E_STATE and other failures abort the transfer. */
static int stream_fill(ami_server *s, size_t want, uint8_t *dar) {
  size_t pending = s->blk_len - s->blk_pos;
  if (pending && s->blk_off + s->blk_pos)
    memmove(s->list.p, s->list.p + s->blk_off + s->blk_pos, pending);
  s->blk_off = 0;
  s->blk_pos = 0;
  s->blk_len = pending;
  size_t chunk = want > 256 ? want : 256;
  ami_server_assoc_info info;
  ami__srv_info(s, &info);
  ami_apdu_selection sel;
  memset(&sel, 0, sizeof sel);
  sel.present = s->rs_sel_present;
  sel.selector = s->rs_selector;
  sel.params = ami_span_make(s->rs_sel, s->rs_sel_len);
  while (!s->blk_done && s->blk_len < want) {
    if (chunk > s->cfg.max_response)
      chunk = s->cfg.max_response;
    int rc = ami__srv_reserve(s, &s->list, s->blk_len + chunk);
    if (rc != AMI_OK)
      return rc;
    ami_wr w;
    ami_wr_init(&w, s->list.p + s->blk_len, chunk);
    *dar = 0;
    rc = s->cfg.app->get_part(s->cfg.app->user_data, &info, &s->rs_desc, &sel,
                              &s->blk_cursor, &w, dar);
    if (*dar)
      return AMI_OK;
    if (w.err != AMI_OK && (rc == AMI_OK || rc == AMI_E_AGAIN))
      rc = w.err;
    if (rc == AMI_OK || rc == AMI_E_AGAIN) {
      s->blk_len += w.len;
      s->blk_done = rc == AMI_OK;
      if (w.len == 0 && !s->blk_done && chunk >= s->cfg.max_response)
        return AMI_E_STATE; /* no progress possible */
      if (w.len == 0)
        chunk *= 2;
      continue;
    }
    if (rc == AMI_E_BUFFER_FULL && chunk < s->cfg.max_response) {
      chunk *= 2;
      continue;
    }
    if (rc != AMI_E_NOMEM)
      ami__srv_error(s, rc, "application get_part failed");
    return rc;
  }
  return AMI_OK;
}

/* GET-Request-Normal through get_part: the value is pulled only as far as
 * the first response needs. A value that turns out to fit one APDU is
 * answered normally; otherwise the long GET streams, refilled block by
 * block. (A request carried by GBT needs the whole response first.) */
static int get_streamed(ami_server *s, const ami_apdu_get_request *rq) {
  if (rq->sel.present && rq->sel.params.len > AMI__SRV_SEL_MAX)
    return get_block_error(s, rq->iip, 0, DAR_OTHER_REASON);
  s->rs_desc = rq->attr;
  s->rs_sel_present = rq->sel.present;
  s->rs_selector = rq->sel.selector;
  s->rs_sel_len = rq->sel.present ? rq->sel.params.len : 0;
  if (s->rs_sel_len)
    memcpy(s->rs_sel, rq->sel.params.p, s->rs_sel_len);
  memset(&s->blk_cursor, 0, sizeof s->blk_cursor);
  s->blk_stream = true;
  s->blk_done = false;
  s->blk_off = s->blk_pos = s->blk_len = 0;
  size_t lim = ami__srv_send_limit(s);
  size_t want = s->req_gbt ? s->cfg.max_response + 1 : lim + 1;
  uint8_t dar = 0;
  int rc = stream_fill(s, want, &dar);
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_RESPONSE;
  a.u.get_response.choice = 1;
  a.u.get_response.iip = rq->iip;
  if (rc == AMI_OK && !dar && s->blk_done && s->blk_len == 0)
    dar = DAR_OTHER_REASON; /* no Data at all: the application's bug */
  if (rc != AMI_OK || dar || (s->req_gbt && !s->blk_done)) {
    ami__srv_blocks_reset(s);
    if (rc == AMI_E_NOMEM)
      return rc;
    a.u.get_response.result.choice = 1;
    a.u.get_response.result.dar = dar ? dar : DAR_OTHER_REASON;
    return ami__srv_send_apdu(s, &a);
  }
  if (s->blk_done && 4 + s->blk_len <= lim) {
    size_t len = s->blk_len;
    ami__srv_blocks_reset(s);
    a.u.get_response.result.choice = 0;
    a.u.get_response.result.data = ami_span_make(s->list.p, len);
    return ami__srv_send_apdu(s, &a);
  }
  if (s->req_gbt) { /* complete: whole response, GBT splits it */
    size_t len = s->blk_len;
    ami__srv_blocks_reset(s);
    a.u.get_response.result.choice = 0;
    a.u.get_response.result.data = ami_span_make(s->list.p, len);
    return ami__srv_send_apdu(s, &a);
  }
  s->blk_active = true;
  s->blk_iip = rq->iip;
  s->blk_num = 0;
  return send_block(s, rq->iip);
}

static int get_normal(ami_server *s, const ami_apdu_get_request *rq) {
  ami_span data;
  bool has;
  uint8_t dar;
  ami__srv_blocks_reset(s);
  if (s->cfg.app->version >= 2 && s->cfg.app->get_part)
    return get_streamed(s, rq);
  int rc = app_call(s, true, &rq->attr, &rq->sel, ami_span_make(NULL, 0), &data,
                    &has, &dar);
  if (rc != AMI_OK)
    return rc;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_RESPONSE;
  a.u.get_response.choice = 1;
  a.u.get_response.iip = rq->iip;
  if (!has) {
    a.u.get_response.result.choice = 1;
    a.u.get_response.result.dar = dar ? dar : DAR_OTHER_REASON;
    return ami__srv_send_apdu(s, &a);
  }
  /* Keep the Data in s->list: a long GET serves its blocks from there. */
  rc = ami__srv_reserve(s, &s->list, data.len);
  if (rc != AMI_OK)
    return rc;
  memcpy(s->list.p, data.p, data.len);
  a.u.get_response.result.choice = 0;
  a.u.get_response.result.data = ami_span_make(s->list.p, data.len);
  return get_answer(s, &a, 4 + data.len, 0, data.len, rq->iip);
}

static int get_list(ami_server *s, const ami_apdu_get_request *rq) {
  ami__srv_blocks_reset(s);
  size_t end = 5;
  int rc = ami__srv_reserve(s, &s->list, 5);
  if (rc != AMI_OK)
    return rc;
  ami_apdu_iter it;
  ami_apdu_iter_init(&it, &rq->list);
  ami_apdu_attr_sel item;
  while ((rc = ami_apdu_next_attr_sel(&it, &item)) == 1) {
    ami_span data;
    bool has;
    uint8_t dar;
    rc = app_call(s, true, &item.attr, &item.sel, ami_span_make(NULL, 0), &data,
                  &has, &dar);
    if (rc != AMI_OK)
      return rc;
    /* The whole list is bounded by max_response too: items past it are
     * answered other-reason. */
    if (has && end + data.len > s->cfg.max_response) {
      has = false;
      dar = DAR_OTHER_REASON;
    }
    ami_apdu_get_result r;
    memset(&r, 0, sizeof r);
    r.choice = has ? 0 : 1;
    r.data = data;
    r.dar = dar ? dar : DAR_OTHER_REASON;
    rc = list_append(s, &end, AMI_APDU_ELEM_GET_RESULT, &r, data.len + 4);
    if (rc == AMI_E_NOMEM)
      return rc;
    if (rc != AMI_OK) { /* the app's Data was malformed */
      ami__srv_error(s, rc, "application returned malformed Data");
      r.choice = 1;
      r.dar = DAR_OTHER_REASON;
      rc = list_append(s, &end, AMI_APDU_ELEM_GET_RESULT, &r, 4);
      if (rc != AMI_OK)
        return rc;
    }
  }
  if (rc < 0)
    return ami__srv_exception(s, 2, 3, 0);
  ami_span payload = list_with_count(s, end, rq->list.count);
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_GET_RESPONSE;
  a.u.get_response.choice = 3;
  a.u.get_response.iip = rq->iip;
  a.u.get_response.list.count = rq->list.count;
  a.u.get_response.list.elem = AMI_APDU_ELEM_GET_RESULT;
  a.u.get_response.list.items = ami_span_make(s->list.p + 5, end - 5);
  return get_answer(s, &a, 3 + payload.len, (size_t)(payload.p - s->list.p),
                    payload.len, rq->iip);
}

int ami__srv_get(ami_server *s, const ami_apdu_get_request *rq) {
  switch (rq->choice) {
  case 1:
    return get_normal(s, rq);
  case 2:
    if (!s->blk_active)
      return get_block_error(s, rq->iip, rq->block_number, DAR_NO_LONG_GET);
    if (rq->block_number != s->blk_num) {
      uint32_t n = s->blk_num;
      ami__srv_blocks_reset(s);
      return get_block_error(s, rq->iip, n, DAR_BLOCK_NUMBER_INVALID);
    }
    return send_block(s, rq->iip);
  case 3:
    return get_list(s, rq);
  default:
    return ami__srv_exception(s, 2, 2, 0);
  }
}

/* ---------------------------------------------------------------------- */
/* SET and ACTION block reassembly */

/* Start reassembling for `tag` (SET or ACTION request) with the first
 * block; copies the descriptor and selection (spans do not survive). */
static bool rs_start(ami_server *s, uint8_t tag, uint8_t iip,
                     const ami_apdu_desc *d, const ami_apdu_selection *sel) {
  ami__srv_blocks_reset(s);
  if (sel && sel->present && sel->params.len > AMI__SRV_SEL_MAX)
    return false;
  s->rs_tag = tag;
  s->rs_iip = iip;
  s->rs_desc = *d;
  s->rs_sel_present = sel && sel->present;
  if (s->rs_sel_present) {
    s->rs_selector = sel->selector;
    memcpy(s->rs_sel, sel->params.p, sel->params.len);
    s->rs_sel_len = sel->params.len;
  }
  return true;
}

/* Add one block. Returns 1 when more blocks are expected, 0 when the value
 * is complete, a DAR (> 1, negated into *dar) on a sequence or size error,
 * or a fatal error (< 0). */
static int rs_add(ami_server *s, uint8_t tag, const ami_apdu_datablock *b,
                  uint8_t *dar) {
  if (s->rs_tag != tag) {
    *dar = tag == AMI_APDU_SET_REQUEST ? DAR_NO_LONG_SET : DAR_OTHER_REASON;
    return 2;
  }
  if (b->block_number != s->rs_num + 1) {
    ami__srv_blocks_reset(s);
    *dar = DAR_BLOCK_NUMBER_INVALID;
    return 2;
  }
  int rc = ami_dynbuf_append(&s->rs, b->raw.p, b->raw.len);
  if (rc == AMI_E_NOMEM)
    return rc;
  if (rc != AMI_OK) {
    ami__srv_error(s, rc, "block reassembly over its limit");
    ami__srv_blocks_reset(s);
    *dar =
        tag == AMI_APDU_SET_REQUEST ? DAR_LONG_SET_ABORTED : DAR_OTHER_REASON;
    return 2;
  }
  s->rs_num = b->block_number;
  return b->last ? 0 : 1;
}

static int set_response(ami_server *s, uint8_t choice, uint8_t iip, uint8_t dar,
                        uint32_t num) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_SET_RESPONSE;
  a.u.set_response.choice = choice;
  a.u.set_response.iip = iip;
  a.u.set_response.result = dar;
  a.u.set_response.block_number = num;
  return ami__srv_send_apdu(s, &a);
}

/* A block of a long SET: acknowledge it or, on the last one, apply. */
static int set_block(ami_server *s, uint8_t iip, const ami_apdu_datablock *b) {
  uint8_t dar = 0;
  int rc = rs_add(s, AMI_APDU_SET_REQUEST, b, &dar);
  if (rc < 0)
    return rc;
  if (rc == 1)
    return set_response(s, 2, iip, 0, b->block_number);
  if (rc == 0) {
    ami_apdu_selection sel;
    memset(&sel, 0, sizeof sel);
    sel.present = s->rs_sel_present;
    sel.selector = s->rs_selector;
    sel.params = ami_span_make(s->rs_sel, s->rs_sel_len);
    dar = app_set(s, &s->rs_desc, &sel, ami_span_make(s->rs.p, s->rs.len));
    ami__srv_blocks_reset(s);
  }
  return set_response(s, 3, iip, dar, b->block_number);
}

int ami__srv_set(ami_server *s, const ami_apdu_set_request *rq) {
  switch (rq->choice) {
  case 1:
    ami__srv_blocks_reset(s);
    return set_response(s, 1, rq->iip,
                        app_set(s, &rq->attr, &rq->sel, rq->value), 0);
  case 2:
    if (!rs_start(s, AMI_APDU_SET_REQUEST, rq->iip, &rq->attr, &rq->sel))
      return set_response(s, 3, rq->iip, DAR_OTHER_REASON,
                          rq->block.block_number);
    return set_block(s, rq->iip, &rq->block);
  case 3:
    return set_block(s, rq->iip, &rq->block);
  case 4: {
    ami__srv_blocks_reset(s);
    size_t end = 5;
    int rc = ami__srv_reserve(s, &s->list, 5);
    if (rc != AMI_OK)
      return rc;
    ami_apdu_iter ia, iv;
    ami_apdu_iter_init(&ia, &rq->list);
    ami_apdu_iter_init(&iv, &rq->values);
    ami_apdu_attr_sel item;
    ami_span value;
    while (ami_apdu_next_attr_sel(&ia, &item) == 1 &&
           ami_apdu_next_data(&iv, &value) == 1) {
      uint8_t dar = app_set(s, &item.attr, &item.sel, value);
      rc = list_append(s, &end, AMI_APDU_ELEM_DAR, &dar, 1);
      if (rc != AMI_OK)
        return rc;
    }
    ami_apdu a;
    memset(&a, 0, sizeof a);
    a.tag = AMI_APDU_SET_RESPONSE;
    a.u.set_response.choice = 5;
    a.u.set_response.iip = rq->iip;
    a.u.set_response.list.count = (uint32_t)(end - 5);
    a.u.set_response.list.elem = AMI_APDU_ELEM_DAR;
    a.u.set_response.list.items = ami_span_make(s->list.p + 5, end - 5);
    return ami__srv_send_apdu(s, &a);
  }
  default: /* with-list-and-first-datablock: not supported */
    return ami__srv_exception(s, 2, 2, 0);
  }
}

/* ---------------------------------------------------------------------- */
/* ACTION */

static int action_one(ami_server *s, const ami_apdu_desc *m, ami_span params,
                      ami_apdu_action_result *r) {
  ami_span ret;
  bool has;
  uint8_t result;
  int rc = app_call(s, false, m, NULL, params, &ret, &has, &result);
  if (rc != AMI_OK)
    return rc;
  memset(r, 0, sizeof *r);
  r->result = result;
  r->has_return = has;
  r->ret.choice = 0;
  r->ret.data = ret;
  return AMI_OK;
}

/* Send the next pblock of a long ACTION return held in s->list
 * (ACTION-Response-With-Pblock, IEC 62056-5-3 §9.3.7). */
static int send_pblock(ami_server *s, uint8_t iip) {
  size_t lim = ami__srv_send_limit(s);
  size_t room = lim > GET_BLOCK_HEADER + 16 ? lim - GET_BLOCK_HEADER : 16;
  size_t left = s->blk_len - s->blk_pos;
  size_t n = left < room ? left : room;
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_ACTION_RESPONSE;
  a.u.action_response.choice = 2;
  a.u.action_response.iip = iip;
  a.u.action_response.block.block_number = ++s->blk_num;
  a.u.action_response.block.last = n == left;
  a.u.action_response.block.raw = ami_span_make(s->list.p + s->blk_pos, n);
  s->blk_pos += n;
  if (n == left)
    s->blk_active = false;
  return ami__srv_send_apdu(s, &a);
}

/* Answer an ACTION: normally, or -- when the return parameters do not fit
 * one APDU for this client -- with the return Data in pblocks that the
 * client pulls with ACTION-Request-Next-Pblock. */
static int action_send(ami_server *s, uint8_t iip,
                       const ami_apdu_action_result *r) {
  ami_apdu a;
  memset(&a, 0, sizeof a);
  a.tag = AMI_APDU_ACTION_RESPONSE;
  a.u.action_response.choice = 1;
  a.u.action_response.iip = iip;
  a.u.action_response.result = *r;
  size_t normal = 8 + r->ret.data.len;
  if (!r->has_return || r->result != 0 || s->req_gbt ||
      normal <= ami__srv_send_limit(s))
    return ami__srv_send_apdu(s, &a);
  /* The return Data lives in s->data (app_call); keep it in s->list. */
  int rc = ami__srv_reserve(s, &s->list, r->ret.data.len);
  if (rc != AMI_OK)
    return rc;
  memmove(s->list.p, r->ret.data.p, r->ret.data.len);
  s->blk_active = true;
  s->blk_action = true;
  s->blk_iip = iip;
  s->blk_num = 0;
  s->blk_off = 0;
  s->blk_pos = 0;
  s->blk_len = r->ret.data.len;
  return send_pblock(s, iip);
}

static int action_block(ami_server *s, uint8_t iip,
                        const ami_apdu_datablock *b) {
  uint8_t dar = 0;
  int rc = rs_add(s, AMI_APDU_ACTION_REQUEST, b, &dar);
  if (rc < 0)
    return rc;
  if (rc == 1) {
    ami_apdu a;
    memset(&a, 0, sizeof a);
    a.tag = AMI_APDU_ACTION_RESPONSE;
    a.u.action_response.choice = 4;
    a.u.action_response.iip = iip;
    a.u.action_response.block_number = b->block_number;
    return ami__srv_send_apdu(s, &a);
  }
  ami_apdu_action_result r;
  memset(&r, 0, sizeof r);
  if (rc == 0) {
    ami_apdu_desc m = s->rs_desc;
    /* The reassembled parameters must outlive the call: they stay in s->rs
     * until the reset below. */
    rc = action_one(s, &m, ami_span_make(s->rs.p, s->rs.len), &r);
    ami__srv_blocks_reset(s);
    if (rc != AMI_OK)
      return rc;
  } else {
    r.result = DAR_OTHER_REASON;
  }
  return action_send(s, iip, &r);
}

int ami__srv_action(ami_server *s, const ami_apdu_action_request *rq) {
  ami_apdu_action_result r;
  switch (rq->choice) {
  case 1: {
    ami__srv_blocks_reset(s);
    int rc =
        action_one(s, &rq->method,
                   rq->has_params ? rq->params : ami_span_make(NULL, 0), &r);
    if (rc != AMI_OK)
      return rc;
    return action_send(s, rq->iip, &r);
  }
  case 3: {
    ami__srv_blocks_reset(s);
    size_t end = 5;
    int rc = ami__srv_reserve(s, &s->list, 5);
    if (rc != AMI_OK)
      return rc;
    ami_apdu_iter im, ip;
    ami_apdu_iter_init(&im, &rq->list);
    ami_apdu_iter_init(&ip, &rq->params_list);
    ami_apdu_desc m;
    ami_span params;
    uint32_t count = 0;
    while (ami_apdu_next_method_desc(&im, &m) == 1 &&
           ami_apdu_next_data(&ip, &params) == 1) {
      rc = action_one(s, &m, params, &r);
      if (rc != AMI_OK)
        return rc;
      if (r.has_return && end + r.ret.data.len > s->cfg.max_response) {
        memset(&r, 0, sizeof r); /* the list's bound: see get_list */
        r.result = DAR_OTHER_REASON;
      }
      rc = list_append(s, &end, AMI_APDU_ELEM_ACTION_RESULT, &r,
                       r.ret.data.len + 8);
      if (rc == AMI_E_NOMEM)
        return rc;
      if (rc != AMI_OK) {
        memset(&r, 0, sizeof r);
        r.result = DAR_OTHER_REASON;
        rc = list_append(s, &end, AMI_APDU_ELEM_ACTION_RESULT, &r, 8);
        if (rc != AMI_OK)
          return rc;
      }
      count++;
    }
    ami_apdu a;
    memset(&a, 0, sizeof a);
    a.tag = AMI_APDU_ACTION_RESPONSE;
    a.u.action_response.choice = 3;
    a.u.action_response.iip = rq->iip;
    a.u.action_response.list.count = count;
    a.u.action_response.list.elem = AMI_APDU_ELEM_ACTION_RESULT;
    a.u.action_response.list.items = ami_span_make(s->list.p + 5, end - 5);
    return ami__srv_send_apdu(s, &a);
  }
  case 4:
    if (!rs_start(s, AMI_APDU_ACTION_REQUEST, rq->iip, &rq->method, NULL))
      return ami__srv_exception(s, 2, 3, 0);
    return action_block(s, rq->iip, &rq->block);
  case 6:
    return action_block(s, rq->iip, &rq->block);
  case 2: /* next-pblock: the client acknowledges our block block_number */
    if (s->blk_active && s->blk_action && rq->block_number == s->blk_num)
      return send_pblock(s, rq->iip);
    ami__srv_blocks_reset(s);
    memset(&r, 0, sizeof r);
    r.result = DAR_OTHER_REASON;
    return action_send(s, rq->iip, &r);
  default: /* with-list-and-first-pblock: not supported */
    return ami__srv_exception(s, 2, 2, 0);
  }
}
