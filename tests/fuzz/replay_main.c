/*
 * replay_main.c -- runs a fuzz target over every file of a corpus directory
 * without libFuzzer, so that `make test` re-checks the seeds and every past
 * finding under the ordinary (and sanitizer) builds. Also runs each input
 * truncated at every length, since truncation is the commonest hostile case.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    return 1;
  }
  uint8_t *buf = malloc(1 << 20);
  if (!buf) {
    fclose(f);
    return 1;
  }
  size_t n = fread(buf, 1, 1 << 20, f);
  fclose(f);
  for (size_t cut = 0; cut <= n; cut++) {
    /* Copy into an exact-size allocation so ASan sees any over-read. */
    uint8_t *exact = malloc(cut ? cut : 1);
    if (!exact) {
      free(buf);
      return 1;
    }
    memcpy(exact, buf, cut);
    LLVMFuzzerTestOneInput(exact, cut);
    free(exact);
  }
  free(buf);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  DIR *d = opendir(argv[1]);
  if (!d) {
    perror(argv[1]);
    return 1;
  }
  int files = 0, rc = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    rc |= run_file(path);
    files++;
  }
  closedir(d);
  printf("replayed %d corpus files (every prefix of each)\n", files);
  return rc != 0 || files == 0;
}
