import { MessageBlock } from '../../framework/common/MessageBlock';

describe('MessageBlock', () => {
  describe('when bytes are copied in and consumed', () => {
    it('should move wrPtr on copy and rdPtr on consume, keeping length and space in step', () => {
      const mb = new MessageBlock(10);
      expect([mb.size(), mb.length(), mb.space()]).toEqual([10, 0, 10]);
      mb.copy('hello');
      expect([mb.rdPtr(), mb.wrPtr(), mb.length(), mb.space()]).toEqual([0, 5, 5, 5]);
      mb.rdPtr(2);
      expect(mb.data().toString()).toBe('llo');
      mb.crunch();
      expect([mb.rdPtr(), mb.wrPtr(), mb.data().toString()]).toEqual([0, 3, 'llo']);
      mb.reset();
      expect(mb.length()).toBe(0);
    });

    it('should refuse to move a pointer out of its range or copy past the end', () => {
      const mb = MessageBlock.from('abc');
      expect(() => mb.rdPtr(4)).toThrow(RangeError);
      expect(() => mb.wrPtr(1)).toThrow(/outside 0\.\.3/);
      expect(() => mb.copy('x')).toThrow(/do not fit/);
      expect(() => mb.setPointers(2, 1)).toThrow(RangeError);
      expect(() => new MessageBlock(-1)).toThrow(RangeError);
      expect(mb.data().toString()).toBe('abc');
    });
  });

  describe('when blocks are chained', () => {
    it('should total length and space over the chain', () => {
      const head = MessageBlock.from('ab');
      head.cont = new MessageBlock(4);
      head.cont.copy('c');
      expect(head.totalLength()).toBe(3);
      expect(head.totalSpace()).toBe(3);
    });
  });

  describe('when made over an existing buffer', () => {
    it('should share the memory, starting empty', () => {
      const buf = Buffer.from('xyz');
      const mb = new MessageBlock(buf);
      expect(mb.buffer).toBe(buf);
      expect(mb.length()).toBe(0);
      mb.wrPtr(3);
      expect(mb.data().toString()).toBe('xyz');
    });
  });
});
