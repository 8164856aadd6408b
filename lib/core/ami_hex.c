/*
 * ami_hex.c -- hexadecimal text <-> bytes.
 */
#include "ami/ami_hex.h"

#include "ami/ami_err.h"

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static int is_sep(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' ||
         c == '-';
}

long ami_hex_decode(const char *text, size_t text_len, uint8_t *out, size_t cap,
                    size_t *err_pos) {
  size_t i = 0, n = 0;
  if (text_len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    i = 2;
  while (i < text_len) {
    if (is_sep(text[i])) {
      i++;
      continue;
    }
    int hi = hexval(text[i]);
    if (hi < 0 || i + 1 >= text_len || hexval(text[i + 1]) < 0) {
      if (err_pos)
        *err_pos = (hi < 0 || i + 1 >= text_len) ? i : i + 1;
      return AMI_E_SYNTAX;
    }
    if (n >= cap)
      return AMI_E_BUFFER_FULL;
    out[n++] = (uint8_t)((hi << 4) | hexval(text[i + 1]));
    i += 2;
  }
  return (long)n;
}

size_t ami_hex_encode(const uint8_t *src, size_t n, char sep, char *out,
                      size_t cap) {
  static const char digits[] = "0123456789ABCDEF";
  size_t need = n * 2 + (sep && n ? n - 1 : 0);
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (sep && i > 0 && o + 1 < cap)
      out[o++] = sep;
    if (o + 2 < cap) {
      out[o++] = digits[src[i] >> 4];
      out[o++] = digits[src[i] & 15];
    } else {
      break;
    }
  }
  if (cap > 0)
    out[o < cap ? o : cap - 1] = '\0';
  return need;
}
