// The same probe inside containers started by either caller: a busybox sh script (passed as
// `sh -c SCRIPT`, so no file has to be put into images) that prints one fact per line.
//   CapBnd HEX / CapEff HEX / Seccomp N      from /proc/self/status
//   masked PATH bytes=N | error=TEXT         reading a path the config masks
//   procsys error=TEXT | writable            writing /proc/sys/kernel/domainname (per UTS
//                                            namespace: harmless even where the write succeeds)
//   blockdev error=TEXT | opened             mknod of block device 7:0, then opening it
//   mknod error=TEXT                         when even mknod is refused

export const PROBE_SCRIPT = `
status() { grep "^$1:" /proc/self/status | tr -d '\\t' | sed "s/^$1:/$1 /"; }
status CapBnd; status CapEff; status Seccomp
for f in /proc/keys /proc/timer_list; do
  if out=$(cat $f 2>&1); then echo "masked $f bytes=\${#out}"; else echo "masked $f error=\${out##*: }"; fi
done
if err=$( (echo oci-probe > /proc/sys/kernel/domainname) 2>&1); then echo "procsys writable"; else echo "procsys error=\${err##*: }"; fi
if err=$(mknod /tmp/.oci-probe-blk b 7 0 2>&1); then
  if err=$(dd if=/tmp/.oci-probe-blk of=/dev/null bs=512 count=1 2>&1); then echo "blockdev opened"; else echo "blockdev error=\${err##*: }"; fi
  rm -f /tmp/.oci-probe-blk
else echo "mknod error=\${err##*: }"; fi
`;

export interface ProbeFacts {
  capBnd: string;
  capEff: string;
  seccomp: string;
  masked: Record<string, string>;
  procSys: string;
  blockDevice: string;
  raw: string;
}

export function parseProbe(out: string): ProbeFacts {
  const facts: ProbeFacts = { capBnd: '', capEff: '', seccomp: '', masked: {}, procSys: '', blockDevice: '', raw: out };
  for (const line of out.split('\n')) {
    const [key, ...rest] = line.trim().split(' ');
    const value = rest.join(' ');
    if (key === 'CapBnd') facts.capBnd = value;
    else if (key === 'CapEff') facts.capEff = value;
    else if (key === 'Seccomp') facts.seccomp = value;
    else if (key === 'masked') facts.masked[rest[0]] = rest.slice(1).join(' ');
    else if (key === 'procsys') facts.procSys = value;
    else if (key === 'blockdev' || key === 'mknod') facts.blockDevice = `${key} ${value}`;
  }
  return facts;
}

/** The 14 capabilities podman and containerd both give by default (CAP_CHOWN ... CAP_SETFCAP). */
export const DEFAULT_CAPS = '00000000a80425fb';

/** "Empty or refused": what a masked path must read as. */
export function isMasked(fact: string | undefined): boolean {
  return fact === 'bytes=0' || /^error=/.test(fact ?? '');
}
