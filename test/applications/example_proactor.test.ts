import { connect } from 'node:net';
import { backends } from '../support/backends';
import { expectNoFdLeaks } from '../support/leaks';
import { alive, openSockets, Peer, runClient, runServer, type Server, startServer, until } from './support';
import { noChildNode, onlyOnLinux, skipNote } from '../support/platform';

const PROMPT = 'Enter Message : ';
const LOAD = /^load: 200 connections x 50 messages: 10000 of 10000 replies verified in \d+\.\d\d s \(\d+ msgs\/s\)\n$/;

expectNoFdLeaks();

function refused(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.on('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? String(e)));
  });
}

const SERVERS = backends.flatMap((backend) => ['post-reactive', 'call-through', 'pool'].map((dispatch) => [backend, dispatch]));

(noChildNode ? describe.skip : describe).each(SERVERS)(`example_proactor (MainServer --backend %s --dispatch %s and MainClient as processes)${skipNote(noChildNode)}`, (backend, dispatch) => {
  let server: Server;
  let baseline = 0;

  beforeAll(async () => {
    server = await startServer(['--backend', backend, '--dispatch', dispatch]);
    baseline = openSockets(server.pid);
  });

  afterAll(async () => {
    const exit = await server.stop('SIGINT');
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe('');
    // The flood was refused once; the resets failed their reads; nothing was left open.
    expect(exit.stdout).toMatch(/stopped: \d+ connections accepted, 0 open at shutdown, \d+ closed, 0 left open; \d+ lines echoed, 1 lines too long, [1-9]\d* connections failed, 0 timed out\n$/);
  });

  describe('when the client runs interactively with piped stdin', () => {
    it('should prompt, print each reply and quit at "exit", exactly', async () => {
      const exit = await runClient(['--port', String(server.port)], 'hello\nworld\nexit\nnot sent\n');
      expect(exit).toMatchObject({ code: 0, stderr: '' });
      expect(exit.stdout).toBe(`${PROMPT}Received: Echo - hello\n${PROMPT}Received: Echo - world\n${PROMPT}`);
    });

    it('should quit the same way when stdin ends, and echo empty and unicode lines', async () => {
      const exit = await runClient(['--port', String(server.port)], '\nhéllo wörld ✓\n');
      expect(exit).toMatchObject({ code: 0, stderr: '' });
      expect(exit.stdout).toBe(`${PROMPT}Received: Echo - \n${PROMPT}Received: Echo - héllo wörld ✓\n${PROMPT}`);
    });

    it('should say why and exit 1 when nothing listens', async () => {
      const probe = await startServer(['--backend', backend, '--dispatch', dispatch]);
      const port = probe.port;
      await probe.stop('SIGTERM');
      const exit = await runClient(['--port', String(port)], 'hello\n');
      expect(exit.code).toBe(1);
      expect(exit.stdout).toBe('');
      expect(exit.stderr).toBe(`example_proactor client: connect to 127.0.0.1:${port}: ECONNREFUSED\n`);
    });
  });

  describe('when 200 clients run at once', () => {
    it('should answer every message of every connection, each reply verified by the load client', async () => {
      const exit = await runClient(['--port', String(server.port), '--connections', '200', '--messages', '50']);
      expect(exit.stderr).toBe('');
      expect(exit.stdout).toMatch(LOAD);
      expect(exit.code).toBe(0);
    });
  });

  describe('when TCP splits and joins messages', () => {
    it('should frame by newline: one reply per line, whatever the writes', async () => {
      const peer = new Peer(server.port);
      await peer.connected;
      peer.write('one\ntw');
      await new Promise((r) => setTimeout(r, 20));
      peer.write('o\nthr');
      await new Promise((r) => setTimeout(r, 20));
      peer.write('ee\r\nfour\nfive\nsix\n');
      expect(await peer.lines(6)).toEqual(['Echo - one', 'Echo - two', 'Echo - three', 'Echo - four', 'Echo - five', 'Echo - six']);
      await peer.close();
    });
  });

  describe('when clients misbehave', () => {
    it('should go on serving everyone else, and leak no socket', async () => {
      const witness = new Peer(server.port);
      const idle = new Peer(server.port);
      await Promise.all([witness.connected, idle.connected]);
      expect(await witness.ask('first')).toBe('Echo - first');

      // Resets in the middle of a line.
      const resetter = new Peer(server.port);
      await resetter.connected;
      resetter.write('half a li');
      await new Promise((r) => setTimeout(r, 20));
      await resetter.reset();
      expect(await witness.ask('after the reset')).toBe('Echo - after the reset');

      // A 1 MiB line: the lines before it answered, then the error, then EOF; nothing after it.
      const flooder = new Peer(server.port);
      await flooder.connected;
      flooder.write(`before\n${'y'.repeat(1024 * 1024)}\nafter\n`);
      await until(() => flooder.ended || flooder.error !== undefined, () => `the flooder's EOF (got ${JSON.stringify(flooder.received.slice(0, 100))})`);
      expect(flooder.error).toBeUndefined();
      expect(flooder.received).toBe('Echo - before\nError - line too long\n');
      await flooder.close();
      expect(await witness.ask('after the flood')).toBe('Echo - after the flood');

      // Connect and disconnect in a tight loop, half with resets, 50 at a time.
      for (let round = 0; round < 8; round++) {
        const burst = Array.from({ length: 50 }, () => new Peer(server.port));
        await Promise.all(burst.map((p) => p.connected.catch(() => undefined)));
        await Promise.all(burst.map((p, i) => (i % 2 ? p.reset() : p.close())));
      }
      expect(await witness.ask('after the churn')).toBe('Echo - after the churn');

      // The idle client was never answered nor dropped.
      expect(idle.received).toBe('');
      expect(idle.ended).toBe(false);
      expect(await idle.ask('awake')).toBe('Echo - awake');

      await Promise.all([witness.close(), idle.close()]);
      await until(() => openSockets(server.pid) === baseline, () => `the server back to ${baseline} sockets (has ${openSockets(server.pid)})`);
    });
  });
});

