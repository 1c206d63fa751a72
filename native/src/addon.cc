#include "addon.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

const char* ErrnoName(int err) {
  // strerrorname_np is glibc >= 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name ? name : "EUNKNOWN";
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall) {
  std::string msg = std::string(syscall) + ": " + ErrnoName(err) + " (" + strerror(err) + ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitSpawn(env, exports);
  InitExitWatch(env, exports);
  InitFdio(env, exports);
  InitMonitor(env, exports);
  InitFds(env, exports);
  InitSeccomp(env, exports);
  InitBpf(env, exports);
  return exports;
}

NODE_API_MODULE(engine_native, Init)
