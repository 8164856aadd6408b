/*
 * ami_posix_io.h -- the I/O layer: the only OpenAMI code that touches
 * sockets, serial ports and the clock. It drives sans-I/O sessions (DLMS
 * client and server engines) with libuv.
 *
 * A session is anything with the four-call shape of the engines: bytes in
 * (recv), bytes out (pull), and pulled timers (expiry / handle_expiry), with
 * time in milliseconds of libuv's monotonic clock. After every read and
 * every timer, the connection drains pull() into writes and re-arms one
 * timer at expiry(). This file knows nothing of DLMS.
 */
#ifndef AMI_POSIX_IO_H
#define AMI_POSIX_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define AMI_IO_NO_EXPIRY UINT64_MAX

typedef struct ami_io_session_ops {
  /* Received bytes (borrowed for the call). A negative return closes the
   * connection. */
  int (*recv)(void *session, const uint8_t *p, size_t n, uint64_t now_ms);
  /* Bytes to send now into buf; 0 when none. */
  size_t (*pull)(void *session, uint8_t *buf, size_t cap, uint64_t now_ms);
  /* Next deadline, or AMI_IO_NO_EXPIRY. */
  uint64_t (*expiry)(void *session);
  /* Timers due; a negative return closes the connection. */
  int (*handle_expiry)(void *session, uint64_t now_ms);
  /* True when the session wants the connection closed once its output is
   * written (e.g. after release). May be NULL. */
  bool (*done)(void *session);
  /* The connection is gone (peer closed, error, or done); the session may
   * be freed here. `err` is 0 or a negative libuv/ami code. */
  void (*closed)(void *session, int err);
} ami_io_session_ops;

typedef struct ami_io_conn ami_io_conn;

/* Connect to host:port over TCP and drive `session` on it. Returns 0 or a
 * negative libuv error; on success ops->closed is called exactly once, and
 * *out (may be NULL) receives the connection, valid until then. */
int ami_io_tcp_connect(uv_loop_t *loop, const char *host, int port,
                       const ami_io_session_ops *ops, void *session,
                       ami_io_conn **out);

/* Called for each accepted connection: return a new session (and its ops)
 * or NULL to refuse it. `peer` is the client's address as text. */
typedef void *(*ami_io_accept_fn)(void *user_data, const char *peer,
                                  const ami_io_session_ops **ops);

/* Listen on addr:port (addr "0.0.0.0", "127.0.0.1", "::" ...). Returns 0 or
 * a negative libuv error. The listener lives until the loop stops. */
int ami_io_tcp_listen(uv_loop_t *loop, const char *addr, int port,
                      ami_io_accept_fn accept, void *user_data);

/* Open a serial port (e.g. /dev/ttyUSB0, an optical probe) at `baud`, 8N1,
 * raw, and drive `session` on it. Returns 0 or a negative errno/libuv
 * error; on success ops->closed is called exactly once. */
int ami_io_serial_open(uv_loop_t *loop, const char *path, int baud,
                       const ami_io_session_ops *ops, void *session,
                       ami_io_conn **out);

/* Kick a connection's output and timer after the application changed the
 * session outside a callback (e.g. queued a request). */
void ami_io_conn_kick(ami_io_conn *c);

/* Close a connection (output already pulled is written first for TCP). */
void ami_io_conn_close(ami_io_conn *c, int err);

#endif /* AMI_POSIX_IO_H */