(onlyOnLinux ? describe.skip : describe).each([
  ['--dispatch post-reactive', 'epoll', 'SIGINT'],
  ['--dispatch call-through', 'epoll', 'SIGTERM'],
  ['--dispatch pool', 'epoll', 'SIGTERM'],
  ['--dispatch post-reactive', 'poll', 'SIGTERM'],
  ['--dispatch call-through', 'poll', 'SIGINT'],
  ['--dispatch pool --threads 3', 'poll', 'SIGINT'],
] as const)(`example_proactor server, %s --reactor %s, stopped by %s${skipNote(onlyOnLinux)}`, (dispatchFlags, reactor, signal) => {
  it('should serve, then close every connection, print a summary, exit 0 and leave nothing behind', async () => {
    const server = await startServer([...dispatchFlags.split(' '), '--reactor', reactor]);
    const [, dispatch, , threads = '2'] = dispatchFlags.split(' ');
    const pool = dispatch === 'pool' ? `, threads ${threads}` : '';
    expect(server.stdout()).toMatch(new RegExp(`listening on 127\\.0\\.0\\.1:${server.port} \\(backend \\w+, reactor ${reactor}, dispatch ${dispatch}${pool}\\)`));
    const chat = await runClient(['--port', String(server.port)], 'ping\nexit\n');
    expect(chat.stdout).toBe(`${PROMPT}Received: Echo - ping\n${PROMPT}`);
    const loadRun = await runClient(['--port', String(server.port), '--connections', '50', '--messages', '20']);
    expect(loadRun.stdout).toMatch(/^load: 50 connections x 20 messages: 1000 of 1000 replies verified in /);

    // Connections still open at shutdown: idle ones, and one mid-line.
    const idle = Array.from({ length: 5 }, () => new Peer(server.port));
    await Promise.all(idle.map((p) => p.connected));
    idle[0].write('never finis');
    expect(await idle[1].ask('hi')).toBe('Echo - hi');

    const exit = await server.stop(signal);
    expect(exit.code).toBe(0);
    expect(exit.signal).toBeNull();
    expect(exit.stderr).toBe('');
    expect(exit.stdout).toContain(`example_proactor server: ${signal} received, shutting down\n`);
    expect(exit.stdout).toMatch(/example_proactor server stopped: 56 connections accepted, 5 open at shutdown, 56 closed, 0 left open; 1002 lines echoed, 0 lines too long, 0 connections failed, 0 timed out\n$/);
    await Promise.all(idle.map((p) => p.closed.then(() => until(() => p.ended || p.error !== undefined, () => 'EOF'))));
    expect(alive(server.pid)).toBe(false);
    expect(await refused(server.port)).toBe('ECONNREFUSED');
  });
});

