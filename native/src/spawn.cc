// Container creation: clone() into new PID, UTS, mount and IPC namespaces, prepare the root
// filesystem, then wait for the supervisor's "go" before executing the command.
//
// Why fork-style (no CLONE_VM, no CLONE_VFORK): the child must be able to stop and wait for the
// supervisor (cgroup placement, monitor registration) while the supervisor's event loop keeps
// running. A fork-style child has its own copy of memory, so the parent returns at once.
//
// Rules for the child (it is a copy of a multithreaded process): only async-signal-safe calls,
// no allocation. Everything it needs (strings, argv, envp, exec candidates, messages) is built
// before clone() in a ChildPlan. Failures are reported to the parent as a StatusRecord
// { step, err } on the status pipe, which is close-on-exec: EOF after "go" means exec succeeded.

#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "spawn_status.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace {

struct DevNode {
  const char* path;
  unsigned major;
  unsigned minor;
};

// The minimal /dev of CONTRACT.md, as runc and crun create it.
const DevNode kDevNodes[] = {
    {"dev/null", 1, 3},   {"dev/zero", 1, 5},    {"dev/full", 1, 7},
    {"dev/random", 1, 8}, {"dev/urandom", 1, 9}, {"dev/tty", 5, 0},
};

const char* const kDevLinks[][2] = {
    {"/proc/self/fd", "dev/fd"},
    {"/proc/self/fd/0", "dev/stdin"},
    {"/proc/self/fd/1", "dev/stdout"},
    {"/proc/self/fd/2", "dev/stderr"},
};

struct ChildPlan {
  std::string rootfs;
  std::string hostname;
  std::vector<std::string> argvStore, envStore, candidateStore;
  std::vector<char*> argv, envp;
  std::vector<const char*> candidates;
  std::string notFoundMsg, notExecMsg;  // written to the log when exec fails
  int nice = 0;
  bool setNice = false;
  cpu_set_t cpus;
  bool setCpus = false;
  bool newSession = true;
  int outFd = -1;     // write end of the log pipe: becomes stdout and stderr
  int statusFd = -1;  // child -> parent: StatusRecord
  int goFd = -1;      // parent -> child: one byte 'g'
};

// --- child side: async-signal-safe only ------------------------------------------------------

void WriteAll(int fd, const void* buf, size_t len) {
  const char* p = static_cast<const char*>(buf);
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    p += n;
    len -= static_cast<size_t>(n);
  }
}

void Report(const ChildPlan* plan, int step, int err, int flags = 0) {
  StatusRecord rec = {step, err, flags, 0};
  WriteAll(plan->statusFd, &rec, sizeof rec);
}

[[noreturn]] void Fail(const ChildPlan* plan, int step) {
  Report(plan, step, errno);
  _exit(kExitSetupFailed);
}

// The kernel's struct sigaction (x86_64 rt_sigaction ABI). The raw system call is used because
// glibc's sigaction() refuses its reserved signals 32 and 33, and an ignored disposition of those
// inherited from the supervisor's parent would otherwise survive exec.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)(void);
  unsigned long mask;
};

void ResetSignals() {
  KernelSigaction dfl = {SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
}

void MakeDev(const ChildPlan* plan) {
  if (mkdir("dev", 0755) < 0 && errno != EEXIST) Fail(plan, kStepMountDev);
  if (mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    Fail(plan, kStepMountDev);
  for (const DevNode& d : kDevNodes) {
    if (mknod(d.path, S_IFCHR | 0666, makedev(d.major, d.minor)) < 0) Fail(plan, kStepMknod);
  }
  for (const auto& link : kDevLinks) {
    if (symlink(link[0], link[1]) < 0) Fail(plan, kStepMountDev);
  }
  // POSIX shared memory lives in /dev/shm; the IPC namespace gives it a private tmpfs.
  if (mkdir("dev/shm", 01777) < 0 || mount("shm", "dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=65536k") < 0)
    Fail(plan, kStepMountDev);
}

// Makes the current directory (the bind-mounted rootfs) the root. Returns the flags to report.
int EnterRoot(const ChildPlan* plan) {
  // pivot_root(".", ".") stacks the old root on top of the new one; unmounting it leaves the
  // new root alone, with no put_old directory needed (the trick runc uses).
  if (syscall(SYS_pivot_root, ".", ".") == 0) {
    if (umount2(".", MNT_DETACH) < 0) Fail(plan, kStepUmountOld);
    if (chdir("/") < 0) Fail(plan, kStepPivotRoot);
    return 0;
  }
  // pivot_root cannot work when the current root is not a mount point (initramfs, some chroots).
  if (errno != EINVAL) Fail(plan, kStepPivotRoot);
  if (chroot(".") < 0 || chdir("/") < 0) Fail(plan, kStepPivotRoot);
  return kFlagUsedChroot;
}

void SetupStdio(const ChildPlan* plan) {
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0) Fail(plan, kStepStdio);
  if (dup2(devnull, 0) < 0 || dup2(plan->outFd, 1) < 0 || dup2(plan->outFd, 2) < 0) Fail(plan, kStepStdio);
  // Every other descriptor the supervisor had closes at exec: status and go pipes included.
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) Fail(plan, kStepStdio);
}

