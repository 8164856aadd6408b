/*
 * render.c -- turn the JSON tree that `ami decode` builds into readable text.
 *
 * The decoder builds one JSON document; `--json` prints it as is, and this
 * file renders the same tree for people. Conventions of that tree, relied on
 * here:
 *   - an object with a "kind" member is labelled by it ("apdu: get-response");
 *   - an object with a "type" member and a "value" or "items" member is a
 *     DLMS Data value, printed as "type value" plus its annotations
 *     ("obis", "datetime", "text", "scaled", "meaning") on one line, then its
 *     items indented below;
 *   - an object whose other members are all scalars (at most 8) is printed on
 *     one line as key=value pairs;
 *   - everything else nests, two spaces per level.
 */
#include <string.h>

#include "ami_cli.h"

static const char *const data_notes[] = {
    "obis", "datetime", "text", "scaled", "meaning", "note", NULL};

static void pad(FILE *out, int depth) {
  for (int i = 0; i < depth; i++)
    fputs("  ", out);
}

static void scalar(FILE *out, json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING:
    fputs(json_string_value(v), out);
    break;
  case JSON_INTEGER:
    fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    break;
  case JSON_REAL:
    fprintf(out, "%.17g", json_real_value(v));
    break;
  case JSON_TRUE:
    fputs("true", out);
    break;
  case JSON_FALSE:
    fputs("false", out);
    break;
  case JSON_NULL:
    fputs("null", out);
    break;
  default:
    fputs("?", out);
  }
}

static bool is_scalar(json_t *v) {
  return !json_is_object(v) && !json_is_array(v);
}

static bool is_data(json_t *o) {
  return json_is_object(o) && json_is_string(json_object_get(o, "type")) &&
         (json_object_get(o, "value") || json_object_get(o, "items"));
}

static bool is_note(const char *key) {
  for (int i = 0; data_notes[i]; i++)
    if (strcmp(key, data_notes[i]) == 0)
      return true;
  return false;
}

static void node(FILE *out, const char *label, json_t *v, int depth);

static void data_node(FILE *out, const char *label, json_t *o, int depth) {
  pad(out, depth);
  if (label)
    fprintf(out, "%s: ", label);
  fputs(json_string_value(json_object_get(o, "type")), out);
  json_t *val = json_object_get(o, "value");
  if (val && is_scalar(val)) {
    fputc(' ', out);
    scalar(out, val);
  }
  for (int i = 0; data_notes[i]; i++) {
    json_t *n = json_object_get(o, data_notes[i]);
    if (n && is_scalar(n)) {
      fprintf(out, "  [%s ", data_notes[i]);
      scalar(out, n);
      fputc(']', out);
    }
  }
  fputc('\n', out);
  json_t *items = json_object_get(o, "items");
  size_t i;
  json_t *it;
  char idx[32];
  json_array_foreach(items, i, it) {
    snprintf(idx, sizeof idx, "[%zu]", i);
    node(out, idx, it, depth + 1);
  }
  /* Members that are neither the value nor a note (e.g. a decoded inner
   * structure) follow as children. */
  const char *key;
  json_t *m;
  json_object_foreach(o, key, m) {
    if (strcmp(key, "type") == 0 || strcmp(key, "value") == 0 ||
        strcmp(key, "items") == 0 || (is_note(key) && is_scalar(m)))
      continue;
    node(out, key, m, depth + 1);
  }
}

static bool all_scalar_small(json_t *o) {
  const char *key;
  json_t *m;
  size_t n = 0;
  json_object_foreach(o, key, m) {
    if (!is_scalar(m))
      return false;
    n++;
  }
  return n <= 8;
}

static void node(FILE *out, const char *label, json_t *v, int depth) {
  if (is_data(v)) {
    data_node(out, label, v, depth);
    return;
  }
  if (json_is_object(v)) {
    json_t *kind = json_object_get(v, "kind");
    pad(out, depth);
    if (label)
      fprintf(out, "%s:", label);
    if (json_is_string(kind))
      fprintf(out, " %s", json_string_value(kind));
    const char *key;
    json_t *m;
    if (all_scalar_small(v)) {
      json_object_foreach(v, key, m) {
        if (strcmp(key, "kind") == 0)
          continue;
        fprintf(out, "  %s=", key);
        scalar(out, m);
      }
      fputc('\n', out);
      return;
    }
    fputc('\n', out);
    json_object_foreach(v, key, m) {
      if (strcmp(key, "kind") == 0)
        continue;
      node(out, key, m, depth + 1);
    }
    return;
  }
  if (json_is_array(v)) {
    pad(out, depth);
    fprintf(out, "%s: [%zu]\n", label ? label : "", json_array_size(v));
    size_t i;
    json_t *it;
    char idx[32];
    json_array_foreach(v, i, it) {
      snprintf(idx, sizeof idx, "[%zu]", i);
      node(out, idx, it, depth + 1);
    }
    return;
  }
  pad(out, depth);
  if (label)
    fprintf(out, "%s: ", label);
  scalar(out, v);
  fputc('\n', out);
}

void ami_cli_render_text(FILE *out, json_t *root) {
  if (json_is_object(root)) {
    const char *key;
    json_t *m;
    json_object_foreach(root, key, m) node(out, key, m, 0);
  } else {
    node(out, NULL, root, 0);
  }
}
