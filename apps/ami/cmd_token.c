/*
 * cmd_token.c -- `ami token`: make a prepayment credit token, the vending
 * side of the meter's Token gateway (include/ami/ami_meter_prepay.h: 26
 * bytes, an AES-GMAC tag under the meter's token key binding the amount to
 * the meter's identifier and a sequence number). The token is printed as
 * hex, ready for `ami read ... action 115 0-0:19.40.0 1 09 1A <token>`, or
 * with --data as the whole A-XDR octet-string that action needs.
 */
#include <stdlib.h>
#include <string.h>

#include "ami/ami_crypto_openssl.h"
#include "ami/ami_hex.h"
#include "ami/ami_meter_prepay.h"
#include "ami_cli.h"

static void token_usage(FILE *f) {
  fputs("usage: ami token --key HEX --meter HEX --seq N --amount CENTS "
        "[--data]\n"
        "\n"
        "Make a prepayment credit token for one meter.\n"
        "  --key HEX      the meter's 16-byte token key\n"
        "  --meter HEX    the meter's 8-byte identifier (its system title)\n"
        "  --seq N        sequence number, 1.. (never reuse one under a key)\n"
        "  --amount CENTS credit in minor currency units\n"
        "  --data         print the A-XDR octet-string (09 1A ...) for the\n"
        "                 Token gateway's enter method\n",
        f);
}

int ami_cmd_token(int argc, char **argv) {
  uint8_t key[16], meter[8];
  bool have_key = false, have_meter = false, data = false;
  long seq = 0, amount = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      token_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--data")) {
      data = true;
    } else if (v && !strcmp(a, "--key") &&
               ami_hex_decode(v, strlen(v), key, 16, NULL) == 16) {
      have_key = true, i++;
    } else if (v && !strcmp(a, "--meter") &&
               ami_hex_decode(v, strlen(v), meter, 8, NULL) == 8) {
      have_meter = true, i++;
    } else if (v && !strcmp(a, "--seq") &&
               !ami_cli_parse_long(v, 1, 0xFFFFFFFFL, &seq)) {
      i++;
    } else if (v && !strcmp(a, "--amount") &&
               !ami_cli_parse_long(v, 0, 0xFFFFFFFFL, &amount)) {
      i++;
    } else {
      fprintf(stderr, "ami token: bad option or value '%s'\n\n", a);
      token_usage(stderr);
      return 2;
    }
  }
  if (!have_key || !have_meter || seq == 0 || amount < 0) {
    token_usage(stderr);
    return 2;
  }
  const ami_crypto *c = ami_crypto_openssl();
  ami_crypto_key *k = NULL;
  uint8_t tok[AMI_METER_TOKEN_LEN];
  int rc = c->key_new(c->user_data, AMI_CRYPTO_AES128, key, 16, &k);
  if (rc == AMI_OK)
    rc = ami_meter_prepay_token_make(c, k, meter, (uint32_t)seq,
                                     (uint32_t)amount, tok);
  c->key_free(c->user_data, k);
  if (rc != AMI_OK) {
    fprintf(stderr, "ami token: %s\n", ami_strerror(rc));
    return 1;
  }
  if (data)
    printf("091A");
  for (size_t i = 0; i < sizeof tok; i++)
    printf("%02X", tok[i]);
  putchar('\n');
  return 0;
}
