/*
 * ami_hdlc_params.c -- the two small codecs that ride in HDLC information
 * fields: the SNRM/UA parameter negotiation field and the LLC header
 * (IEC 62056-46; ISO/IEC 13239 parameter negotiation; ISO/IEC 8802-2 LLC).
 */
#include "ami/ami_hdlc.h"

/* The four parameters, as a table: id, presence bit, where the value lives,
 * and whether the encoder writes it in the fewest bytes (lengths) or always
 * in 4 (window sizes, as recorded implementations do). */
typedef struct param_desc {
  uint8_t id;
  uint8_t bit;
  size_t offset;
  bool minimal;
} param_desc;

static const param_desc params[] = {
    {AMI_HDLC_PARAM_MAX_INFO_TX, AMI_HDLC_HAS_MAX_INFO_TX,
     offsetof(ami_hdlc_params, max_info_tx), true},
    {AMI_HDLC_PARAM_MAX_INFO_RX, AMI_HDLC_HAS_MAX_INFO_RX,
     offsetof(ami_hdlc_params, max_info_rx), true},
    {AMI_HDLC_PARAM_WINDOW_TX, AMI_HDLC_HAS_WINDOW_TX,
     offsetof(ami_hdlc_params, window_tx), false},
    {AMI_HDLC_PARAM_WINDOW_RX, AMI_HDLC_HAS_WINDOW_RX,
     offsetof(ami_hdlc_params, window_rx), false},
};
#define N_PARAMS (sizeof params / sizeof params[0])

static uint32_t *field(ami_hdlc_params *p, const param_desc *d) {
  return (uint32_t *)(void *)((uint8_t *)p + d->offset);
}

static uint32_t cfield(const ami_hdlc_params *p, const param_desc *d) {
  return *(const uint32_t *)(const void *)((const uint8_t *)p + d->offset);
}

void ami_hdlc_params_default(ami_hdlc_params *p) {
  p->max_info_tx = AMI_HDLC_DEFAULT_MAX_INFO;
  p->max_info_rx = AMI_HDLC_DEFAULT_MAX_INFO;
  p->window_tx = AMI_HDLC_DEFAULT_WINDOW;
  p->window_rx = AMI_HDLC_DEFAULT_WINDOW;
  p->present = 0;
}

/* Reads one parameter value of 1, 2 or 4 bytes, big-endian. */
static int read_value(ami_rd *r, size_t width, uint32_t *v) {
  if (width != 1 && width != 2 && width != 4)
    return AMI_E_HDLC_PARAM;
  ami_span s;
  int rc = ami_rd_span(r, width, &s);
  if (rc != AMI_OK)
    return rc;
  uint32_t x = 0;
  for (size_t i = 0; i < width; i++)
    x = x << 8 | s.p[i];
  *v = x;
  return AMI_OK;
}

/* format identifier 0x81, group identifier 0x80, group length, then
 * (id, length, value) triples. */
int ami_hdlc_params_decode(ami_span info, ami_hdlc_params *p) {
  ami_hdlc_params_default(p);
  if (info.len == 0)
    return AMI_OK;
  ami_rd r;
  ami_rd_init(&r, info.p, info.len);
  uint8_t fid, gid, glen;
  int rc = ami_rd_u8(&r, &fid);
  if (rc == AMI_OK && fid != AMI_HDLC_PARAM_FORMAT_ID)
    return AMI_E_HDLC_PARAM;
  if (rc == AMI_OK)
    rc = ami_rd_u8(&r, &gid);
  if (rc == AMI_OK && gid != AMI_HDLC_PARAM_GROUP_ID)
    return AMI_E_HDLC_PARAM;
  if (rc == AMI_OK)
    rc = ami_rd_u8(&r, &glen);
  ami_span group;
  if (rc == AMI_OK)
    rc = ami_rd_span(&r, glen, &group);
  if (rc != AMI_OK)
    return rc;
  if (ami_rd_left(&r) != 0)
    return AMI_E_TRAILING;

  ami_rd g;
  ami_rd_init(&g, group.p, group.len);
  while (ami_rd_left(&g) > 0) {
    uint8_t id, len;
    rc = ami_rd_u8(&g, &id);
    if (rc == AMI_OK)
      rc = ami_rd_u8(&g, &len);
    if (rc != AMI_OK)
      return rc;
    const param_desc *d = NULL;
    for (size_t i = 0; i < N_PARAMS; i++)
      if (params[i].id == id)
        d = &params[i];
    if (d == NULL) { /* a parameter DLMS does not use: skip it */
      rc = ami_rd_skip(&g, len);
      if (rc != AMI_OK)
        return rc;
      continue;
    }
    if (p->present & d->bit)
      return AMI_E_HDLC_PARAM; /* given twice */
    rc = read_value(&g, len, field(p, d));
    if (rc != AMI_OK)
      return rc;
    p->present |= d->bit;
  }
  return AMI_OK;
}

