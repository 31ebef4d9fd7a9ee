import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { InetAddr } from '../../framework/common/InetAddr';
import { Proactor } from '../../framework/proactor/Proactor';
import { ClientConnector } from './ClientConnector';
import { type ClientHandler } from './ClientHandler';
import { parseFlags, wholeNumber } from './Flags';

const NAME = 'example_proactor client';
const PROMPT = 'Enter Message : ';
const USAGE = `usage: MainClient [--host 127.0.0.1] [--port 8080] [--backend <proactor backend>]
                  [--connections N --messages M [--window W] [--timeout MS]]
Without --connections/--messages: interactive; reads lines from stdin, "exit" quits.`;

interface ClientOptions {
  remote: InetAddr;
  backend?: string;
  /** Load mode when set. */
  load?: { connections: number; messages: number; window: number; timeoutMs: number };
}

/** The longest delay setTimeout keeps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A load flag's value, or fallback when it is not given. */
function count(text: string | undefined, flag: string, fallback: number, max = Infinity): number {
  return text === undefined ? fallback : wholeNumber(flag, text, 1, max, USAGE);
}

function parse(argv: string[]): ClientOptions {
  const { values } = parseFlags({
    args: argv,
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      backend: { type: 'string' },
      connections: { type: 'string' },
      messages: { type: 'string' },
      window: { type: 'string' },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  }, USAGE);
  if (values.help) throw new Error(USAGE);
  const remote = new InetAddr(wholeNumber('port', values.port!, 1, 65535, USAGE), values.host);
  const load = {
    connections: count(values.connections, 'connections', 10),
    messages: count(values.messages, 'messages', 100),
    window: count(values.window, 'window', 8),
    timeoutMs: count(values.timeout, 'timeout', 60000, MAX_TIMEOUT_MS),
  };
  if (values.connections !== undefined || values.messages !== undefined) return { remote, backend: values.backend, load };
  if (values.window !== undefined || values.timeout !== undefined) throw new Error(`--window and --timeout go with --connections and --messages\n${USAGE}`);
  return { remote, backend: values.backend };
}

/**
 * The interactive client: prompt "Enter Message : ", send the line, print
 * "Received: <reply>"; "exit" or the end of stdin quits (0). In a terminal,
 * readline draws the prompt and echoes the typing, and the keyboard waits
 * while a reply is due; from a pipe, only the prompts and replies are
 * written. When the server closes the connection or it fails, even while
 * the prompt waits for a line, the client says why on stderr and returns 1.
 */
async function interactive(connector: ClientConnector, remote: InetAddr): Promise<number> {
  const connection = await connector.connectTo(remote);
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = createInterface({ input: process.stdin, output: terminal ? process.stdout : undefined, terminal, prompt: PROMPT });
  const lines = rl[Symbol.asyncIterator]();
  const prompt = () => (terminal ? rl.prompt() : process.stdout.write(PROMPT));
  /** The next line, or why the connection ended first. */
  const next = () => Promise.race([lines.next(), connection.lost]);
  let lost: Error | undefined;
  // Whether the cursor is after the prompt: a terminal leaves that line once a line is entered.
  let atPrompt = true;
  try {
    prompt();
    for (let line = await next(); ; line = await next()) {
      if (line instanceof Error) {
        lost = line;
        break;
      }
      if (line.done) break;
      atPrompt = !terminal;
      if (line.value === 'exit') break;
      if (terminal) rl.pause();
      try {
        process.stdout.write(`Received: ${await connection.request(line.value)}\n`);
      } catch (e) {
        lost = e as Error;
        break;
      }
      prompt();
      atPrompt = true;
    }
  } finally {
    rl.close();
    process.stdin.destroy();
    await connection.close();
  }
  // End the prompt line: after Ctrl-D in a terminal, or when the server ended the session.
  if (atPrompt && (terminal || lost)) process.stdout.write('\n');
  if (!lost) return 0;
  process.stderr.write(`${NAME}: ${lost.message}\n`);
  return 1;
}

/** The message each load connection sends: its own id and number, and a varying payload. */
function loadMessage(connection: number, message: number): string {
  return `client ${connection} message ${message} ${'x'.repeat((connection * 31 + message * 17) % 200)}`;
}

/**
 * Load mode: `connections` connections at once, each sending `messages`
 * lines, `window` per write (so TCP joins and splits them), checking every
 * reply is "Echo - <that line>".
 */
async function load(connector: ClientConnector, remote: InetAddr, options: NonNullable<ClientOptions['load']>): Promise<number> {
  const { connections, messages, window, timeoutMs } = options;
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: connections }, () => connector.connectTo(remote)));
  const handlers = settled.filter((s): s is PromiseFulfilledResult<ClientHandler> => s.status === 'fulfilled').map((s) => s.value);
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => (s.reason as Error).message);
  let verified = 0;
  const timer = setTimeout(() => {
    failures.push(`timed out after ${timeoutMs} ms`);
    for (const h of handlers) void h.close();
  }, timeoutMs);
  await Promise.all(
    handlers.map(async (handler, c) => {
      try {
        for (let first = 0; first < messages; first += window) {
          const batch = Array.from({ length: Math.min(window, messages - first) }, (_, k) => loadMessage(c, first + k));
          const replies = await handler.send(batch);
          replies.forEach((reply, k) => {
            if (reply === `Echo - ${batch[k]}`) verified++;
            else failures.push(`connection ${c} message ${first + k}: expected 'Echo - ${batch[k]}', got '${reply}'`);
          });
        }
      } catch (e) {
        failures.push(`connection ${c}: ${(e as Error).message}`);
      }
    }),
  );
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(handlers.map((h) => h.close()));
  const expected = connections * messages;
  for (const failure of failures.slice(0, 5)) process.stderr.write(`${NAME}: ${failure}\n`);
  if (failures.length > 5) process.stderr.write(`${NAME}: … and ${failures.length - 5} more\n`);
  const ok = verified === expected && failures.length === 0;
  process.stdout.write(
    `load: ${connections} connections x ${messages} messages: ${verified} of ${expected} replies verified` +
      `${ok ? '' : `, ${failures.length} failures`} in ${seconds.toFixed(2)} s (${Math.round(verified / seconds)} msgs/s)\n`,
  );
  return ok ? 0 : 1;
}

/** Runs the example client; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let options: ClientOptions;
  try {
    options = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  let proactor: Proactor;
  try {
    proactor = new Proactor({ backend: options.backend });
    Proactor.instance(proactor);
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    return 1;
  }
  const loop = proactor.proactorRunEventLoop();
  const connector = new ClientConnector(proactor);
  let code: number;
  try {
    code = options.load ? await load(connector, options.remote, options.load) : await interactive(connector, options.remote);
  } catch (e) {
    process.stderr.write(`${NAME}: ${(e as Error).message}\n`);
    code = 1;
  }
  proactor.proactorEndEventLoop();
  await loop;
  await proactor.close();
  return code;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
