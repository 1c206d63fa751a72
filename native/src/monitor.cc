// monitor.cc: /dev/container_monitor (module/monitor.ko) from JavaScript, which cannot ioctl().
// Thin system-call wrappers, no policy: values go to the kernel as given and the kernel's errno
// comes back as an ErrnoError (code 'EINVAL', 'ESRCH', 'EEXIST', 'ENOENT', 'EPERM', ...).
// The ABI is module/monitor_ioctl.h, shared with the module.
//
//   monitorOpen(path = '/dev/container_monitor') -> fd   (O_RDWR | O_CLOEXEC | O_NONBLOCK)
//   monitorRegister(fd, pid, softBytes, hardBytes, id)    (bytes: number or bigint; id: string,
//                                                          at most 63 UTF-8 bytes, else EINVAL)
//   monitorUnregister(fd, pid)
//   monitorReadEvents(fd) -> MonitorEventRecord[]         (non-blocking: [] when none queued)
//       { kind: 'soft'|'hard'|'gone', pid, rssBytes, limitBytes, timeNs: bigint (CLOCK_REALTIME),
//         monoNs: bigint (CLOCK_MONOTONIC), timeMs (realtime, ms), dropped (records lost to
//         overflow since load), containerId }
//   monitorStats(fd) -> { entries, queued, queueLen, intervalMs, dropped, scans, softEvents,
//                         hardKills, goneEvents }
//   monitorClose(fd)
#include "addon.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "monitor_ioctl.h"

static_assert(sizeof(struct monitor_request) == 88, "monitor_request must be 88 bytes (CONTRACT.md)");
static_assert(offsetof(struct monitor_request, pid) == 0, "pid at 0");
static_assert(offsetof(struct monitor_request, reserved) == 4, "reserved at 4");
static_assert(offsetof(struct monitor_request, soft_limit_bytes) == 8, "soft_limit_bytes at 8");
static_assert(offsetof(struct monitor_request, hard_limit_bytes) == 16, "hard_limit_bytes at 16");
static_assert(offsetof(struct monitor_request, container_id) == 24, "container_id at 24");
static_assert(sizeof(struct monitor_event) == 112, "monitor_event must be 112 bytes");
static_assert(offsetof(struct monitor_event, rss_bytes) == 8, "rss_bytes at 8");
static_assert(offsetof(struct monitor_event, dropped) == 40, "dropped at 40");
static_assert(offsetof(struct monitor_event, container_id) == 48, "container_id at 48");
static_assert(sizeof(struct monitor_stats) == 64, "monitor_stats must be 64 bytes");

namespace {

bool ArgInt(const Napi::CallbackInfo& info, size_t i, const char* what, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

// A byte count as a non-negative integer number or a bigint.
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* what, uint64_t* out) {
  Napi::Env env = info.Env();
  if (info.Length() > i && info[i].IsBigInt()) {
    bool lossless = true;
    *out = info[i].As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) return true;
  } else if (info.Length() > i && info[i].IsNumber()) {
    double d = info[i].As<Napi::Number>().DoubleValue();
    if (d >= 0 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d))) {
      *out = static_cast<uint64_t>(d);
      return true;
    }
  }
  Napi::TypeError::New(env, std::string(what) + " must be a non-negative integer (number or bigint)")
      .ThrowAsJavaScriptException();
  return false;
}

bool ArgFd(const Napi::CallbackInfo& info, int* fd) {
  int64_t v;
  if (!ArgInt(info, 0, "fd", &v)) return false;
  *fd = static_cast<int>(v);
  return true;
}

Napi::Value Fail(Napi::Env env, int err, const char* syscall) {
  ErrnoError(env, err, syscall).ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value MonitorOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = MONITOR_DEVICE_PATH;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsString()) {
      Napi::TypeError::New(env, "path must be a string").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    path = info[0].As<Napi::String>().Utf8Value();
  }
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Fail(env, errno, "open");
  return Napi::Number::New(env, fd);
}

Napi::Value MonitorRegister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t pid;
  uint64_t soft, hard;
  if (!ArgFd(info, &fd) || !ArgInt(info, 1, "pid", &pid) || !ArgBytes(info, 2, "softBytes", &soft) ||
      !ArgBytes(info, 3, "hardBytes", &hard))
    return env.Undefined();
  if (info.Length() <= 4 || !info[4].IsString()) {
    Napi::TypeError::New(env, "id must be a string").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string id = info[4].As<Napi::String>().Utf8Value();

  struct monitor_request req;
  memset(&req, 0, sizeof(req));
  // Out-of-range pids become 0 or negative and the kernel answers EINVAL.
  req.pid = (pid > 0 && pid <= INT32_MAX) ? static_cast<int32_t>(pid) : 0;
  req.soft_limit_bytes = soft;
  req.hard_limit_bytes = hard;
  // 64 bytes or more leave no NUL: the kernel's EINVAL, not a silent truncation.
  memcpy(req.container_id, id.data(), id.size() < sizeof(req.container_id) ? id.size() : sizeof(req.container_id));
  if (ioctl(fd, MONITOR_REGISTER, &req) != 0) return Fail(env, errno, "ioctl(MONITOR_REGISTER)");
  return env.Undefined();
}

