import { constants } from 'node:os';

/** The platform's errno numbers by name (ECONNRESET, ECANCELED, …). */
export const Errno = constants.errno;

const names = new Map<number, string>();
for (const [name, value] of Object.entries(constants.errno)) {
  if (!names.has(value)) names.set(value, name);
}

/** 'ECONNRESET' for ECONNRESET's number; 'E<n>' for a number without a name. */
export function errnoName(errno: number): string {
  return names.get(errno) ?? `E${errno}`;
}
