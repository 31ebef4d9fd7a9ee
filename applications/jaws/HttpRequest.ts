/** One parsed HTTP/1.x request head. */
export interface HttpRequest {
  /** The method token, as sent (case matters: `get` is not GET). */
  method: string;
  /** The request target, as sent (not decoded). */
  target: string;
  /** The minor version: 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  /** Header fields by lower-case name; repeated fields joined with ", ". */
  headers: Map<string, string>;
  /** Whether the connection stays open after the response (HTTP/1.1 unless `close`, HTTP/1.0 only with `keep-alive`). */
  keepAlive: boolean;
  /** Bytes of body that follow the head (Content-Length), to be read and discarded. */
  contentLength: number;
}
