// Container creations queued one per turn of the event loop (src/supervisor/one-per-turn.ts).
import test from 'ava';
import net from 'node:net';
import { OnePerTurn } from '../../src/supervisor/one-per-turn.js';

test('jobs run in order, one per turn: I/O and immediates queued meanwhile run between two jobs', async (t) => {
  const q = new OnePerTurn();
  const order: string[] = [];
  const jobs = [1, 2, 3].map((n) => q.run(() => (order.push(`job${n}`), n)));
  setImmediate(() => order.push('immediate'));
  t.deepEqual(await Promise.all(jobs), [1, 2, 3]);
  t.deepEqual(order.filter((o) => o.startsWith('job')), ['job1', 'job2', 'job3']);
  t.true(order.indexOf('immediate') < order.indexOf('job3'), order.join(' '));
});

test('a socket that becomes readable during a burst is served before the burst ends', async (t) => {
  const q = new OnePerTurn();
  const server = net.createServer((s) => s.end('pong'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const events: string[] = [];
  const reply = new Promise<void>((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.on('data', () => {
      events.push('reply');
      resolve();
    });
  });
  // Each job blocks the thread for 20 ms, as a slow clone would.
  const burst = Array.from({ length: 30 }, (_, i) =>
    q.run(() => {
      const end = Date.now() + 20;
      while (Date.now() < end);
      events.push(`job${i}`);
    }),
  );
  await Promise.all([...burst, reply]);
  server.close();
  t.true(events.indexOf('reply') < events.indexOf('job29'), `the reply came after the whole burst: ${events.join(' ')}`);
});

test('a job that throws rejects its own promise only', async (t) => {
  const q = new OnePerTurn();
  const bad = q.run(() => {
    throw new Error('clone: EAGAIN');
  });
  const good = q.run(() => 'ok');
  await t.throwsAsync(bad, { message: 'clone: EAGAIN' });
  t.is(await good, 'ok');
});