int ami_hdlc_params_encode(ami_wr *w, const ami_hdlc_params *p) {
  uint8_t group[N_PARAMS * 6];
  ami_wr g;
  ami_wr_init(&g, group, sizeof group);
  for (size_t i = 0; i < N_PARAMS; i++) {
    const param_desc *d = &params[i];
    if (!(p->present & d->bit))
      continue;
    uint32_t v = cfield(p, d);
    ami_wr_u8(&g, d->id);
    if (d->minimal && v <= 0xFF) {
      ami_wr_u8(&g, 1);
      ami_wr_u8(&g, (uint8_t)v);
    } else if (d->minimal && v <= 0xFFFF) {
      ami_wr_u8(&g, 2);
      ami_wr_u16be(&g, (uint16_t)v);
    } else {
      ami_wr_u8(&g, 4);
      ami_wr_u32be(&g, v);
    }
  }
  ami_wr_u8(w, AMI_HDLC_PARAM_FORMAT_ID);
  ami_wr_u8(w, AMI_HDLC_PARAM_GROUP_ID);
  ami_wr_u8(w, (uint8_t)g.len);
  ami_wr_bytes(w, group, g.len);
  return w->err;
}

/* Each station states its own tx and rx; what the peer transmits is what we
 * receive (the Green Book's negotiation rule, also how the recorded Gurux
 * implementation reads a UA). */
void ami_hdlc_params_mirror(const ami_hdlc_params *peer, ami_hdlc_params *out) {
  ami_hdlc_params m;
  m.max_info_tx = peer->max_info_rx;
  m.max_info_rx = peer->max_info_tx;
  m.window_tx = peer->window_rx;
  m.window_rx = peer->window_tx;
  m.present =
      (uint8_t)((peer->present & AMI_HDLC_HAS_MAX_INFO_TX
                     ? AMI_HDLC_HAS_MAX_INFO_RX
                     : 0) |
                (peer->present & AMI_HDLC_HAS_MAX_INFO_RX
                     ? AMI_HDLC_HAS_MAX_INFO_TX
                     : 0) |
                (peer->present & AMI_HDLC_HAS_WINDOW_TX ? AMI_HDLC_HAS_WINDOW_RX
                                                        : 0) |
                (peer->present & AMI_HDLC_HAS_WINDOW_RX ? AMI_HDLC_HAS_WINDOW_TX
                                                        : 0));
  *out = m;
}

static uint32_t min_u32(uint32_t a, uint32_t b) {
  return a < b ? a : b;
}

int ami_hdlc_params_negotiate(const ami_hdlc_params *peer,
                              const ami_hdlc_params *own,
                              ami_hdlc_params *answer) {
  ami_hdlc_params m, a;
  ami_hdlc_params_mirror(peer, &m);
  a.max_info_tx = min_u32(m.max_info_tx, own->max_info_tx);
  a.max_info_rx = min_u32(m.max_info_rx, own->max_info_rx);
  a.window_tx = min_u32(m.window_tx, own->window_tx);
  a.window_rx = min_u32(m.window_rx, own->window_rx);
  a.present = AMI_HDLC_HAS_ALL;
  if (a.max_info_tx == 0 || a.max_info_rx == 0 || a.window_tx == 0 ||
      a.window_rx == 0)
    return AMI_E_HDLC_PARAM;
  *answer = a;
  return AMI_OK;
}

/* ---------------------------------------------------------------------- */
/* LLC header: destination LSAP E6, source LSAP E6/E7, quality 00.         */

int ami_hdlc_llc_write(ami_wr *w, ami_hdlc_llc_dir dir) {
  ami_wr_u8(w, 0xE6);
  ami_wr_u8(w, (uint8_t)dir);
  ami_wr_u8(w, 0x00);
  return w->err;
}

int ami_hdlc_llc_strip(ami_span in, ami_hdlc_llc_dir dir, ami_span *apdu) {
  if (in.len < AMI_HDLC_LLC_LEN || in.p[0] != 0xE6 || in.p[1] != (uint8_t)dir ||
      in.p[2] != 0x00)
    return AMI_E_HDLC_LLC;
  *apdu = ami_span_make(in.p + AMI_HDLC_LLC_LEN, in.len - AMI_HDLC_LLC_LEN);
  return AMI_OK;
}
