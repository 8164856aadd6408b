/*
 * ami_posix_io.c -- libuv plumbing that drives sans-I/O sessions over TCP
 * and serial ports (see ami_posix_io.h).
 */
#include "ami_posix_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define IO_CHUNK 65536

enum { KIND_TCP = 1, KIND_SERIAL = 2 };

struct ami_io_conn {
  uv_loop_t *loop;
  int kind;
  union {
    uv_tcp_t tcp;
    uv_poll_t poll;
  } h;
  uv_timer_t timer;
  uv_connect_t connect_req;
  const ami_io_session_ops *ops;
  void *session;
  int fd;           /* serial */
  uint8_t *pending; /* serial: bytes not yet written */
  size_t pending_len;
  int handles_open; /* handle + timer */
  int writes_in_flight;
  bool connected;
  bool closing;
  int close_err;
};

/* Read and pull scratch space, shared by every connection of a loop's
 * thread: libuv calls alloc then read for one handle back to back, and
 * flush() copies pulled bytes out before returning, so no connection holds
 * either buffer across callbacks. Keeping them out of ami_io_conn keeps a
 * connection small (no 128 KiB allocation per accept). */
static _Thread_local uint8_t rbuf[IO_CHUNK];
static _Thread_local uint8_t wbuf[IO_CHUNK];

typedef struct write_req {
  uv_write_t req;
  ami_io_conn *conn;
  uint8_t data[];
} write_req;

static void on_handle_closed(uv_handle_t *h) {
  ami_io_conn *c = h->data;
  if (--c->handles_open > 0)
    return;
  if (c->fd >= 0)
    close(c->fd);
  free(c->pending);
  c->ops->closed(c->session, c->close_err);
  free(c);
}

void ami_io_conn_close(ami_io_conn *c, int err) {
  if (c->closing)
    return;
  c->closing = true;
  c->close_err = err;
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->h, on_handle_closed);
}

static void on_timer(uv_timer_t *t);

/* After any event: send what the session has to say, re-arm its timer, and
 * close if it is finished and everything is written. */
static void flush(ami_io_conn *c);

static void on_written(uv_write_t *req, int status) {
  write_req *w = (write_req *)req;
  ami_io_conn *c = w->conn;
  free(w);
  c->writes_in_flight--;
  if (status < 0) {
    ami_io_conn_close(c, status);
    return;
  }
  if (!c->closing && c->writes_in_flight == 0 && c->ops->done &&
      c->ops->done(c->session))
    ami_io_conn_close(c, 0);
}

static void serial_write(ami_io_conn *c, const uint8_t *p, size_t n);

static void flush(ami_io_conn *c) {
  if (c->closing || !c->connected)
    return;
  uint64_t now = uv_now(c->loop);
  for (;;) {
    size_t n = 0, got;
    while (n < IO_CHUNK &&
           (got = c->ops->pull(c->session, wbuf + n, IO_CHUNK - n, now)) > 0)
      n += got;
    if (n == 0)
      break;
    if (c->kind == KIND_SERIAL) {
      serial_write(c, wbuf, n);
      if (c->closing)
        return;
      continue;
    }
    /* uv_write needs the bytes until its callback: one exact-size copy. */
    write_req *w = malloc(sizeof *w + n);
    if (w == NULL) {
      ami_io_conn_close(c, UV_ENOMEM);
      return;
    }
    memcpy(w->data, wbuf, n);
    w->conn = c;
    uv_buf_t buf = uv_buf_init((char *)w->data, (unsigned)n);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->h.tcp, &buf, 1, on_written);
    if (rc < 0) {
      free(w);
      ami_io_conn_close(c, rc);
      return;
    }
    c->writes_in_flight++;
    if (n < IO_CHUNK)
      break;
  }
  if (c->closing)
    return;
  uint64_t exp = c->ops->expiry(c->session);
  if (exp == AMI_IO_NO_EXPIRY) {
    uv_timer_stop(&c->timer);
  } else {
    uint64_t delay = exp > now ? exp - now : 0;
    uv_timer_start(&c->timer, on_timer, delay, 0);
  }
  if (c->writes_in_flight == 0 && c->pending_len == 0 && c->ops->done &&
      c->ops->done(c->session))
    ami_io_conn_close(c, 0);
}

void ami_io_conn_kick(ami_io_conn *c) {
  flush(c);
}

static void on_timer(uv_timer_t *t) {
  ami_io_conn *c = t->data;
  if (c->closing)
    return;
  int rc = c->ops->handle_expiry(c->session, uv_now(c->loop));
  if (rc < 0) {
    flush(c);
    ami_io_conn_close(c, rc);
    return;
  }
  flush(c);
}

