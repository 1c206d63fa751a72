// Descriptor helpers Node does not offer: the peer credentials of a UNIX socket, dup, window sizes.

#include "addon.h"

#include <errno.h>
#include <fcntl.h>
#include <string>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// peerCred(socketFd) -> { pid, uid, gid } of the process at the other end (SO_PEERCRED).
Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].ToNumber().Int32Value();
  struct ucred cred = {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
    ErrnoError(env, errno, "getsockopt(SO_PEERCRED)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

// mkfifo(path, mode): a FIFO (runc's exec.fifo). Throws with the errno.
Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].ToString().Utf8Value();
  if (mkfifo(path.c_str(), static_cast<mode_t>(info[1].ToNumber().Uint32Value())) < 0) {
    ErrnoError(env, errno, "mkfifo").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// openPath(path) -> an O_PATH | O_CLOEXEC descriptor (a handle on a file without opening it:
// the exec.fifo, which engine-init opens for writing through /proc/self/fd).
Napi::Value OpenPath(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string path = info[0].ToString().Utf8Value();
  int fd = open(path.c_str(), O_PATH | O_CLOEXEC);
  if (fd < 0) {
    ErrnoError(env, errno, "open(O_PATH)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// dupFd(fd) -> a close-on-exec duplicate (the pty master: one copy for the log producer, which
// closes its own at EOF, one for the supervisor's writes of stdin and window sizes).
Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = fcntl(info[0].ToNumber().Int32Value(), F_DUPFD_CLOEXEC, 3);
  if (fd < 0) {
    ErrnoError(env, errno, "fcntl(F_DUPFD_CLOEXEC)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

// setWinsize(fd, rows, cols): TIOCSWINSZ on a pty master (the container's session gets SIGWINCH).
Napi::Value SetWinsize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct winsize ws = {};
  ws.ws_row = static_cast<unsigned short>(info[1].ToNumber().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].ToNumber().Uint32Value());
  if (ioctl(info[0].ToNumber().Int32Value(), TIOCSWINSZ, &ws) < 0) {
    ErrnoError(env, errno, "ioctl(TIOCSWINSZ)").ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

}  // namespace

void InitFds(Napi::Env env, Napi::Object exports) {
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo));
  exports.Set("openPath", Napi::Function::New(env, OpenPath));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred));
  exports.Set("dupFd", Napi::Function::New(env, DupFd));
  exports.Set("setWinsize", Napi::Function::New(env, SetWinsize));
}
