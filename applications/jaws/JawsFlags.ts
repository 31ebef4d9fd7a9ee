import { backendNames, numericHost, parseFlags, wholeNumber } from '../example_proactor/Flags';
import { DEFAULT_LIMITS, type JawsLimits, ZERO_ALLOWED } from './JawsLimits';

/** How JAWS dispatches: one of the Proactor's strategies on the main thread, or a pool of call-through threads. */
export type JawsDispatch = 'post-reactive' | 'call-through' | 'pool';

export interface JawsCommandLine {
  root: string;
  host: string;
  port: number;
  backend?: string;
  dispatch: JawsDispatch;
  threads: number;
  accessLog: boolean;
  limits: JawsLimits;
}

/** The limit flags and the limits they set. */
const LIMIT_FLAGS: [flag: string, limit: keyof JawsLimits][] = [
  ['max-header-bytes', 'maxHeaderBytes'],
  ['max-uri-bytes', 'maxUriBytes'],
  ['max-header-count', 'maxHeaderCount'],
  ['max-body-bytes', 'maxBodyBytes'],
  ['max-connections', 'maxConnections'],
  ['header-timeout', 'headerTimeoutMs'],
  ['idle-timeout', 'idleTimeoutMs'],
  ['file-cache', 'fileCacheMs'],
  ['release-memory', 'releaseMemoryMs'],
];

export const USAGE = `usage: jaws --root DIR [--host 127.0.0.1] [--port 8080 (0: any free port)] [--backend <proactor backend>]
            [--dispatch post-reactive|call-through|pool] [--threads 2 (with --dispatch pool)] [--access-log]
            [--max-header-bytes ${DEFAULT_LIMITS.maxHeaderBytes}] [--max-uri-bytes ${DEFAULT_LIMITS.maxUriBytes}] [--max-header-count ${DEFAULT_LIMITS.maxHeaderCount}]
            [--max-body-bytes ${DEFAULT_LIMITS.maxBodyBytes}] [--max-connections ${DEFAULT_LIMITS.maxConnections}]
            [--header-timeout ${DEFAULT_LIMITS.headerTimeoutMs} (ms)] [--idle-timeout ${DEFAULT_LIMITS.idleTimeoutMs} (ms)]
            [--file-cache ${DEFAULT_LIMITS.fileCacheMs} (ms; 0: none)]
            [--release-memory ${DEFAULT_LIMITS.releaseMemoryMs} (ms at a quarter of the peak connections or fewer before the memory a spike left is given back; 0: never)]`;

const MAX_TIMEOUT_MS = 2147483647;

/** JAWS's command line; throws the message to print (with the usage) for anything it does not take. */
export function parseJawsFlags(argv: string[]): JawsCommandLine {
  const limitOptions = Object.fromEntries(LIMIT_FLAGS.map(([flag]) => [flag, { type: 'string' as const }]));
  const { values } = parseFlags(
    {
      args: argv,
      options: {
        root: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8080' },
        backend: { type: 'string' },
        dispatch: { type: 'string', default: 'post-reactive' },
        threads: { type: 'string' },
        'access-log': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
        ...limitOptions,
      },
    },
    USAGE,
  );
  const v = values as Record<string, string | boolean | undefined>;
  if (v.help) throw new Error(USAGE);
  if (typeof v.root !== 'string' || v.root === '') throw new Error(`--root DIR is required\n${USAGE}`);
  const port = wholeNumber('port', v.port as string, 0, 65535, USAGE);
  const dispatch = v.dispatch as string;
  if (dispatch !== 'post-reactive' && dispatch !== 'call-through' && dispatch !== 'pool') {
    throw new Error(`--dispatch must be post-reactive, call-through or pool, got '${dispatch}'\n${USAGE}`);
  }
  if (v.threads !== undefined && dispatch !== 'pool') throw new Error(`--threads goes with --dispatch pool\n${USAGE}`);
  const threads = v.threads === undefined ? 2 : wholeNumber('threads', v.threads as string, 1, 256, USAGE);
  const limits: JawsLimits = { ...DEFAULT_LIMITS };
  for (const [flag, limit] of LIMIT_FLAGS) {
    const text = v[flag];
    if (typeof text === 'string') limits[limit] = wholeNumber(flag, text, ZERO_ALLOWED.has(limit) ? 0 : 1, MAX_TIMEOUT_MS, USAGE);
  }
  return {
    root: v.root,
    host: numericHost(v.host as string, USAGE),
    port,
    backend: backendNames(v.backend as string | undefined, USAGE),
    dispatch,
    threads,
    accessLog: v['access-log'] === true,
    limits,
  };
}