(noChildNode ? describe.skip : describe)(`example_proactor server, --dispatch pool${skipNote(noChildNode)}`, () => {
  it('should spread the connections over its threads, each accepting and serving its own', async () => {
    const server = await startServer(['--dispatch', 'pool', '--threads', '2', '--verbose']);
    const load = await runClient(['--port', String(server.port), '--connections', '40', '--messages', '10']);
    expect(load.stdout).toMatch(/^load: 40 connections x 10 messages: 400 of 400 replies verified in /);
    const exit = await server.stop('SIGINT');
    expect(exit.code).toBe(0);
    const lines = exit.stderr.split('\n').slice(0, -1);
    for (const line of lines) expect(line).toMatch(/^example_proactor server: thread [01]: connection (from 127\.0\.0\.1:\d+|closed) \(\d+ open\)$/);
    const accepted = [0, 1].map((t) => lines.filter((l) => l.startsWith(`example_proactor server: thread ${t}: connection from`)).length);
    expect(accepted[0]).toBeGreaterThan(0);
    expect(accepted[1]).toBeGreaterThan(0);
    expect(accepted[0] + accepted[1]).toBe(40);
    expect(exit.stdout).toMatch(/stopped: 40 connections accepted, \d+ open at shutdown, 40 closed, 0 left open; 400 lines echoed, 0 lines too long, 0 connections failed, 0 timed out\n$/);
  });

  it('should refuse --threads without it, and fewer than 1 thread', async () => {
    const alone = await runServer(['--threads', '2']);
    expect(alone).toMatchObject({ code: 2, stdout: '' });
    expect(alone.stderr).toMatch(/^--threads goes with --dispatch pool\nusage: MainServer /);
    const none = await runServer(['--dispatch', 'pool', '--threads', '0']);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toMatch(/^--threads must be a whole number from 1 to 256, got '0'\nusage: MainServer /);
  });

  it('should exit 1 saying why when a thread cannot start, leaving no thread behind', async () => {
    // A reactor the flags cannot name (they refuse it, exit 2), named by the environment instead.
    const exit = await runServer(['--dispatch', 'pool'], 10000, { ...process.env, REACTOR_BACKEND: 'nosuch' });
    expect(exit).toMatchObject({ code: 1, signal: null, stdout: '' });
    // One line, and no "still running after shutdown": the process ended by itself.
    expect(exit.stderr).toMatch(/^example_proactor server: ProactorPool thread 0: no reactor backend could be set up: [^\n]*nosuch[^\n]*\n$/);
  });
});

(noChildNode ? describe.skip : describe).each(backends.flatMap((backend) => ['post-reactive', 'pool'].map((dispatch) => [backend, dispatch])))(
  `example_proactor server timeouts (--backend %s --dispatch %s)${skipNote(noChildNode)}`,
  (backend, dispatch) => {
    it('should close a connection idle past --idle-timeout and one whose line does not end within --line-timeout, and keep one that talks', async () => {
      const server = await startServer(['--backend', backend, '--dispatch', dispatch, '--idle-timeout', '600', '--line-timeout', '300']);
      const idle = new Peer(server.port);
      const slowLine = new Peer(server.port);
      const talker = new Peer(server.port);
      await Promise.all([idle, slowLine, talker].map((p) => p.connected));
      // A byte every 100 ms: never idle, but the line never ends.
      const drip = setInterval(() => slowLine.write('x'), 100);
      try {
        await slowLine.closed;
        expect(slowLine.received).toBe('');
        // Lines every 100 ms for longer than the idle timeout: still open.
        for (let i = 0; i < 10; i++) {
          expect(await talker.ask(`line ${i}`)).toBe(`Echo - line ${i}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await idle.closed;
        expect(idle.received).toBe('');
        expect(await talker.ask('still here')).toBe('Echo - still here');
      } finally {
        clearInterval(drip);
      }
      await talker.close();
      const exit = await server.stop('SIGTERM');
      expect(exit.code).toBe(0);
      expect(exit.stderr).toBe('');
      // The talker's close races the SIGTERM: the server may see it before or at shutdown.
      expect(exit.stdout).toMatch(/stopped: 3 connections accepted, [01] open at shutdown, 3 closed, 0 left open; 11 lines echoed, 0 lines too long, 0 connections failed, 2 timed out\n$/);
    });

    it('should refuse a timeout that is not a whole number of ms', async () => {
      const exit = await runServer(['--idle-timeout', 'soon']);
      expect(exit).toMatchObject({ code: 2, stdout: '' });
      expect(exit.stderr).toMatch(/^--idle-timeout must be a whole number/);
    });
  },
);
