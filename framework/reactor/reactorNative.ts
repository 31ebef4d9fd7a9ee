import { loadNative } from '../native/loadNative';

/**
 * One demultiplexer instance (native/glue/reactor_binding.cc). Each call
 * returns its result or -errno.
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

/** The part of the addon the Reactor uses, beyond NativeBinding's. */
export interface NativeReactorBinding {
  ReactorBackend: NativeReactorBackendConstructor;
  /** The demultiplexers this build has, most preferred first, comma-separated. */
  reactorBackends: string;
  socket: {
    /** accept4(fd, NONBLOCK|CLOEXEC): the new fd, or -errno (-EAGAIN: none pending). */
    accept(fd: number, sockaddr: Uint8Array): number;
  };
}

/** The addon, typed for the Reactor. */
export function reactorNative(): NativeReactorBinding {
  return loadNative() as unknown as NativeReactorBinding;
}