Napi::Value MonitorUnregister(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  int64_t pid;
  if (!ArgFd(info, &fd) || !ArgInt(info, 1, "pid", &pid)) return env.Undefined();
  struct monitor_request req;
  memset(&req, 0, sizeof(req));
  req.pid = (pid > 0 && pid <= INT32_MAX) ? static_cast<int32_t>(pid) : 0;
  if (ioctl(fd, MONITOR_UNREGISTER, &req) != 0) return Fail(env, errno, "ioctl(MONITOR_UNREGISTER)");
  return env.Undefined();
}

const char* KindName(uint32_t kind) {
  switch (kind) {
    case MONITOR_EVENT_SOFT: return "soft";
    case MONITOR_EVENT_HARD: return "hard";
    case MONITOR_EVENT_GONE: return "gone";
    default: return "unknown";
  }
}

Napi::Object EventObject(Napi::Env env, const struct monitor_event& ev) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", Napi::String::New(env, KindName(ev.kind)));
  o.Set("pid", Napi::Number::New(env, ev.pid));
  o.Set("rssBytes", Napi::Number::New(env, static_cast<double>(ev.rss_bytes)));
  o.Set("limitBytes", Napi::Number::New(env, static_cast<double>(ev.limit_bytes)));
  o.Set("timeNs", Napi::BigInt::New(env, static_cast<uint64_t>(ev.time_ns)));
  o.Set("monoNs", Napi::BigInt::New(env, static_cast<uint64_t>(ev.mono_ns)));
  o.Set("timeMs", Napi::Number::New(env, static_cast<double>(ev.time_ns / 1000000ULL)));
  o.Set("dropped", Napi::Number::New(env, static_cast<double>(ev.dropped)));
  o.Set("containerId", Napi::String::New(env, ev.container_id, strnlen(ev.container_id, sizeof(ev.container_id))));
  return o;
}

Napi::Value MonitorReadEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, &fd)) return env.Undefined();
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  struct monitor_event buf[32];
  for (;;) {
    ssize_t got = read(fd, buf, sizeof(buf));
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      return Fail(env, errno, "read");
    }
    size_t records = static_cast<size_t>(got) / sizeof(buf[0]);
    for (size_t i = 0; i < records; i++) out.Set(n++, EventObject(env, buf[i]));
    if (records < sizeof(buf) / sizeof(buf[0])) break;  // the queue is empty now
  }
  return out;
}

Napi::Value MonitorStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, &fd)) return env.Undefined();
  struct monitor_stats st;
  memset(&st, 0, sizeof(st));
  if (ioctl(fd, MONITOR_STATS, &st) != 0) return Fail(env, errno, "ioctl(MONITOR_STATS)");
  Napi::Object o = Napi::Object::New(env);
  o.Set("entries", Napi::Number::New(env, st.entries));
  o.Set("queued", Napi::Number::New(env, st.queued));
  o.Set("queueLen", Napi::Number::New(env, st.queue_len));
  o.Set("intervalMs", Napi::Number::New(env, st.interval_ms));
  o.Set("dropped", Napi::Number::New(env, static_cast<double>(st.dropped)));
  o.Set("scans", Napi::Number::New(env, static_cast<double>(st.scans)));
  o.Set("softEvents", Napi::Number::New(env, static_cast<double>(st.soft_events)));
  o.Set("hardKills", Napi::Number::New(env, static_cast<double>(st.hard_kills)));
  o.Set("goneEvents", Napi::Number::New(env, static_cast<double>(st.gone_events)));
  return o;
}

Napi::Value MonitorClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd;
  if (!ArgFd(info, &fd)) return env.Undefined();
  if (close(fd) != 0 && errno != EINTR) return Fail(env, errno, "close");
  return env.Undefined();
}

}  // namespace

void InitMonitor(Napi::Env env, Napi::Object exports) {
  exports.Set("monitorOpen", Napi::Function::New(env, MonitorOpen, "monitorOpen"));
  exports.Set("monitorRegister", Napi::Function::New(env, MonitorRegister, "monitorRegister"));
  exports.Set("monitorUnregister", Napi::Function::New(env, MonitorUnregister, "monitorUnregister"));
  exports.Set("monitorReadEvents", Napi::Function::New(env, MonitorReadEvents, "monitorReadEvents"));
  exports.Set("monitorStats", Napi::Function::New(env, MonitorStats, "monitorStats"));
  exports.Set("monitorClose", Napi::Function::New(env, MonitorClose, "monitorClose"));
}
