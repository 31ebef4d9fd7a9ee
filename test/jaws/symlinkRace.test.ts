import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DocumentRoot } from '../../applications/jaws/DocumentRoot';
import { decodeTarget } from '../../applications/jaws/RequestTarget';
import { backends } from '../support/backends';
import { onlyOnLinux, skipNote } from '../support/platform';
import { expectNoFdLeaksAroundServers, fetchOnce, startJaws } from './support';

// Flips, as fast as it can until killed, both kinds of link a request can meet:
// www/flip, a last component, between inside.txt and out/f (a new link renamed over it),
// and www/d, a directory component, between the real directory (holding f) and a link to out.
const FLIPPER = `
const { renameSync, symlinkSync } = require('node:fs');
const [www, out] = process.argv.slice(1);
process.stdout.write('ready\\n');
for (;;) {
  symlinkSync(out + '/f', www + '/flip.tmp');
  renameSync(www + '/flip.tmp', www + '/flip');
  renameSync(www + '/d', www + '/d.real');
  renameSync(www + '/d.link', www + '/d');
  symlinkSync('inside.txt', www + '/flip.tmp');
  renameSync(www + '/flip.tmp', www + '/flip');
  renameSync(www + '/d', www + '/d.link');
  renameSync(www + '/d.real', www + '/d');
}`;

/** base/www (inside.txt, d/f, the links) and base/out (f: outside, made by makeOutside). */
function makeTree(makeOutside: (path: string) => void): { base: string; www: string; out: string } {
  const base = mkdtempSync(join(tmpdir(), 'jaws-race-'));
  const www = join(base, 'www');
  const out = join(base, 'out');
  mkdirSync(join(www, 'd'), { recursive: true });
  mkdirSync(out);
  writeFileSync(join(www, 'inside.txt'), 'inside');
  writeFileSync(join(www, 'd', 'f'), 'inside');
  makeOutside(join(out, 'f'));
  symlinkSync('inside.txt', join(www, 'flip'));
  symlinkSync(out, join(www, 'd.link'));
  return { base, www, out };
}

async function startFlipper(www: string, out: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', FLIPPER, www, out], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the flipper exited (${code}) before it began`)));
  });
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const target = (path: string) => {
  const t = decodeTarget(path);
  if (!t.ok) throw new Error(`${path}: ${t.reason}`);
  return t;
};

(onlyOnLinux ? describe.skip : describe)(`a link swapped in while a path is opened${skipNote(onlyOnLinux)}`, () => {
  // The outside file is a FIFO with a writer blocked in open(2): an open of it
  // for reading, however brief (even one caught and closed at once), lets the
  // writer through, and it says so.
  it('should never open anything outside the root', async () => {
    const { base, www, out } = makeTree((path) => execFileSync('mkfifo', [path]));
    const writer = spawn('sh', ['-c', 'exec 3>"$0" && echo opened', join(out, 'f')], { stdio: ['ignore', 'pipe', 'inherit'] });
    let writerOpened = false;
    writer.stdout!.on('data', () => (writerOpened = true));
    const root = new DocumentRoot(www);
    const flipper = await startFlipper(www, out);
    const seen = new Map<string, number>();
    try {
      // Until the race has been met a few times (a link found where the resolved path had none:
      // some 1 in 10,000 opens on a loaded 2-core machine), or 15 s.
      const deadline = Date.now() + 15000;
      while (Date.now() < deadline && (seen.get('403 cannot be opened (ELOOP)') ?? 0) < 3) {
        for (let i = 0; i < 200; i++) {
          for (const path of ['/d/f', '/flip']) {
            const f = root.open(target(path));
            if (f.ok) closeSync(f.fd);
            const key = f.ok ? '200' : `${f.status} ${f.reason}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          }
        }
      }
      await stopChild(flipper);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the writer's word, if it has one
      expect(writerOpened).toBe(false);
      expect(seen.get('200')).toBeGreaterThan(0);
      expect(seen.get('403 a path that leads outside the root')).toBeGreaterThan(0);
      expect(seen.get('403 cannot be opened (ELOOP)')).toBeGreaterThan(0);
      expect([...seen.keys()].filter((k) => !k.startsWith('200') && !k.startsWith('403') && !k.startsWith('404'))).toEqual([]);
    } finally {
      await stopChild(flipper);
      root.close();
      // Opening the read end lets a writer still blocked in open(2) through, so that it exits.
      if (!writerOpened) closeSync(openSync(join(out, 'f'), constants.O_RDONLY | constants.O_NONBLOCK));
      if (writer.exitCode === null) await new Promise((resolve) => writer.once('exit', resolve));
      rmSync(base, { recursive: true, force: true });
    }
  }, 40000);

  describe('over HTTP', () => {
    expectNoFdLeaksAroundServers();

    it('should answer the inside content or 403/404, never the outside content', async () => {
      const { base, www, out } = makeTree((path) => writeFileSync(path, 'OUTSIDE'));
      const jaws = await startJaws(backends[0], www);
      const flipper = await startFlipper(www, out);
      const statuses = new Map<number, number>();
      const bodies = new Set<string>();
      try {
        const deadline = Date.now() + 2000;
        const client = async (path: string) => {
          while (Date.now() < deadline) {
            const r = await fetchOnce(jaws.port, `GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
            statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
            if (r.status === 200) bodies.add(r.body.toString());
          }
        };
        await Promise.all([client('/flip'), client('/flip'), client('/d/f'), client('/d/f')]);
        expect([...bodies]).toEqual(['inside']);
        expect([...statuses.keys()].filter((s) => s !== 200 && s !== 403 && s !== 404)).toEqual([]);
        expect(statuses.get(403)).toBeGreaterThan(0);
      } finally {
        await stopChild(flipper);
        await jaws.stop();
        rmSync(base, { recursive: true, force: true });
      }
    }, 30000);
  });
});
