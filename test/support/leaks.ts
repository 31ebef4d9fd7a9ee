import { readdirSync } from 'node:fs';

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Registers hooks asserting that each test in the block leaves the fd count
 * where it found it (closes settle before the test ends).
 */
export function expectNoFdLeaks(): void {
  let before = 0;
  beforeEach(() => {
    before = openFds();
  });
  afterEach(() => {
    expect(openFds()).toBe(before);
  });
}
