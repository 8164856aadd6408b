/*
 * ami_mdm_analytics_cluster.c -- typical daily shapes: normalised daily
 * profiles by local wall-clock slot, and deterministic k-means (k-means++
 * seeding from a splitmix64 generator, Lloyd iterations, k chosen by the
 * Calinski-Harabasz criterion) (ami_mdm_analytics.h).
 *
 * k-means++: Arthur & Vassilvitskii, "k-means++: The Advantages of Careful
 * Seeding", SODA 2007 (D^2 sampling). Calinski & Harabasz, "A dendrite
 * method for cluster analysis", Communications in Statistics 3 (1974).
 */
#include <math.h>
#include <string.h>

#include "ami/ami_err.h"
#include "ami/ami_mdm_analytics.h"
#include "mdm_analytics_int.h"

#define MAX_POINTS 288 /* 5-minute profile slots */
#define MAX_K      32

/* Fills prof[0..points) from the intervals [i0, i1) of local day d (all
 * usable): slot value = mean of the energy per slot landing in it.
 * Returns false when the day's mean is not positive. */
static bool one_profile(const ami_mdm_series *s, const ami_mdm_tz *tz,
                        int64_t d, int64_t i0, int64_t i1, uint32_t points,
                        double *prof) {
  double acc[MAX_POINTS], w[MAX_POINTS];
  int64_t I = (int64_t)s->interval_s, L = 86400 / (int64_t)points;
  memset(acc, 0, sizeof acc);
  memset(w, 0, sizeof w);
  for (int64_t i = i0; i < i1; i++) {
    int64_t ts = ami__an_start(s, (size_t)i);
    int64_t wall = ts + ami_mdm_tz_offset(tz, ts) - d * 86400;
    if (wall < 0)
      wall = 0;
    if (wall >= 86400)
      wall = 86400 - I;
    double v = (double)s->iv[i].value;
    if (I <= L) { /* several intervals per slot: add energies */
      size_t q = (size_t)(wall / L);
      acc[q] += v;
      w[q] += (double)I / (double)L;
    } else { /* one interval spread over I / L slots */
      int64_t parts = I / L;
      for (int64_t k = 0; k < parts; k++) {
        size_t q = (size_t)((wall / L + k) % (int64_t)points);
        acc[q] += v / (double)parts;
        w[q] += 1.0;
      }
    }
  }
  double sum = 0;
  for (uint32_t q = 0; q < points; q++) {
    if (w[q] > 0)
      prof[q] = acc[q] / w[q];
    else /* the skipped spring hour: carry the slot before */
      prof[q] = q > 0 ? prof[q - 1] : 0;
    sum += prof[q];
  }
  if (w[0] <= 0) /* day starts in a gap: take the first filled slot */
    for (uint32_t q = 1; q < points; q++)
      if (w[q] > 0) {
        for (uint32_t r = 0; r < q; r++)
          prof[r] = prof[q];
        break;
      }
  double mean = sum / (double)points;
  if (!(mean > 0))
    return false;
  for (uint32_t q = 0; q < points; q++)
    prof[q] /= mean;
  return true;
}

size_t ami_mdm_daily_profiles(const ami_mdm_series *s, const ami_mdm_tz *tz,
                              uint32_t points, double *profiles, int64_t *day,
                              size_t cap) {
  if (!ami__an_series_ok(s) || points == 0 || points > MAX_POINTS ||
      86400 % points != 0 || (profiles == NULL && cap > 0) || s->n == 0)
    return 0;
  uint32_t L = 86400 / points;
  if (L % s->interval_s != 0 && s->interval_s % L != 0)
    return 0;
  int64_t I = (int64_t)s->interval_s;
  int64_t d0 = ami_mdm_tz_local_day(tz, ami__an_start(s, 0));
  int64_t d1 = ami_mdm_tz_local_day(tz, ami__an_start(s, s->n - 1));
  size_t count = 0;
  double tmp[MAX_POINTS] = {0}; /* a day beyond cap is still judged */
  for (int64_t d = d0; d <= d1; d++) {
    int64_t a = ami_mdm_tz_day_start(tz, d),
            b = ami_mdm_tz_day_start(tz, d + 1);
    if ((a - s->t0) % I != 0)
      continue; /* local midnight off the grid */
    int64_t i0 = (a - s->t0) / I + 1, i1 = (b - s->t0) / I + 1;
    if (i0 < 0 || i1 > (int64_t)s->n)
      continue;
    bool all = true;
    for (int64_t i = i0; i < i1 && all; i++)
      all = ami_mdm_usable(&s->iv[i]);
    if (!all)
      continue;
    double *dst = count < cap ? profiles + count * points : tmp;
    if (!one_profile(s, tz, d, i0, i1, points, dst))
      continue;
    if (count < cap && day != NULL)
      day[count] = d;
    count++;
  }
  return count;
}

void ami_mdm_kmeans_params_default(ami_mdm_kmeans_params *p) {
  p->k = 0;
  p->k_min = 2;
  p->k_max = 8;
  p->max_iter = 100;
  p->restarts = 4;
  p->seed = 1;
}

