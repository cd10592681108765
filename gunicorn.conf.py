"""gunicorn's settings for cramplog; gunicorn reads this file from the folder it starts in.

Threads: a client that sends its request slowly holds one thread while the worker's other
threads go on serving, where a sync worker would be held whole. A proxy in front (README)
buffers requests and answers slow clients itself; this keeps `make run` usable without one.
"""

import re

from gunicorn import glogging

worker_class = "gthread"
workers = 3
threads = 8
# Restart a worker whose main loop stops answering for 30 s; close idle kept-alive
# connections after 5 s.
timeout = 30
graceful_timeout = 30
keepalive = 5
# The path without its query string (%(U)s): queries such as ?q=statin+pregnant or
# ?location=calf are health details. No referer either, which carries the previous page's.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


# A share link's path is the link itself (/share/<token>/): anyone reading the log could open
# the report, so the log keeps /share/…/ instead.
class AccessLogWithoutShareTokens(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for atom in ("U", "r"):
            atoms[atom] = SHARE_TOKEN.sub("/share/…", atoms[atom] or "")
        return atoms


SHARE_TOKEN = re.compile(r"/share/[^/? ]+")
logger_class = AccessLogWithoutShareTokens
