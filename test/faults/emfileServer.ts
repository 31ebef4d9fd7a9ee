/**
 * An echo server for the EMFILE fault test, run as a child process: it
 * lowers its own soft RLIMIT_NOFILE to the fds it has open plus `spare`,
 * so accepting past that fails with EMFILE. Prints one line per event:
 *   listening <port>
 *   accept-error <code>   (each failed accept completion)
 *   opened <n>            (each connection handed to a handler)
 * and, when stdin ends (the test has closed its clients by then), waits
 * for every connection to close, closes the acceptor and the proactor, and
 * prints
 *   done <json>           ({ opened, closed, inflight, fdsAtStart, fdsAtEnd })
 * Usage: node emfileServer.js <backend> <spare>
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeSync } from 'node:fs';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { Proactor } from '../../framework/proactor/Proactor';
import { type AsynchAcceptResult } from '../../framework/proactor/results/AsynchAcceptResult';
import { EchoService, type EchoStats } from '../../applications/echo/EchoService';

const [backend, spare] = [process.argv[2], Number(process.argv[3])];
const say = (line: string) => writeSync(1, `${line}\n`);
const openFds = () => readdirSync('/proc/self/fd').length;

class CountingAcceptor extends AsynchAcceptor<EchoService> {
  override handleAccept(result: AsynchAcceptResult): void {
    if (!result.success) say(`accept-error ${result.errorCode}`);
    super.handleAccept(result);
  }
}

async function main(): Promise<void> {
  const proactor = new Proactor({ backend });
  const stats: EchoStats = { opened: 0, closed: 0, bytes: 0 };
  const acceptor = new CountingAcceptor();
  acceptor.open(new InetAddr(0, '127.0.0.1'), {
    proactor,
    makeHandler: () =>
      new (class extends EchoService {
        override open(h: number) {
          super.open(h);
          say(`opened ${stats.opened}`);
        }
      })(stats),
  });
  const loop = proactor.proactorRunEventLoop();
  const fdsAtStart = openFds();
  // The fds open now (the ring, the listener, Node's own) plus `spare`.
  const hard = readLimit('Max open files').hard;
  execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${fdsAtStart + spare}:${hard}`]);
  say(`listening ${acceptor.getLocalAddr().port}`);

  await new Promise<void>((resolve) => {
    process.stdin.on('end', resolve).resume();
  });
  const deadline = Date.now() + 10_000;
  while (stats.closed < stats.opened && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await acceptor.close();
  proactor.proactorEndEventLoop();
  await loop;
  await proactor.close();
  say(`done ${JSON.stringify({ opened: stats.opened, closed: stats.closed, inflight: proactor.inflight(), fdsAtStart, fdsAtEnd: openFds() })}`);
}

function readLimit(name: string): { soft: string; hard: string } {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(name))!;
  const [soft, hard] = line.slice(name.length).trim().split(/\s+/);
  return { soft, hard };
}

void main();
