/**
 * The command-line entry the bundled servers share: flags parsed (a bad
 * flag: its message, exit code 2), then served on a thread pool or on this
 * thread; run as the main module, the process ends by itself once the
 * server has closed everything, and says what is left if it does not.
 */

/** Parses argv with parse, then serves as `dispatch` says; resolves with the exit code. */
export async function serveFromCommandLine<O extends { dispatch: string }>(
  argv: string[],
  parse: (argv: string[]) => O,
  serveOnPool: (options: O) => Promise<number>,
  serveOnThisThread: (options: O) => Promise<number>,
): Promise<number> {
  let options: O;
  try {
    options = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  return options.dispatch === 'pool' ? serveOnPool(options) : serveOnThisThread(options);
}

/**
 * Runs main with the process's arguments and sets the exit code. Everything
 * closed, the process ends by itself; if it is still running 3 s later, the
 * resources that hold it are named and it exits.
 */
export function runAsMain(name: string, main: (argv: string[]) => Promise<number>): void {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    setTimeout(() => {
      process.stderr.write(`${name}: still running after shutdown: ${process.getActiveResourcesInfo().join(', ')}\n`);
      process.exit(code || 1);
    }, 3000).unref();
  });
}
