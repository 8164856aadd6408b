/*
 * ami_sim_metro.c -- runs the metrology engine on a synthesized waveform and
 * compares its energy registers with the analytic truth: the accuracy
 * harness behind tests/unit/test_metrology.c and bench/metro_table.c.
 */
#include <math.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_metrology.h"
#include "ami/ami_sim_wave.h"

double ami_sim_metro_reg(const ami_metro_reg *r) {
  return (double)r->whole + ldexp((double)r->frac, -40);
}

static double rel_err(double meas, double truth, double ref) {
  double d = ref > 0 ? ref : fabs(truth);
  return d > 0 ? (meas - truth) / d : meas - truth;
}

int ami_sim_metro_run(const ami_sim_wave_config *wc,
                      const ami_metrology_config *mc, double seconds,
                      size_t block, double s_ref, ami_metrology *m,
                      ami_sim_metro_result *out) {
  memset(out, 0, sizeof *out);
  int rc = ami_metrology_init(m, mc);
  if (rc != AMI_OK)
    return rc;
  if (block < 1)
    block = 1;
  if (block > 256)
    block = 256;
  ami_sim_wave w;
  ami_sim_wave_init(&w, wc);
  int32_t buf[256 * 7];
  uint64_t total = (uint64_t)llround(seconds * wc->sample_rate_hz);
  for (uint64_t done = 0; done < total;) {
    size_t k = total - done < block ? (size_t)(total - done) : block;
    ami_sim_wave_generate(&w, buf, k);
    ami_metrology_feed(m, buf, k);
    done += k;
  }
  uint64_t na;
  double tr;
  ami_metrology_span(m, &na, &tr);
  /* Compensation delays the streams by 1.5 samples; sample n stands for
   * the interval [n - 1/2, n + 1/2) of the rectangle rule. */
  double lag = m->phase_comp ? 1.5 : 0.0;
  double ts = 1.0 / wc->sample_rate_hz;
  for (unsigned p = 0; p < wc->phases; p++) {
    ami_sim_truth t;
    ami_sim_wave_truth(wc, p, (-0.5 - lag) * ts, ((double)na - 0.5 - lag) * ts,
                       &t);
    out->p_true_j += t.energy_j;
    out->q_true += t.q_true * tr * ts;
    out->qf_true += t.q_fund * tr * ts;
    out->s_true += t.s * tr * ts;
    const ami_metro_regs *r = &m->reg[p];
    out->p_meas_j +=
        3.6 * (ami_sim_metro_reg(&r->p_imp) - ami_sim_metro_reg(&r->p_exp));
    out->q_meas +=
        3.6 * (ami_sim_metro_reg(&r->q[0]) + ami_sim_metro_reg(&r->q[1]) -
               ami_sim_metro_reg(&r->q[2]) - ami_sim_metro_reg(&r->q[3]));
    out->qf_meas +=
        3.6 *
        (ami_sim_metro_reg(&r->q_fund[0]) + ami_sim_metro_reg(&r->q_fund[1]) -
         ami_sim_metro_reg(&r->q_fund[2]) - ami_sim_metro_reg(&r->q_fund[3]));
    out->s_meas +=
        3.6 * (ami_sim_metro_reg(&r->s_imp) + ami_sim_metro_reg(&r->s_exp));
  }
  double sref = s_ref > 0 ? s_ref * tr * ts : 0;
  out->err_p = rel_err(out->p_meas_j, out->p_true_j, 0);
  out->err_q = rel_err(out->q_meas, out->q_true, sref);
  out->err_qf = rel_err(out->qf_meas, out->qf_true, sref);
  out->err_s = rel_err(out->s_meas, out->s_true, 0);
  return AMI_OK;
}