/* splitmix64 (Steele, Lea & Flood, OOPSLA 2014): tiny, seedable and the
 * same on every platform, which is all reproducible seeding needs. */
static uint64_t rng_next(uint64_t *st) {
  uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double rng_unit(uint64_t *st) { /* [0, 1) */
  return (double)(rng_next(st) >> 11) * (1.0 / 9007199254740992.0);
}

static double dist2(const double *a, const double *b, size_t dim) {
  double s = 0;
  for (size_t j = 0; j < dim; j++) {
    double d = a[j] - b[j];
    s += d * d;
  }
  return s;
}

/* Scratch of one k-means run. */
typedef struct km_work {
  const double *x;
  size_t n, dim;
  double *c;   /* k x dim */
  uint32_t *a; /* n */
  double *d2;  /* n */
  uint32_t cnt[MAX_K];
} km_work;

/* k-means++ seeding: the first centre uniformly, each next one with
 * probability proportional to the squared distance to the nearest centre
 * chosen so far (all points identical: uniformly). */
static void km_seed(km_work *w, uint32_t k, uint64_t *rng) {
  size_t first = (size_t)(rng_next(rng) % w->n);
  memcpy(w->c, w->x + first * w->dim, w->dim * sizeof *w->c);
  for (size_t i = 0; i < w->n; i++)
    w->d2[i] = dist2(w->x + i * w->dim, w->c, w->dim);
  for (uint32_t c = 1; c < k; c++) {
    double total = 0;
    for (size_t i = 0; i < w->n; i++)
      total += w->d2[i];
    size_t pick = w->n - 1;
    if (total > 0) {
      double r = rng_unit(rng) * total;
      for (size_t i = 0; i < w->n; i++) {
        r -= w->d2[i];
        if (r < 0) {
          pick = i;
          break;
        }
      }
    } else {
      pick = (size_t)(rng_next(rng) % w->n);
    }
    double *cc = w->c + (size_t)c * w->dim;
    memcpy(cc, w->x + pick * w->dim, w->dim * sizeof *cc);
    for (size_t i = 0; i < w->n; i++) {
      double d = dist2(w->x + i * w->dim, cc, w->dim);
      if (d < w->d2[i])
        w->d2[i] = d;
    }
  }
}

/* Assigns every point to its nearest centre (ties: the lower index);
 * returns how many points changed cluster. */
static size_t km_assign(km_work *w, uint32_t k, bool first) {
  size_t changed = 0;
  for (size_t i = 0; i < w->n; i++) {
    const double *p = w->x + i * w->dim;
    uint32_t best = 0;
    double bd = dist2(p, w->c, w->dim);
    for (uint32_t c = 1; c < k; c++) {
      double d = dist2(p, w->c + (size_t)c * w->dim, w->dim);
      if (d < bd) {
        bd = d;
        best = c;
      }
    }
    if (first || w->a[i] != best)
      changed++;
    w->a[i] = best;
    w->d2[i] = bd;
  }
  return changed;
}

/* Centres become the means of their points; an empty cluster takes the
 * point farthest from its own centre (which then leaves its cluster). */
static void km_update(km_work *w, uint32_t k) {
  memset(w->c, 0, (size_t)k * w->dim * sizeof *w->c);
  memset(w->cnt, 0, sizeof w->cnt);
  for (size_t i = 0; i < w->n; i++) {
    double *cc = w->c + (size_t)w->a[i] * w->dim;
    for (size_t j = 0; j < w->dim; j++)
      cc[j] += w->x[i * w->dim + j];
    w->cnt[w->a[i]]++;
  }
  for (uint32_t c = 0; c < k; c++) {
    double *cc = w->c + (size_t)c * w->dim;
    if (w->cnt[c] > 0) {
      for (size_t j = 0; j < w->dim; j++)
        cc[j] /= (double)w->cnt[c];
      continue;
    }
    size_t far = 0;
    for (size_t i = 1; i < w->n; i++)
      if (w->d2[i] > w->d2[far])
        far = i;
    memcpy(cc, w->x + far * w->dim, w->dim * sizeof *cc);
    w->d2[far] = 0;
    w->a[far] = c;
  }
}

/* One run: seed, then Lloyd iterations until no point moves. Returns W. */
static double km_run(km_work *w, uint32_t k, uint32_t max_iter, uint64_t *rng,
                     uint32_t *iters) {
  km_seed(w, k, rng);
  uint32_t it = 0;
  for (; it < max_iter; it++) {
    if (km_assign(w, k, it == 0) == 0 && it > 0)
      break;
    km_update(w, k);
  }
  *iters = it;
  double W = 0;
  memset(w->cnt, 0, sizeof w->cnt);
  for (size_t i = 0; i < w->n; i++) {
    W += dist2(w->x + i * w->dim, w->c + (size_t)w->a[i] * w->dim, w->dim);
    w->cnt[w->a[i]]++;
  }
  return W;
}

/* Between-cluster sum of squares of a clustering. */
static double km_between(const km_work *w, uint32_t k) {
  double B = 0;
  for (uint32_t c = 0; c < k; c++) {
    double s = 0;
    for (size_t j = 0; j < w->dim; j++) {
      double g = 0;
      for (size_t i = 0; i < w->n; i++)
        g += w->x[i * w->dim + j];
      g /= (double)w->n;
      double d = w->c[(size_t)c * w->dim + j] - g;
      s += d * d;
    }
    B += (double)w->cnt[c] * s;
  }
  return B;
}

/* Renumbers clusters by decreasing size (ties: smaller centroid first).
 * `old` holds a copy of the current centroids (w->c is rewritten). */
static void km_canonical(km_work *w, uint32_t k, const double *old) {
  uint32_t order[MAX_K], inv[MAX_K], cnt[MAX_K];
  for (uint32_t c = 0; c < k; c++)
    order[c] = c;
  for (uint32_t i = 1; i < k; i++) /* insertion sort on (size desc, c) */
    for (uint32_t j = i; j > 0; j--) {
      uint32_t a = order[j - 1], b = order[j];
      bool swap = w->cnt[b] > w->cnt[a];
      if (w->cnt[b] == w->cnt[a])
        for (size_t q = 0; q < w->dim; q++) {
          double ca = old[a * w->dim + q], cb = old[b * w->dim + q];
          if (ca != cb) {
            swap = cb < ca;
            break;
          }
        }
      if (!swap)
        break;
      order[j - 1] = b;
      order[j] = a;
    }
  for (uint32_t c = 0; c < k; c++) {
    inv[order[c]] = c;
    cnt[c] = w->cnt[order[c]];
    memcpy(w->c + (size_t)c * w->dim, old + (size_t)order[c] * w->dim,
           w->dim * sizeof *old);
  }
  for (size_t i = 0; i < w->n; i++)
    w->a[i] = inv[w->a[i]];
  memcpy(w->cnt, cnt, (size_t)k * sizeof cnt[0]);
}

int ami_mdm_kmeans(const ami_mdm_kmeans_params *p, const double *x, size_t n,
                   size_t dim, double *centroids, uint32_t *assign,
                   ami_mdm_kmeans_result *res, const ami_allocator *al) {
  if (p == NULL || x == NULL || centroids == NULL || assign == NULL ||
      res == NULL || dim == 0)
    return AMI_E_INVAL;
  uint32_t kmin = p->k ? p->k : p->k_min, kmax = p->k ? p->k : p->k_max;
  if (kmin == 0 || kmin > kmax || kmax > MAX_K || n < kmax ||
      (p->k == 0 && (kmin < 2 || n <= kmax)))
    return AMI_E_INVAL;
  size_t cd = (size_t)kmax * dim;
  double *dbl = ami_malloc(al, (2 * cd + n) * sizeof(double));
  uint32_t *u32 = ami_malloc(al, 2 * n * sizeof(uint32_t));
  if (dbl == NULL || u32 == NULL) {
    ami_free(al, dbl);
    ami_free(al, u32);
    return AMI_E_NOMEM;
  }
  km_work w = {x, n, dim, dbl, u32, dbl + cd, {0}};
  double *kb_c = dbl + cd + n; /* best run of the current k */
  uint32_t *kb_a = u32 + n;
  uint64_t rng = p->seed;
  double best_ch = -1;
  memset(res, 0, sizeof *res);
  for (uint32_t k = kmin; k <= kmax; k++) {
    double kb_w = INFINITY;
    uint32_t kb_it = 0, kb_cnt[MAX_K];
    for (uint32_t r = 0; r < (p->restarts ? p->restarts : 1); r++) {
      uint32_t it;
      double W = km_run(&w, k, p->max_iter ? p->max_iter : 1, &rng, &it);
      if (W < kb_w) {
        kb_w = W;
        kb_it = it;
        memcpy(kb_c, w.c, (size_t)k * dim * sizeof *kb_c);
        memcpy(kb_a, w.a, n * sizeof *kb_a);
        memcpy(kb_cnt, w.cnt, sizeof kb_cnt);
      }
    }
    memcpy(w.c, kb_c, (size_t)k * dim * sizeof *kb_c);
    memcpy(w.a, kb_a, n * sizeof *kb_a);
    memcpy(w.cnt, kb_cnt, sizeof kb_cnt);
    double B = km_between(&w, k);
    double ch = k < 2      ? 0
                : kb_w > 0 ? (B / (double)(k - 1)) / (kb_w / (double)(n - k))
                           : INFINITY;
    if (p->k != 0 || ch > best_ch) {
      best_ch = ch;
      km_canonical(&w, k, kb_c);
      memcpy(centroids, w.c, (size_t)k * dim * sizeof *centroids);
      memcpy(assign, w.a, n * sizeof *assign);
      res->k = k;
      res->iterations = kb_it;
      res->within_ss = kb_w;
      res->between_ss = B;
      res->ch = ch;
      memset(res->size, 0, sizeof res->size);
      memcpy(res->size, w.cnt, (size_t)k * sizeof w.cnt[0]);
    }
  }
  ami_free(al, dbl);
  ami_free(al, u32);
  return AMI_OK;
}
