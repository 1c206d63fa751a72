/* writer: the bench's log producer. Writes BYTES (default 1 GiB) to stdout in CHUNK-byte write()s
 * (default 64 KiB) of a deterministic pattern with a prime period, so a capture can be checked byte
 * for byte and a lost, repeated or reordered chunk shows (64 KiB is not a multiple of the period):
 *   byte at stream offset o = ((((o + SEED) % 65521) * 2654435761u) >> 13) & 0xff
 * The pattern is built once; the write loop only copies, so the writer costs what a real chatty
 * program's write() calls cost. Usage: writer [BYTES] [CHUNK] [SEED]. Exit 0 when every byte was
 * written, 1 on a write error. With a 4th argument "gate", it first reads one byte from stdin, so a
 * bench can start many writers and then release them all at once; with "signal" it waits for SIGUSR1
 * instead (containers have /dev/null as stdin). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define PERIOD 65521u

static volatile sig_atomic_t released;
static void on_usr1(int sig) { (void)sig; released = 1; }

int main(int argc, char **argv) {
  unsigned long long total = argc > 1 ? strtoull(argv[1], NULL, 0) : (1ULL << 30);
  size_t chunk = argc > 2 ? strtoul(argv[2], NULL, 0) : 65536;
  unsigned long long seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 0;
  if (chunk == 0 || chunk > (64u << 20)) return 2;
  if (argc > 4 && argv[4][0] == 'g') {
    char c;
    while (read(0, &c, 1) < 0 && errno == EINTR) {}
  } else if (argc > 4 && argv[4][0] == 's') {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    while (!released) sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  unsigned char *pat = malloc(chunk + PERIOD);
  if (!pat) return 2;
  for (size_t i = 0; i < chunk + PERIOD; i++)
    pat[i] = (unsigned char)(((uint32_t)(i % PERIOD) * 2654435761u) >> 13);
  unsigned long long off = 0;
  while (off < total) {
    size_t n = total - off < chunk ? (size_t)(total - off) : chunk;
    const unsigned char *p = pat + (off + seed) % PERIOD;
    size_t done = 0;
    while (done < n) {
      ssize_t w = write(1, p + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        return 1;
      }
      done += (size_t)w;
    }
    off += n;
  }
  return 0;
}
