/**
 * The typed face of the addon (native/addon.cc). Only loadNative sees the
 * untyped module.
 */

/** A verb the native layer can run; see native/common/operation.h. */
export type NativeVerb =
  | 'nop' | 'read' | 'write' | 'readv' | 'writev' | 'recv' | 'send'
  | 'accept' | 'connect' | 'close' | 'timeout' | 'cancel'
  | 'readFixed' | 'writeFixed' | 'acceptMultishot' | 'recvMultishot' | 'sendZc'
  | 'recvmsg' | 'sendmsg' | 'sendfile';

/** Bits of a completion's flags word (native/common/operation.h). */
export const CompletionFlag = {
  /** More completions follow for this operation; its slot stays in flight. */
  MORE: 1,
  /** The kernel picked a ring buffer; its id is flags >>> BUFFER_SHIFT. */
  BUFFER: 2,
  /** A zero-copy send no longer needs its buffer. */
  NOTIF: 4,
  /** Shift that takes a ring buffer id out of the flags. */
  BUFFER_SHIFT: 16,
} as const;

/** Set-up options passed to a native backend. */
export interface NativeBackendOptions {
  sqEntries?: number;
  cqEntries?: number;
  sqpoll?: boolean;
  deferTaskrun?: boolean;
  fixedFiles?: number;
  /** Cancel operation by operation, as kernels before 5.19 must (for tests of that path). */
  legacyCancel?: boolean;
}

/**
 * One backend instance. Every prepare call takes (slot, gen) — the
 * completion token — and returns 0 or -errno; it makes no system call.
 */
