# Guest payload: the smallest hostroot check, that the host's Node runs in the guest's kernel.
echo "hostroot: kernel $(uname -r), cwd $(pwd)"
node -e 'const os = require("os"); console.log(`PASS node_in_guest ${process.version} on ${os.release()}`)'
