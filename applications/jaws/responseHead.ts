const REASONS: Record<number, string> = {
  200: 'OK',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  416: 'Range Not Satisfiable',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

let dateSecond = -1;
let dateField = '';

/** An HTTP date (IMF-fixdate) for seconds since the epoch. */
export function httpDate(seconds: number): string {
  return new Date(seconds * 1000).toUTCString();
}

/** The Date field, made once a second. */
function now(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateField = `Date: ${httpDate(second)}\r\n`;
  }
  return dateField;
}

/** The reason phrase JAWS sends with status. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/**
 * A response head: status line, Date, Server, the given fields (each
 * `Name: value\r\n`), Connection, and the blank line.
 *
 * @example
 * responseHead(200, 'Content-Length: 5\r\n', true)
 */
export function responseHead(status: number, fields: string, keepAlive: boolean): string {
  return `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n${now()}Server: JAWS\r\n${fields}Connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
}

/** A whole error response: the head and, unless for HEAD, a one-line text body. */
export function errorResponse(status: number, keepAlive: boolean, head: boolean, extraFields = ''): string {
  const body = `${status} ${reasonPhrase(status)}\n`;
  const fields = `${extraFields}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n`;
  return responseHead(status, fields, keepAlive) + (head ? '' : body);
}
