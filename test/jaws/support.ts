import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { type JawsLimits } from '../../applications/jaws/JawsLimits';
import { JawsServer } from '../../applications/jaws/JawsServer';

/** A temporary document root holding files (path → contents). */
export function makeRoot(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'jaws-test-'));
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), contents);
  }
  return root;
}

/** A JAWS on its own Proactor in this process, dispatched post-reactive. */
export interface InProcessJaws {
  jaws: JawsServer;
  proactor: Proactor;
  port: number;
  stop: () => Promise<void>;
}

export async function startJaws(backend: string, root: string, limits: Partial<JawsLimits> = {}): Promise<InProcessJaws> {
  const proactor = new Proactor({ backend });
  // Files are opened per request unless a test asks for the cache: each test must close what it opened.
  const jaws = new JawsServer({ root, limits: { fileCacheMs: 0, ...limits } });
  jaws.open(new InetAddr(0, '127.0.0.1'), proactor);
  const loop = proactor.proactorRunEventLoop();
  return {
    jaws,
    proactor,
    port: jaws.getLocalAddr().port,
    stop: async () => {
      await jaws.shutDown(5000);
      proactor.proactorEndEventLoop();
      await loop;
      await proactor.close();
    },
  };
}

/** Waits until cond() holds, or throws after limitMs saying what it waited for. */
export async function waitFor(cond: () => boolean, what: string, limitMs = 10000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One parsed response. */
export interface Response {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/**
 * Splits what a server sent into responses; bodyless[i] says the i-th had
 * no body whatever its Content-Length (HEAD, 304). Returns the responses
 * and the bytes left over.
 */
export function parseResponses(data: Buffer, bodyless: boolean[] = []): { responses: Response[]; rest: Buffer } {
  const responses: Response[] = [];
  let at = 0;
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = data.toString('latin1', at, end).split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*$/.exec(lines[0]);
    if (!m) throw new Error(`not a status line: ${JSON.stringify(lines[0])}`);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const status = Number(m[1]);
    const length = bodyless[responses.length] || status === 304 ? 0 : Number(headers.get('content-length') ?? 0);
    if (end + 4 + length > data.length) break;
    responses.push({ status, headers, body: data.subarray(end + 4, end + 4 + length) });
    at = end + 4 + length;
  }
  return { responses, rest: data.subarray(at) };
}

/** A raw connection: write bytes, read what comes back. */
export class RawClient {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private ended = false;
  readonly connected: Promise<void>;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => this.chunks.push(d));
    this.socket.on('error', () => undefined);
    this.connected = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once('end', () => (this.ended = true));
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** Whether the server has closed its side. */
  serverClosed(): boolean {
    return this.ended;
  }

  /** Waits for n whole responses (checked as bytes arrive, not polled). */
  async responses(n: number, bodyless: boolean[] = [], limitMs = 10000): Promise<Response[]> {
    const parsed = () => parseResponses(this.received(), bodyless).responses;
    let got = parsed();
    if (got.length < n && !this.ended) {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          got = parsed();
          if (got.length < n && !this.ended) return;
          done();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${n} responses`));
        }, limitMs);
        const done = () => {
          clearTimeout(timer);
          this.socket.off('data', check);
          this.socket.off('end', check);
          resolve();
        };
        this.socket.on('data', check);
        this.socket.on('end', check);
      });
    }
    if (got.length < n) throw new Error(`the server closed after ${got.length} of ${n} responses: ${this.received().toString('latin1').slice(0, 300)}`);
    return got;
  }

  /** Waits for the server to close its side. */
  async serverEnd(limitMs = 10000): Promise<void> {
    await waitFor(() => this.ended, 'the server to close the connection', limitMs);
  }

  async close(): Promise<void> {
    this.socket.end();
    this.socket.destroySoon();
    await this.closed;
  }
}

/** Sends one request on a fresh connection and returns the first response; the connection is then closed. */
export async function fetchOnce(port: number, request: string | Buffer, bodyless = false): Promise<Response> {
  const c = new RawClient(port);
  try {
    c.write(request);
    return (await c.responses(1, [bodyless]))[0];
  } finally {
    await c.close();
  }
}

/** Open fds of this process that are not pipes. */
function openFdsBesidesPipes(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (!readlinkSync(`/proc/self/fd/${fd}`).startsWith('pipe:')) n++;
    } catch {
      // closed since the listing
    }
  }
  return n;
}

/**
 * The fd check for suites whose server outlives each test: a transmit on
 * io_uring keeps a few idle pipes (bounded) for the next one, so each test
 * must leave the count of other fds where it found it, and the whole file,
 * once its servers and proactors are closed, every fd.
 */
export function expectNoFdLeaksAroundServers(): void {
  let atStart = 0;
  beforeAll(() => {
    atStart = readdirSync('/proc/self/fd').length;
  });
  afterAll(() => {
    // More is a leak; fewer happens when the runner's own fds close meanwhile.
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(atStart);
  });
  let before = 0;
  beforeEach(() => {
    before = openFdsBesidesPipes();
  });
  afterEach(() => {
    expect(openFdsBesidesPipes()).toBeLessThanOrEqual(before);
  });
}
