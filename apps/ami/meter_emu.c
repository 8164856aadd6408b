/*
 * meter_emu.c -- the simulated meter of `ami meter` (see meter_emu.h).
 *
 * One simulated second:
 *
 *   load model  --energy over [t-1 s, t)-->  P, Q (and harmonic hints)
 *        |  (supply disconnected: no current; power failed: no voltage)
 *        v
 *   ami_sim_wave: 1 s of int32 ADC codes, u1 i1 u2 i2 u3 i3 (24-bit, with
 *        |        noise), continuous from second to second
 *        v
 *   ami_metrology_feed -> ami_metro_readout   (the legally relevant part)
 *        |
 *        v
 *   ami_meter_step (tariffs, demand, profiles, events)
 *   ami_meter_supply_tick (disconnector, limiter, prepayment) -> relay
 *   pushes due -> on_push
 *
 * The load model's energy over each second is turned into the waveform's
 * amplitude, so what the registers count is what the metrology measured
 * from that waveform -- they agree with the load model's truth to the
 * metrology's accuracy (docs/metrology.md), which test e2e/meter_emu.sh
 * checks.
 */
#include "meter_emu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ami/ami_axdr.h"
#include "ami/ami_caltime.h"
#include "ami/ami_crypto_openssl.h"
#include "ami/ami_meter_disconnect.h"
#include "ami/ami_meter_events.h"
#include "ami/ami_meter_image.h"
#include "ami/ami_meter_limiter.h"
#include "ami/ami_meter_prepay.h"
#include "ami/ami_meter_push.h"
#include "ami/ami_meter_supply.h"
#include "ami/ami_metrology.h"
#include "ami/ami_obis.h"
#include "ami/ami_sim_load.h"
#include "ami/ami_sim_wave.h"

#define ADC_BITS     24u
#define NOISE_LSB    4.0
#define IMG_MAX      (256u * 1024u)
#define PUSH_BUF     1024u
#define ALARM_POWER  0x1u /* alarm register bit: power down (last gasp) */
#define ALARM_TAMPER 0x2u

struct emu {
  const meter_conf *c;
  ami_meter *meter;
  ami_cosem_model *model;
  /* firmware */
  ami_meter_image *image;
  uint8_t *img;
  uint32_t img_size;
  char fw_id[AMI_METER_IMAGE_ID_LEN + 1];
  /* pushes */
  ami_meter_push *push;
  ami_cosem_object *push_setup, *alarm_setup, *push_in_flight;
  emu_push_fn on_push;
  void *user;
  /* supply control */
  ami_meter_disconnect dc;
  ami_meter_limiter lim;
  ami_meter_prepay pp;
  bool have_lim, have_pp;
  ami_crypto_key *token_key;
  bool supply_on, power_on;
  /* load */
  ami_sim_dataset *ds;
  ami_sim_household hh;
  bool constant_load; /* load.model "constant": load_watts at PF 0.98 */
  /* metrology */
  ami_metrology metro;
  ami_sim_wave_config wcfg;
  uint64_t wave_n;
  int32_t *frames;
  ami_metro_readout r, prev;
  uint64_t now_ms;
  /* The truth: the load model's energy, exactly, over the seconds the
   * supply was on (microjoules), and the registers showing it. */
  int64_t truth_import_uj, truth_export_uj;
  ami_cosem_object *truth_obj[2];
  /* profiling */
  emu_stage_fn stage_fn;
  void *stage_user;
};

static void mark(emu *e, emu_stage s) {
  if (e->stage_fn)
    e->stage_fn(e->stage_user, s);
}

void emu_set_stage_hook(emu *e, emu_stage_fn fn, void *user) {
  e->stage_fn = fn;
  e->stage_user = user;
}

/* ---- events, firmware sink ------------------------------------------------
 */

/* Events of the supply-control modules. Those raised while a request is
 * served carry the request's time, which runs ahead of the last simulated
 * second; the log takes the meter's own time so that its rows stay in
 * chronological order with the events of the steps. */
static void ctl_event(void *user, uint16_t code, uint64_t now_ms) {
  emu *e = user;
  (void)now_ms;
  ami_meter_log_event(e->meter, code, e->now_ms);
}

