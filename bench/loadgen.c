/* Load generator for the echo benchmarks: N connections to an echo server,
 * driven by one io_uring (raw syscalls) on one thread.
 *
 *   rr:     each connection sends a message of S bytes and waits for the
 *           whole echo before sending the next; every round trip is timed.
 *   stream: each connection writes S-byte chunks continuously (at most
 *           --window chunks not yet echoed) and reads everything back; the
 *           time from a chunk's first send to its last echoed byte is timed.
 *
 * Warm-up seconds are discarded. Prints one JSON line on stdout; prints
 * "measure" and "end" lines on stderr when the measured window opens and
 * closes, so a caller can sample the server around it. Echoes are checked:
 * byte counts always; the content (a sequence stamp per message, a position
 * pattern when streaming) of one receive in --verify-every (default 16). The
 * others are received with MSG_TRUNC, which TCP counts but does not copy out,
 * so that the generator spends its core on traffic rather than on memcpy.
 *
 * Build: cc -O2 -o loadgen loadgen.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "uring_min.h"

enum { OP_SEND = 1, OP_RECV = 2 };
enum { WARM, MEASURE, DONE };
#define UD(i, op) (((uint64_t)(i) << 2) | (op))
#define PATTERN 251

struct conn {
  int fd;
  int dead;
  /* rr */
  uint32_t sent, got;
  uint64_t seq, t0;
  /* stream */
  uint64_t tx, rx, rx_chunks;
  uint32_t chunk_off;
  int send_busy;
  /* whether the receive in flight copies out (and checks) the data */
  int check;
  uint64_t recvs;
  uint64_t *t_chunk;
  unsigned char *sbuf, *rbuf;
};

static struct {
  const char *host;
  int port, conns, stream;
  unsigned size, window, verify_every;
  double warmup, duration;
} opt = {"127.0.0.1", 0, 100, 0, 64, 4, 16, 1.0, 2.0};

static struct ring ring;
static struct conn *conns;
static int phase = WARM;
static uint64_t m_msgs, m_bytes, total_msgs, errors, dead;
static char first_error[160];

/* Latency histogram over ns: exact below 128, then 64 sub-buckets per power of two (< 1.6% error). */
#define HBUCKETS 2560
static uint64_t hist[HBUCKETS], hcount, hmax;

static inline void hrecord(uint64_t v) {
  int idx;
  if (v < 128) {
    idx = (int)v;
  } else {
    int e = 63 - __builtin_clzll(v);
    idx = 128 + (e - 7) * 64 + (int)((v >> (e - 6)) & 63);
    if (idx >= HBUCKETS) idx = HBUCKETS - 1;
  }
  hist[idx]++;
  hcount++;
  if (v > hmax) hmax = v;
}

static double hvalue(int idx) {
  if (idx < 128) return idx;
  int e = (idx - 128) / 64 + 7, sub = (idx - 128) % 64;
  double width = (double)(1ULL << (e - 6));
  return (64 + sub) * width + width / 2;
}

static double percentile_us(double q) {
  if (hcount == 0) return 0;
  uint64_t target = (uint64_t)ceil(q * (double)hcount), seen = 0;
  if (target == 0) target = 1;
  for (int i = 0; i < HBUCKETS; i++) {
    seen += hist[i];
    if (seen >= target) return hvalue(i) / 1000.0;
  }
  return hmax / 1000.0;
}

static void fail(struct conn *c, const char *what, int res) {
  errors++;
  if (!first_error[0])
    snprintf(first_error, sizeof first_error, "connection %ld: %s (%s)", (long)(c - conns), what,
             res < 0 ? strerror(-res) : res == 0 ? "EOF" : "bad data");
  if (!c->dead) {
    c->dead = 1;
    dead++;
  }
}

/* ---- request/response ---- */

/* Receives into buf; with check off, TCP discards the bytes instead of copying them. */
static void arm_recv(struct conn *c, unsigned char *buf, unsigned len, int check) {
  c->check = check;
  prep_rw(&ring, IORING_OP_RECV, c->fd, buf, len, check ? 0 : MSG_TRUNC, UD(c - conns, OP_RECV));
}

static void rr_start(struct conn *c) {
  c->seq++;
  memcpy(c->sbuf, &c->seq, opt.size < 8 ? opt.size : 8);
  c->sent = c->got = 0;
  c->t0 = now_ns();
  long i = c - conns;
  prep_send(&ring, c->fd, c->sbuf, opt.size, UD(i, OP_SEND));
  arm_recv(c, c->rbuf, opt.size, c->seq % opt.verify_every == 0);
}

