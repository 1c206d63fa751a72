// The PATH a container gets when its spec sets none (Docker's and runc's). Its own module: the spec
// compiler needs it, and must not pull in the defaults' seccomp profile to get it.
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