static void deliver(ami_io_conn *c, const uint8_t *p, size_t n) {
  int rc = c->ops->recv(c->session, p, n, uv_now(c->loop));
  if (rc < 0) {
    flush(c);
    ami_io_conn_close(c, rc);
    return;
  }
  flush(c);
}

/* ---- TCP ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  (void)h;
  (void)suggested;
  *buf = uv_buf_init((char *)rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  ami_io_conn *c = s->data;
  if (nread > 0) {
    deliver(c, (const uint8_t *)buf->base, (size_t)nread);
  } else if (nread < 0) {
    ami_io_conn_close(c, nread == UV_EOF ? 0 : (int)nread);
  }
}

static ami_io_conn *conn_new(uv_loop_t *loop, int kind,
                             const ami_io_session_ops *ops, void *session) {
  ami_io_conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->loop = loop;
  c->kind = kind;
  c->ops = ops;
  c->session = session;
  c->fd = -1;
  uv_timer_init(loop, &c->timer);
  c->timer.data = c;
  c->handles_open = 1;
  return c;
}

static void start_tcp(ami_io_conn *c) {
  c->connected = true;
  uv_tcp_nodelay(&c->h.tcp, 1);
  int rc = uv_read_start((uv_stream_t *)&c->h.tcp, on_alloc, on_read);
  if (rc < 0) {
    ami_io_conn_close(c, rc);
    return;
  }
  flush(c);
}

static void on_connect(uv_connect_t *req, int status) {
  ami_io_conn *c = req->data;
  if (status < 0) {
    ami_io_conn_close(c, status);
    return;
  }
  start_tcp(c);
}

int ami_io_tcp_connect(uv_loop_t *loop, const char *host, int port,
                       const ami_io_session_ops *ops, void *session,
                       ami_io_conn **out) {
  struct sockaddr_storage sa;
  int rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
  if (rc < 0)
    rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa);
  if (rc < 0)
    return rc;
  ami_io_conn *c = conn_new(loop, KIND_TCP, ops, session);
  if (c == NULL)
    return UV_ENOMEM;
  uv_tcp_init(loop, &c->h.tcp);
  c->h.tcp.data = c;
  c->handles_open = 2;
  c->connect_req.data = c;
  rc = uv_tcp_connect(&c->connect_req, &c->h.tcp, (struct sockaddr *)&sa,
                      on_connect);
  if (rc < 0) {
    ami_io_conn_close(c, rc);
    return 0; /* closed() reports the error */
  }
  if (out)
    *out = c;
  return 0;
}

typedef struct listener {
  uv_tcp_t tcp;
  ami_io_accept_fn accept;
  void *user_data;
} listener;

static void refused_closed(void *session, int err) {
  (void)session;
  (void)err;
}

/* A connection nobody drives: closed at once through the normal path, which
 * frees it when both handles have finished closing. */
static const ami_io_session_ops refused_ops = {
    .closed = refused_closed,
};

static void on_connection(uv_stream_t *server, int status) {
  listener *l = server->data;
  if (status < 0)
    return;
  ami_io_conn *c = calloc(1, sizeof *c);
  if (c == NULL)
    return; /* the pending connection stays in the backlog; retried later */
  c->loop = server->loop;
  c->kind = KIND_TCP;
  c->fd = -1;
  c->ops = &refused_ops;
  uv_tcp_init(server->loop, &c->h.tcp);
  c->h.tcp.data = c;
  uv_timer_init(server->loop, &c->timer);
  c->timer.data = c;
  c->handles_open = 2;
  if (uv_accept(server, (uv_stream_t *)&c->h.tcp) != 0) {
    ami_io_conn_close(c, 0);
    return;
  }
  struct sockaddr_storage sa;
  int len = sizeof sa;
  char peer[64] = "?";
  if (uv_tcp_getpeername(&c->h.tcp, (struct sockaddr *)&sa, &len) == 0) {
    if (sa.ss_family == AF_INET)
      uv_ip4_name((struct sockaddr_in *)&sa, peer, sizeof peer);
    else
      uv_ip6_name((struct sockaddr_in6 *)&sa, peer, sizeof peer);
  }
  const ami_io_session_ops *ops = NULL;
  void *session = l->accept(l->user_data, peer, &ops);
  if (session == NULL || ops == NULL) {
    ami_io_conn_close(c, 0);
    return;
  }
  c->ops = ops;
  c->session = session;
  start_tcp(c);
}

static void free_listener(uv_handle_t *h) {
  free(h->data);
}