[[noreturn]] void Exec(const ChildPlan* plan) {
  int lastErr = ENOENT;
  bool sawNonEnoent = false;
  for (const char* path : plan->candidates) {
    execve(path, plan->argv.data(), plan->envp.data());
    // As execvp does: keep looking past ENOENT/ENOTDIR, remember other failures (EACCES).
    if (errno != ENOENT && errno != ENOTDIR) {
      lastErr = errno;
      sawNonEnoent = true;
    }
  }
  Report(plan, kStepExec, lastErr);
  const std::string& msg = sawNonEnoent ? plan->notExecMsg : plan->notFoundMsg;
  WriteAll(2, msg.data(), msg.size());
  _exit(sawNonEnoent ? kExitNotExecutable : kExitNotFound);
}

int ChildMain(void* arg) {
  const ChildPlan* plan = static_cast<const ChildPlan*>(arg);
  ResetSignals();
  // A supervisor killed outright must not leave containers behind: killing PID 1 of the
  // namespace ends every process in it.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) Fail(plan, kStepPrctl);
  umask(022);
  if (plan->newSession && setsid() < 0) Fail(plan, kStepSetsid);

  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) Fail(plan, kStepMountPrivate);
  if (mount(plan->rootfs.c_str(), plan->rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) < 0)
    Fail(plan, kStepBindRootfs);
  if (chdir(plan->rootfs.c_str()) < 0) Fail(plan, kStepBindRootfs);
  if (mkdir("proc", 0555) < 0 && errno != EEXIST) Fail(plan, kStepMountProc);
  if (mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) Fail(plan, kStepMountProc);
  MakeDev(plan);
  int flags = EnterRoot(plan);

  if (sethostname(plan->hostname.data(), plan->hostname.size()) < 0) Fail(plan, kStepHostname);
  if (plan->setNice && setpriority(PRIO_PROCESS, 0, plan->nice) < 0) Fail(plan, kStepNice);
  if (plan->setCpus && sched_setaffinity(0, sizeof plan->cpus, &plan->cpus) < 0) Fail(plan, kStepAffinity);
  SetupStdio(plan);

  Report(plan, kStepReady, 0, flags);
  char go = 0;
  ssize_t n;
  do n = read(plan->goFd, &go, 1); while (n < 0 && errno == EINTR);
  if (n != 1 || go != 'g') _exit(kExitAborted);  // supervisor gone or start cancelled

  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  Exec(plan);
}

// --- parent side ------------------------------------------------------------------------------