static void rr_maybe_done(struct conn *c) {
  if (c->sent < opt.size || c->got < opt.size) return;
  if (c->check && (memcmp(c->rbuf, c->sbuf, opt.size < 8 ? opt.size : 8) != 0 || c->rbuf[opt.size - 1] != c->sbuf[opt.size - 1]))
    return fail(c, "echo differs from what was sent", 1);
  total_msgs++;
  if (phase == MEASURE) {
    hrecord(now_ns() - c->t0);
    m_msgs++;
    m_bytes += opt.size;
  }
  if (phase != DONE) rr_start(c);
}

static void rr_complete(struct conn *c, int op, int res) {
  long i = c - conns;
  if (op == OP_SEND) {
    if (res < 0) return fail(c, "send", res);
    c->sent += (uint32_t)res;
    if (c->sent < opt.size) prep_send(&ring, c->fd, c->sbuf + c->sent, opt.size - c->sent, UD(i, OP_SEND));
  } else {
    if (res <= 0) return fail(c, "recv", res);
    c->got += (uint32_t)res;
    if (c->got < opt.size) arm_recv(c, c->rbuf + c->got, opt.size - c->got, c->check);
  }
  rr_maybe_done(c);
}

/* ---- streaming ---- */

static void stream_send(struct conn *c) {
  if (c->send_busy || phase == DONE) return;
  if (c->chunk_off == 0) {
    uint64_t k = c->tx / opt.size;
    if (k - c->rx / opt.size >= opt.window) return;
    c->t_chunk[k % opt.window] = now_ns();
  }
  c->send_busy = 1;
  prep_send(&ring, c->fd, c->sbuf + c->tx % PATTERN, opt.size - c->chunk_off, UD(c - conns, OP_SEND));
}

static void stream_complete(struct conn *c, int op, int res) {
  if (op == OP_SEND) {
    c->send_busy = 0;
    if (res < 0) return fail(c, "send", res);
    c->tx += (uint64_t)res;
    c->chunk_off = (uint32_t)((c->chunk_off + (uint32_t)res) % opt.size);
  } else {
    if (res <= 0) return fail(c, "recv", res);
    unsigned n = (unsigned)res;
    if (c->rx + n > c->tx) return fail(c, "more echoed than sent", 1);
    if (c->check && (c->rbuf[0] != c->rx % PATTERN || c->rbuf[n - 1] != (c->rx + n - 1) % PATTERN))
      return fail(c, "echo differs from what was sent", 1);
    c->rx += n;
    if (phase == MEASURE) m_bytes += n;
    uint64_t now = 0;
    for (; c->rx_chunks < c->rx / opt.size; c->rx_chunks++) {
      total_msgs++;
      if (phase != MEASURE) continue;
      if (!now) now = now_ns();
      hrecord(now - c->t_chunk[c->rx_chunks % opt.window]);
      m_msgs++;
    }
    arm_recv(c, c->rbuf, opt.size, ++c->recvs % opt.verify_every == 0);
  }
  stream_send(c);
}

