import { type NativeProactor } from './NativeBinding';

/**
 * Makes native's read, write, recv and send, the calls every stream
 * operation makes, cross N-API with one argument: the operands but the
 * buffer go into operands, memory the addon reads directly, and the packed
 * calls take the buffer alone. Seven arguments would cost node-addon-api a
 * heap array and an N-API conversion each. The four are own properties of
 * native, in front of the class's methods, so callers see the same calls.
 * (Each is written out: one shared closure would make its call site see
 * four targets.)
 */
export function packHotCalls(native: NativeProactor, operands: Float64Array): void {
  /** Operands but the buffer; last is read's and write's position, recv's and send's msgFlags. */
  const put = (slot: number, gen: number, fd: number, offset: number, length: number, last: number): void => {
    // Every operand made a number before the first is stored: a valueOf
    // that starts another operation cannot leave this one half written.
    const s = +slot, g = +gen, f = +fd, o = +offset, n = +length, l = +last;
    operands[0] = s;
    operands[1] = g;
    operands[2] = f;
    operands[3] = o;
    operands[4] = n;
    operands[5] = l;
  };
  Object.defineProperties(native, {
    read: {
      value: (slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number): number => {
        put(slot, gen, fd, offset, length, position);
        return native.readPacked(buf);
      },
    },
    write: {
      value: (slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, position: number): number => {
        put(slot, gen, fd, offset, length, position);
        return native.writePacked(buf);
      },
    },
    recv: {
      value: (slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, msgFlags: number): number => {
        put(slot, gen, fd, offset, length, msgFlags);
        return native.recvPacked(buf);
      },
    },
    send: {
      value: (slot: number, gen: number, fd: number, buf: Uint8Array, offset: number, length: number, msgFlags: number): number => {
        put(slot, gen, fd, offset, length, msgFlags);
        return native.sendPacked(buf);
      },
    },
  });
}
