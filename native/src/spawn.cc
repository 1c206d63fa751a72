// Creating a container's first process: a vfork-style clone (CLONE_VM | CLONE_VFORK) into the
// namespaces the caller asks for, that puts the given descriptors at 0..n-1 and execs engine-init
// (native/init), which carries out the plan. The addon holds no policy: flags, descriptors and
// the plan are all decided in TypeScript.
//
// Why vfork-style: the child shares the runtime's memory until it execs, so nothing of the
// (large, multithreaded) Node process is copied. CLONE_VFORK suspends only the calling thread
// until the child execs, which on a busy machine can take as long as the scheduler takes to run
// the child (tens of milliseconds seen under load): so the clone runs on a worker thread of the
// libuv pool (spawnInit calls back on the loop), and the event loop never waits for it. The child
// runs on its own small stack and makes only system calls: no allocation, no Node signal handler
// (all signals are blocked on the cloning thread, and engine-init resets them).

#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "../init/plan.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace {

struct ChildArgs {
  int execFd;               // engine-init as a descriptor (a sealed memfd), or -1
  const char* execPath;     // or as a path
  char* const* argv;
  char* const* envp;
  const int* fds;           // child fd i <- parent fd fds[i] (-1: closed)
  int nfds;
  volatile int err;         // set by the child when exec fails (the memory is shared)
};

int ChildMain(void* arg) {
  ChildArgs* a = static_cast<ChildArgs*>(arg);
  // Move every source above the target range first, so that a source that is also a target
  // number is not overwritten before it is copied.
  int high[256];
  int base = a->nfds > 64 ? a->nfds : 64;
  for (int i = 0; i < a->nfds; i++) {
    high[i] = a->fds[i] < 0 ? -1 : fcntl(a->fds[i], F_DUPFD_CLOEXEC, base);
    if (a->fds[i] >= 0 && high[i] < 0) goto fail;
  }
  for (int i = 0; i < a->nfds; i++) {
    if (high[i] < 0) {
      close(i);
      continue;
    }
    if (dup2(high[i], i) < 0) goto fail;  // dup2 clears close-on-exec on i
  }
  // Nothing else of the runtime's reaches engine-init.
  if (syscall(SYS_close_range, static_cast<unsigned>(a->nfds), ~0U, CLOSE_RANGE_CLOEXEC) < 0) goto fail;
  if (a->execFd >= 0)
    syscall(SYS_execveat, a->execFd, "", a->argv, a->envp, AT_EMPTY_PATH);
  else
    execve(a->execPath, a->argv, a->envp);
fail:
  a->err = errno ? errno : EINVAL;
  _exit(EXIT_SETUP_FAILED);
}

