/*
 * ami_meter_model.c -- the meter's COSEM objects: creating them with their
 * static attributes (identity, scaler/units, profile columns, the
 * calendar, schedule and script tables) and answering, through per-object
 * callbacks of the object model (ami_cosem_callbacks), for the attributes
 * whose values live in the meter: registers, demand, the Clock with DST,
 * the active calendar, and the methods that change meter state.
 *
 * Every object is offered to the three associations the meter creates:
 * public (client 16), reader (client 2) and management (client 1), with
 * the roles of ami_cosem_assoc_add_object_role.
 *
 * OBIS codes follow IEC 62056-6-1 and the IDIS companion specification
 * (object list in ami_meter.h's companion doc, docs/ and the report).
 */
#include <string.h>

#include "ami/ami_acse.h"
#include "ami/ami_axdr.h"
#include "ami_meter_internal.h"

/* Units (IEC 62056-6-2 §4.3.2 unit enumeration). */
enum {
  U_W = 27,
  U_WH = 30,
  U_VARH = 32,
  U_A = 33,
  U_V = 35,
  U_HZ = 44,
  U_NONE = 255
};

static const uint8_t qty_c[AMI_METER_QTY_COUNT] = {1, 2, 5, 6, 7, 8};

int ami__meter_store(ami_cosem_object *o, unsigned attr, const uint8_t *p,
                     size_t n) {
  return ami_cosem_set_attr(o, attr, ami_span_make(p, n));
}

/* ---- the callbacks --------------------------------------------------------
 */

