"""Runs a command on a pseudo-terminal of 24 rows by 80 columns.

What arrives on our stdin is typed into the terminal; what the command
writes to it (stdout and stderr alike, as on a screen) comes out on our
stdout. When our stdin ends (the test is gone), the terminal hangs up.
Exits with the command's exit code, or 128 + the signal that killed it.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios

pid, master = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 80, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])

while True:
    ready, _, _ = select.select([master, 0], [], [])
    if 0 in ready:
        keys = os.read(0, 4096)
        if not keys:
            break
        os.write(master, keys)
    if master in ready:
        try:
            shown = os.read(master, 4096)
        except OSError:  # EIO: every process on the terminal has closed it
            shown = b''
        if not shown:
            break
        os.write(1, shown)

os.close(master)
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