std::vector<std::string> Strings(Napi::Env env, Napi::Value v, const char* what) {
  std::vector<std::string> out;
  if (!v.IsArray()) {
    Napi::TypeError::New(env, std::string(what) + " must be an array of strings").ThrowAsJavaScriptException();
    return out;
  }
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value item = a.Get(i);
    if (!item.IsString()) {
      Napi::TypeError::New(env, std::string(what) + " must be an array of strings").ThrowAsJavaScriptException();
      return {};
    }
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

std::vector<char*> Pointers(std::vector<std::string>& store) {
  std::vector<char*> out;
  for (auto& s : store) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct SpawnResult {
  pid_t pid = -1;
  int pidfd = -1;
  int err = 0;
  const char* syscall = "clone";
};

// The clone itself: on whichever thread calls it, which is suspended until the child execs.
SpawnResult DoSpawn(ChildArgs* args, int cloneFlags) {
  SpawnResult r;
  const size_t stackSize = 64 * 1024;
  std::unique_ptr<char[]> stack(new char[stackSize]);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r.pid = clone(ChildMain, stack.get() + stackSize, CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD | cloneFlags, args, &r.pidfd);
  int cloneErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (r.pid < 0) {
    r.err = cloneErr;
    return r;
  }
  if (args->err != 0) {
    // The child has exited (CLONE_VFORK resumes us at its exit): reap it, report the exec.
    siginfo_t si;
    waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(r.pidfd), &si, WEXITED);
    close(r.pidfd);
    r.err = args->err;
    r.syscall = "execve(engine-init)";
    r.pid = -1;
  }
  return r;
}

// Everything the child reads, owned here until the clone has returned.
class SpawnWorker : public Napi::AsyncWorker {
 public:
  SpawnWorker(Napi::Function cb) : Napi::AsyncWorker(cb) {}
  std::string execPath;
  int execFd = -1;
  std::vector<std::string> argvStore, envStore;
  std::vector<char*> argv, envp;
  std::vector<int> fds;
  int cloneFlags = 0;
  SpawnResult result;

  void Execute() override {
    ChildArgs args = {execFd, execPath.c_str(), argv.data(), envp.data(), fds.data(), static_cast<int>(fds.size()), 0};
    result = DoSpawn(&args, cloneFlags);
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (result.pid < 0) {
      Callback().Call({ErrnoError(env, result.err, result.syscall).Value(), env.Undefined()});
      return;
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("pid", Napi::Number::New(env, result.pid));
    out.Set("pidfd", Napi::Number::New(env, result.pidfd));
    Callback().Call({env.Null(), out});
  }
};

// spawnInit({ exec: fd | path, argv, env, fds, cloneFlags }, callback(err, { pid, pidfd }))
//   cloneFlags: CLONE_NEW* flags (the caller's choice of new namespaces); the addon adds
//   CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD. The callback gets an Error when clone or the
//   exec fails. Bad options throw at once.
Napi::Value SpawnInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "spawnInit(options, callback) needs an options object and a callback").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  std::string execPath;
  int execFd = -1;
  Napi::Value exec = o.Get("exec");
  if (exec.IsNumber()) {
    execFd = exec.As<Napi::Number>().Int32Value();
  } else if (exec.IsString()) {
    execPath = exec.As<Napi::String>().Utf8Value();
  } else {
    Napi::TypeError::New(env, "exec must be a descriptor or a path").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<std::string> argvStore = Strings(env, o.Get("argv"), "argv");
  if (env.IsExceptionPending()) return env.Undefined();
  std::vector<std::string> envStore = Strings(env, o.Get("env"), "env");
  if (env.IsExceptionPending()) return env.Undefined();
  if (argvStore.empty()) {
    Napi::TypeError::New(env, "argv must not be empty").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<int> fds;
  Napi::Value fv = o.Get("fds");
  if (!fv.IsArray() || fv.As<Napi::Array>().Length() > 256) {
    Napi::TypeError::New(env, "fds must be an array of at most 256 descriptors").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  for (uint32_t i = 0; i < fv.As<Napi::Array>().Length(); i++) fds.push_back(fv.As<Napi::Array>().Get(i).ToNumber().Int32Value());
  int cloneFlags = o.Get("cloneFlags").ToNumber().Int32Value();
  const int allowed = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUSER | CLONE_NEWCGROUP;
  if (cloneFlags & ~allowed) {
    Napi::TypeError::New(env, "cloneFlags may hold only CLONE_NEW* namespace flags").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  SpawnWorker* w = new SpawnWorker(info[1].As<Napi::Function>());
  w->execPath = execPath;
  w->execFd = execFd;
  w->argvStore = std::move(argvStore);
  w->envStore = std::move(envStore);
  w->argv = Pointers(w->argvStore);
  w->envp = Pointers(w->envStore);
  w->fds = std::move(fds);
  w->cloneFlags = cloneFlags;
  w->Queue();
  return env.Undefined();
}

// pidfdSignal(pidfd, signo) -> true, or false when the process is already gone (ESRCH).
// Signalling through the pidfd cannot hit a recycled PID.
Napi::Value PidfdSignal(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int pidfd = info[0].ToNumber().Int32Value();
  int sig = info[1].ToNumber().Int32Value();
  if (syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0) {
    if (errno == ESRCH) return Napi::Boolean::New(env, false);
    ErrnoError(env, errno, "pidfd_send_signal").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, true);
}

// pidfdOpen(pid) -> fd (close-on-exec). Throws ESRCH when there is no such process.
Napi::Value PidfdOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = static_cast<int>(syscall(SYS_pidfd_open, info[0].ToNumber().Int32Value(), 0));
  if (fd < 0) {
    ErrnoError(env, errno, "pidfd_open").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// memfdFrom(name, buffer, seal) -> fd holding the bytes (close-on-exec); sealed against any
// change when seal is true (the executable engine-init runs from, the plan).
Napi::Value MemfdFrom(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = info[0].ToString().Utf8Value();
  if (!info[1].IsBuffer()) {
    Napi::TypeError::New(env, "memfdFrom(name, buffer): buffer must be a Buffer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  bool seal = info[2].ToBoolean();
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC | (seal ? MFD_ALLOW_SEALING : 0));
  if (fd < 0) {
    ErrnoError(env, errno, "memfd_create").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t off = 0;
  while (off < buf.Length()) {
    ssize_t n = write(fd, buf.Data() + off, buf.Length() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      ErrnoError(env, err, "write(memfd)").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    off += static_cast<size_t>(n);
  }
  if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int err = errno;
    close(fd);
    ErrnoError(env, err, "fcntl(F_ADD_SEALS)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// nsType(fd) -> the CLONE_NEW* flag of the namespace the descriptor refers to (NS_GET_NSTYPE);
// throws ENOTTY when it is not a namespace.
Napi::Value NsType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int t = ioctl(info[0].ToNumber().Int32Value(), NS_GET_NSTYPE);
  if (t < 0) {
    ErrnoError(env, errno, "ioctl(NS_GET_NSTYPE)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, t);
}

// socketPair() -> [fd, fd]: a close-on-exec AF_UNIX stream pair (a console socket for a pty).
Napi::Value SocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
    ErrnoError(env, errno, "socketpair").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, sv[0]));
  out.Set(1u, Napi::Number::New(env, sv[1]));
  return out;
}

// unixConnect(path) -> fd: a blocking connect to a UNIX stream socket (a --console-socket).
Napi::Value UnixConnect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].ToString().Utf8Value();
  struct sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    ErrnoError(env, ENAMETOOLONG, "connect").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) {
    int err = errno;
    if (fd >= 0) close(fd);
    ErrnoError(env, err, "connect").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// recvFd(socketFd) -> the descriptor sent with SCM_RIGHTS (blocking), close-on-exec.
Napi::Value RecvFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sock = info[0].ToNumber().Int32Value();
  char byte[64];
  struct iovec iov = {byte, sizeof byte};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof u.buf;
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    ErrnoError(env, errno, "recvmsg").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS) {
    ErrnoError(env, EBADMSG, "recvmsg(SCM_RIGHTS)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return Napi::Number::New(env, fd);
}

Napi::Value StepName(const Napi::CallbackInfo& info) {
  switch (info[0].ToNumber().Int32Value()) {
#define STEP(k, name) case k: return Napi::String::New(info.Env(), name);
    STEP(STEP_READY, "ready") STEP(STEP_PLAN, "plan") STEP(STEP_JOIN_NS, "setns") STEP(STEP_SETSID, "setsid")
    STEP(STEP_MOUNT_PRIVATE, "mount-private") STEP(STEP_ROOTFS, "rootfs") STEP(STEP_MOUNT, "mount")
    STEP(STEP_DEV, "mount-dev") STEP(STEP_DEVICE, "mknod") STEP(STEP_PIVOT_ROOT, "pivot_root")
    STEP(STEP_UMOUNT_OLD, "umount-oldroot") STEP(STEP_MASK, "mask-path") STEP(STEP_READONLY, "readonly-path")
    STEP(STEP_HOSTNAME, "sethostname") STEP(STEP_SYSCTL, "sysctl") STEP(STEP_NICE, "setpriority")
    STEP(STEP_AFFINITY, "sched_setaffinity") STEP(STEP_RLIMIT, "setrlimit") STEP(STEP_CONSOLE, "console")
    STEP(STEP_STDIO, "stdio") STEP(STEP_CWD, "chdir") STEP(STEP_USER, "user") STEP(STEP_CAPS, "capabilities")
    STEP(STEP_NO_NEW_PRIVS, "no_new_privs") STEP(STEP_SECCOMP, "seccomp") STEP(STEP_GATE, "start-gate")
    STEP(STEP_EXEC, "exec") STEP(STEP_LOOPBACK, "loopback") STEP(STEP_OOM_SCORE, "oom_score_adj")
    STEP(STEP_FORK, "fork") STEP(STEP_HOOK, "hook") STEP(STEP_PERSONALITY, "personality")
    STEP(STEP_CGROUP, "cgroup") STEP(STEP_UNSHARE, "unshare") STEP(STEP_USERNS, "userns")
#undef STEP
    default: return Napi::String::New(info.Env(), "unknown");
  }
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("memfdFrom", Napi::Function::New(env, MemfdFrom));
  exports.Set("nsType", Napi::Function::New(env, NsType));
  exports.Set("socketPair", Napi::Function::New(env, SocketPair));
  exports.Set("unixConnect", Napi::Function::New(env, UnixConnect));
  exports.Set("recvFd", Napi::Function::New(env, RecvFd));
  exports.Set("stepName", Napi::Function::New(env, StepName));
  exports.Set("statusRecordSize", Napi::Number::New(env, sizeof(struct init_status)));
}
