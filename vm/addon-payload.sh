# Guest payload (hostroot mode: the host's / under a tmpfs overlay, cwd = the repo): load the freshly
# built monitor.ko with the host's insmod, then drive it from Node through the native addon.
echo "addon lane: kernel $(uname -r), node $(node --version)"
insmod module/monitor.ko interval_ms=20 || { echo "FAIL insmod module/monitor.ko"; exit 1; }
ls -l /dev/container_monitor
node vm/addon-check.mjs
rc=$?
rmmod monitor || { echo "FAIL rmmod monitor"; rc=1; }
exit $rc
