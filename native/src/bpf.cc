// cgroup v2 device control: cgroup v2 has no devices.allow/deny files; a BPF program of type
// CGROUP_DEVICE attached to the cgroup decides each open and mknod instead (runc and crun do the
// same). The program is built in TypeScript (src/cgroups/device-filter.ts); this file only loads
// the instructions it is given and attaches them.

#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

int Bpf(int cmd, union bpf_attr* attr) {
  return static_cast<int>(syscall(SYS_bpf, cmd, attr, sizeof *attr));
}

// attachDeviceFilter(cgroupDir, insns: Buffer of 8-byte instructions): loads the program and
// attaches it to the cgroup with BPF_F_ALLOW_MULTI. Throws with the errno and the verifier's log.
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string dir = info[0].ToString().Utf8Value();
  Napi::Buffer<uint8_t> insns = info[1].As<Napi::Buffer<uint8_t>>();
  if (insns.Length() == 0 || insns.Length() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "attachDeviceFilter: instructions must be a non-empty multiple of 8 bytes").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  static char log[4096];
  log[0] = 0;
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(insns.Data());
  load.insn_cnt = static_cast<uint32_t>(insns.Length() / sizeof(struct bpf_insn));
  load.license = reinterpret_cast<uint64_t>("Apache");
  load.log_buf = reinterpret_cast<uint64_t>(log);
  load.log_size = sizeof log;
  load.log_level = 1;
  int prog = Bpf(BPF_PROG_LOAD, &load);
  if (prog < 0) {
    int err = errno;
    Napi::Error e = ErrnoError(env, err, "bpf(BPF_PROG_LOAD)");
    e.Set("verifierLog", Napi::String::New(env, log));
    e.ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int cg = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cg < 0) {
    int err = errno;
    close(prog);
    ErrnoError(env, err, "open(cgroup)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(cg);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  int rc = Bpf(BPF_PROG_ATTACH, &attach);
  int err = errno;
  close(cg);
  close(prog);  // the attachment holds the program
  if (rc < 0) ErrnoError(env, err, "bpf(BPF_PROG_ATTACH)").ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void InitBpf(Napi::Env env, Napi::Object exports) {
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
}