static void img_event(void *user, ami_meter_event ev) {
  emu *e = user;
  ami_meter_log_event(e->meter, (uint16_t)ev, e->now_ms);
}

static int img_write(void *user, uint32_t off, const uint8_t *p, size_t n) {
  emu *e = user;
  if (off > e->img_size || n > e->img_size - off)
    return AMI_E_LIMIT;
  memcpy(e->img + off, p, n);
  return AMI_OK;
}

static int img_view(void *user, uint32_t off, size_t n, ami_span *out) {
  emu *e = user;
  if (off > e->img_size || n > e->img_size - off)
    return AMI_E_LIMIT;
  *out = ami_span_make(e->img + off, n);
  return AMI_OK;
}

static int img_reset(void *user, uint32_t size) {
  emu *e = user;
  if (size > IMG_MAX)
    return AMI_E_LIMIT;
  e->img_size = size;
  memset(e->img, 0, size);
  return AMI_OK;
}

/* The emulator "restarts" into the verified image: its identifier is
 * what the meter reports from now on. */
static int img_activate(void *user, const ami_meter_image_info *info) {
  emu *e = user;
  size_t n = info->identifier.len < AMI_METER_IMAGE_ID_LEN
                 ? info->identifier.len
                 : AMI_METER_IMAGE_ID_LEN;
  memcpy(e->fw_id, info->identifier.p, n);
  e->fw_id[n] = '\0';
  return AMI_OK;
}

/* ---- building -------------------------------------------------------------
 */