int ami_io_tcp_listen(uv_loop_t *loop, const char *addr, int port,
                      ami_io_accept_fn accept, void *user_data) {
  struct sockaddr_storage sa;
  int rc = uv_ip4_addr(addr, port, (struct sockaddr_in *)&sa);
  if (rc < 0)
    rc = uv_ip6_addr(addr, port, (struct sockaddr_in6 *)&sa);
  if (rc < 0)
    return rc;
  listener *l = calloc(1, sizeof *l);
  if (l == NULL)
    return UV_ENOMEM;
  l->accept = accept;
  l->user_data = user_data;
  uv_tcp_init(loop, &l->tcp);
  l->tcp.data = l;
  rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&l->tcp, 128, on_connection);
  if (rc < 0) {
    uv_close((uv_handle_t *)&l->tcp, free_listener);
    return rc;
  }
  return 0;
}

/* ---- serial ---------------------------------------------------------- */

/* Free a connection that never got past its timer (no session yet). */
static void free_conn_raw(uv_handle_t *h) {
  free(h->data);
}

static speed_t baud_constant(int baud) {
  switch (baud) {
  case 300:
    return B300;
  case 600:
    return B600;
  case 1200:
    return B1200;
  case 2400:
    return B2400;
  case 4800:
    return B4800;
  case 9600:
    return B9600;
  case 19200:
    return B19200;
  case 38400:
    return B38400;
  case 57600:
    return B57600;
  case 115200:
    return B115200;
  default:
    return 0;
  }
}

static void on_poll(uv_poll_t *p, int status, int events);

static void serial_write(ami_io_conn *c, const uint8_t *p, size_t n) {
  if (c->pending_len == 0) {
    while (n > 0) {
      ssize_t w = write(c->fd, p, n);
      if (w < 0) {
        if (errno == EINTR)
          continue;
        if (errno == EAGAIN)
          break;
        ami_io_conn_close(c, -errno);
        return;
      }
      p += w;
      n -= (size_t)w;
    }
    if (n == 0)
      return;
  }
  uint8_t *np = realloc(c->pending, c->pending_len + n);
  if (np == NULL) {
    ami_io_conn_close(c, UV_ENOMEM);
    return;
  }
  memcpy(np + c->pending_len, p, n);
  c->pending = np;
  c->pending_len += n;
  uv_poll_start(&c->h.poll, UV_READABLE | UV_WRITABLE, on_poll);
}

static void on_poll(uv_poll_t *p, int status, int events) {
  ami_io_conn *c = p->data;
  if (status < 0) {
    ami_io_conn_close(c, status);
    return;
  }
  if ((events & UV_WRITABLE) && c->pending_len > 0) {
    ssize_t w = write(c->fd, c->pending, c->pending_len);
    if (w > 0) {
      memmove(c->pending, c->pending + w, c->pending_len - (size_t)w);
      c->pending_len -= (size_t)w;
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      ami_io_conn_close(c, -errno);
      return;
    }
    if (c->pending_len == 0)
      uv_poll_start(&c->h.poll, UV_READABLE, on_poll);
  }
  if (events & UV_READABLE) {
    ssize_t r = read(c->fd, rbuf, sizeof rbuf);
    if (r > 0)
      deliver(c, rbuf, (size_t)r);
    else if (r == 0 || (errno != EAGAIN && errno != EINTR))
      ami_io_conn_close(c, r == 0 ? 0 : -errno);
  }
}

int ami_io_serial_open(uv_loop_t *loop, const char *path, int baud,
                       const ami_io_session_ops *ops, void *session,
                       ami_io_conn **out) {
  speed_t sp = baud_constant(baud);
  if (sp == 0)
    return UV_EINVAL;
  int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return -errno;
  struct termios t;
  if (tcgetattr(fd, &t) == 0) {
    cfmakeraw(&t);
    cfsetispeed(&t, sp);
    cfsetospeed(&t, sp);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    tcsetattr(fd, TCSANOW, &t);
  }
  ami_io_conn *c = conn_new(loop, KIND_SERIAL, ops, session);
  if (c == NULL) {
    close(fd);
    return UV_ENOMEM;
  }
  c->fd = fd;
  int rc = uv_poll_init(loop, &c->h.poll, fd);
  if (rc < 0) {
    close(fd);
    uv_close((uv_handle_t *)&c->timer, free_conn_raw);
    return rc;
  }
  c->h.poll.data = c;
  c->handles_open = 2;
  c->connected = true;
  uv_poll_start(&c->h.poll, UV_READABLE, on_poll);
  if (out)
    *out = c;
  flush(c);
  return 0;
}
