/*
 * ami_units.c -- the DLMS unit table and exact scaler application.
 *
 * The table follows the unit enumeration of IEC 62056-6-2 (DLMS UA Blue
 * Book, "Register" interface class, scaler_unit); codes and quantities were
 * cross-checked against two public implementations (the Gurux DLMS enums,
 * and the unit table of a Blue Book excerpt transcribed in an SML/OBIS
 * decoder). Symbols are plain ASCII: "m3" for cubic metre, "degC", "Ohm",
 * "%". Codes 58, 59, 68, 69 and 73..252 are unassigned here.
 */
#include "ami/ami_units.h"

#include <stdbool.h>
#include <string.h>

#include "ami/ami_err.h"

/* Sorted by code, so lookup is a binary search. */
static const ami_unit_info units[] = {
    {1, "a", "time (year)"},
    {2, "mo", "time (month)"},
    {3, "wk", "time (week)"},
    {4, "d", "time (day)"},
    {5, "h", "time (hour)"},
    {6, "min", "time (minute)"},
    {7, "s", "time (second)"},
    {8, "deg", "(phase) angle"},
    {9, "degC", "temperature"},
    {10, "currency", "(local) currency"},
    {11, "m", "length"},
    {12, "m/s", "speed"},
    {13, "m3", "volume"},
    {14, "m3", "corrected volume"},
    {15, "m3/h", "volume flux"},
    {16, "m3/h", "corrected volume flux"},
    {17, "m3/d", "volume flux"},
    {18, "m3/d", "corrected volume flux"},
    {19, "l", "volume"},
    {20, "kg", "mass"},
    {21, "N", "force"},
    {22, "Nm", "energy"},
    {23, "Pa", "pressure"},
    {24, "bar", "pressure"},
    {25, "J", "energy"},
    {26, "J/h", "thermal power"},
    {27, "W", "active power"},
    {28, "VA", "apparent power"},
    {29, "var", "reactive power"},
    {30, "Wh", "active energy"},
    {31, "VAh", "apparent energy"},
    {32, "varh", "reactive energy"},
    {33, "A", "current"},
    {34, "C", "electrical charge"},
    {35, "V", "voltage"},
    {36, "V/m", "electric field strength"},
    {37, "F", "capacitance"},
    {38, "Ohm", "resistance"},
    {39, "Ohm m2/m", "resistivity"},
    {40, "Wb", "magnetic flux"},
    {41, "T", "magnetic flux density"},
    {42, "A/m", "magnetic field strength"},
    {43, "H", "inductance"},
    {44, "Hz", "frequency"},
    {45, "1/(Wh)", "active energy meter constant or pulse value"},
    {46, "1/(varh)", "reactive energy meter constant or pulse value"},
    {47, "1/(VAh)", "apparent energy meter constant or pulse value"},
    {48, "V2h", "volt-squared hours"},
    {49, "A2h", "ampere-squared hours"},
    {50, "kg/s", "mass flux"},
    {51, "S", "conductance"},
    {52, "K", "temperature"},
    {53, "1/(V2h)", "volt-squared hour meter constant or pulse value"},
    {54, "1/(A2h)", "ampere-squared hour meter constant or pulse value"},
    {55, "1/m3", "volume meter constant or pulse value"},
    {56, "%", "percentage"},
    {57, "Ah", "ampere-hours"},
    {60, "Wh/m3", "energy per volume"},
    {61, "J/m3", "calorific value, wobbe"},
    {62, "Mol %", "molar fraction of gas composition"},
    {63, "g/m3", "mass density"},
    {64, "Pa s", "dynamic viscosity"},
    {65, "J/kg", "specific energy"},
    {66, "g/cm2", "pressure"},
    {67, "atm", "pressure"},
    {70, "dBm", "signal strength"},
    {71, "dBuV", "signal strength"},
    {72, "dB", "logarithmic ratio"},
    {253, "", "reserved"},
    {254, "", "other unit"},
    {255, "", "count or no unit"},
};

#define N_UNITS (sizeof units / sizeof units[0])

const ami_unit_info *ami_units_table(size_t *count) {
  if (count)
    *count = N_UNITS;
  return units;
}

const ami_unit_info *ami_units_lookup(uint8_t code) {
  size_t lo = 0, hi = N_UNITS;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (units[mid].code == code)
      return &units[mid];
    if (units[mid].code < code)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const char *ami_units_symbol(uint8_t code) {
  const ami_unit_info *u = ami_units_lookup(code);
  return u ? u->symbol : "";
}

int ami_units_from_symbol(const char *symbol, uint8_t *code) {
  if (symbol == NULL || symbol[0] == '\0')
    return AMI_E_NOT_FOUND;
  for (size_t i = 0; i < N_UNITS; i++)
    if (strcmp(units[i].symbol, symbol) == 0) {
      *code = units[i].code;
      return AMI_OK;
    }
  return AMI_E_NOT_FOUND;
}

/* Render sign, the magnitude's digits and the decimal point for `scaler`:
 * positive scalers append zeros, negative ones place a point, padding with
 * leading zeros so there is always a digit before it. */
static size_t render(bool negative, uint64_t mag, int scaler, char *out,
                     size_t cap) {
  char digits[20];
  int nd = 0;
  do {
    digits[nd++] = (char)('0' + mag % 10);
    mag /= 10;
  } while (mag);
  /* Longest text: '-' + 128 digits ("0." and 127 zeros before 1..20
   * digits -> 1 + 1 + 1 + 127) or 20 digits + 127 zeros. */
  char buf[160];
  size_t n = 0;
  if (negative)
    buf[n++] = '-';
  if (scaler >= 0) {
    bool zero = nd == 1 && digits[0] == '0';
    while (nd > 0)
      buf[n++] = digits[--nd];
    for (int k = 0; k < scaler && !zero; k++) /* 0 x 10^3 is "0" */
      buf[n++] = '0';
  } else {
    int frac = -scaler;
    int intd = nd - frac; /* digits before the point */
    if (intd <= 0) {
      buf[n++] = '0';
      buf[n++] = '.';
      for (int k = 0; k < -intd; k++)
        buf[n++] = '0';
      while (nd > 0)
        buf[n++] = digits[--nd];
    } else {
      while (nd > frac)
        buf[n++] = digits[--nd];
      buf[n++] = '.';
      while (nd > 0)
        buf[n++] = digits[--nd];
    }
  }
  if (cap > 0) {
    size_t c = n < cap ? n : cap - 1;
    memcpy(out, buf, c);
    out[c] = '\0';
  }
  return n;
}

size_t ami_units_apply_scaler(int64_t value, int8_t scaler, char *out,
                              size_t cap) {
  /* The magnitude of INT64_MIN does not fit int64; compute it unsigned. */
  uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
  return render(value < 0, mag, scaler, out, cap);
}

size_t ami_units_apply_scaler_u64(uint64_t value, int8_t scaler, char *out,
                                  size_t cap) {
  return render(false, value, scaler, out, cap);
}
