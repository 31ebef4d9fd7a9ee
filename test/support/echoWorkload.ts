/**
 * A bounded echo run over loopback for tracing: connections × messages
 * through the default backend in call-through mode. Marks its dispatch
 * window on stderr and prints the socket handles it used as JSON.
 */
import { writeSync } from 'node:fs';
import { InetAddr } from '../../framework/common/InetAddr';
import { AsynchAcceptor } from '../../framework/proactor/AsynchAcceptor';
import { AsynchConnector } from '../../framework/proactor/AsynchConnector';
import { Proactor } from '../../framework/proactor/Proactor';
import { EchoClient, type EchoTally } from './EchoClient';
import { EchoService, type EchoStats } from '../../applications/echo/EchoService';

async function main(connections: number, messages: number): Promise<void> {
  const proactor = new Proactor();
  const stats: EchoStats = { opened: 0, closed: 0, bytes: 0 };
  const tally: EchoTally = { done: 0, failed: [], messages: 0, bytes: 0 };
  const handles = new Set<number>();
  const acceptor = new AsynchAcceptor<EchoService>();
  acceptor.open(new InetAddr(0, '127.0.0.1'), {
    proactor,
    makeHandler: () => new (class extends EchoService {
      override open(h: number) {
        handles.add(h);
        super.open(h);
      }
    })(stats),
  });
  const connector = new AsynchConnector<EchoClient>();
  let id = 0;
  connector.open({
    proactor,
    makeHandler: () => new (class extends EchoClient {
      override open(h: number) {
        handles.add(h);
        super.open(h);
      }
    })(id++, messages, tally),
  });
  writeSync(2, 'ACE-BEGIN\n');
  for (let i = 0; i < connections; i++) connector.connect(acceptor.getLocalAddr());
  const deadline = Date.now() + 20000;
  while ((tally.done < connections || stats.closed < connections) && Date.now() < deadline) {
    proactor.handleEvents(50);
    await undefined;
  }
  writeSync(2, 'ACE-END\n');
  await acceptor.close().catch(() => undefined);
  proactor.handleEvents(0);
  await proactor.close();
  process.stdout.write(JSON.stringify({ handles: [...handles, acceptor.handle()], messages: tally.messages, failed: tally.failed }) + '\n');
}

void main(Number(process.argv[2] ?? 4), Number(process.argv[3] ?? 50));
