// engine attach [--no-stdin] [--detach-keys K] ID: a running container's output from now on, and
// its stdin or terminal when it was started with -i (one writer at a time). The detach keys
// leave it running; its end ends attach with its status, as run does.

import { Client, socketPath } from '../client.js';
import { DEFAULT_DETACH_KEYS, InteractiveSession, parseDetachKeys } from '../interactive.js';
import { failedStartExit } from '../report.js';
import { SOCKET_OPTION, type VerbSpec } from '../verb-spec.js';
import { CLIENT_ERROR_EXIT } from '../../errors.js';

export const spec: VerbSpec = {
  name: 'attach',
  description: "connect to a running container's terminal or stdin/stdout; the detach keys leave it running",
  operands: [{ name: 'id', description: 'a running container' }],
  options: [
    { flags: '--no-stdin', description: 'only read its output (another client may be writing)' },
    { flags: '--detach-keys <keys>', description: 'the keys that detach (default ctrl-p,ctrl-q)' },
    SOCKET_OPTION,
  ],
  async action(id: string, o) {
    const detachKeys = parseDetachKeys(o.detachKeys ?? DEFAULT_DETACH_KEYS);
    const client = await Client.open(socketPath(o.socket), { verb: 'attach', id, stdin: o.stdin !== false });
    const session = new InteractiveSession(client);
    // Without a terminal to detach from, SIGINT detaches (the container keeps running).
    const onSignal = () => session.detach();
    process.on('SIGINT', onSignal);
    try {
      const first = await client.reply();
      if (!first.ok || first.event !== 'attached') return;
      // A reader keeps Ctrl-C for itself (it detaches): raw only for the writer.
      const final = await session.run({ tty: first.tty && Boolean(process.stdin.isTTY), stdin: first.stdin, detachKeys });
      if (final?.ok && final.event === 'exited') {
        if (final.record.state === 'failed') return failedStartExit(final.record);
        process.exitCode = final.record.exitCode ?? CLIENT_ERROR_EXIT;
      }
    } finally {
      process.off('SIGINT', onSignal);
    }
  },
};