/* ---- set-up ---- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --port P [--host 127.0.0.1] [--conns N] [--size BYTES] [--mode rr|stream]\n"
          "               [--window CHUNKS] [--warmup SEC] [--duration SEC] [--verify-every N]\n");
  exit(2);
}

static void parse(int argc, char **argv) {
  static const struct option longs[] = {
      {"host", 1, 0, 'h'},   {"port", 1, 0, 'p'},   {"conns", 1, 0, 'c'},    {"size", 1, 0, 's'},
      {"mode", 1, 0, 'm'},   {"window", 1, 0, 'w'}, {"warmup", 1, 0, 'W'},   {"duration", 1, 0, 'd'},
      {"verify-every", 1, 0, 'v'}, {0, 0, 0, 0}};
  int ch;
  while ((ch = getopt_long(argc, argv, "", longs, 0)) != -1) {
    switch (ch) {
      case 'h': opt.host = optarg; break;
      case 'p': opt.port = atoi(optarg); break;
      case 'c': opt.conns = atoi(optarg); break;
      case 's': opt.size = (unsigned)atoi(optarg); break;
      case 'w': opt.window = (unsigned)atoi(optarg); break;
      case 'v': opt.verify_every = (unsigned)atoi(optarg); break;
      case 'W': opt.warmup = atof(optarg); break;
      case 'd': opt.duration = atof(optarg); break;
      case 'm':
        if (!strcmp(optarg, "stream")) opt.stream = 1;
        else if (strcmp(optarg, "rr")) usage();
        break;
      default: usage();
    }
  }
  if (opt.port <= 0 || opt.conns <= 0 || opt.size == 0 || opt.window == 0 || opt.verify_every == 0 || opt.duration <= 0)
    usage();
}

static void die(const char *what, int err) {
  printf("{\"error\":\"%s: %s\"}\n", what, strerror(err));
  exit(1);
}

static void open_connections(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1) die("inet_pton", EINVAL);
  size_t sbuf = opt.size + PATTERN;
  conns = calloc((size_t)opt.conns, sizeof *conns);
  for (int i = 0; i < opt.conns; i++) {
    struct conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket", errno);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect", errno);
    c->sbuf = malloc(sbuf);
    c->rbuf = malloc(opt.size);
    c->t_chunk = calloc(opt.window, sizeof *c->t_chunk);
    if (!c->sbuf || !c->rbuf || !c->t_chunk) die("malloc", ENOMEM);
    for (size_t k = 0; k < sbuf; k++) c->sbuf[k] = (unsigned char)(k % PATTERN);
    memset(c->rbuf, 0, opt.size);
  }
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
  parse(argc, argv);
  open_connections();
  unsigned entries = 256;
  while (entries < 2u * (unsigned)opt.conns + 16 && entries < 16384) entries <<= 1;
  int rc = ring_init(&ring, entries, entries * 4);
  if (rc < 0) die("io_uring_setup", -rc);

  for (int i = 0; i < opt.conns; i++) {
    if (opt.stream) {
      arm_recv(&conns[i], conns[i].rbuf, opt.size, 1);
      stream_send(&conns[i]);
    } else {
      rr_start(&conns[i]);
    }
  }

  uint64_t start = now_ns();
  uint64_t measure_at = start + (uint64_t)(opt.warmup * 1e9), end_at = measure_at + (uint64_t)(opt.duration * 1e9);
  uint64_t measured_from = start, measured_to = 0;
  double cpu_from = cpu_seconds();
  for (;;) {
    uint64_t now = now_ns();
    if (phase == WARM && now >= measure_at) {
      phase = MEASURE;
      measured_from = now;
      cpu_from = cpu_seconds();
      fprintf(stderr, "measure\n");
    }
    if (phase == MEASURE && now >= end_at) {
      phase = DONE;
      measured_to = now;
      fprintf(stderr, "end\n");
      break;
    }
    if (dead == (uint64_t)opt.conns) {
      measured_to = now;
      break;
    }
    uint64_t until = phase == WARM ? measure_at : end_at;
    long long wait = (long long)(until - now);
    if (wait > 50000000LL) wait = 50000000LL;
    if (wait < 1000) wait = 1000;
    rc = ring_enter(&ring, 1, wait);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EBUSY && rc != -EAGAIN) die("io_uring_enter", -rc);
    RING_FOR_EACH_CQE(&ring, cqe, {
      struct conn *c = &conns[cqe->user_data >> 2];
      int op = (int)(cqe->user_data & 3);
      if (!c->dead) {
        if (opt.stream) stream_complete(c, op, cqe->res);
        else rr_complete(c, op, cqe->res);
      }
    });
  }
  double cpu = cpu_seconds() - cpu_from;
  double secs = (double)(measured_to - measured_from) / 1e9;
  if (secs <= 0) secs = 1e-9;
  printf("{\"mode\":\"%s\",\"conns\":%d,\"size\":%u,\"window\":%u,\"warmup_s\":%.3f,\"duration_s\":%.3f,"
         "\"msgs\":%llu,\"msgs_per_s\":%.1f,\"bytes_per_s\":%.1f,\"p50_us\":%.2f,\"p90_us\":%.2f,\"p99_us\":%.2f,"
         "\"p999_us\":%.2f,\"max_us\":%.2f,\"total_msgs\":%llu,\"errors\":%llu,\"dead\":%llu,\"cpu_pct\":%.1f,"
         "\"verify_every\":%u,\"ring_flags\":%u,\"first_error\":\"%s\"}\n",
         opt.stream ? "stream" : "rr", opt.conns, opt.size, opt.window, opt.warmup, secs,
         (unsigned long long)m_msgs, m_msgs / secs, m_bytes / secs, percentile_us(0.50), percentile_us(0.90),
         percentile_us(0.99), percentile_us(0.999), hmax / 1000.0, (unsigned long long)total_msgs,
         (unsigned long long)errors, (unsigned long long)dead, 100.0 * cpu / secs, opt.verify_every, ring.flags,
         first_error);
  fflush(stdout);
  return errors ? 1 : 0;
}
