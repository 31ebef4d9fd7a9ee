import { expectNoFdLeaks } from '../support/leaks';
import { CLIENT, type Server, startServer } from './support';
import { runInTerminal, type Terminal } from './terminal';

expectNoFdLeaks();

describe('example_proactor client in a terminal', () => {
  let server: Server;
  let terminal: Terminal | undefined;

  beforeAll(async () => {
    server = await startServer();
  });

  afterAll(async () => {
    expect((await server.stop('SIGINT')).code).toBe(0);
  });

  afterEach(async () => {
    await terminal?.stop();
    terminal = undefined;
  });

  const client = () => (terminal = runInTerminal(CLIENT, ['--host', '127.0.0.1', '--port', String(server.port)]));

  it('should show what is typed, each reply on a line of its own and a fresh prompt after it', async () => {
    const session = client();
    await session.shows(/^Enter Message :$/);
    session.type('hello\r');
    await session.shows(/Received: Echo - hello[^]*Enter Message :$/);
    expect(session.screen()).toEqual(['Enter Message : hello', 'Received: Echo - hello', 'Enter Message :']);
    session.type('wörld\r');
    await session.shows(/Received: Echo - wörld[^]*Enter Message :$/);
    session.type('exit\r');
    expect(await session.exited).toBe(0);
    expect(session.screen()).toEqual([
      'Enter Message : hello',
      'Received: Echo - hello',
      'Enter Message : wörld',
      'Received: Echo - wörld',
      'Enter Message : exit',
      '',
    ]);
  });

  it('should quit at Ctrl-D, leaving the cursor on a fresh line', async () => {
    const session = client();
    await session.shows(/^Enter Message :$/);
    session.type('\x04');
    expect(await session.exited).toBe(0);
    expect(session.screen()).toEqual(['Enter Message :', '']);
  });
});
