# Guest payload of the module lane (busybox sh, working directory /lane): run the probe against
# the packed monitor.ko, then show the module's kernel log lines for whoever reads the serial log.
echo "module lane: kernel $(uname -r), module $(md5sum monitor.ko | cut -c1-12)"
./probe ./monitor.ko
rc=$?
dmesg | grep 'container_monitor\]' | tail -n 12 | sed 's/^/klog: /'
exit $rc
