/**
 * One transmit-file over loopback for tracing: an 8 MiB file between a
 * header and a trailer, through the backend PROACTOR_BACKEND names, in
 * call-through mode. Marks its dispatch window on stderr and prints the
 * file's and the sending socket's handles, and what arrived, as JSON.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageBlock } from '../../framework/common/MessageBlock';
import { loadNative } from '../../framework/native/loadNative';
import { HeaderAndTrailer } from '../../framework/proactor/AsynchTransmitFile';
import { Proactor } from '../../framework/proactor/Proactor';
import { tcpPair } from './tcpPair';
import { TransmitEnds } from './transmitFiles';

async function main(): Promise<void> {
  const proactor = new Proactor();
  const dir = mkdtempSync(join(tmpdir(), 'ace-transmit-trace-'));
  const data = randomBytes(8 * 1024 * 1024);
  writeFileSync(join(dir, 'f'), data);
  const file = openSync(join(dir, 'f'), 'r');
  const { server, client } = await tcpPair(proactor);
  const ends = new TransmitEnds(proactor, server, client);
  ends.startReading();
  writeSync(2, 'ACE-BEGIN\n');
  ends.tf.transmitFile(file, new HeaderAndTrailer(MessageBlock.from('HEAD'), undefined, MessageBlock.from('TAIL')));
  const deadline = Date.now() + 20000;
  while ((ends.transmits.length === 0 || ends.end === undefined) && Date.now() < deadline) {
    proactor.handleEvents(50);
    await undefined;
  }
  writeSync(2, 'ACE-END\n');
  const intact = ends.bytes().equals(Buffer.concat([Buffer.from('HEAD'), data, Buffer.from('TAIL')]));
  const backend = proactor.implementation().name;
  await proactor.close();
  loadNative().socket.close(server);
  loadNative().socket.close(client);
  closeSync(file);
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ backend, file, socket: server, intact }) + '\n');
}

void main();
