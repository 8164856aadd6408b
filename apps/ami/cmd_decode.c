/*
 * cmd_decode.c -- `ami decode`: options, input, and output of the decoder.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ami/ami_hex.h"
#include "ami_cli.h"
#include "decode.h"

static void decode_usage(FILE *f) {
  fputs(
      "usage: ami decode [options] (HEX... | FILE | -)\n"
      "\n"
      "Explains DLMS/COSEM bytes: an IEC 62056-47 wrapper frame (TCP/UDP), an\n"
      "IEC 62056-46 HDLC frame, or a bare APDU -- or a whole recorded "
      "session,\n"
      "a file of lines 'TX: <hex>' (client to server) and 'RX: <hex>' (server\n"
      "to client). Hex may contain spaces. Input is the HEX arguments, a "
      "FILE,\n"
      "or '-' for standard input. Frames are detected by their first bytes\n"
      "(7E: HDLC, 00 01: wrapper, anything else: an APDU).\n"
      "\n"
      "In a session, segmented HDLC frames and GET/ACTION data blocks are\n"
      "reassembled, and the system titles are learned from the AARQ/AARE, so\n"
      "ciphered APDUs decrypt with just the keys.\n"
      "\n"
      "options:\n"
      "  --ek HEX              block cipher key (global unicast encryption "
      "key)\n"
      "  --ak HEX              authentication key\n"
      "  --system-title HEX    the sender's system title (8 bytes), needed "
      "for\n"
      "                        a lone glo-/ded-ciphered APDU\n"
      "  --dedicated-key HEX   dedicated key, for ded-ciphered APDUs outside "
      "a\n"
      "                        session (in a session it is read from the "
      "AARQ)\n"
      "  --json                print JSON instead of the readable tree\n"
      "  -h, --help            this text\n"
      "\n"
      "exit status: 0 all decoded, 1 something could not be decoded or\n"
      "authenticated (the rest is still printed), 2 usage error.\n",
      f);
}

static int parse_key(const char *opt, const char *hex, uint8_t *out, size_t cap,
                     size_t *len, size_t exact) {
  long n = ami_hex_decode(hex, strlen(hex), out, cap, NULL);
  if (n <= 0 || (exact && (size_t)n != exact) ||
      (!exact && n != 16 && n != 32)) {
    fprintf(stderr, "ami decode: %s wants %s bytes of hex, got '%s'\n", opt,
            exact == 8 ? "8" : "16 or 32", hex);
    return -1;
  }
  *len = (size_t)n;
  return 0;
}

/* A session file has lines starting with "TX:" or "RX:". */
static bool looks_like_session(const char *text) {
  const char *p = text;
  while (*p) {
    while (*p == ' ' || *p == '\t')
      p++;
    if ((p[0] == 'T' || p[0] == 'R') && p[1] == 'X' && p[2] == ':')
      return true;
    p = strchr(p, '\n');
    if (!p)
      break;
    p++;
  }
  return false;
}

static int decode_session(dec_ctx *c, char *text, json_t *messages) {
  int problems = 0;
  size_t lineno = 0;
  uint8_t *buf = malloc(strlen(text) / 2 + 1);
  if (!buf)
    return 1;
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl)
      *nl = '\0';
    lineno++;
    char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if ((p[0] == 'T' || p[0] == 'R') && p[1] == 'X' && p[2] == ':') {
      dec_dir dir = p[0] == 'T' ? DEC_DIR_TX : DEC_DIR_RX;
      size_t pos = 0;
      long n =
          ami_hex_decode(p + 3, strlen(p + 3), buf, strlen(p) / 2 + 1, &pos);
      if (n < 0) {
        json_t *m = json_object();
        ami_cli_set(m, "line", json_integer((json_int_t)lineno));
        ami_cli_set(
            m, "error",
            json_sprintf("line %zu: not hex at column %zu", lineno, pos + 4));
        json_array_append_new(messages, m);
        problems++;
      } else {
        size_t before = json_array_size(messages);
        problems += dec_feed(c, dir, buf, (size_t)n, messages);
        for (size_t i = before; i < json_array_size(messages); i++)
          json_object_set_new(json_array_get(messages, i), "line",
                              json_integer((json_int_t)lineno));
      }
    }
    line = nl ? nl + 1 : NULL;
  }
  free(buf);
  return problems;
}