export interface NativeProactor {
  read(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  write(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number): number;
  /** read, its operands but buf (slot, gen, fd, offset, length, position) taken from the operands array. */
  readPacked(buf: Uint8Array): number;
  /** write, its operands but buf taken from the operands array. */
  writePacked(buf: Uint8Array): number;
  /** recv, its operands but buf taken from the operands array (the sixth: msgFlags). */
  recvPacked(buf: Uint8Array): number;
  /** send, likewise. */
  sendPacked(buf: Uint8Array): number;
  recv(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, msgFlags: number): number;
  send(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, msgFlags: number): number;
  readv(slot: number, gen: number, fd: number, views: Uint8Array[], iovecs: Uint8Array, position: number): number;
  writev(slot: number, gen: number, fd: number, views: Uint8Array[], iovecs: Uint8Array, position: number): number;
  accept(slot: number, gen: number, listenFd: number, addressBlock: Uint8Array): number;
  connect(slot: number, gen: number, fd: number, sockaddr: Uint8Array, addrlen: number): number;
  close(slot: number, gen: number, fd: number): number;
  nop(slot: number, gen: number): number;
  /** Completes with -ETIME after ms, or at ms on the CLOCK_MONOTONIC clock (process.hrtime's) when absolute. */
  timeout(slot: number, gen: number, timespecBlock: Uint8Array, ms: number, absolute: boolean): number;
  cancel(slot: number, gen: number): number;
  /** read/write through registered buffer bufIndex; the bytes must lie inside it (else -EFAULT). */
  readFixed(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number, bufIndex: number): number;
  writeFixed(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number, bufIndex: number): number;
  /** One completion per connection, flagged MORE, until cancelled or failed. */
  acceptMultishot(slot: number, gen: number, listenFd: number): number;
  /** One completion per arrival into a buffer of ring group, flagged MORE|BUFFER, until EOF, error or ENOBUFS. */
  recvMultishot(slot: number, gen: number, fd: number, group: number, oneShot?: boolean): number;
  /** Completes with the bytes sent (MORE), then again (NOTIF) when the buffer is free. */
  sendZc(slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, msgFlags: number): number;
  /**
   * One datagram scattered over views; the kernel writes the sender's
   * address, its length and the message flags into messageBlock (laid out
   * by the MSG_* constants), which must hold the iovecs too.
   */
  recvmsg(slot: number, gen: number, fd: number, views: Uint8Array[], messageBlock: Uint8Array, msgFlags: number): number;
  /** One datagram gathered from views, to sockaddr (null: the connected peer). */
  sendmsg(slot: number, gen: number, fd: number, views: Uint8Array[], messageBlock: Uint8Array, sockaddr: Uint8Array | null, msgFlags: number): number;
  /**
   * Sends up to length bytes (1..0x7ffff000) of fileFd from position to socketFd inside the
   * kernel (io_uring: splice through a pipe; epoll: sendfile); completes with the bytes sent.
   */
  sendfile(slot: number, gen: number, socketFd: number, fileFd: number, position: number, length: number): number;
  /** Registers buffers for readFixed/writeFixed (index = position in the list); 0 or -errno. Held until destroy(). */
  registerBuffers(buffers: Uint8Array[]): number;
  /** Registers count buffers of size bytes carved from buffer as ring group; 0 or -errno. Held until destroy(). */
  registerBufferRing(group: number, buffer: Uint8Array, count: number, size: number): number;
  /** Gives ring buffer id of group back to the kernel; 0 or -errno. */
  provideBuffer(group: number, id: number): number;
  /** Registered-file slots in use. */
  fixedFilesInUse(): number;
  /** Hands prepared operations to the kernel: how many, -EAGAIN/-EBUSY (the rest waits: submit again later), or -errno. */
  submit(): number;
  /** Copies finished operations into the completions array; returns the count. */
  reap(): number;
  /** Submits, then waits up to ms (-1: no limit): 1 ready, 0 timed out, -errno. */
  wait(ms: number): number;
  /** Post-reactive dispatch: libuv watches the notification fd and calls onReady; unref: without keeping the process alive. */
  start(unref?: boolean): void;
  /** Holds the JS side strongly (operations in flight, or watched), or lets it be collected. */
  hold(strong: boolean): void;
  /** The fd that polls readable while completions wait (the ring's eventfd, the epoll fd). */
  notifyFd(): number;
  /** Re-arms notifyFd() (reads the eventfd) before a drain. */
  clearNotify(): void;
  /** Test hook: the next count submits fail with negErrno before entering the kernel. */
  failNextSubmits(count: number, negErrno: number): void;
  stop(): void;
  destroy(): void;
  describe(): string;
  supports(verb: NativeVerb): boolean;
  backlog(): number;
}

export interface NativeProactorConstructor {
  new (
    backend: string,
    options: NativeBackendOptions,
    completions: Int32Array,
    onReady: (status: number) => void,
    /** Six operands for readPacked/writePacked, shared for the proactor's life. */
    operands?: Float64Array,
  ): NativeProactor;
}

/** The platform's socket numbers and the native layout sizes. */
export interface NativeSocketConstants {
  AF_INET: number; AF_INET6: number; SOCK_STREAM: number; SOCK_DGRAM: number;
  SOL_SOCKET: number; SO_REUSEADDR: number; SO_REUSEPORT: number; SO_ERROR: number; SO_TYPE: number;
  SO_RCVBUF: number; SO_SNDBUF: number; SO_KEEPALIVE: number; SO_LINGER: number;
  IPPROTO_TCP: number; TCP_NODELAY: number; IPPROTO_IPV6: number; IPV6_V6ONLY: number;
  SHUT_RD: number; SHUT_WR: number; SHUT_RDWR: number;
  SOCKADDR_STORAGE_SIZE: number; ADDRESS_OFFSET: number; ADDRESS_BLOCK_SIZE: number;
  IOVEC_SIZE: number;
  /** A datagram's message block: the sockaddr at MSG_NAME_OFFSET, the iovecs at MSG_IOV_OFFSET. */
  MSG_NAME_OFFSET: number; MSG_IOV_OFFSET: number;
  /** Where the kernel writes the sender's address length and the message flags (uint32). */
  MSG_NAMELEN_OFFSET: number; MSG_FLAGS_OFFSET: number;
  MSG_TRUNC: number;
}

/** Synchronous socket calls; each returns its result or -errno. */
export interface NativeSocket {
  open(family: number, type: number, protocol: number): number;
  setOption(fd: number, level: number, name: number, value: number): number;
  getOption(fd: number, level: number, name: number): number;
  bind(fd: number, sockaddr: Uint8Array, length: number): number;
  listen(fd: number, backlog: number): number;
  localAddress(fd: number, sockaddr: Uint8Array): number;
  remoteAddress(fd: number, sockaddr: Uint8Array): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  /** Another fd for the same open socket (F_DUPFD_CLOEXEC), or -errno. */
  dup(fd: number): number;
  pair(): [number, number] | number;
  sendNow(fd: number, buf: Uint8Array, offset: number, length: number): number;
  recvNow(fd: number, buf: Uint8Array, offset: number, length: number): number;
  /** accept4(fd, NONBLOCK|CLOEXEC): the new fd, or -errno (-EAGAIN: none pending). */
  accept(fd: number, sockaddr: Uint8Array): number;
  constants: NativeSocketConstants;
}

/**
 * One Reactor demultiplexer instance (native/glue/reactor_binding.cc). Each
 * call returns its result or -errno.
 */
export interface NativeReactorBackend {
  /** Watches fd for the interest bits (1 readable, 2 writable, 4 priority). */
  add(fd: number, events: number): number;
  modify(fd: number, events: number): number;
  remove(fd: number): number;
  /** Waits up to ms (-1: no limit); writes (fd, events) pairs; returns the count. */
  wait(ms: number): number;
  /** Post-reactive dispatch: libuv watches the notification fd and calls onReady. */
  start(): void;
  stop(): void;
  destroy(): void;
  describe(): string;
  size(): number;
}

export interface NativeReactorBackendConstructor {
  new (name: string, events: Int32Array, onReady: (status: number) => void): NativeReactorBackend;
}

/** File calls the Linux build has (native/common/file_ops.h); each returns the new fd or -errno. */
export interface NativeFile {
  /**
   * Opens path relative to the directory dirFd with open(2) flags (plus O_NOFOLLOW and O_CLOEXEC)
   * through no symbolic link: a link anywhere in path fails with -ELOOP, an absolute path or a ".."
   * with -EXDEV. openat2(2) with RESOLVE_BENEATH, else openBeneathByWalk.
   */
  openBeneath(dirFd: number, path: string, flags: number): number;
  /** The same, opening one component at a time with openat(2) and O_NOFOLLOW (what openBeneath does without openat2). */
  openBeneathByWalk(dirFd: number, path: string, flags: number): number;
}

export interface NativeBinding {
  Proactor: NativeProactorConstructor;
  /** The proactor backends this build has, most preferred first, comma-separated. */
  backends: string;
  /** The backends tried when none is named, most preferred first (backends less those taken only by name). */
  defaultBackends: string;
  ReactorBackend: NativeReactorBackendConstructor;
  /** The reactor demultiplexers this build has, most preferred first, comma-separated. */
  reactorBackends: string;
  socket: NativeSocket;
  /** Linux only: absent from the win32 build. */
  file?: NativeFile;
  /**
   * Linux only: V8's low-memory collection of the calling thread's heap, then malloc_trim(0)
   * (native/glue/memory_binding.cc). Blocks the thread while it runs. False when the runtime had
   * no V8 collection to call (only malloc_trim ran).
   */
  releaseMemory?: () => boolean;
  /** Bytes into buffer at which its memory is aligned to align (a power of two). */
  alignOffset(buffer: Uint8Array, align: number): number;
}
