/*
 * main.c -- the `ami` command: one binary, one subcommand per job.
 */
#include <stdio.h>
#include <string.h>

#include "ami_cli.h"

static void usage(FILE *f) {
  fputs("usage: ami <command> [options]\n"
        "\n"
        "commands:\n"
        "  decode    explain DLMS/COSEM bytes: wrapper or HDLC frames, APDUs,\n"
        "            encrypted APDUs (with keys), whole recorded sessions\n"
        "  read      read and command a meter (DLMS/COSEM client)\n"
        "  meter     a reference DLMS/COSEM server (meter) on TCP\n"
        "  push-listen  receive the pushes (alarms, last gasp) meters send\n"
        "  token     make a prepayment credit token for a meter\n"
        "  fw-keygen make an ECDSA P-256 firmware signing key\n"
        "  fw-sign   wrap and sign a firmware payload for Image Transfer\n"
        "  fw-verify check a signed firmware image as a meter would\n"
        "  mdm       meter data management: import, VEE, bills, Green Button\n"
        "  version   print the version\n"
        "  help      this text\n"
        "\n"
        "`ami <command> --help` describes a command.\n",
        f);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "decode") == 0)
    return ami_cmd_decode(argc - 1, argv + 1);
  if (strcmp(cmd, "read") == 0)
    return ami_cmd_read(argc - 1, argv + 1);
  if (strcmp(cmd, "token") == 0)
    return ami_cmd_token(argc - 1, argv + 1);
  if (strcmp(cmd, "push-listen") == 0)
    return ami_cmd_push_listen(argc - 1, argv + 1);
  if (strcmp(cmd, "meter") == 0)
    return ami_cmd_meter(argc - 1, argv + 1);
  if (strcmp(cmd, "fw-keygen") == 0)
    return ami_cmd_fw_keygen(argc - 1, argv + 1);
  if (strcmp(cmd, "fw-sign") == 0)
    return ami_cmd_fw_sign(argc - 1, argv + 1);
  if (strcmp(cmd, "fw-verify") == 0)
    return ami_cmd_fw_verify(argc - 1, argv + 1);
  if (strcmp(cmd, "mdm") == 0)
    return ami_cmd_mdm(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    printf("ami %s (OpenAMI)\n", AMI_CLI_VERSION);
    return 0;
  }
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
      strcmp(cmd, "-h") == 0) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "ami: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return 2;
}
