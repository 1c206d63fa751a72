// fdio.cc: the system calls the log pipeline's workers need and JavaScript cannot make.
// No policy here and no mutable static state: every function works on the fds and buffers it is
// given, so the module is safe in any number of worker threads at once.
//
// Fast-path calls (readInto, readv2, epollWait) report failure by returning -errno instead of
// throwing, so the producer loop can test for -EAGAIN without an exception per empty pipe.
// Set-up calls throw ErrnoError.
//
//   setPipeSize(fd, bytes) -> bytes actually set (F_SETPIPE_SZ; falls back to F_GETPIPE_SZ on EPERM)
//   setNonblock(fd, on = true)
//   readInto(fd, u8, offset, length) -> bytes read | 0 at EOF | -errno
//   readv2(fd, u8, off1, len1, off2, len2) -> as readInto, into two segments of u8 (a ring's wrap)
//   epollCreate() -> epfd (EPOLL_CLOEXEC)
//   epollAdd(epfd, fd, slot) / epollDel(epfd, fd): level-triggered EPOLLIN; data = (fd << 32) | slot
//   epollWait(epfd, out: Int32Array, timeoutMs) -> n | -errno; out[3i] = slot, out[3i+1] = fd,
//                                                  out[3i+2] = events; blocks at most timeoutMs
//   eventfdCreate() -> fd (EFD_CLOEXEC | EFD_NONBLOCK)
//   eventfdSignal(fd) / eventfdDrain(fd)
//   closeFd(fd)
//   pipe() -> [readFd, writeFd], both O_CLOEXEC (tests and the bench feed the pipeline with it)
#include "addon.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