std::vector<std::string> StringArray(Napi::Env env, Napi::Value v, const char* what) {
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

std::vector<char*> PointerArray(std::vector<std::string>& store) {
  std::vector<char*> out;
  for (auto& s : store) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// createContainer({ rootfs, hostname, argv, candidates, env, nice?, cpus?, outFd, newSession? })
//   -> { pid, pidfd, statusFd, goFd }
// rootfs must be an absolute, resolved path; candidates are the absolute paths (inside the new
// root) to try for argv[0], in order. The caller keeps outFd and should close it after this returns.
Napi::Value CreateContainer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "createContainer(options) needs an options object").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  auto plan = std::make_unique<ChildPlan>();
  plan->rootfs = o.Get("rootfs").ToString().Utf8Value();
  plan->hostname = o.Get("hostname").ToString().Utf8Value();
  plan->argvStore = StringArray(env, o.Get("argv"), "argv");
  if (env.IsExceptionPending()) return env.Undefined();
  plan->envStore = StringArray(env, o.Get("env"), "env");
  if (env.IsExceptionPending()) return env.Undefined();
  plan->candidateStore = StringArray(env, o.Get("candidates"), "candidates");
  if (env.IsExceptionPending()) return env.Undefined();
  if (plan->argvStore.empty() || plan->candidateStore.empty()) {
    Napi::TypeError::New(env, "argv and candidates must not be empty").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  plan->argv = PointerArray(plan->argvStore);
  plan->envp = PointerArray(plan->envStore);
  for (auto& c : plan->candidateStore) plan->candidates.push_back(c.c_str());
  const std::string& cmd = plan->argvStore[0];
  plan->notFoundMsg = "engine: exec " + cmd + ": command not found\n";
  plan->notExecMsg = "engine: exec " + cmd + ": permission denied or not an executable\n";
  if (o.Has("nice") && o.Get("nice").IsNumber()) {
    plan->setNice = true;
    plan->nice = o.Get("nice").As<Napi::Number>().Int32Value();
  }
  CPU_ZERO(&plan->cpus);
  if (o.Has("cpus") && o.Get("cpus").IsArray()) {
    Napi::Array cpus = o.Get("cpus").As<Napi::Array>();
    for (uint32_t i = 0; i < cpus.Length(); i++) {
      int cpu = cpus.Get(i).ToNumber().Int32Value();
      if (cpu >= 0 && cpu < CPU_SETSIZE) CPU_SET(cpu, &plan->cpus);
    }
    plan->setCpus = cpus.Length() > 0;
  }
  if (o.Has("newSession")) plan->newSession = o.Get("newSession").ToBoolean();
  plan->outFd = o.Get("outFd").ToNumber().Int32Value();

  int statusPipe[2], goPipe[2];
  if (pipe2(statusPipe, O_CLOEXEC) < 0) {
    ErrnoError(env, errno, "pipe2").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (pipe2(goPipe, O_CLOEXEC) < 0) {
    int err = errno;
    close(statusPipe[0]);
    close(statusPipe[1]);
    ErrnoError(env, err, "pipe2").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  plan->statusFd = statusPipe[1];
  plan->goFd = goPipe[0];

  // The child runs on this stack in its own copy of memory; the parent frees it after clone.
  const size_t stackSize = 256 * 1024;
  std::unique_ptr<char[]> stack(new char[stackSize]);
  int pidfd = -1;
  sigset_t all, old;
  sigfillset(&all);
  // No signal handler of Node's may run in the child before ResetSignals.
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(ChildMain, stack.get() + stackSize,
                    CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC | CLONE_PIDFD | SIGCHLD,
                    plan.get(), &pidfd);
  int cloneErr = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);

  close(statusPipe[1]);
  close(goPipe[0]);
  if (pid < 0) {
    close(statusPipe[0]);
    close(goPipe[1]);
    ErrnoError(env, cloneErr, "clone").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("pid", Napi::Number::New(env, pid));
  result.Set("pidfd", Napi::Number::New(env, pidfd));
  result.Set("statusFd", Napi::Number::New(env, statusPipe[0]));
  result.Set("goFd", Napi::Number::New(env, goPipe[1]));
  return result;
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

// stepName(step) -> "pivot_root" etc., so the step table lives in one place (spawn_status.h).
Napi::Value StepName(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), StepNameOf(info[0].ToNumber().Int32Value()));
}

}  // namespace

void InitSpawn(Napi::Env env, Napi::Object exports) {
  exports.Set("createContainer", Napi::Function::New(env, CreateContainer));
  exports.Set("pidfdSignal", Napi::Function::New(env, PidfdSignal));
  exports.Set("stepName", Napi::Function::New(env, StepName));
  exports.Set("statusRecordSize", Napi::Number::New(env, sizeof(StatusRecord)));
}
