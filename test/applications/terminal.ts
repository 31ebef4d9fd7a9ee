import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { until } from './support';

const RELAY = join(__dirname, 'pty_relay.py');

/** A process on a pseudo-terminal: a keyboard, and the screen it draws. */
export interface Terminal {
  /** Types keys ("\r" is Enter, "\x04" is Ctrl-D). */
  type: (keys: string) => void;
  /** The screen's lines, as render() draws them. */
  screen: () => string[];
  /** Waits until the screen's text matches. */
  shows: (pattern: RegExp, limitMs?: number) => Promise<void>;
  /** The exit code (128 + the signal if one killed it). */
  exited: Promise<number | null>;
  /** Kills it if it still runs (its terminal hangs up) and waits for the exit. */
  stop: () => Promise<number | null>;
}

/** Runs a Node script on a 24 × 80 pseudo-terminal (python3's pty module). */
export function runInTerminal(script: string, args: string[], limitMs = 30000): Terminal {
  const child = spawn('python3', [RELAY, process.execPath, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  let running = true;
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      running = false;
      clearTimeout(killer);
      resolve(code);
    }),
  );
  child.stdin.on('error', () => undefined);
  const screen = () => render(output);
  return {
    type: (keys) => child.stdin.write(keys),
    screen,
    shows: (pattern, limit = 10000) => until(() => pattern.test(screen().join('\n')), () => `${pattern} on the screen:\n${screen().join('\n')}`, limit),
    exited,
    stop: () => {
      if (running) child.kill('SIGKILL');
      return exited;
    },
  };
}

/**
 * What a terminal shows after output: text, CR, LF, backspace, and the
 * cursor and erase sequences readline uses (CSI A B C D G J K); others are
 * dropped. Trailing blanks are trimmed.
 */
export function render(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  for (let i = 0; i < output.length; i++) {
    const ch = output[i];
    if (ch === '\x1b') {
      const csi = /^\x1b\[([?\d;]*)([@-~])/.exec(output.slice(i));
      if (!csi) continue;
      i += csi[0].length - 1;
      const n = Number(csi[1]) || 0;
      if (csi[2] === 'A') row = Math.max(0, row - (n || 1));
      else if (csi[2] === 'B') row += n || 1;
      else if (csi[2] === 'C') col += n || 1;
      else if (csi[2] === 'D') col = Math.max(0, col - (n || 1));
      else if (csi[2] === 'G') col = Math.max(0, n - 1);
      else if (csi[2] === 'K' && n === 0) rows[row].length = Math.min(col, rows[row].length);
      else if (csi[2] === 'J' && n === 0) {
        rows[row].length = Math.min(col, rows[row].length);
        rows.length = row + 1;
      }
      while (rows.length <= row) rows.push([]);
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row++;
      while (rows.length <= row) rows.push([]);
    } else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ') {
      while (rows[row].length < col) rows[row].push(' ');
      rows[row][col++] = ch;
    }
  }
  return rows.map((r) => r.join('').trimEnd());
}