namespace {

bool GetInt(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (info.Length() <= i || !info[i].IsNumber()) {
    Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = info[i].As<Napi::Number>().Int64Value();
  return true;
}

// A Uint8Array (over an ArrayBuffer or a SharedArrayBuffer) and a byte range inside it.
bool GetRange(const Napi::CallbackInfo& info, size_t bufArg, int64_t off, int64_t len, uint8_t** out) {
  Napi::Env env = info.Env();
  if (info.Length() <= bufArg || !info[bufArg].IsTypedArray()) {
    Napi::TypeError::New(env, "buffer must be a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::TypedArray ta = info[bufArg].As<Napi::TypedArray>();
  if (ta.TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "buffer must be a Uint8Array").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Uint8Array u8 = ta.As<Napi::Uint8Array>();
  int64_t size = static_cast<int64_t>(u8.ElementLength());
  if (off < 0 || len < 0 || off > size || len > size - off) {
    Napi::RangeError::New(env, "range outside the buffer").ThrowAsJavaScriptException();
    return false;
  }
  *out = u8.Data() + off;
  return true;
}

Napi::Value SetPipeSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, bytes;
  if (!GetInt(info, 0, &fd) || !GetInt(info, 1, &bytes)) return env.Undefined();
  int r = fcntl(static_cast<int>(fd), F_SETPIPE_SZ, static_cast<int>(bytes));
  if (r < 0 && errno == EPERM) r = fcntl(static_cast<int>(fd), F_GETPIPE_SZ);  // over pipe-max-size
  if (r < 0) {
    ErrnoError(env, errno, "fcntl(F_SETPIPE_SZ)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, r);
}

Napi::Value SetNonblock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!GetInt(info, 0, &fd)) return env.Undefined();
  bool on = info.Length() < 2 || info[1].ToBoolean().Value();
  int flags = fcntl(static_cast<int>(fd), F_GETFL);
  if (flags < 0) {
    ErrnoError(env, errno, "fcntl(F_GETFL)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (want != flags && fcntl(static_cast<int>(fd), F_SETFL, want) < 0) {
    ErrnoError(env, errno, "fcntl(F_SETFL)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value ReadInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, off, len;
  uint8_t* p;
  if (!GetInt(info, 0, &fd) || !GetInt(info, 2, &off) || !GetInt(info, 3, &len)) return env.Undefined();
  if (!GetRange(info, 1, off, len, &p)) return env.Undefined();
  ssize_t n;
  do n = read(static_cast<int>(fd), p, static_cast<size_t>(len));
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
}

Napi::Value Readv2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, off1, len1, off2, len2;
  uint8_t *p1, *p2;
  if (!GetInt(info, 0, &fd) || !GetInt(info, 2, &off1) || !GetInt(info, 3, &len1) ||
      !GetInt(info, 4, &off2) || !GetInt(info, 5, &len2))
    return env.Undefined();
  if (!GetRange(info, 1, off1, len1, &p1) || !GetRange(info, 1, off2, len2, &p2)) return env.Undefined();
  struct iovec iov[2] = {{p1, static_cast<size_t>(len1)}, {p2, static_cast<size_t>(len2)}};
  ssize_t n;
  do n = readv(static_cast<int>(fd), iov, len2 > 0 ? 2 : 1);
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? -errno : static_cast<double>(n));
}

Napi::Value EpollCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    ErrnoError(env, errno, "epoll_create1").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value EpollAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t epfd, fd, slot;
  if (!GetInt(info, 0, &epfd) || !GetInt(info, 1, &fd) || !GetInt(info, 2, &slot)) return env.Undefined();
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ev.data.u64 = (static_cast<uint64_t>(static_cast<uint32_t>(fd)) << 32) | static_cast<uint32_t>(slot);
  if (epoll_ctl(static_cast<int>(epfd), EPOLL_CTL_ADD, static_cast<int>(fd), &ev) < 0) {
    ErrnoError(env, errno, "epoll_ctl(ADD)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value EpollDel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t epfd, fd;
  if (!GetInt(info, 0, &epfd) || !GetInt(info, 1, &fd)) return env.Undefined();
  if (epoll_ctl(static_cast<int>(epfd), EPOLL_CTL_DEL, static_cast<int>(fd), nullptr) < 0 && errno != ENOENT &&
      errno != EBADF) {
    ErrnoError(env, errno, "epoll_ctl(DEL)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value EpollWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t epfd, timeout;
  if (!GetInt(info, 0, &epfd) || !GetInt(info, 2, &timeout)) return env.Undefined();
  if (info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Napi::TypeError::New(env, "out must be an Int32Array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Int32Array out = info[1].As<Napi::Int32Array>();
  size_t max = out.ElementLength() / 3;
  if (max == 0) return Napi::Number::New(env, 0);
  if (max > 256) max = 256;
  struct epoll_event evs[256];
  int n = epoll_wait(static_cast<int>(epfd), evs, static_cast<int>(max), static_cast<int>(timeout));
  if (n < 0) return Napi::Number::New(env, errno == EINTR ? 0 : -errno);
  int32_t* o = out.Data();
  for (int i = 0; i < n; i++) {
    o[3 * i] = static_cast<int32_t>(evs[i].data.u64 & 0xffffffffu);
    o[3 * i + 1] = static_cast<int32_t>(evs[i].data.u64 >> 32);
    o[3 * i + 2] = static_cast<int32_t>(evs[i].events);
  }
  return Napi::Number::New(env, n);
}

Napi::Value EventfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) {
    ErrnoError(env, errno, "eventfd").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value EventfdSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!GetInt(info, 0, &fd)) return env.Undefined();
  uint64_t one = 1;
  ssize_t n;
  do n = write(static_cast<int>(fd), &one, sizeof one);
  while (n < 0 && errno == EINTR);
  // EAGAIN means the counter is saturated: the reader will wake anyway.
  if (n < 0 && errno != EAGAIN) ErrnoError(env, errno, "write(eventfd)").ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value EventfdDrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!GetInt(info, 0, &fd)) return env.Undefined();
  uint64_t v = 0;
  ssize_t n;
  do n = read(static_cast<int>(fd), &v, sizeof v);
  while (n < 0 && errno == EINTR);
  return Napi::Number::New(env, n < 0 ? 0 : static_cast<double>(v));
}

Napi::Value CloseFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd;
  if (!GetInt(info, 0, &fd)) return env.Undefined();
  if (close(static_cast<int>(fd)) < 0 && errno != EINTR) {
    ErrnoError(env, errno, "close").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    ErrnoError(env, errno, "pipe2").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, fds[0]));
  a.Set(1u, Napi::Number::New(env, fds[1]));
  return a;
}

}  // namespace

void InitFdio(Napi::Env env, Napi::Object exports) {
  exports.Set("setPipeSize", Napi::Function::New(env, SetPipeSize, "setPipeSize"));
  exports.Set("setNonblock", Napi::Function::New(env, SetNonblock, "setNonblock"));
  exports.Set("readInto", Napi::Function::New(env, ReadInto, "readInto"));
  exports.Set("readv2", Napi::Function::New(env, Readv2, "readv2"));
  exports.Set("epollCreate", Napi::Function::New(env, EpollCreate, "epollCreate"));
  exports.Set("epollAdd", Napi::Function::New(env, EpollAdd, "epollAdd"));
  exports.Set("epollDel", Napi::Function::New(env, EpollDel, "epollDel"));
  exports.Set("epollWait", Napi::Function::New(env, EpollWait, "epollWait"));
  exports.Set("eventfdCreate", Napi::Function::New(env, EventfdCreate, "eventfdCreate"));
  exports.Set("eventfdSignal", Napi::Function::New(env, EventfdSignal, "eventfdSignal"));
  exports.Set("eventfdDrain", Napi::Function::New(env, EventfdDrain, "eventfdDrain"));
  exports.Set("closeFd", Napi::Function::New(env, CloseFd, "closeFd"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
}
