"""Writes every frame seen on one network interface to a file, until it is terminated.

usage: capture.py INTERFACE FILE

An AF_PACKET raw socket (root only): the frames as they cross the link, headers and all. FILE
exists once the socket is bound, so a caller knows from then on nothing is missed.
"""
import signal
import socket
import sys

interface, path = sys.argv[1], sys.argv[2]
ETH_P_ALL = 0x0003
capture = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(ETH_P_ALL))
capture.bind((interface, 0))
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
# A child of the test process inherits the mask of the thread that started it, SIGTERM blocked.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
with open(path, "wb") as out:
    while True:
        frame = capture.recv(65535)
        out.write(frame)
        out.flush()
