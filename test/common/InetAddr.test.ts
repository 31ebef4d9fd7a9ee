import { InetAddr } from '../../framework/common/InetAddr';

describe('InetAddr', () => {
  describe('when encoded to a sockaddr and decoded back', () => {
    it.each([
      ['127.0.0.1', 8080, '127.0.0.1:8080'],
      ['0.0.0.0', 0, '0.0.0.0:0'],
      ['::1', 443, '[::1]:443'],
      ['fe80::1:2', 1, '[fe80::1:2]:1'],
      ['2001:db8:0:0:1:0:0:1', 65535, '[2001:db8::1:0:0:1]:65535'],
    ])('should round-trip %s port %d as %s', (host, port, text) => {
      const addr = new InetAddr(port, host);
      const back = InetAddr.fromSockaddr(addr.toSockaddr());
      expect(back.toString()).toBe(text);
      expect(back.port).toBe(port);
      expect(back.family).toBe(addr.family);
    });

    it('should put the port in network byte order', () => {
      const sa = new InetAddr(0x1234, '10.0.0.1').toSockaddr();
      expect([sa[2], sa[3]]).toEqual([0x12, 0x34]);
      expect([...sa.subarray(4, 8)]).toEqual([10, 0, 0, 1]);
    });
  });

  describe('when given bad input', () => {
    it('should refuse names, bad ports and malformed text with a clear error', () => {
      expect(() => new InetAddr(80, 'example.org')).toThrow(/not a numeric address/);
      expect(() => new InetAddr(70000)).toThrow(/0\.\.65535/);
      expect(() => InetAddr.parse('nonsense')).toThrow(/host:port/);
    });

    it('should parse host:port and [v6]:port, and take localhost as 127.0.0.1', () => {
      expect(InetAddr.parse('[::1]:9').toString()).toBe('[::1]:9');
      expect(InetAddr.parse('localhost:80').host).toBe('127.0.0.1');
    });
  });
});
