import { expectNoFdLeaks } from '../support/leaks';
import { type Client, CLIENT, type Server, startClient, startServer, until, within } from './support';
import { runInTerminal, type Terminal } from './terminal';
import { noChildNode, onlyOnLinux, skipNote } from '../support/platform';

const PROMPT = 'Enter Message : ';

expectNoFdLeaks();

(onlyOnLinux ? describe.skip : describe)(`example_proactor client in a terminal${skipNote(onlyOnLinux)}`, () => {
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

(noChildNode ? describe.skip : describe)(`example_proactor client, when the server closes the connection${skipNote(noChildNode)}`, () => {
  let server: Server | undefined;
  let client: Client | undefined;
  let terminal: Terminal | undefined;

  afterEach(async () => {
    await Promise.all([client?.stop(), terminal?.stop(), server?.stop('SIGINT')]);
    [client, terminal, server] = [undefined, undefined, undefined];
  });

  it('should end the prompt line, say so on stderr and exit 1, with stdin piped', async () => {
    server = await startServer();
    const session = (client = startClient(['--port', String(server.port)]));
    session.write('hi\n');
    await until(() => session.stdout().endsWith(`Received: Echo - hi\n${PROMPT}`), () => `the reply (stdout ${JSON.stringify(session.stdout())})`);
    expect((await server.stop('SIGINT')).code).toBe(0);
    const exit = await within(session.exited, 'the client to exit once the server closed the connection');
    expect(exit).toMatchObject({
      code: 1,
      stdout: `${PROMPT}Received: Echo - hi\n${PROMPT}\n`,
      stderr: 'example_proactor client: connection closed by the server\n',
    });
  });

  it('should say so on a line of its own and exit 1, in a terminal', async () => {
    server = await startServer();
    const session = (terminal = runInTerminal(CLIENT, ['--host', '127.0.0.1', '--port', String(server.port)]));
    await session.shows(/^Enter Message :$/);
    session.type('hi\r');
    await session.shows(/Received: Echo - hi[^]*Enter Message :$/);
    expect((await server.stop('SIGINT')).code).toBe(0);
    expect(await within(session.exited, 'the client to exit once the server closed the connection')).toBe(1);
    expect(session.screen()).toEqual([
      'Enter Message : hi',
      'Received: Echo - hi',
      'Enter Message :',
      'example_proactor client: connection closed by the server',
      '',
    ]);
  });
});
