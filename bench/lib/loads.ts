import { type Load } from './loadgen';

const sizeName = (n: number) => (n >= 1024 ? `${n / 1024} KiB` : `${n} B`);
const sizeShort = (n: number) => (n >= 1024 ? `${n / 1024}K` : `${n}B`);

function rr(conns: number, size: number, syscalls = false): Load {
  return { id: `rr/${conns}/${size}`, label: `${sizeName(size)} × ${conns}`, chart: `${sizeShort(size)} ${conns}c`, mode: 'rr', conns, size, syscalls };
}

function stream(conns: number, size: number, window: number, syscalls = false): Load {
  return { id: `stream/${conns}/${size}`, label: `stream ${sizeName(size)} × ${conns}`, chart: `${sizeShort(size)} ${conns}c·stream`, mode: 'stream', conns, size, window, syscalls };
}

/** Every load of a full run: {1, 100, 1000} connections × {64 B, 4 KiB, 64 KiB}, then streaming 64 KiB at 10, 100 and 1000 connections. */
export function fullLoads(): Load[] {
  const loads: Load[] = [];
  for (const conns of [1, 100, 1000]) {
    for (const size of [64, 4096, 65536]) loads.push(rr(conns, size, size === 64));
  }
  for (const conns of [10, 100, 1000]) loads.push(stream(conns, 65536, 4, conns === 10));
  return loads;
}

/** A smoke test: the two loads the targets are stated at. */
export function quickLoads(): Load[] {
  return [rr(100, 64, true), stream(10, 65536, 4, true)];
}
