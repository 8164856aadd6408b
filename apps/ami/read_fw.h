/*
 * read_fw.h -- the firmware-update request of `ami read` (read_fw.c): an
 * image sent through the meter's Image Transfer object, step by step,
 * driven by the client engine's responses and a poll timer.
 */
#ifndef AMI_READ_FW_H
#define AMI_READ_FW_H

#include <stdbool.h>
#include <stdint.h>

#include "ami/ami_client.h"
#include "ami_cli.h"

typedef struct ami_read_fw ami_read_fw;

/* Load the image file; `ident` (borrowed, may be NULL: the file's base
 * name) is the image_identifier sent to the meter. 0 or -1 (message
 * printed). */
int ami_read_fw_new(ami_read_fw **out, const char *path, const char *ident);
void ami_read_fw_free(ami_read_fw *fw);

/* Queue the first request (once associated). */
void ami_read_fw_start(ami_read_fw *fw, ami_client *c);
/* Whether the response with this id belongs to the transfer. */
bool ami_read_fw_owns(const ami_read_fw *fw, uint32_t id);
void ami_read_fw_on_response(ami_read_fw *fw, ami_client *c,
                             const ami_client_response *r, uint64_t now);
/* The next poll time (UINT64_MAX: none), and running it. */
uint64_t ami_read_fw_expiry(const ami_read_fw *fw);
void ami_read_fw_handle_expiry(ami_read_fw *fw, ami_client *c, uint64_t now);
/* The link closed under the transfer. */
void ami_read_fw_link_lost(ami_read_fw *fw);
bool ami_read_fw_done(const ami_read_fw *fw);
/* Whether it failed; *msg (valid until free) says what happened. */
bool ami_read_fw_failed(const ami_read_fw *fw, const char **msg);

#endif /* AMI_READ_FW_H */