static uint32_t clamp_u32(int64_t v) {
  return v < 0 ? 0 : v > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t clamp_u16(int64_t v) {
  return v < 0 ? 0 : v > 0xFFFF ? 0xFFFF : (uint16_t)v;
}

static void put_inst(const ami_meter *m, unsigned which, ami_wr *out) {
  const ami_metro_readout *r = &m->last_r;
  bool ok = m->have_r;
  switch (which) {
  case AMI__INST_U1:
  case AMI__INST_U2:
  case AMI__INST_U3: /* 0.1 V */
    ami_axdr_put_u16(out, ok ? clamp_u16(r->phase[which].voltage_mv / 100) : 0);
    return;
  case AMI__INST_I1:
  case AMI__INST_I2:
  case AMI__INST_I3: /* 0.01 A */
    ami_axdr_put_u16(
        out,
        ok ? clamp_u16(r->phase[which - AMI__INST_I1].current_ma / 10) : 0);
    return;
  case AMI__INST_P_IMPORT: /* W */
    ami_axdr_put_u32(out, ok ? clamp_u32(r->active_total_mw / 1000) : 0);
    return;
  case AMI__INST_P_EXPORT:
    ami_axdr_put_u32(out, ok ? clamp_u32(-r->active_total_mw / 1000) : 0);
    return;
  case AMI__INST_PF: /* 0.001 */
    ami_axdr_put_i16(out, ok ? r->power_factor_total : 0);
    return;
  default: /* 0.01 Hz */
    ami_axdr_put_u16(out, ok ? clamp_u16(r->frequency_mhz / 10) : 0);
    return;
  }
}

static void put_time_or_unspec(const ami_meter *m, ami_wr *w, uint64_t dev) {
  if (dev) {
    ami__meter_put_datetime(m, w, dev);
  } else {
    ami_cosem_datetime u = ami_cosem_datetime_unspecified();
    ami_axdr_put_datetime_octets(w, &u);
  }
}

static int meter_read(void *ud, ami_cosem_object *obj, unsigned attr,
                      const ami_apdu_selection *sel, uint64_t now_ms,
                      ami_wr *out, uint8_t *dar) {
  (void)obj;
  (void)now_ms;
  (void)dar;
  ami__meter_bind *b = ud;
  ami_meter *m = b->m;
  if (sel && sel->present)
    return AMI_E_NOT_FOUND;
  ami__meter_clock_sync(m);
  uint64_t now = m->capturing ? m->capture_dev : m->last_dev;
  switch (b->kind) {
  case AMI__MK_ENERGY:
    if (attr != 2)
      return AMI_E_NOT_FOUND;
    ami_axdr_put_u32(out, clamp_u32(m->acc[b->a][b->b] / 1000));
    return out->err;
  case AMI__MK_INST:
    if (attr != 2)
      return AMI_E_NOT_FOUND;
    put_inst(m, b->a, out);
    return out->err;
  case AMI__MK_DEMAND:
    if (attr == 2)
      ami_axdr_put_u32(out, clamp_u32(ami__meter_demand_current(m, b->a)));
    else if (attr == 3)
      ami_axdr_put_u32(out, clamp_u32(m->dem_last[b->a]));
    else if (attr == 6)
      put_time_or_unspec(m, out, m->dem_capture_dev);
    else if (attr == 7)
      put_time_or_unspec(m, out, m->dem_start_dev);
    else
      return AMI_E_NOT_FOUND;
    return out->err;
  case AMI__MK_MAXDEM:
    if (attr == 2)
      ami_axdr_put_u32(out, clamp_u32(m->maxd[b->a][b->b]));
    else if (attr == 5)
      put_time_or_unspec(m, out, m->maxd_time[b->a][b->b]);
    else
      return AMI_E_NOT_FOUND;
    return out->err;
  case AMI__MK_CLOCK:
    if (attr == 2)
      ami__meter_put_datetime(m, out, now);
    else if (attr == 4)
      ami_axdr_put_u8(
          out, ami__meter_dst_active(m, now) ? AMI_COSEM_STATUS_DST_ACTIVE : 0);
    else
      return AMI_E_NOT_FOUND;
    return out->err;
  case AMI__MK_CALENDAR:
    if (attr < 2 || attr > 5)
      return AMI_E_NOT_FOUND;
    ami__meter_put_calendar(out, &m->active, attr - 2);
    return out->err;
  case AMI__MK_TARIFF:
    if (attr != 2)
      return AMI_E_NOT_FOUND;
    ami_axdr_put_u16(out, (uint16_t)m->rate);
    return out->err;
  case AMI__MK_STATUS:
    if (attr != 2)
      return AMI_E_NOT_FOUND;
    ami_axdr_put_u8(out, (uint8_t)(m->status | (ami__meter_dst_active(m, now)
                                                    ? AMI__METER_ST_DST
                                                    : 0)));
    return out->err;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* A period in seconds the meter can align on: a multiple of 60 that
 * divides a day. */
static bool period_ok(uint32_t s) {
  return s >= 60 && s % 60 == 0 && 86400 % s == 0;
}

/* SET of the Clock's time (attribute 2): a date-time with a deviation names
 * a UTC instant; without one it is local time at the current offset. */
static int clock_write_time(ami_meter *m, ami_span value, uint8_t *dar) {
  ami_axdr_dec d;
  ami_cosem_datetime dt;
  int64_t sec;
  uint8_t hund;
  ami_axdr_dec_init(&d, value.p, value.len);
  if (ami_axdr_get_datetime(&d, &dt) != AMI_OK ||
      ami_cosem_datetime_validate(&dt) != AMI_OK ||
      dt.date.year == AMI_COSEM_YEAR_UNSPEC || dt.date.month > 12 ||
      dt.date.day > 31 || dt.time.hour > 23 || dt.time.minute > 59 ||
      dt.time.second > 59) {
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  if (dt.deviation != AMI_COSEM_DEVIATION_UNSPEC) {
    if (ami_cosem_datetime_to_utc(&dt, AMI_COSEM_DEV_STANDARD, &sec, &hund) !=
        AMI_OK) {
      *dar = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
  } else {
    hund = dt.time.hundredths <= 99 ? dt.time.hundredths : 0;
    sec = ami__meter_resolve_local(&dt, dt.date.year) -
          (ami__meter_local_s(m, m->last_dev) - (int64_t)(m->last_dev / 1000));
  }
  return ami__meter_adjust_clock(m, sec * 1000 + hund * 10);
}

static int meter_write(void *ud, ami_cosem_object *obj, unsigned attr,
                       ami_span value, uint8_t *dar) {
  (void)obj;
  ami__meter_bind *b = ud;
  ami_meter *m = b->m;
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, value.p, value.len);
  switch (b->kind) {
  case AMI__MK_CLOCK:
    if (attr == 2)
      return clock_write_time(m, value, dar);
    m->clock_dirty = true;
    return AMI_E_NOT_FOUND;
  case AMI__MK_SPECIAL:
    m->special_dirty = true;
    return AMI_E_NOT_FOUND;
  case AMI__MK_SCHEDULE:
    m->sched_dirty = true;
    return AMI_E_NOT_FOUND;
  case AMI__MK_CALENDAR:
    if (attr == 9)
      return ami__meter_log_dev(m, AMI_EV_PASSIVE_TOU_PROGRAMMED,
                                m->last_dev) == AMI_OK
                 ? AMI_E_NOT_FOUND
                 : AMI_E_NOMEM;
    return AMI_E_NOT_FOUND;
  case AMI__MK_DEMAND: {
    uint32_t p;
    uint16_t n;
    /* One window serves both demand registers: a new period or number
     * of periods is stored in both and restarts the window. */
    bool ok = false;
    if (attr == 8 && ami_axdr_get_u32(&d, &p) == AMI_OK && period_ok(p)) {
      m->dem_period_s = p;
      ok = true;
    }
    if (attr == 9 && ami_axdr_get_u16(&d, &n) == AMI_OK && n >= 1 &&
        n <= AMI__METER_MAX_WINDOW) {
      m->dem_n = n;
      ok = true;
    }
    if (ok) {
      ami__meter_demand_clear(m);
      int rc =
          ami__meter_store(m->demand_obj[1 - b->a], attr, value.p, value.len);
      return rc == AMI_OK ? AMI_E_NOT_FOUND : rc;
    }
    *dar = AMI_COSEM_DAR_OTHER_REASON;
    return AMI_OK;
  }
  case AMI__MK_PROFILE: {
    uint32_t p;
    if (attr != 4)
      return AMI_E_NOT_FOUND;
    if (ami_axdr_get_u32(&d, &p) != AMI_OK || !period_ok(p)) {
      *dar = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    if (b->a == 1)
      m->cfg.lp1_period_s = p;
    else
      m->cfg.lp2_period_s = p;
    return AMI_E_NOT_FOUND;
  }
  default: /* registers, tariff, status: the meter's values are not set */
    if (attr == 2) {
      *dar = AMI_COSEM_DAR_READ_WRITE_DENIED;
      return AMI_OK;
    }
    return AMI_E_NOT_FOUND;
  }
}

/* Special Days Table insert (replace an entry with the same index) and
 * delete, Blue Book class 11 methods 1 and 2. */
static int special_method(ami_meter *m, unsigned method, ami_span params,
                          uint8_t *result) {
  ami__meter_special_sync(m);
  ami_axdr_dec d;
  ami_axdr_dec_init(&d, params.p, params.len);
  uint16_t index;
  if (method == 1) {
    uint32_t f;
    ami_cosem_date dt;
    ami_meter_special_day s;
    if (ami_axdr_get_struct(&d, &f) != AMI_OK || f != 3 ||
        ami_axdr_get_u16(&d, &s.index) != AMI_OK ||
        ami_axdr_get_date(&d, &dt) != AMI_OK ||
        ami_axdr_get_u8(&d, &s.day_id) != AMI_OK) {
      *result = AMI_COSEM_DAR_TYPE_UNMATCHED;
      return AMI_OK;
    }
    s.year = dt.year;
    s.month = dt.month;
    s.day = dt.day;
    size_t i = 0;
    while (i < m->nspecial && m->special[i].index != s.index)
      i++;
    if (i == AMI_METER_MAX_SPECIAL) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    m->special[i] = s;
    if (i == m->nspecial)
      m->nspecial++;
  } else if (method == 2) {
    if (ami_axdr_get_u16(&d, &index) != AMI_OK) {
      *result = AMI_COSEM_DAR_TYPE_UNMATCHED;
      return AMI_OK;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->nspecial; i++)
      if (m->special[i].index != index)
        m->special[k++] = m->special[i];
    m->nspecial = k;
  } else {
    return AMI_E_NOT_FOUND;
  }
  uint8_t buf[16 + AMI_METER_MAX_SPECIAL * 16];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami__meter_put_special(&w, m->special, m->nspecial);
  if (w.err)
    return w.err;
  return ami__meter_store(m->special_obj, 2, buf, w.len);
}

static int clock_method(ami_meter *m, unsigned method, ami_span params,
                        uint8_t *result) {
  int64_t t = (int64_t)m->last_dev;
  switch (method) {
  case 1: /* adjust_to_quarter: to the nearest quarter hour */
    return ami__meter_adjust_clock(m, (t + 450000) / 900000 * 900000);
  case 3: /* adjust_to_minute */
    return ami__meter_adjust_clock(m, (t + 30000) / 60000 * 60000);
  case 6: { /* shift_time: long, -900..900 seconds */
    ami_axdr_dec d;
    int16_t s;
    ami_axdr_dec_init(&d, params.p, params.len);
    if (ami_axdr_get_i16(&d, &s) != AMI_OK || s < -900 || s > 900) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    return ami__meter_adjust_clock(m, t + s * 1000);
  }
  default:
    return AMI_E_NOT_FOUND;
  }
}

static int meter_invoke(void *ud, ami_cosem_object *obj, unsigned method,
                        ami_span params, ami_wr *ret, bool *has_return,
                        uint8_t *result) {
  (void)obj;
  (void)ret;
  (void)has_return;
  ami__meter_bind *b = ud;
  ami_meter *m = b->m;
  switch (b->kind) {
  case AMI__MK_CLOCK:
    return clock_method(m, method, params, result);
  case AMI__MK_CALENDAR: {
    if (method != 1)
      return AMI_E_NOT_FOUND;
    int rc = ami__meter_activate(m, m->last_dev);
    if (rc == AMI_E_INVAL) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    return rc;
  }
  case AMI__MK_SPECIAL:
    return special_method(m, method, params, result);
  case AMI__MK_DEMAND:
    if (method == 1) {
      ami__meter_demand_clear(m);
      return AMI_OK;
    }
    if (method == 2)
      return ami__meter_demand_end(m, m->last_dev);
    return AMI_E_NOT_FOUND;
  case AMI__MK_MAXDEM:
    if (method != 1)
      return AMI_E_NOT_FOUND;
    ami__meter_maxdem_reset(m, b->a, b->b);
    return AMI_OK;
  case AMI__MK_BILLING_SCRIPT: { /* execute(script_id): 1 = end of billing */
    ami_axdr_dec d;
    uint16_t id;
    ami_axdr_dec_init(&d, params.p, params.len);
    if (method != 1)
      return AMI_E_NOT_FOUND;
    if (ami_axdr_get_u16(&d, &id) != AMI_OK || id != 1) {
      *result = AMI_COSEM_DAR_OTHER_REASON;
      return AMI_OK;
    }
    return ami__meter_end_billing(m, m->last_dev);
  }
  case AMI__MK_ENERGY:
  case AMI__MK_INST: /* billing registers are never reset remotely */
    *result = AMI_COSEM_DAR_READ_WRITE_DENIED;
    return AMI_OK;
  default:
    return AMI_E_NOT_FOUND;
  }
}

/* ---- building ---------------------------------------------------------------
 */

typedef struct builder {
  ami_meter *m;
  ami_cosem_assoc *as[3];
  int rc;
} builder;

static ami_cosem_object *add(builder *bd, uint16_t cls, ami_obis ln) {
  ami_cosem_object *o = NULL;
  if (bd->rc != AMI_OK)
    return NULL;
  bd->rc = ami_cosem_add_object(bd->m->model, cls, ln, &o);
  for (int i = 0; bd->rc == AMI_OK && i < 3; i++)
    bd->rc = ami_cosem_assoc_add_object_role(bd->as[i], o,
                                             i == 2 ? AMI_COSEM_ROLE_MANAGEMENT
                                             : i == 1 ? AMI_COSEM_ROLE_READER
                                                      : AMI_COSEM_ROLE_PUBLIC);
  return bd->rc == AMI_OK ? o : NULL;
}

static void bind(builder *bd, ami_cosem_object *o, ami__meter_kind kind,
                 unsigned a, unsigned b) {
  ami_meter *m = bd->m;
  if (bd->rc != AMI_OK || !o)
    return;
  if (m->nbinds == AMI__METER_MAX_BINDS) {
    bd->rc = AMI_E_LIMIT;
    return;
  }
  ami__meter_bind *x = &m->binds[m->nbinds++];
  x->m = m;
  x->kind = (uint8_t)kind;
  x->a = (uint8_t)a;
  x->b = (uint8_t)b;
  ami_cosem_callbacks cb = {meter_read, meter_write, meter_invoke, x};
  ami_cosem_object_set_callbacks(o, &cb);
}

/* Store a value built by `w` (a small scratch writer). */
static void store(builder *bd, ami_cosem_object *o, unsigned attr,
                  const ami_wr *w) {
  if (bd->rc != AMI_OK || !o)
    return;
  bd->rc = w->err ? w->err : ami__meter_store(o, attr, w->p, w->len);
}

static void set_scaler_unit(builder *bd, ami_cosem_object *o, unsigned attr,
                            int8_t scaler, uint8_t unit) {
  uint8_t buf[8];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_i8(&w, scaler);
  ami_axdr_put_enum(&w, unit);
  store(bd, o, attr, &w);
}

static void set_octets(builder *bd, ami_cosem_object *o, const char *s) {
  uint8_t buf[80];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_octets(&w, s, strlen(s));
  store(bd, o, 2, &w);
}

static void set_u32(builder *bd, ami_cosem_object *o, unsigned attr,
                    uint32_t v) {
  uint8_t buf[8];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_u32(&w, v);
  store(bd, o, attr, &w);
}

static void column(builder *bd, ami_cosem_object *prof, ami_cosem_object *src,
                   int8_t attr, uint8_t width) {
  if (bd->rc == AMI_OK && prof && src)
    bd->rc = ami_cosem_profile_add_column(prof, src, attr, 0, width);
}

static ami_cosem_object *profile(builder *bd, ami_obis ln, uint32_t period,
                                 uint32_t rows) {
  ami_cosem_object *p = add(bd, 7, ln);
  uint8_t buf[4];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_enum(&w, 1); /* sort_method: FIFO */
  store(bd, p, 5, &w);
  set_u32(bd, p, 4, period);
  (void)rows;
  return p;
}

static void capacity(builder *bd, ami_cosem_object *p, uint32_t rows) {
  if (bd->rc == AMI_OK && p)
    bd->rc = ami_cosem_profile_set_capacity(p, rows);
}

static void build_clock(builder *bd) {
  ami_meter *m = bd->m;
  m->clock = add(bd, 8, ami_obis_make(0, 0, 1, 0, 0, 255));
  bind(bd, m->clock, AMI__MK_CLOCK, 0, 0);
  uint8_t buf[32];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_i16(&w, (int16_t)-m->tz_min);
  store(bd, m->clock, 3, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_datetime_octets(&w, &m->dst_begin);
  store(bd, m->clock, 5, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_datetime_octets(&w, &m->dst_end);
  store(bd, m->clock, 6, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_i8(&w, m->dst_dev_min);
  store(bd, m->clock, 7, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_bool(&w, m->dst_enabled);
  store(bd, m->clock, 8, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_enum(&w, 1); /* clock_base: internal crystal */
  store(bd, m->clock, 9, &w);
}

static void build_registers(builder *bd) {
  ami_meter *m = bd->m;
  for (unsigned q = 0; q < AMI_METER_QTY_COUNT; q++)
    for (unsigned r = 0; r <= AMI_METER_RATES; r++) {
      ami_cosem_object *o =
          add(bd, 3, ami_obis_make(1, 0, qty_c[q], 8, (uint8_t)r, 255));
      m->energy_obj[q][r] = o;
      bind(bd, o, AMI__MK_ENERGY, q, r);
      set_scaler_unit(bd, o, 3, 0, q < 2 ? U_WH : U_VARH);
    }
  static const struct {
    uint8_t c;
    int8_t scaler;
    uint8_t unit;
    uint8_t phase; /* 0 = always, 2/3 = only with 3 phases */
  } inst[AMI__INST_COUNT] = {
      {32, -1, U_V, 0},    {52, -1, U_V, 2}, {72, -1, U_V, 3}, {31, -2, U_A, 0},
      {51, -2, U_A, 2},    {71, -2, U_A, 3}, {1, 0, U_W, 0},   {2, 0, U_W, 0},
      {13, -3, U_NONE, 0}, {14, -2, U_HZ, 0}};
  for (unsigned i = 0; i < AMI__INST_COUNT; i++) {
    if (inst[i].phase && m->cfg.phases < 3)
      continue;
    ami_cosem_object *o = add(bd, 3, ami_obis_make(1, 0, inst[i].c, 7, 0, 255));
    bind(bd, o, AMI__MK_INST, i, 0);
    set_scaler_unit(bd, o, 3, inst[i].scaler, inst[i].unit);
  }
  /* Demand (class 5) 1-0:1.4.0 / 2.4.0; maximum demand (class 4) 1-0:1.6.0
   * and per rate 1.6.1..1.6.4; 1-0:2.6.0 (export, total only). */
  for (unsigned q = 0; q < 2; q++) {
    ami_cosem_object *o = add(bd, 5, ami_obis_make(1, 0, qty_c[q], 4, 0, 255));
    m->demand_obj[q] = o;
    bind(bd, o, AMI__MK_DEMAND, q, 0);
    set_scaler_unit(bd, o, 4, 0, U_W);
    set_u32(bd, o, 8, m->dem_period_s);
    uint8_t buf[4];
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    ami_axdr_put_u16(&w, m->dem_n);
    store(bd, o, 9, &w);
    for (unsigned r = 0; r <= (q == 0 ? AMI_METER_RATES : 0); r++) {
      ami_cosem_object *x =
          add(bd, 4, ami_obis_make(1, 0, qty_c[q], 6, (uint8_t)r, 255));
      m->maxdem_obj[q][r] = x;
      bind(bd, x, AMI__MK_MAXDEM, q, r);
      set_scaler_unit(bd, x, 3, 0, U_W);
    }
  }
}

/* Tariffication Script Table 0-0:10.0.100: script i writes i to the
 * currently active tariff 0-0:96.14.0 (the meter itself switches rates
 * from the calendar; the table documents the selectors). End of billing
 * period script table 0-0:10.0.1: script 1 captures 0-0:98.1.0. */
static void build_scripts(builder *bd) {
  uint8_t buf[256];
  ami_wr w;
  static const uint8_t tariff_ln[6] = {0, 0, 96, 14, 0, 255};
  static const uint8_t bill_ln[6] = {0, 0, 98, 1, 0, 255};
  ami_cosem_object *t = add(bd, 9, ami_obis_make(0, 0, 10, 0, 100, 255));
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_array(&w, AMI_METER_RATES);
  for (unsigned i = 1; i <= AMI_METER_RATES; i++) {
    ami_axdr_put_struct(&w, 2);
    ami_axdr_put_u16(&w, (uint16_t)i);
    ami_axdr_put_array(&w, 1);
    ami_axdr_put_struct(&w, 5);
    ami_axdr_put_enum(&w, 1); /* write attribute */
    ami_axdr_put_u16(&w, 1);
    ami_axdr_put_octets(&w, tariff_ln, 6);
    ami_axdr_put_i8(&w, 2);
    ami_axdr_put_u16(&w, (uint16_t)i);
  }
  store(bd, t, 2, &w);
  ami_cosem_object *e = add(bd, 9, ami_obis_make(0, 0, 10, 0, 1, 255));
  bind(bd, e, AMI__MK_BILLING_SCRIPT, 0, 0);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_array(&w, 1);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_u16(&w, 1);
  ami_axdr_put_array(&w, 1);
  ami_axdr_put_struct(&w, 5);
  ami_axdr_put_enum(&w, 2); /* execute method */
  ami_axdr_put_u16(&w, 7);
  ami_axdr_put_octets(&w, bill_ln, 6);
  ami_axdr_put_i8(&w, 2); /* capture */
  ami_axdr_put_i8(&w, 0);
  store(bd, e, 2, &w);
}

static void build_tou(builder *bd) {
  ami_meter *m = bd->m;
  uint8_t buf[256];
  ami_wr w;
  m->calendar = add(bd, 20, ami_obis_make(0, 0, 13, 0, 0, 255));
  bind(bd, m->calendar, AMI__MK_CALENDAR, 0, 0);
  m->special_obj = add(bd, 11, ami_obis_make(0, 0, 11, 0, 0, 255));
  bind(bd, m->special_obj, AMI__MK_SPECIAL, 0, 0);
  if (bd->rc == AMI_OK) {
    uint8_t big[16 + AMI_METER_MAX_SPECIAL * 16];
    ami_wr_init(&w, big, sizeof big);
    ami__meter_put_special(&w, m->special, m->nspecial);
    store(bd, m->special_obj, 2, &w);
  }
  /* Single Action Schedule 0-0:15.0.0: end of billing period, monthly. */
  m->schedule = add(bd, 22, ami_obis_make(0, 0, 15, 0, 0, 255));
  bind(bd, m->schedule, AMI__MK_SCHEDULE, 0, 0);
  static const uint8_t script_ln[6] = {0, 0, 10, 0, 1, 255};
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_octets(&w, script_ln, 6);
  ami_axdr_put_u16(&w, 1);
  store(bd, m->schedule, 2, &w);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_enum(&w, 1); /* type 1: one execution time... repeated */
  store(bd, m->schedule, 3, &w);
  ami_cosem_time t = {m->cfg.billing_hour, 0, 0, 0};
  ami_cosem_date d = {AMI_COSEM_YEAR_UNSPEC, AMI_COSEM_UNSPEC,
                      m->cfg.billing_day, AMI_COSEM_UNSPEC};
  uint8_t tb[4], db[5];
  ami_cosem_time_encode(&t, tb);
  ami_cosem_date_encode(&d, db);
  ami_wr_init(&w, buf, sizeof buf);
  ami_axdr_put_array(&w, 1);
  ami_axdr_put_struct(&w, 2);
  ami_axdr_put_octets(&w, tb, 4);
  ami_axdr_put_octets(&w, db, 5);
  store(bd, m->schedule, 4, &w);
  ami_cosem_object *tar = add(bd, 1, ami_obis_make(0, 0, 96, 14, 0, 255));
  bind(bd, tar, AMI__MK_TARIFF, 0, 0);
  build_scripts(bd);
}

static void build_logs(builder *bd) {
  ami_meter *m = bd->m;
  static const uint8_t e[AMI__METER_LOGS] = {0, 1, 2, 4};
  for (unsigned i = 0; i < AMI__METER_LOGS; i++) {
    ami_cosem_object *code = add(bd, 1, ami_obis_make(0, 0, 96, 11, e[i], 255));
    m->ev_code[i] = code;
    uint8_t buf[4];
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    ami_axdr_put_u8(&w, 0);
    store(bd, code, 2, &w);
    ami_cosem_object *log =
        profile(bd, ami_obis_make(0, 0, 99, 98, e[i], 255), 0, 0);
    m->ev_log[i] = log;
    column(bd, log, m->clock, 2, 14);
    column(bd, log, code, 2, 2);
    capacity(bd, log, m->cfg.event_rows);
  }
}

static void build_profiles(builder *bd) {
  ami_meter *m = bd->m;
  ami_cosem_object *st = add(bd, 1, ami_obis_make(0, 0, 96, 10, 1, 255));
  bind(bd, st, AMI__MK_STATUS, 0, 0);
  m->lp1 = profile(bd, ami_obis_make(1, 0, 99, 1, 0, 255), m->cfg.lp1_period_s,
                   m->cfg.lp1_rows);
  bind(bd, m->lp1, AMI__MK_PROFILE, 1, 0);
  column(bd, m->lp1, m->clock, 2, 14);
  column(bd, m->lp1, st, 2, 2);
  for (unsigned q = 0; q < AMI_METER_QTY_COUNT; q++)
    column(bd, m->lp1, m->energy_obj[q][0], 2, 5);
  capacity(bd, m->lp1, m->cfg.lp1_rows);

  m->lp2 = profile(bd, ami_obis_make(1, 0, 99, 2, 0, 255), m->cfg.lp2_period_s,
                   m->cfg.lp2_rows);
  bind(bd, m->lp2, AMI__MK_PROFILE, 2, 0);
  column(bd, m->lp2, m->clock, 2, 14);
  static const uint8_t vc[3] = {32, 52, 72};
  for (unsigned p = 0; p < (m->cfg.phases < 3 ? 1u : 3u); p++)
    column(bd, m->lp2,
           ami_cosem_find(m->model, 3, ami_obis_make(1, 0, vc[p], 7, 0, 255)),
           2, 3);
  column(bd, m->lp2,
         ami_cosem_find(m->model, 3, ami_obis_make(1, 0, 1, 7, 0, 255)), 2, 5);
  column(bd, m->lp2,
         ami_cosem_find(m->model, 3, ami_obis_make(1, 0, 2, 7, 0, 255)), 2, 5);
  capacity(bd, m->lp2, m->cfg.lp2_rows);

  /* Billing: monthly 0-0:98.1.0, daily 0-0:98.2.0. */
  m->bill_month = profile(bd, ami_obis_make(0, 0, 98, 1, 0, 255), 0, 0);
  column(bd, m->bill_month, m->clock, 2, 14);
  for (unsigned q = 0; q < 2; q++)
    for (unsigned r = 0; r <= AMI_METER_RATES; r++)
      column(bd, m->bill_month, m->energy_obj[q][r], 2, 5);
  for (unsigned q = 0; q < 2; q++) {
    column(bd, m->bill_month, m->maxdem_obj[q][0], 2, 5);
    column(bd, m->bill_month, m->maxdem_obj[q][0], 5, 14);
  }
  capacity(bd, m->bill_month, m->cfg.billing_rows);
  m->bill_day = profile(bd, ami_obis_make(0, 0, 98, 2, 0, 255), 86400, 0);
  column(bd, m->bill_day, m->clock, 2, 14);
  for (unsigned r = 0; r <= AMI_METER_RATES; r++)
    column(bd, m->bill_day, m->energy_obj[0][r], 2, 5);
  column(bd, m->bill_day, m->energy_obj[1][0], 2, 5);
  capacity(bd, m->bill_day, m->cfg.daily_rows);
}

int ami__meter_build_model(ami_meter *m) {
  builder bd = {m, {NULL, NULL, NULL}, AMI_OK};
  static const uint16_t clients[3] = {16, 2, 1};
  static const uint8_t mech[3] = {AMI_ACSE_MECH_NONE, AMI_ACSE_MECH_LLS,
                                  AMI_ACSE_MECH_GMAC};
  for (int i = 0; bd.rc == AMI_OK && i < 3; i++)
    bd.rc = ami_cosem_add_association(
        m->model, clients[i], mech[i],
        ami_obis_make(0, 0, 40, 0, (uint8_t)(i + 1), 255), &bd.as[i]);
  const char *ldn = m->cfg.logical_device_name;
  if (bd.rc == AMI_OK)
    bd.rc = ami_cosem_add_logical_device(m->model, 1, ldn, strlen(ldn));
  add(&bd, 17, ami_obis_make(0, 0, 41, 0, 0, 255)); /* SAP Assignment */
  build_clock(&bd);
  set_octets(&bd, add(&bd, 1, ami_obis_make(0, 0, 42, 0, 0, 255)), ldn);
  set_octets(&bd, add(&bd, 1, ami_obis_make(0, 0, 96, 1, 0, 255)),
             m->cfg.serial);
  set_octets(&bd, add(&bd, 1, ami_obis_make(0, 0, 96, 1, 1, 255)),
             m->cfg.manufacturer);
  /* The legally relevant part's software identification (OIML R46 /
   * WELMEC 7.2): its name and version in 1-1:0.2.0 and its checksum in
   * 1-1:0.2.8 (value group B = 1: the metrology channel, so they never
   * collide with the meter firmware's 1-0:0.2.0 that Image Transfer
   * updates). */
  if (m->cfg.metrology_id && m->cfg.metrology_id->name) {
    char idtext[64];
    size_t nl = strlen(m->cfg.metrology_id->name);
    size_t vl =
        m->cfg.metrology_id->version ? strlen(m->cfg.metrology_id->version) : 0;
    if (nl + 1 + vl < sizeof idtext) {
      memcpy(idtext, m->cfg.metrology_id->name, nl);
      idtext[nl] = ' ';
      if (vl)
        memcpy(idtext + nl + 1, m->cfg.metrology_id->version, vl);
      idtext[nl + 1 + vl] = '\0';
      set_octets(&bd, add(&bd, 1, ami_obis_make(1, 1, 0, 2, 0, 255)), idtext);
      set_u32(&bd, add(&bd, 1, ami_obis_make(1, 1, 0, 2, 8, 255)), 2,
              m->cfg.metrology_id->crc32);
    }
  }
  build_registers(&bd);
  build_tou(&bd);
  build_logs(&bd);
  build_profiles(&bd);
  return bd.rc;
}