static int add_to_assocs(emu *e, ami_cosem_object *o, bool public_read) {
  static const uint16_t clients[3] = {16, 2, 1};
  for (int i = 0; i < 3; i++) {
    ami_cosem_assoc *a = ami_cosem_find_assoc(e->model, clients[i]);
    if (!a || (i < 2 && !public_read))
      continue;
    int rc = ami_cosem_assoc_add_object_role(a, o,
                                             i == 2 ? AMI_COSEM_ROLE_MANAGEMENT
                                             : i == 1 ? AMI_COSEM_ROLE_READER
                                                      : AMI_COSEM_ROLE_PUBLIC);
    if (rc != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

static ami_obis ln(const char *s) {
  ami_obis o;
  memset(&o, 0, sizeof o);
  ami_obis_parse(s, strlen(s), &o);
  return o;
}

static int build_firmware(emu *e) {
  const meter_conf *c = e->c;
  snprintf(e->fw_id, sizeof e->fw_id, "%s", c->fw_identifier);
  if (!c->have_fw_key) {
    /* No signer configured: no Image Transfer object, but the active
     * firmware identifier is still shown. */
    ami_cosem_object *fo = NULL;
    uint8_t v[2 + AMI_METER_IMAGE_ID_LEN];
    ami_wr w;
    ami_wr_init(&w, v, sizeof v);
    ami_axdr_put_octets(&w, c->fw_identifier, strlen(c->fw_identifier));
    int rc = ami_cosem_add_object(e->model, 1, ln("1-0:0.2.0*255"), &fo);
    if (rc == AMI_OK)
      rc = ami_cosem_set_attr(fo, 2, ami_span_make(v, w.len));
    if (rc == AMI_OK)
      rc = add_to_assocs(e, fo, true);
    return rc;
  }
  e->img = calloc(1, IMG_MAX);
  if (!e->img)
    return AMI_E_NOMEM;
  ami_meter_image_cfg ic;
  memset(&ic, 0, sizeof ic);
  ic.crypto = ami_crypto_openssl();
  memcpy(ic.pubkey, c->fw_pubkey, sizeof ic.pubkey);
  memcpy(ic.target, c->fw_target, strlen(c->fw_target));
  ic.block_size = 200;
  ic.max_image_size = IMG_MAX;
  ic.sink = (ami_meter_image_sink){img_write, img_view, img_reset, e};
  ic.on_activate = img_activate;
  ic.on_event = img_event;
  ic.user_data = e;
  int rc = ami_meter_image_new(NULL, &ic, &e->image);
  ami_cosem_object *io = NULL, *fo = NULL;
  if (rc == AMI_OK)
    rc = ami_meter_image_bind(
        e->image, e->model, ln("0-0:44.0.0*255"), ln("1-0:0.2.0*255"),
        ami_span_make(c->fw_identifier, strlen(c->fw_identifier)), &io, &fo);
  if (rc == AMI_OK)
    rc = add_to_assocs(e, io, false);
  if (rc == AMI_OK)
    rc = add_to_assocs(e, fo, true);
  return rc;
}

static int build_push(emu *e) {
  ami_meter_push_cfg pc = {ami_crypto_openssl(), ALARM_POWER};
  int rc = ami_meter_push_new(NULL, e->model, &pc, &e->push);
  ami_cosem_object *reg = NULL, *filter = NULL;
  if (rc == AMI_OK)
    rc =
        ami_meter_push_add_setup(e->push, ln("0-0:25.9.0*255"), &e->push_setup);
  if (rc == AMI_OK)
    rc = ami_meter_push_add_setup(e->push, ln("0-4:25.9.0*255"),
                                  &e->alarm_setup);
  if (rc == AMI_OK) { /* the interval push: identity, clock, +A, -A */
    const ami_meter_push_item items[] = {{1, ln("0-0:96.1.0*255"), 2, 0},
                                         {8, ln("0-0:1.0.0*255"), 2, 0},
                                         {3, ln("1-0:1.8.0*255"), 2, 0},
                                         {3, ln("1-0:2.8.0*255"), 2, 0}};
    rc = ami_meter_push_set_list(e->push_setup, items, 4);
  }
  if (rc == AMI_OK)
    rc = ami_meter_push_bind_alarms(e->push, ln("0-0:97.98.0*255"),
                                    ln("0-0:97.98.10*255"), e->alarm_setup,
                                    NULL, &reg, &filter);
  if (rc == AMI_OK) { /* every alarm bit enabled by default */
    uint8_t v[5] = {0x06, 0xFF, 0xFF, 0xFF, 0xFF};
    rc = ami_cosem_set_attr(filter, 2, ami_span_make(v, sizeof v));
  }
  ami_cosem_object *objs[4] = {e->push_setup, e->alarm_setup, reg, filter};
  for (int i = 0; rc == AMI_OK && i < 4; i++)
    rc = add_to_assocs(e, objs[i], i >= 2);
  return rc;
}

/* Emulator-only registers (manufacturer-specific OBIS, group B = 128):
 * the energy the load model drew and fed back while the supply was on,
 * in Wh -- what the metrology should have measured. A head-end compares
 * them with 1-0:1.8.0 / 1-0:2.8.0 to check the emulated meter's accuracy
 * end to end. */
static int build_truth(emu *e) {
  static const char *const names[2] = {"0-128:96.128.1*255",
                                       "0-128:96.128.2*255"};
  for (int i = 0; i < 2; i++) {
    int rc = ami_cosem_add_object(e->model, 3, ln(names[i]), &e->truth_obj[i]);
    uint8_t su[] = {0x02, 0x02, 0x0F, 0x00, 0x16, 0x1E}; /* Wh, scaler 0 */
    if (rc == AMI_OK)
      rc = ami_cosem_set_attr(e->truth_obj[i], 3, ami_span_make(su, 6));
    if (rc == AMI_OK)
      rc = add_to_assocs(e, e->truth_obj[i], true);
    if (rc != AMI_OK)
      return rc;
  }
  return AMI_OK;
}

static void update_truth(emu *e) {
  for (int i = 0; i < 2; i++) {
    int64_t uj = i ? e->truth_export_uj : e->truth_import_uj;
    uint8_t v[9];
    ami_wr w;
    ami_wr_init(&w, v, sizeof v);
    ami_axdr_put_u64(&w, (uint64_t)(uj / 3600000000LL)); /* uJ -> Wh */
    ami_cosem_set_attr(e->truth_obj[i], 2, ami_span_make(v, w.len));
  }
}

static int build_control(emu *e) {
  const meter_conf *c = e->c;
  ami_cosem_object *o = NULL;
  ami_meter_disconnect_init(&e->dc, c->disconnect_mode, ctl_event, e);
  int rc =
      ami_meter_disconnect_bind(&e->dc, e->model, ln("0-0:96.3.10*255"), &o);
  if (rc == AMI_OK)
    rc = add_to_assocs(e, o, true);
  if (rc == AMI_OK && c->limiter_threshold_w > 0) {
    ami_meter_limiter_init(&e->lim, ctl_event, e);
    /* monitored value: the active import power register, in W */
    e->lim.mon_class = 3;
    e->lim.mon_ln = ln("1-0:1.7.0*255");
    e->lim.mon_attr = 2;
    ami_meter_limiter_set_thresholds(&e->lim, c->limiter_threshold_w,
                                     c->limiter_threshold_w, e->now_ms);
    rc = ami_meter_limiter_bind(&e->lim, e->model, ln("0-0:17.0.0*255"), &o);
    if (rc == AMI_OK)
      rc = add_to_assocs(e, o, true);
    e->have_lim = rc == AMI_OK;
  }
  if (rc == AMI_OK && c->credit_cents >= 0) {
    ami_meter_prepay_init(&e->pp, ctl_event, e);
    e->pp.token_credit = c->credit_cents;
    e->pp.low_credit_threshold = 500;
    e->pp.energy.charge_type = 0;
    e->pp.energy.commodity_scale = 3; /* per kWh */
    e->pp.energy.price_scale = -2;    /* per_unit in 1/100 cent */
    /* 1/100 cent = 100 micro-units of currency: per_unit = micro / 100 */
    int64_t pu = c->price_micro_per_kwh / 100;
    e->pp.energy.table[0].rate = 0;
    e->pp.energy.table[0].per_unit = (int16_t)(pu > 32767 ? 32767 : pu);
    e->pp.energy.ntable = 1;
    if (c->standing_micro_per_day > 0) {
      int64_t sp = c->standing_micro_per_day / 100;
      e->pp.standing.charge_type = 1;
      e->pp.standing.price_scale = -2;
      e->pp.standing.period_s = 86400;
      e->pp.standing.table[0].per_unit = (int16_t)(sp > 32767 ? 32767 : sp);
      e->pp.standing.ntable = 1;
    }
    /* friendly: 18:00-08:00 and weekends */
    e->pp.friendly.start_min = 18 * 60;
    e->pp.friendly.end_min = 8 * 60;
    e->pp.friendly.weekdays = 0x60;
    if (c->have_token_key) {
      const ami_crypto *cr = ami_crypto_openssl();
      rc = cr->key_new(cr->user_data, AMI_CRYPTO_AES128, c->token_key, 16,
                       &e->token_key);
      if (rc == AMI_OK)
        ami_meter_prepay_set_token_key(&e->pp, cr, e->token_key,
                                       c->system_title);
    }
    ami_meter_prepay_activate(&e->pp, e->now_ms);
    ami_cosem_object *po[6];
    if (rc == AMI_OK)
      rc = ami_meter_prepay_bind(&e->pp, e->model, NULL, po);
    for (int i = 0; rc == AMI_OK && i < 6; i++)
      rc = add_to_assocs(e, po[i], true);
    e->have_pp = rc == AMI_OK;
  }
  e->supply_on = true;
  return rc;
}

static int build_load(emu *e, const uint8_t *ds, size_t n, char *err,
                      size_t cap) {
  const meter_conf *c = e->c;
  if (!strcmp(c->load_model, "london") || !strcmp(c->load_model, "solar")) {
    if (!ds) {
      snprintf(err, cap, "load model %s needs simulation.load.dataset",
               c->load_model);
      return -1;
    }
    uint64_t line = 0;
    int rc = !strcmp(c->load_model, "london")
                 ? ami_sim_dataset_parse_lcl(ds, n, NULL, NULL, &e->ds, &line)
                 : ami_sim_dataset_parse_ausgrid(ds, n, 600, AMI_SIM_DST_AU_SE,
                                                 NULL, NULL, &e->ds, &line);
    if (rc != AMI_OK) {
      snprintf(err, cap, "%s: line %llu: %s", c->load_dataset,
               (unsigned long long)line, ami_strerror(rc));
      return -1;
    }
    uint32_t idx = 0;
    if (c->load_household[0] &&
        ami_sim_dataset_find(e->ds, c->load_household, &idx) != AMI_OK) {
      snprintf(err, cap, "household %s not in %s", c->load_household,
               c->load_dataset);
      return -1;
    }
    if (ami_sim_household_init(&e->hh, e->ds, idx, c->seed) != AMI_OK) {
      snprintf(err, cap, "household %u of %s", idx, c->load_dataset);
      return -1;
    }
  } else if (!strcmp(c->load_model, "constant")) {
    e->constant_load = true;
  } else {
    ami_sim_household_init_synthetic(&e->hh, NULL, c->seed);
  }
  return 0;
}

static void build_metrology(emu *e) {
  const meter_conf *c = e->c;
  double u_fs = 1.6 * c->nominal_mv / 1000.0 * sqrt(2.0);
  double i_fs = 1.8 * c->imax_ma / 1000.0 * sqrt(2.0);
  double lsb = ldexp(1.0, -(int)(ADC_BITS - 1));
  ami_metrology_config mc;
  memset(&mc, 0, sizeof mc);
  mc.phases = c->phases;
  mc.sample_rate_hz = c->sample_rate;
  mc.nominal_voltage_mv = c->nominal_mv;
  mc.nominal_frequency_mhz = c->frequency_mhz;
  for (unsigned p = 0; p < c->phases; p++) {
    mc.cal[p].voltage.gain = u_fs * lsb;
    mc.cal[p].current.gain = i_fs * lsb;
  }
  mc.start_current_ma = c->imax_ma / 5000u; /* 0.02 % of Imax... */
  if (mc.start_current_ma < 4)
    mc.start_current_ma = 4; /* ...but at least 4 mA (class 0.2S Ist) */
  ami_metrology_init(&e->metro, &mc);
  memset(&e->wcfg, 0, sizeof e->wcfg);
  e->wcfg.phases = c->phases;
  e->wcfg.sample_rate_hz = c->sample_rate;
  e->wcfg.frequency_hz = c->frequency_mhz / 1000.0;
  e->wcfg.adc_bits = ADC_BITS;
  e->wcfg.u_full_scale = u_fs;
  e->wcfg.i_full_scale = i_fs;
  e->wcfg.noise_lsb = NOISE_LSB;
  for (unsigned p = 0; p < c->phases; p++)
    e->wcfg.phase[p].alpha = p == 0 ? 0.0 : p == 1 ? -120.0 : 120.0;
}

int emu_new(emu **out, const meter_conf *c, uint64_t start_ms,
            const uint8_t *dataset, size_t dataset_len, emu_push_fn on_push,
            void *user, char *err, size_t cap) {
  *out = NULL;
  emu *e = calloc(1, sizeof *e);
  if (!e) {
    snprintf(err, cap, "out of memory");
    return -1;
  }
  e->c = c;
  e->now_ms = start_ms - start_ms % 1000;
  e->on_push = on_push;
  e->user = user;
  e->power_on = true;
  ami_meter_config mc = c->meter;
  ami_metro_software_id sid = ami_metrology_software_id();
  mc.metrology_id = &sid;
  int rc = ami_meter_new(&mc, NULL, e->now_ms, &e->meter);
  if (rc != AMI_OK) {
    snprintf(err, cap, "meter: %s", ami_strerror(rc));
    free(e);
    return -1;
  }
  e->model = ami_meter_model(e->meter);
  if ((rc = build_firmware(e)) != AMI_OK || (rc = build_push(e)) != AMI_OK ||
      (rc = build_control(e)) != AMI_OK || (rc = build_truth(e)) != AMI_OK) {
    snprintf(err, cap, "building the meter's objects: %s", ami_strerror(rc));
    emu_free(e);
    return -1;
  }
  if (build_load(e, dataset, dataset_len, err, cap)) {
    emu_free(e);
    return -1;
  }
  build_metrology(e);
  e->frames = malloc(sizeof(int32_t) * c->sample_rate *
                     ami_sim_wave_channels(&e->wcfg));
  if (!e->frames) {
    snprintf(err, cap, "out of memory");
    emu_free(e);
    return -1;
  }
  ami_meter_step(e->meter, e->now_ms, NULL);
  *out = e;
  return 0;
}

void emu_free(emu *e) {
  if (!e)
    return;
  ami_meter_free(e->meter); /* the model first: objects point into us */
  ami_meter_image_free(e->image);
  ami_meter_push_free(e->push);
  if (e->token_key) {
    const ami_crypto *cr = ami_crypto_openssl();
    cr->key_free(cr->user_data, e->token_key);
  }
  ami_sim_dataset_free(e->ds);
  free(e->img);
  free(e->frames);
  free(e);
}

ami_cosem_model *emu_model(emu *e) {
  return e->model;
}
uint64_t emu_now(const emu *e) {
  return e->now_ms;
}
const ami_metro_readout *emu_readout(const emu *e) {
  return &e->r;
}
bool emu_supply_on(const emu *e) {
  return e->supply_on;
}
const char *emu_firmware_id(const emu *e) {
  return e->fw_id;
}

/* ---- one simulated second ------------------------------------------------ */

/* The meter's local civil time at simulated `now`. */
static ami_meter_local_time local_time(const emu *e, uint64_t now) {
  uint64_t dev = ami_meter_device_time(e->meter, now);
  bool dst;
  int off = ami_meter_local_offset(e->meter, dev, &dst);
  int64_t s = (int64_t)(dev / 1000) + (int64_t)off * 60;
  int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  int64_t sod = s - days * 86400;
  int32_t y;
  unsigned mo, d;
  ami_civil_from_days(days, &y, &mo, &d);
  ami_meter_local_time t = {(uint16_t)y,
                            (uint8_t)mo,
                            (uint8_t)d,
                            (uint8_t)(sod / 3600),
                            (uint8_t)(sod / 60 % 60),
                            (uint8_t)ami_weekday_from_days(days)};
  return t;
}

/* Set the synthesiser for this second from the load's mean P and Q, spread
 * evenly over the phases. */
static void shape_wave(emu *e, double p_w, double q_var, unsigned h3,
                       unsigned h5) {
  const meter_conf *c = e->c;
  double u = c->nominal_mv / 1000.0;
  if (!e->power_on)
    u = 0.0;
  double s = sqrt(p_w * p_w + q_var * q_var) / c->phases;
  double i = (u > 0 && e->supply_on) ? s / u : 0.0;
  double phi = (p_w == 0 && q_var == 0) ? 0.0 : atan2(q_var, p_w) * 180 / M_PI;
  for (unsigned k = 0; k < c->phases; k++) {
    ami_sim_phase *ph = &e->wcfg.phase[k];
    ph->u_rms = u;
    ph->i_rms = i;
    ph->phi = phi;
    ph->n_harm = 0;
    if (h3 && i > 0)
      ph->harm[ph->n_harm++] =
          (ami_sim_harmonic){3, 0.0, 0.0, h3 / 1000.0, 0.0};
    if (h5 && i > 0)
      ph->harm[ph->n_harm++] =
          (ami_sim_harmonic){5, 0.0, 0.0, h5 / 1000.0, 0.0};
  }
}

static void pushes(emu *e) {
  if (!e->push || e->push_in_flight)
    return;
  if (ami_meter_push_expiry(e->push) > e->now_ms)
    return;
  uint8_t buf[PUSH_BUF];
  ami_wr w;
  ami_wr_init(&w, buf, sizeof buf);
  ami_cosem_object *setup = NULL;
  if (ami_meter_push_next(e->push, e->now_ms, &w, &setup) != AMI_OK || !setup)
    return;
  e->push_in_flight = setup;
  if (e->on_push && e->c->push_destination[0])
    e->on_push(e->user, ami_span_make(buf, w.len), false);
  else
    emu_push_done(e, false);
}

void emu_push_done(emu *e, bool delivered) {
  if (e->push_in_flight)
    ami_meter_push_done(e->push, e->push_in_flight, delivered, e->now_ms);
  e->push_in_flight = NULL;
}

static void second(emu *e) {
  const meter_conf *c = e->c;
  uint64_t t0 = e->now_ms, t1 = t0 + 1000;
  ami_sim_energy en;
  ami_sim_power pw;
  mark(e, EMU_STAGE_BEGIN);
  if (e->constant_load) {
    /* A test load: load_watts at power factor 0.98 inductive. */
    memset(&en, 0, sizeof en);
    memset(&pw, 0, sizeof pw);
    en.import_uj = (int64_t)c->load_watts * 1000000;
    en.reactive_mvarms = en.import_uj * 203 / 1000; /* tan(acos 0.98) */
  } else {
    ami_sim_household_energy(&e->hh, t0, t1, &en);
    ami_sim_household_power(&e->hh, t0 + 500, &pw);
  }
  /* mean power over the second: uJ per 1000 ms = mW; /1000 -> W */
  mark(e, EMU_STAGE_LOAD);
  double p_w = (double)(en.import_uj - en.export_uj) / 1e6;
  double q_var = (double)en.reactive_mvarms / 1e6;
  shape_wave(e, p_w, q_var, pw.h3_permille, pw.h5_permille);
  if (e->power_on && e->supply_on) {
    e->truth_import_uj += en.import_uj;
    e->truth_export_uj += en.export_uj;
  }
  e->wcfg.seed = c->seed * 1000003u + t1 / 1000;
  ami_sim_wave w;
  ami_sim_wave_init(&w, &e->wcfg);
  w.n = e->wave_n; /* continuous phase from second to second */
  ami_sim_wave_generate(&w, e->frames, c->sample_rate);
  e->wave_n += c->sample_rate;
  mark(e, EMU_STAGE_SYNTH);
  ami_metrology_feed(&e->metro, e->frames, c->sample_rate);
  e->prev = e->r;
  ami_metrology_readout(&e->metro, &e->r);
  ami_metrology_clear_quality(&e->metro);
  mark(e, EMU_STAGE_METRO);
  e->now_ms = t1;
  ami_meter_step(e->meter, t1, &e->r);
  update_truth(e);

  ami_meter_supply_inputs in;
  memset(&in, 0, sizeof in);
  in.monitored_milli = e->r.active_total_mw;
  int64_t d = e->r.total.active_import_mwh - e->prev.total.active_import_mwh;
  in.prepay.energy_mwh = d > 0 ? d : 0;
  in.prepay.tariff_rate = (uint8_t)ami_meter_active_rate(e->meter);
  in.prepay.local = local_time(e, t1);
  e->supply_on = ami_meter_supply_tick(&e->dc, e->have_lim ? &e->lim : NULL,
                                       e->have_pp ? &e->pp : NULL, t1, &in);
  pushes(e);
  mark(e, EMU_STAGE_METER);
}

uint64_t emu_run_until(emu *e, uint64_t sim_ms, uint64_t max_seconds) {
  uint64_t n = 0;
  while (e->now_ms + 1000 <= sim_ms && n < max_seconds) {
    second(e);
    n++;
  }
  return n;
}

void emu_set_power(emu *e, bool on) {
  if (e->power_on == on)
    return;
  e->power_on = on;
  if (!on && e->push && e->on_push && e->c->push_destination[0]) {
    uint8_t buf[64];
    ami_wr w;
    ami_wr_init(&w, buf, sizeof buf);
    if (ami_meter_push_last_gasp(e->push, e->now_ms, &w) == AMI_OK)
      e->on_push(e->user, ami_span_make(buf, w.len), true);
  }
}

void emu_tamper(emu *e, ami_meter_tamper_kind kind) {
  ami_meter_tamper(e->meter, kind, e->now_ms);
  if (e->push && (kind == AMI_METER_TAMPER_TERMINAL_COVER_OPEN ||
                  kind == AMI_METER_TAMPER_METER_COVER_OPEN ||
                  kind == AMI_METER_TAMPER_MAGNETIC)) {
    bool pushed;
    ami_meter_push_alarm(e->push, ALARM_TAMPER, e->now_ms, &pushed);
  }
}
