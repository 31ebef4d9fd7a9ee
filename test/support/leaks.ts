import { readdirSync } from 'node:fs';

/**
 * Why handles cannot be counted here, or undefined where they can: Linux
 * lists them in /proc/self/fd; Wine answers GetProcessHandleCount with 0.
 */
export const handleCountUnavailable: string | undefined =
  process.platform === 'linux' ? undefined : `${process.platform}: no count of open handles (Wine's GetProcessHandleCount says 0)`;

/**
 * Open file descriptors of this process; -1 where they cannot be counted
 * (handleCountUnavailable), so a before/after comparison there holds and
 * expectNoFdLeaks says by name what was not checked.
 */
export function openFds(): number {
  return handleCountUnavailable === undefined ? readdirSync('/proc/self/fd').length : -1;
}

/**
 * Registers hooks asserting that each test in the block leaves the fd count
 * where it found it (closes settle before the test ends). Where handles
 * cannot be counted, a skipped case says so instead.
 */
export function expectNoFdLeaks(): void {
  if (handleCountUnavailable !== undefined) {
    it.skip(`should leave as many open handles as it found (${handleCountUnavailable})`, () => {});
    return;
  }
  let before = 0;
  beforeEach(() => {
    before = openFds();
  });
  afterEach(() => {
    // More fds than before is a leak. Fewer happens: descriptors the test
    // runner itself had open when the test began (three, seen under load)
    // may close while it runs.
    expect(openFds()).toBeLessThanOrEqual(before);
  });
}
