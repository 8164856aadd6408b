/*
 * fuzz_apdu.c -- libFuzzer target for the xDLMS APDU codec (ami_apdu.h).
 *
 * Oracle, beyond "no crash": whatever decodes must (1) agree between the
 * strict and the prefix decoder, (2) encode again, no longer than it came
 * (the encoder only normalises towards shorter forms), (3) decode from that
 * encoding to an equal struct, (4) encode to the same bytes a second time,
 * and (5) have lists whose iterators yield exactly `count` items.
 * Seeds: tests/fuzz/corpus/apdu/ (VECTORS.md and Gurux-session APDUs).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_apdu.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(bool ok) {
  if (!ok)
    abort();
}

/* Iterate a decoded list with the iterator its item type calls for. */
static void walk(const ami_apdu_list *l) {
  if (l->elem == AMI_APDU_ELEM_NONE) { /* a list the form does not use */
    require(l->count == 0 && l->items.len == 0);
    return;
  }
  ami_apdu_iter it;
  ami_apdu_iter_init(&it, l);
  uint32_t n = 0;
  for (;;) {
    union {
      ami_apdu_attr_sel as;
      ami_apdu_desc d;
      ami_span s;
      uint8_t dar;
      ami_apdu_get_result gr;
      ami_apdu_action_result ar;
      ami_apdu_var_access va;
      ami_apdu_read_result rr;
      ami_apdu_write_result wr;
    } item;
    int rc;
    switch (l->elem) {
    case AMI_APDU_ELEM_ATTR_SEL:
      rc = ami_apdu_next_attr_sel(&it, &item.as);
      break;
    case AMI_APDU_ELEM_METHOD_DESC:
      rc = ami_apdu_next_method_desc(&it, &item.d);
      break;
    case AMI_APDU_ELEM_DATA:
      rc = ami_apdu_next_data(&it, &item.s);
      break;
    case AMI_APDU_ELEM_DAR:
      rc = ami_apdu_next_dar(&it, &item.dar);
      break;
    case AMI_APDU_ELEM_GET_RESULT:
      rc = ami_apdu_next_get_result(&it, &item.gr);
      break;
    case AMI_APDU_ELEM_ACTION_RESULT:
      rc = ami_apdu_next_action_result(&it, &item.ar);
      break;
    case AMI_APDU_ELEM_VAR_ACCESS:
      rc = ami_apdu_next_var_access(&it, &item.va);
      break;
    case AMI_APDU_ELEM_READ_RESULT:
      rc = ami_apdu_next_read_result(&it, &item.rr);
      break;
    case AMI_APDU_ELEM_WRITE_RESULT:
      rc = ami_apdu_next_write_result(&it, &item.wr);
      break;
    default:
      abort();
    }
    require(rc == 0 || rc == 1);
    if (rc == 0)
      break;
    n++;
  }
  require(n == l->count);
  require(ami_rd_left(&it.rd) == 0);
}

static void walk_lists(const ami_apdu *a) {
  switch (a->tag) {
  case AMI_APDU_GET_REQUEST:
    walk(&a->u.get_request.list);
    break;
  case AMI_APDU_GET_RESPONSE:
    walk(&a->u.get_response.list);
    break;
  case AMI_APDU_SET_REQUEST:
    walk(&a->u.set_request.list);
    walk(&a->u.set_request.values);
    break;
  case AMI_APDU_SET_RESPONSE:
    walk(&a->u.set_response.list);
    break;
  case AMI_APDU_ACTION_REQUEST:
    walk(&a->u.action_request.list);
    walk(&a->u.action_request.params_list);
    break;
  case AMI_APDU_ACTION_RESPONSE:
    walk(&a->u.action_response.list);
    break;
  case AMI_APDU_READ_REQUEST:
  case AMI_APDU_READ_RESPONSE:
  case AMI_APDU_WRITE_REQUEST:
  case AMI_APDU_WRITE_RESPONSE:
  case AMI_APDU_UNCONFIRMED_WRITE_REQUEST:
  case AMI_APDU_INFORMATION_REPORT_REQUEST:
    walk(&a->u.sn.list);
    walk(&a->u.sn.values);
    break;
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ami_apdu a, b;
  size_t used = 0;
  if (ami_apdu_decode_prefix(ami_span_make(data, size), &a, &used) != AMI_OK)
    return 0;
  require(used >= 1 && used <= size);
  int strict = ami_apdu_decode(ami_span_make(data, size), &b);
  require(strict == (used == size ? AMI_OK : AMI_E_TRAILING));
  walk_lists(&a);

  size_t cap = used + 16;
  uint8_t *one = malloc(cap), *two = malloc(cap);
  if (one == NULL || two == NULL) {
    free(one);
    free(two);
    return 0;
  }
  ami_wr w1, w2;
  ami_wr_init(&w1, one, cap);
  require(ami_apdu_encode(&w1, &a) == AMI_OK);
  require(w1.len <= used);
  require(ami_apdu_decode(ami_span_make(one, w1.len), &b) == AMI_OK);
  require(ami_apdu_equal(&a, &b));
  require(ami_apdu_equal(&b, &a));
  ami_wr_init(&w2, two, cap);
  require(ami_apdu_encode(&w2, &b) == AMI_OK);
  require(w2.len == w1.len && memcmp(one, two, w1.len) == 0);
  free(one);
  free(two);
  return 0;
}
