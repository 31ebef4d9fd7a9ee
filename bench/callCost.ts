/**
 * What one read prepare costs across N-API: the addon's seven-argument
 * read against readPacked, whose operands but the buffer travel in the
 * shared operands array (framework/native/packHotCalls.ts). Both fill the
 * same operation; a ring of 8 entries sends every one after the first 8 to
 * the backend's backlog, so no system call is made in the timed loop.
 * Rounds alternate between the two; the medians are printed.
 *
 * Usage: node dist/bench/callCost.js [--backend uring] [--calls 200000] [--rounds 8]
 */
import { parseArgs } from 'node:util';
import { loadNative } from '../framework/native/loadNative';
import { packHotCalls } from '../framework/native/packHotCalls';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'uring' },
    calls: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '8' },
  },
});
const CALLS = Number(values.calls);
const n = loadNative();

/** Nanoseconds per read prepare, through packed or the seven-argument call. */
function round(packed: boolean): number {
  const operands = new Float64Array(new ArrayBuffer(6 * Float64Array.BYTES_PER_ELEMENT));
  const p = new n.Proactor(values.backend!, { sqEntries: 8 }, new Int32Array(64), () => undefined, operands);
  if (packed) packHotCalls(p, operands);
  const [a, b] = n.socket.pair() as [number, number];
  const buf = Buffer.alloc(64);
  try {
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) p.read(i, 1, a, buf, 0, 64, -1);
    return Number(process.hrtime.bigint() - start) / CALLS;
  } finally {
    p.destroy();
    n.socket.close(a);
    n.socket.close(b);
  }
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const seven: number[] = [];
const packed: number[] = [];
for (let r = 0; r < Number(values.rounds); r++) {
  seven.push(round(false));
  packed.push(round(true));
}
console.log(
  `${values.backend}: ns per read prepare, median of ${seven.length} rounds of ${CALLS}: ` +
    `seven arguments ${median(seven).toFixed(0)}, packed ${median(packed).toFixed(0)} ` +
    `(packed ÷ seven ${(median(packed) / median(seven)).toFixed(2)})`,
);
