// Seccomp filter compilation with libseccomp, in the calling (supervisor) process.
//
// Why here and not in the child: libseccomp allocates and is not async-signal-safe, while the
// container's child after clone() may only make async-signal-safe calls. So the supervisor compiles
// the filter once to raw BPF (struct sock_filter[]) and the child installs those bytes with
// seccomp(SECCOMP_SET_MODE_FILTER) as its last step before execve.
//
// No policy here: TypeScript (src/security/seccomp-compile.ts) decides the default action, the
// architectures and every rule, with action and operator values already in libseccomp's encoding.
// Like runc, a system call name this libseccomp does not know is skipped, so one profile works
// across libseccomp and kernel versions.

#include "addon.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

struct FilterDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Filter = std::unique_ptr<void, FilterDeleter>;

struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

uint32_t U32(Napi::Object o, const char* key) { return o.Get(key).As<Napi::Number>().Uint32Value(); }

// A 64-bit comparison datum: a BigInt, or a Number for small values.
bool U64(Napi::Value v, uint64_t* out) {
  if (v.IsUndefined()) {
    *out = 0;
    return true;
  }
  if (v.IsBigInt()) {
    bool lossless = false;
    *out = v.As<Napi::BigInt>().Uint64Value(&lossless);
    return lossless;
  }
  if (v.IsNumber()) {
    double d = v.As<Napi::Number>().DoubleValue();
    if (d < 0 || d > 9007199254740991.0) return false;
    *out = static_cast<uint64_t>(d);
    return true;
  }
  return false;
}

// compileSeccomp({ defaultAction, arches: string[], rules: [{ name, action, args: [{ index, op,
// value, valueTwo }] }] }) -> Buffer of struct sock_filter[]. Throws on anything libseccomp refuses.
Napi::Value CompileSeccomp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "compileSeccomp: expected a filter description").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object desc = info[0].As<Napi::Object>();

  Filter ctx(seccomp_init(U32(desc, "defaultAction")));
  if (!ctx) {
    ErrnoError(env, EINVAL, "seccomp_init").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // The child sets no_new_privs itself when the spec asks; the exported program carries no attributes.
  seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);

  Napi::Array arches = desc.Get("arches").As<Napi::Array>();
  for (uint32_t i = 0; i < arches.Length(); i++) {
    std::string name = arches.Get(i).As<Napi::String>().Utf8Value();
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token == 0) {
      Napi::Error::New(env, "seccomp: libseccomp does not know the architecture " + name).ThrowAsJavaScriptException();
      return env.Undefined();
    }
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) {
      ErrnoError(env, -rc, ("seccomp_arch_add " + name).c_str()).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }

  Napi::Array rules = desc.Get("rules").As<Napi::Array>();
  std::vector<scmp_arg_cmp> cmps;
  for (uint32_t i = 0; i < rules.Length(); i++) {
    Napi::Object rule = rules.Get(i).As<Napi::Object>();
    std::string name = rule.Get("name").As<Napi::String>().Utf8Value();
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // unknown to this libseccomp: skipped, as runc does

    cmps.clear();
    Napi::Array args = rule.Get("args").As<Napi::Array>();
    for (uint32_t j = 0; j < args.Length(); j++) {
      Napi::Object a = args.Get(j).As<Napi::Object>();
      scmp_arg_cmp c{};
      c.arg = U32(a, "index");
      c.op = static_cast<scmp_compare>(U32(a, "op"));
      if (!U64(a.Get("value"), &c.datum_a) || !U64(a.Get("valueTwo"), &c.datum_b)) {
        Napi::RangeError::New(env, "seccomp: argument value of " + name + " is not a uint64").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      cmps.push_back(c);
    }
    int rc = seccomp_rule_add_array(ctx.get(), U32(rule, "action"), nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc < 0) {
      ErrnoError(env, -rc, ("seccomp_rule_add " + name).c_str()).ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }

  Fd out(memfd_create("engine-seccomp-bpf", MFD_CLOEXEC));
  if (out.fd < 0) {
    ErrnoError(env, errno, "memfd_create").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int rc = seccomp_export_bpf(ctx.get(), out.fd);
  if (rc < 0) {
    ErrnoError(env, -rc, "seccomp_export_bpf").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  off_t size = lseek(out.fd, 0, SEEK_END);
  if (size < 0) {
    ErrnoError(env, errno, "lseek").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> bytes = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(size));
  size_t done = 0;
  while (done < static_cast<size_t>(size)) {
    ssize_t n = pread(out.fd, bytes.Data() + done, static_cast<size_t>(size) - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ErrnoError(env, n < 0 ? errno : EIO, "pread").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    done += static_cast<size_t>(n);
  }
  return bytes;
}

}  // namespace

void InitSeccomp(Napi::Env env, Napi::Object exports) {
  exports.Set("compileSeccomp", Napi::Function::New(env, CompileSeccomp, "compileSeccomp"));
}