static void print_text(json_t *messages) {
  size_t i;
  json_t *m;
  json_array_foreach(messages, i, m) {
    json_t *dir = json_object_get(m, "direction");
    json_t *line = json_object_get(m, "line");
    printf("#%zu", i + 1);
    if (json_is_string(dir))
      printf(" %s", json_string_value(dir));
    if (json_is_integer(line))
      printf(" (line %" JSON_INTEGER_FORMAT ")", json_integer_value(line));
    printf("\n");
    json_t *copy = json_copy(m);
    json_object_del(copy, "direction");
    json_object_del(copy, "line");
    ami_cli_render_text(stdout, copy);
    json_decref(copy);
    printf("\n");
  }
}

int ami_cmd_decode(int argc, char **argv) {
  dec_keys keys;
  memset(&keys, 0, sizeof keys);
  bool json_out = false;
  int first = argc;
  size_t stlen;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      decode_usage(stdout);
      return 0;
    } else if (strcmp(a, "--json") == 0) {
      json_out = true;
    } else if (strcmp(a, "--ek") == 0 && v) {
      if (parse_key(a, v, keys.ek, sizeof keys.ek, &keys.ek_len, 0))
        return 2;
      i++;
    } else if (strcmp(a, "--ak") == 0 && v) {
      if (parse_key(a, v, keys.ak, sizeof keys.ak, &keys.ak_len, 0))
        return 2;
      i++;
    } else if (strcmp(a, "--dedicated-key") == 0 && v) {
      if (parse_key(a, v, keys.dedicated_key, sizeof keys.dedicated_key,
                    &keys.dedicated_key_len, 0))
        return 2;
      i++;
    } else if (strcmp(a, "--system-title") == 0 && v) {
      if (parse_key(a, v, keys.system_title, 8, &stlen, 8))
        return 2;
      keys.have_system_title = true;
      i++;
    } else if (strcmp(a, "-") == 0 || a[0] != '-') {
      first = i;
      break;
    } else {
      fprintf(stderr, "ami decode: unknown or incomplete option '%s'\n\n", a);
      decode_usage(stderr);
      return 2;
    }
  }
  if (first >= argc) {
    fprintf(stderr, "ami decode: nothing to decode\n\n");
    decode_usage(stderr);
    return 2;
  }

  /* One argument naming a file (or "-") is read; otherwise the arguments
   * are the hex itself. */
  char *text = NULL;
  size_t tlen = 0;
  if (argc - first == 1 &&
      (strcmp(argv[first], "-") == 0 || access(argv[first], R_OK) == 0)) {
    text = ami_cli_read_all(argv[first], &tlen);
    if (!text)
      return 2;
  } else {
    for (int i = first; i < argc; i++)
      tlen += strlen(argv[i]) + 1;
    text = calloc(1, tlen + 1);
    if (!text)
      return 2;
    size_t at = 0;
    for (int i = first; i < argc; i++) {
      size_t l = strlen(argv[i]);
      memcpy(text + at, argv[i], l);
      text[at + l] = ' ';
      at += l + 1;
    }
  }

  dec_ctx *c = dec_new(&keys);
  json_t *messages = json_array();
  int problems = 0;
  if (!c || !messages) {
    fprintf(stderr, "ami decode: out of memory\n");
    free(text);
    return 2;
  }
  if (looks_like_session(text)) {
    problems += decode_session(c, text, messages);
  } else {
    size_t pos = 0, cap = strlen(text) / 2 + 1;
    uint8_t *buf = malloc(cap);
    long n = buf ? ami_hex_decode(text, strlen(text), buf, cap, &pos) : -1;
    if (n < 0) {
      fprintf(stderr,
              "ami decode: input is neither hex nor a session file "
              "(bad character at offset %zu)\n",
              pos);
      free(buf);
      free(text);
      json_decref(messages);
      dec_free(c);
      return 2;
    }
    problems += dec_feed(c, DEC_DIR_UNKNOWN, buf, (size_t)n, messages);
    free(buf);
  }
  problems += dec_finish(c, messages);

  if (json_out) {
    json_t *doc = json_object();
    ami_cli_set(doc, "messages", messages);
    ami_cli_set(doc, "problems", json_integer(problems));
    ami_cli_set(doc, "warnings", json_integer(dec_warnings(c)));
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    fputc('\n', stdout);
    json_decref(doc);
  } else {
    print_text(messages);
    int warnings = dec_warnings(c);
    printf("%zu message%s, %d problem%s, %d warning%s\n",
           json_array_size(messages), json_array_size(messages) == 1 ? "" : "s",
           problems, problems == 1 ? "" : "s", warnings,
           warnings == 1 ? "" : "s");
    json_decref(messages);
  }
  dec_free(c);
  free(text);
  return problems ? 1 : 0;
}
