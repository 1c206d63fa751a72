/* seed_ring: a C reference of the seed's log design, for the bench's variant (c).
 * A producer pthread reads stdin into a 64-slot ring of 4 KiB items (one read() per item), a
 * consumer pthread writes the items to the output file; one mutex and two condition variables
 * (not_full, not_empty) guard the ring. Usage: seed_ring OUTFILE < pipe */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

#define SLOTS 64
#define ITEM 4096

struct item { size_t len; char data[ITEM]; };
static struct item ring[SLOTS];
static size_t head, tail, count;
static int done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int out_fd;

static void *producer(void *arg) {
  (void)arg;
  char buf[ITEM];
  for (;;) {
    ssize_t n = read(0, buf, ITEM);
    if (n < 0 && errno == EINTR) continue;
    pthread_mutex_lock(&mu);
    if (n <= 0) {
      done = 1;
      pthread_cond_signal(&not_empty);
      pthread_mutex_unlock(&mu);
      return NULL;
    }
    while (count == SLOTS) pthread_cond_wait(&not_full, &mu);
    ring[tail].len = (size_t)n;
    memcpy(ring[tail].data, buf, (size_t)n);
    tail = (tail + 1) % SLOTS;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&mu);
  }
}

static void *consumer(void *arg) {
  (void)arg;
  char buf[ITEM];
  for (;;) {
    pthread_mutex_lock(&mu);
    while (count == 0 && !done) pthread_cond_wait(&not_empty, &mu);
    if (count == 0 && done) { pthread_mutex_unlock(&mu); return NULL; }
    size_t len = ring[head].len;
    memcpy(buf, ring[head].data, len);
    head = (head + 1) % SLOTS;
    count--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&mu);
    size_t off = 0;
    while (off < len) {
      ssize_t w = write(out_fd, buf + off, len - off);
      if (w < 0) { if (errno == EINTR) continue; perror("write"); return NULL; }
      off += (size_t)w;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: seed_ring OUTFILE < input\n"); return 2; }
  out_fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0) { perror(argv[1]); return 1; }
  pthread_t p, c;
  pthread_create(&p, NULL, producer, NULL);
  pthread_create(&c, NULL, consumer, NULL);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  return close(out_fd) < 0;
}
