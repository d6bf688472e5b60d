#!/usr/bin/python3
"""Measures readiness for bench/readiness.sh (issue 4, "Speed and footprint").

    readiness_harness.py measure --work DIR --out FILE.json [options]
    readiness_harness.py report FILE.json SECTION-HEADING

`measure` runs as root and starts, one after the other, the fake
Elasticsearch (tests/fake-es) opening its port after a delay, under:

  - eslaunch SPEC with `ready=http://...` and `ready=tcp://...`: the watcher
    (eslaunch-watch, running as the service user) sends READY=1 to a
    NOTIFY_SOCKET this harness owns (AF_UNIX datagram, mode 0777,
    SO_PASSCRED; the fd of BARRIER=1 is closed at once, as systemd does);
  - s6-notifyoncheck -d (s6's poller: it runs ./data/check every -w ms and
    writes a newline to fd 3 when the check passes), with its default interval
    and a tuned one, with a TCP check (bash /dev/tcp) and an HTTP check (curl);
  - supervisord with startsecs: RUNNING after a fixed time, whatever the
    program does.

Starts are interleaved round by round (every configuration once per round,
with the same delay), so a change of load on the shared machine hits all of
them alike. The delays are drawn uniformly from --delay-min..--delay-max
(seeded), so the port opens at random phases of each poller's period.

Timestamps: the program's stderr, the NOTIFY_SOCKET and s6's notification fd
are datagram sockets with SO_TIMESTAMPNS, so the kernel stamps each message
when it is sent (CLOCK_REALTIME), not when this harness gets around to
reading it: "fake-es: listening on ..." is written right after listen(), and
READY=1 when the watcher sends it. The latency is the difference of the two
stamps, free of this harness's own scheduling delays. (supervisord is the
exception: see measure_supervisord.)

The footprint phase then starts each poller once against a port that opens
after --slow-ms and samples /proc/PID/{status,stat,schedstat,smaps} of the
poller itself: VmHWM (peak RSS) while polling and, for eslaunch-watch with
watchdog=true, after HTTP probes; CPU time over the polling phase.

`report` turns the JSON into the Markdown section for bench/RESULTS.md.
"""

import argparse
import ctypes
import datetime
import errno
import json
import math
import os
import platform
import pwd
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
SCM_CREDENTIALS = getattr(socket, "SCM_CREDENTIALS", 2)
SO_PASSCRED = getattr(socket, "SO_PASSCRED", 16)
PR_SET_CHILD_SUBREAPER = 36
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(f"readiness: {msg}", file=sys.stderr, flush=True)


# --- Datagram sockets stamped by the kernel -----------------------------------


class Msg:
    __slots__ = ("sent", "read", "data", "pid", "uid")

    def __init__(self, sent, read, data, pid, uid):
        self.sent, self.read, self.data, self.pid, self.uid = sent, read, data, pid, uid


class Stamped:
    """The harness end of a datagram socket: every message with the kernel's
    send time (SO_TIMESTAMPNS), its sender (SO_PASSCRED) and any fds passed
    with it closed at once (BARRIER=1: the sender waits for that close)."""

    def __init__(self, sock, name):
        self.sock, self.name, self.msgs = sock, name, []
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
        sock.setblocking(False)

    def fileno(self):
        return self.sock.fileno()

    def drain(self):
        while True:
            try:
                data, anc, _flags, _addr = self.sock.recvmsg(65536, 1024)
            except BlockingIOError:
                return
            read = time.time_ns()
            sent, pid, uid = read, 0, 0
            for level, kind, payload in anc:
                if level != socket.SOL_SOCKET:
                    continue
                if kind == SCM_TIMESTAMPNS:
                    s, ns = struct.unpack("qq", payload[:16])
                    sent = s * 1_000_000_000 + ns
                elif kind == SCM_CREDENTIALS:
                    pid, uid, _gid = struct.unpack("iII", payload[:12])
                elif kind == socket.SCM_RIGHTS:
                    for fd in struct.unpack(f"{len(payload) // 4}i", payload[: len(payload) // 4 * 4]):
                        os.close(fd)
            self.msgs.append(Msg(sent, read, data, pid, uid))

    def first(self, needle, since=0):
        return next((m for m in self.msgs[since:] if needle in m.data), None)

    def close(self):
        self.sock.close()


def socketpair_stamped(name):
    """(Stamped harness end, the other end's fd for a child)."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    # Big enough that a chatty child never blocks on it.
    theirs.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return Stamped(ours, name), theirs


def wait_for(readers, done, timeout):
    """Reads every reader until done() is true; False after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        for r in readers:
            r.drain()
        if done():
            return True
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        select.select(readers, [], [], min(left, 0.05))


# --- Processes -------------------------------------------------------------------


def spawn(argv, env, fds):
    """posix_spawn with fds {child_fd: our_fd}; every other fd of ours is
    CLOEXEC (Python's default, and cloexec_inherited_fds for the ones we
    were given), so the child gets exactly these."""
    actions = [(os.POSIX_SPAWN_DUP2, ours, theirs) for theirs, ours in sorted(fds.items())]
    return os.posix_spawn(argv[0], argv, env, file_actions=actions)


def cloexec_inherited_fds():
    """Whatever fds above 2 we inherited (a CI runner's, a terminal's) are
    not passed on to the launchers and the programs."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > 2:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass


def children_of(pid):
    """The children of pid, from each of its threads; none once it is gone."""
    out = set()
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.update(int(p) for p in f.read().split())
        except OSError:
            pass
    return out


def children():
    """Our children, orphans included (we are a child subreaper)."""
    return children_of(os.getpid())


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return None


# Children that live across starts (s6-supervise): reap_all leaves them alone.
KEEP = set()


def reap_all(timeout=5.0, keep=None):
    """Reaps every child but those in `keep` (default KEEP), orphans
    re-parented to us included, until none is left; after `timeout`, SIGKILLs
    the ones left, by PID. Returns the names of those it had to kill."""
    keep = KEEP if keep is None else keep
    deadline = time.monotonic() + timeout
    killed, kill_sent = [], False
    while True:
        try:
            while True:
                pid, _ = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
        except ChildProcessError:
            pass
        left = children() - set(keep)
        if not left:
            return killed
        if time.monotonic() >= deadline:
            if kill_sent:
                raise RuntimeError(f"children left after SIGKILL: {sorted(left)}")
            for p in left:
                killed.append(f"{comm(p)}[{p}]")
                signal_pid(p, signal.SIGKILL)
            kill_sent = True
            deadline = time.monotonic() + 5.0
        time.sleep(0.005)


def exited(pid, box):
    """True once PID (our child) has exited; reaps it, its status in box."""
    if box:
        return True
    try:
        p, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        box.append(None)
        return True
    if p == pid:
        box.append(status)
        return True
    return False


def signal_pid(pid, sig=signal.SIGTERM):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_file(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


# --- /proc samples -----------------------------------------------------------------


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSize", "Threads",
                       "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches"):
                out[key] = int(value.split()[0])
    return out


def proc_cpu(pid):
    """CPU time in ms: (own utime+stime, waited-for children's, own schedstat
    run time). /proc/PID/stat has clock ticks (10 ms here); schedstat ns."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    own = (int(fields[11]) + int(fields[12])) * 1000 / CLK_TCK
    kids = (int(fields[13]) + int(fields[14])) * 1000 / CLK_TCK
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            sched = int(f.read().split()[0]) / 1e6
    except OSError:
        sched = None
    return {"own_ms": own, "children_ms": kids, "sched_ms": sched}


def smaps_by_file(pid):
    """Rss/Pss/Private (KiB) of PID's mappings, summed by what is mapped: a
    library's basename, [heap], [stack], or [anon]."""
    out = {}
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split(None, 5)
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                name = head[5].strip() if len(head) > 5 else "[anon]"
                if name.startswith("/"):
                    name = os.path.basename(name)
                current = out.setdefault(name, {"rss": 0, "pss": 0, "private": 0, "anon": 0})
            elif current is not None and head[0] in ("Rss:", "Pss:", "Private_Clean:", "Private_Dirty:", "Anonymous:"):
                kib = int(head[1])
                if head[0] == "Rss:":
                    current["rss"] += kib
                elif head[0] == "Pss:":
                    current["pss"] += kib
                elif head[0] == "Anonymous:":
                    current["anon"] += kib
                else:
                    current["private"] += kib
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_counters():
    """(busy, steal, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    total = sum(v[:8])
    idle = v[3] + v[4]
    return total - idle - v[7], v[7], total


# --- One start under each launcher ----------------------------------------------------


class Setup:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.user = a.user
        pw = pwd.getpwnam(a.user)
        self.uid = pw.pw_uid
        os.chmod(self.work, 0o755)
        self.rec_dir = os.path.join(self.work, "rec")
        os.makedirs(self.rec_dir, exist_ok=True)
        os.chmod(self.rec_dir, 0o1777)
        self.notify_path = os.path.join(self.work, "notify.sock")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(self.notify_path)
        os.chmod(self.notify_path, 0o777)  # the watcher sends as the service user
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.notify = Stamped(s, "notify")
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
        self.devnull = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)

    def fake_argv(self, port, delay_ms):
        return [self.a.fake, "--record", os.path.join(self.rec_dir, "record.json"),
                "--http-port", str(port), "--delay-ms", str(delay_ms)]

    def eslaunch_spec(self, port, delay_ms, probe, watchdog=False):
        url = f"http://127.0.0.1:{port}/" if probe == "http" else f"tcp://127.0.0.1:{port}"
        path = os.path.join(self.work, "spec.ini")
        lines = ["[program:es]", "command=" + " ".join(self.fake_argv(port, delay_ms)),
                 f"user={self.user}", f"ready={url}"]
        if watchdog:
            lines.append("watchdog=true")
        write_file(path, "\n".join(lines) + "\n")  # root's, 0644, in a 0755 dir: eslaunch accepts it
        return path


def run_eslaunch(st, probe, delay_ms, timeout=10.0):
    port = free_port()
    spec = st.eslaunch_spec(port, delay_ms, probe)
    err, err_child = socketpair_stamped("stderr")
    st.notify.drain()
    st.notify.msgs.clear()
    env = dict(st.env, NOTIFY_SOCKET=st.notify_path)
    spawned = time.time_ns()
    pid = spawn([st.a.eslaunch, spec], env, {0: st.devnull, 1: st.devnull, 2: err_child.fileno()})
    err_child.close()
    status = []
    ok = wait_for([st.notify, err],
                  lambda: (st.notify.first(b"READY=1") is not None and err.first(b"fake-es: listening on") is not None)
                  or exited(pid, status),
                  delay_ms / 1000 + timeout)
    ready, listening = st.notify.first(b"READY=1"), err.first(b"fake-es: listening on")
    first = st.notify.msgs[0] if st.notify.msgs else None
    row = {"port": port, "delay_ms": delay_ms, "pid": pid, "ok": ok and ready is not None}
    if ready is not None and listening is not None:
        row["latency_ms"] = (ready.sent - listening.sent) / 1e6
        row["latency_read_ms"] = (ready.read - listening.read) / 1e6  # as this harness read them
        row["listen_after_spawn_ms"] = (listening.sent - spawned) / 1e6
        row["ready_uid"] = ready.uid
        row["mainpid_ok"] = f"MAINPID={pid}".encode() in ready.data
    if first is not None:
        row["watcher_first_msg_after_spawn_ms"] = (first.sent - spawned) / 1e6
        row["watcher_pid"] = first.pid
    if not row["ok"]:
        row["exit_status"] = status[0] if status else "running"
        row["stderr"] = b"".join(m.data for m in err.msgs).decode(errors="replace")[-2000:]
        row["notify"] = [m.data.decode(errors="replace") for m in st.notify.msgs]
    if not status:
        signal_pid(pid)
    # The watcher waits for the barrier's fd to be closed: keep reading meanwhile.
    stop_watcher(st)
    left = reap_all(timeout=0.5)
    if left:
        row["killed"] = left
    st.notify.drain()
    err.close()
    return row


class S6:
    """One s6-supervise on a service directory, for every s6 start: that is
    how s6-notifyoncheck is used (it refuses to run unless s6-supervise
    supervises its working directory, and it listens to the service's event
    fifodir to stop polling when the service goes down). Its ./run is the
    usual idiom: `exec s6-notifyoncheck ... s6-setuidgid USER prog`, so the
    poller and its checks run as root (the service directory is root's) and
    the program as USER. No ./notification-fd: s6-supervise leaves fd 3 alone,
    and the newline s6-notifyoncheck -3 3 writes, the one s6-supervise would
    read, reaches this harness's stamped socket directly."""

    def __init__(self, st):
        self.st = st
        self.dir = os.path.join(st.work, "s6", "svc")
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        for d in (os.path.dirname(self.dir), self.dir, os.path.join(self.dir, "data")):
            os.chmod(d, 0o755)
        write_file(os.path.join(self.dir, "down"), "")  # started by s6-svc -u only
        self.err, err_child = socketpair_stamped("stderr")
        self.notif, notif_child = socketpair_stamped("notification-fd")
        self.pid = spawn([st.a.s6_supervise, self.dir], st.env,
                         {0: st.devnull, 1: st.devnull, 2: err_child.fileno(), 3: notif_child.fileno()})
        KEEP.add(self.pid)
        err_child.close()
        notif_child.close()
        deadline = time.monotonic() + 5
        while not os.path.exists(os.path.join(self.dir, "supervise", "control")):
            if time.monotonic() > deadline:
                raise RuntimeError("s6-supervise did not start")
            time.sleep(0.01)

    def configure(self, port, check, interval_ms, delay_ms):
        st = self.st
        if check == "tcp":
            # bash's /dev/tcp: connect, close; nc is not in a minimal Debian.
            text = f"#!/bin/bash\nexec 2>/dev/null\nexec 3<>/dev/tcp/127.0.0.1/{port}\n"
        else:
            text = f"#!/bin/sh\nexec curl -fsS -o /dev/null --max-time 5 http://127.0.0.1:{port}/ 2>/dev/null\n"
        write_file(os.path.join(self.dir, "data", "check"), text, 0o755)
        opts = ["-d", "-3", "3", "-n", "0"] + (["-w", str(interval_ms)] if interval_ms is not None else [])
        argv = [st.a.s6_notifyoncheck] + opts + [st.a.s6_setuidgid, st.user] + st.fake_argv(port, delay_ms)
        write_file(os.path.join(self.dir, "run"), "#!/bin/sh\nexec " + " ".join(argv) + "\n", 0o755)

    def svc(self, *args):
        subprocess.run([self.st.a.s6_svc, *args, self.dir], check=True)

    def stop_service(self):
        self.svc("-d")
        subprocess.run([self.st.a.s6_svwait, "-D", "-t", "5000", self.dir], check=False)

    def close(self):
        signal_pid(self.pid)  # s6-supervise: bring the service down and exit
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        KEEP.discard(self.pid)
        self.err.close()
        self.notif.close()


def stop_watcher(st, timeout=5.0):
    """Reaps while reading the NOTIFY_SOCKET (the watcher may be in
    sd_notify_barrier, waiting for us to close the fd it sent)."""
    deadline = time.monotonic() + timeout
    while children() - KEEP and time.monotonic() < deadline:
        st.notify.drain()
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        time.sleep(0.002)


def run_s6(s6, check, interval_ms, delay_ms, timeout=10.0):
    port = free_port()
    s6.configure(port, check, interval_ms, delay_ms)
    e0, n0 = len(s6.err.msgs), len(s6.notif.msgs)
    spawned = time.time_ns()
    s6.svc("-u")
    ok = wait_for([s6.notif, s6.err],
                  lambda: len(s6.notif.msgs) > n0 and s6.err.first(b"fake-es: listening on", e0) is not None,
                  delay_ms / 1000 + timeout)
    listening = s6.err.first(b"fake-es: listening on", e0)
    ready = s6.notif.msgs[n0] if len(s6.notif.msgs) > n0 else None
    row = {"port": port, "delay_ms": delay_ms, "ok": ok and ready is not None}
    if ready is not None and listening is not None:
        row["latency_ms"] = (ready.sent - listening.sent) / 1e6
        row["latency_read_ms"] = (ready.read - listening.read) / 1e6
        row["listen_after_spawn_ms"] = (listening.sent - spawned) / 1e6
    if not row["ok"]:
        row["stderr"] = b"".join(m.data for m in s6.err.msgs[e0:]).decode(errors="replace")[-2000:]
    s6.stop_service()
    left = reap_all(timeout=3.0, keep=None)
    if left:
        row["killed"] = left
    return row


def measure_supervisord(st, delay_ms, startsecs, timeout=20.0):
    """supervisord declares RUNNING after startsecs, whatever the program
    does. Its own log goes to its stdout (nodaemon), a stamped datagram
    socket; the fake's stderr goes to a FIFO this harness reads (supervisord
    would otherwise relay it through its own loop), stamped when read: a
    fraction of a millisecond late at worst, against hundreds here."""
    port = free_port()
    d = os.path.join(st.work, "sv")
    os.makedirs(os.path.join(d, "log"), exist_ok=True)
    os.chmod(d, 0o755)
    fifo = os.path.join(d, "fake-stderr")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    os.chmod(fifo, 0o666)
    fifo_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    command = " ".join(st.fake_argv(port, delay_ms)) + f" 2>>{fifo}"
    conf = os.path.join(d, "supervisord.conf")
    write_file(conf, f"""[supervisord]
nodaemon=true
logfile=/dev/null
logfile_maxbytes=0
loglevel=info
pidfile={d}/supervisord.pid
childlogdir={d}/log

[program:es]
command=/bin/sh -c "exec {command}"
user={st.user}
startsecs={startsecs}
autostart=true
autorestart=false
stopsignal=TERM
""")
    out, out_child = socketpair_stamped("supervisord stdout")
    spawned = time.time_ns()
    pid = spawn([st.a.supervisord, "-c", conf], st.env, {0: st.devnull, 1: out_child.fileno(), 2: out_child.fileno()})
    out_child.close()
    buf, listen_read = b"", None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out.drain()
        if listen_read is None:
            try:
                chunk = os.read(fifo_fd, 65536)
            except BlockingIOError:
                chunk = b""
            if chunk:
                now = time.time_ns()
                buf += chunk
                if b"fake-es: listening on" in buf:
                    listen_read = now
        if listen_read is not None and out.first(b"entered RUNNING state") is not None:
            break
        select.select([out, fifo_fd], [], [], 0.02)
    running = out.first(b"entered RUNNING state")
    row = {"port": port, "delay_ms": delay_ms, "startsecs": startsecs, "pid": pid,
           "ok": running is not None and listen_read is not None}
    if row["ok"]:
        row["running_minus_listen_ms"] = (running.sent - listen_read) / 1e6
        row["running_after_spawn_ms"] = (running.sent - spawned) / 1e6
        row["listen_after_spawn_ms"] = (listen_read - spawned) / 1e6
    spawned_line = out.first(b"spawned: 'es'")
    if spawned_line is not None and running is not None:
        row["running_after_program_spawn_ms"] = (running.sent - spawned_line.sent) / 1e6
    if not row["ok"]:
        row["stdout"] = b"".join(m.data for m in out.msgs).decode(errors="replace")[-2000:]
    signal_pid(pid)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    left = reap_all(timeout=3.0)
    if left:
        row["killed"] = left
    out.close()
    os.close(fifo_fd)
    return row


# --- Footprint ------------------------------------------------------------------------------


def find_child(name, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for p in children():
            if comm(p) == name:
                return p
        time.sleep(0.005)
    return None


def footprint_eslaunch(st, slow_ms, watchdog_usec):
    """The watcher of an http probe with watchdog=true against a port that
    opens after slow_ms: peak RSS and CPU while polling, peak RSS after
    watchdog probes (HTTP requests answered)."""
    port = free_port()
    spec = st.eslaunch_spec(port, slow_ms, "http", watchdog=True)
    err, err_child = socketpair_stamped("stderr")
    st.notify.drain()
    st.notify.msgs.clear()
    env = dict(st.env, NOTIFY_SOCKET=st.notify_path, WATCHDOG_USEC=str(watchdog_usec))
    t0 = time.monotonic()
    pid = spawn([st.a.eslaunch, spec], env, {0: st.devnull, 1: st.devnull, 2: err_child.fileno()})
    err_child.close()
    res = {"probe": f"http://127.0.0.1:{port}/", "slow_ms": slow_ms, "watchdog_usec": watchdog_usec}
    try:
        wait_for([st.notify, err], lambda: st.notify.msgs, 5)
        if not st.notify.msgs:
            res["error"] = "no message from the watcher"
            return res
        wpid = st.notify.msgs[0].pid
        res["watcher_comm"] = comm(wpid)
        res["watcher_pid"] = wpid
        # The polling phase: from 1 s after the start (set-up done) to 0.5 s
        # before the port opens.
        wait_for([st.notify, err], lambda: False, max(0.0, t0 + 1.0 - time.monotonic()))
        c0, s0, w0 = proc_cpu(wpid), proc_status(wpid), time.monotonic()
        wait_for([st.notify, err], lambda: False, max(0.0, t0 + slow_ms / 1000 - 0.5 - time.monotonic()))
        c1, w1 = proc_cpu(wpid), time.monotonic()
        res["polling"] = {"wall_s": w1 - w0, "cpu_before": c0, "cpu_after": c1, "status_before": s0,
                          "status": proc_status(wpid),
                          "smaps": smaps_by_file(wpid), "ready_yet": st.notify.first(b"READY=1") is not None}
        with open(f"/proc/{wpid}/smaps_rollup") as f:
            res["polling"]["smaps_rollup"] = f.read()
        if not wait_for([st.notify, err], lambda: st.notify.first(b"READY=1") is not None, 5):
            res["error"] = "no READY=1"
            return res
        # Then the watchdog's HTTP probes: one at once, then every WATCHDOG_USEC/2.
        pings = lambda: sum(1 for m in st.notify.msgs if b"WATCHDOG=1" in m.data)
        wait_for([st.notify, err], lambda: pings() >= 3, 5)
        res["after_http"] = {"watchdog_pings": pings(), "status": proc_status(wpid), "smaps": smaps_by_file(wpid)}
        return res
    finally:
        signal_pid(pid)
        # The watcher exits with the program; reaping it with wait4 gives the
        # largest peak RSS in its process tree (Linux propagates ru_maxrss of
        # reaped children): its own, or that of a child it started and
        # reaped, such as the sd-bus self-check, which loads libsystemd.
        wpid = res.get("watcher_pid")
        deadline = time.monotonic() + 5
        while wpid and time.monotonic() < deadline:
            st.notify.drain()
            try:
                p, _, ru = os.wait4(wpid, os.WNOHANG)
            except ChildProcessError:
                break
            if p == wpid:
                res["tree_maxrss_kib"] = ru.ru_maxrss
                break
            time.sleep(0.002)
        stop_watcher(st)
        left = reap_all(timeout=0.5)
        if left:
            res["killed"] = left
        err.close()


def footprint_s6(s6, check, interval_ms, slow_ms):
    """s6-notifyoncheck's poller (and the s6-ftrigrd it starts to hear the
    service go down) against a port that opens after slow_ms."""
    port = free_port()
    s6.configure(port, check, interval_ms, slow_ms)
    n0 = len(s6.notif.msgs)
    t0 = time.monotonic()
    s6.svc("-u")
    readers = [s6.notif, s6.err]
    res = {"check": check, "interval_ms": interval_ms, "slow_ms": slow_ms}
    try:
        ppid = find_child("s6-notifyonchec")  # comm is 15 characters
        if ppid is None:
            res["error"] = "s6-notifyoncheck's poller not found"
            return res
        helper = None
        deadline = time.monotonic() + 2
        while helper is None and time.monotonic() < deadline:
            helper = next((p for p in children_of(ppid) if comm(p) == "s6-ftrigrd"), None)
            time.sleep(0.005)
        wait_for(readers, lambda: False, max(0.0, t0 + 1.0 - time.monotonic()))
        c0, s0, h0, w0 = proc_cpu(ppid), proc_status(ppid), helper and proc_cpu(helper), time.monotonic()
        wait_for(readers, lambda: False, max(0.0, t0 + slow_ms / 1000 - 0.5 - time.monotonic()))
        c1, h1, w1 = proc_cpu(ppid), helper and proc_cpu(helper), time.monotonic()
        res["polling"] = {"wall_s": w1 - w0, "cpu_before": c0, "cpu_after": c1, "status_before": s0,
                          "status": proc_status(ppid),
                          "smaps": smaps_by_file(ppid), "ready_yet": len(s6.notif.msgs) > n0}
        if helper:
            res["helper"] = {"comm": "s6-ftrigrd", "status": proc_status(helper), "cpu_before": h0, "cpu_after": h1}
        return res
    finally:
        s6.stop_service()
        left = reap_all(timeout=3.0, keep=None)
        if left:
            res["killed"] = left


def footprint_sleep(st):
    pid = spawn(["/usr/bin/sleep", "30"], st.env, {0: st.devnull, 1: st.devnull, 2: st.devnull})
    time.sleep(0.2)
    try:
        return {"status": proc_status(pid), "smaps": smaps_by_file(pid)}
    finally:
        signal_pid(pid)
        reap_all(timeout=2.0)


# --- measure -----------------------------------------------------------------------


def percentile(sorted_values, p):
    """Nearest rank: the smallest value with at least p% of the values at or below it."""
    if not sorted_values:
        return None
    k = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[k - 1]


def measure(a):
    if os.geteuid() != 0:
        sys.exit("readiness_harness.py measure: run as root (the launchers drop to the service user)")
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("readiness_harness.py: prctl(PR_SET_CHILD_SUBREAPER) failed")
    cloexec_inherited_fds()
    st = Setup(a)
    s6 = None
    try:
        s6 = S6(st)
        out = measure_all(a, st, s6)
    finally:
        # Whatever happened, leave nothing running: our children only, by PID.
        if s6 is not None:
            s6.close()
        st.notify.close()
        if os.path.exists(st.notify_path):
            os.unlink(st.notify_path)
        left = reap_all(timeout=2.0)
        if left:
            log(f"killed leftovers: {left}")
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


def measure_all(a, st, s6):
    rng = random.Random(a.seed)
    t = a.s6_tuned
    configs = [
        ("eslaunch http", lambda d: run_eslaunch(st, "http", d), 1),
        ("eslaunch tcp", lambda d: run_eslaunch(st, "tcp", d), 1),
        (f"s6-notifyoncheck -w {t} tcp", lambda d: run_s6(s6, "tcp", t, d), 1),
        (f"s6-notifyoncheck -w {t} http", lambda d: run_s6(s6, "http", t, d), 1),
        ("s6-notifyoncheck (default -w 1000) http", lambda d: run_s6(s6, "http", None, d), a.s6_default_every),
    ]
    results = {name: [] for name, _, _ in configs}
    out = {
        "date": datetime.date.today().isoformat(),
        "machine": {
            "arch": platform.machine(), "node": platform.node(), "kernel": platform.release(), "cpus": os.cpu_count(),
            "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?"),
        },
        "args": {k: v for k, v in vars(a).items() if k != "func"},
        "versions": a.versions,
    }
    load = {"before": loadavg()}
    busy0, steal0, total0 = cpu_counters()
    t_start = time.monotonic()
    max_load1 = float(load["before"].split()[0])

    log(f"latency: {a.runs} rounds of {len(configs)} configurations (delays {a.delay_min}-{a.delay_max} ms)")
    for r in range(a.runs):
        d = rng.randint(a.delay_min, a.delay_max)
        for name, fn, every in configs:
            if r % every != 0:
                continue
            row = fn(d)
            row["round"] = r
            row["load1"] = float(loadavg().split()[0])
            max_load1 = max(max_load1, row["load1"])
            results[name].append(row)
            if not row["ok"]:
                log(f"  {name}: start {r} FAILED: {json.dumps(row)[:600]}")
        if (r + 1) % 10 == 0:
            med = {n: percentile(sorted(x["latency_ms"] for x in v if "latency_ms" in x), 50) for n, v in results.items()}
            log(f"  round {r + 1}/{a.runs}, load {loadavg()}, p50 so far (ms): "
                + ", ".join(f"{n} {m:.1f}" for n, m in med.items() if m is not None))
    load["after_latency"] = loadavg()

    log(f"supervisord: {len(a.sv_delays)} starts, startsecs={a.startsecs}")
    sv = []
    for d in a.sv_delays:
        row = measure_supervisord(st, d, a.startsecs)
        sv.append(row)
        if not row["ok"]:
            log(f"  supervisord start FAILED: {json.dumps(row)[:600]}")
    load["after_supervisord"] = loadavg()

    log(f"footprint: port opening after {a.slow_ms} ms")
    fp = {"eslaunch-watch": footprint_eslaunch(st, a.slow_ms, a.watchdog_usec)}
    fp[f"s6-notifyoncheck -w {t} tcp"] = footprint_s6(s6, "tcp", t, a.slow_ms)
    fp["s6-notifyoncheck (default -w 1000) tcp"] = footprint_s6(s6, "tcp", None, a.slow_ms)
    fp["sleep"] = footprint_sleep(st)
    load["after"] = loadavg()
    busy1, steal1, total1 = cpu_counters()
    dt = max(1, total1 - total0)
    out["load"] = load
    out["max_load1"] = max_load1
    out["cpu_during"] = {"busy_pct": 100 * (busy1 - busy0) / dt, "steal_pct": 100 * (steal1 - steal0) / dt}
    out["duration_s"] = time.monotonic() - t_start
    out["latency"] = results
    out["supervisord"] = sv
    out["footprint"] = fp
    return out


# --- report -------------------------------------------------------------------------------


GOALS = {"p50_ms": 10.0, "p99_ms": 60.0, "rss_kib": 2048, "cpu_pct": 1.0}


def latency_stats(rows, key="latency_ms"):
    v = sorted(r[key] for r in rows if key in r)
    if not v:
        return None
    return {"n": len(v), "failed": sum(1 for r in rows if not r["ok"]), "p50": percentile(v, 50),
            "p90": percentile(v, 90), "p99": percentile(v, 99), "max": v[-1], "min": v[0], "mean": sum(v) / len(v)}


def cpu_pct(p):
    """% of one CPU over the polling phase: (own, waited-for children, schedstat)."""
    c0, c1, wall_ms = p["cpu_before"], p["cpu_after"], p["wall_s"] * 1000
    own = c1["own_ms"] - c0["own_ms"]
    kids = c1["children_ms"] - c0["children_ms"]
    sched = None
    if c0.get("sched_ms") is not None and c1.get("sched_ms") is not None:
        sched = 100 * (c1["sched_ms"] - c0["sched_ms"]) / wall_ms
    return {"pct": 100 * (own + kids) / wall_ms, "own_ms": own, "kids_ms": kids, "sched_pct": sched,
            "wall_s": p["wall_s"]}


def smaps_total(sm, key):
    return sum(v[key] for v in sm.values())


def report(a):
    m = json.load(open(a.json))
    args, mach, lo = m["args"], m["machine"], m["load"]
    cpus = mach["cpus"]
    t = args["s6_tuned"]
    out = [a.section, ""]
    out.append(
        f"Measured by `bench/readiness.sh` on {m['date']} ({mach['arch']}, {mach['node']}, {mach['cpu']}, "
        f"{cpus} CPUs, Linux {mach['kernel']}; {m['versions']}), as root, in {m['duration_s']:.0f} s. "
        "The fake Elasticsearch (`tests/fake-es`) opens its port after a delay drawn uniformly from "
        f"{args['delay_min']}-{args['delay_max']} ms (seed {args['seed']}), so the port opens at random phases of "
        "each poller's period. The starts are interleaved: each round starts every configuration once, with the "
        "same delay, so a change of load on the shared machine hits them alike. Latency is the kernel's send "
        "timestamp (SO_TIMESTAMPNS on AF_UNIX datagram sockets) of READY=1 on the harness's NOTIFY_SOCKET, or of "
        "s6-notifyoncheck's newline on its notification fd, minus that of the fake's `listening on` line on its "
        "stderr (written right after listen()): the harness's own reading delays are not in it. Percentiles are "
        "nearest-rank. The harness closes the fd of BARRIER=1 at once, as systemd does.")
    out.append("")
    busy = m["cpu_during"]["busy_pct"]
    out.append(
        f"Load average (1/5/15 min): {lo['before']} before, {lo['after_latency']} after the latency runs, "
        f"{lo['after']} at the end; the highest 1-minute value seen between starts was {m['max_load1']:.2f} on "
        f"{cpus} CPUs, and the CPUs were {busy:.0f}% busy over the run, this benchmark included (steal "
        f"{m['cpu_during']['steal_pct']:.1f}%). "
        + ("Other work competed for the CPUs during the run: the tails (p99, max) and the CPU shares below "
           "include its interference." if m["max_load1"] > 0.75 * cpus else "Little else ran meanwhile."))
    out.append("")

    # --- latency
    how = {
        # What the watcher does between tries is its business (lib/watch/eslaunch-watch.cpp): how often it
        # wakes up while polling is measured below (wakeups/s in the footprint table).
        "eslaunch http": "eslaunch-watch (as the service user) watches the port, then one HTTP GET (its own HTTP/1.1 client); "
                         "READY=1 to NOTIFY_SOCKET",
        "eslaunch tcp": "eslaunch-watch watches the port; READY=1 once a connect succeeds",
        f"s6-notifyoncheck -w {t} tcp": f"s6-notifyoncheck -d (as root, under s6-supervise) forks `./data/check` "
                                        f"(bash: `exec 3<>/dev/tcp/...`), waits for it, sleeps {t} ms",
        f"s6-notifyoncheck -w {t} http": f"the same with `curl -f` of `/` as the check, sleeping {t} ms",
        "s6-notifyoncheck (default -w 1000) http": "the same with `curl -f`, sleeping 1000 ms (the default)",
    }
    stats = {n: latency_stats(rows) for n, rows in m["latency"].items()}
    base = stats.get("eslaunch http")
    out.append("### From the port opening to readiness")
    out.append("")
    out.append("| poller | starts | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | mean (ms) | p50 ratio to eslaunch http | how it polls |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for name, s in stats.items():
        rows = m["latency"][name]
        if s is None:
            out.append(f"| {name} | {len(rows)}, all failed | – | – | – | – | – | – | {how.get(name, '')} |")
            continue
        n = str(s["n"]) + (f" ({s['failed']} failed)" if s["failed"] else "")
        ratio = f"{s['p50'] / base['p50']:.1f}x" if base and base["p50"] > 0 else "–"
        out.append(f"| {name} | {n} | {s['p50']:.1f} | {s['p90']:.1f} | {s['p99']:.1f} | {s['max']:.1f} | "
                   f"{s['mean']:.1f} | {ratio} | {how.get(name, '')} |")
    out.append("")
    notes = []
    if base and base["n"] < 100:
        notes.append(f"With {base['n']} starts, the nearest-rank p99 is the largest value.")
    if args["delay_max"] < 1000:
        notes.append(f"s6-notifyoncheck's default period is longer than the delays ({args['delay_min']}-"
                     f"{args['delay_max']} ms): its first check (10 ms after the start) fails and the next comes "
                     "about 1 s later, so it reports about 1 s minus the delay; with delays spread over whole "
                     "periods it would average about half a period plus a check.")
    if notes:
        out.append(" ".join(notes))
        out.append("")
    checks = []
    for name in ("eslaunch http", "eslaunch tcp"):
        rows = m["latency"].get(name, [])
        if not rows:
            continue
        good_pid = sum(1 for r in rows if r.get("mainpid_ok"))
        uids = sorted({r["ready_uid"] for r in rows if "ready_uid" in r})
        early = sum(1 for r in rows if r.get("latency_ms", 0) < 0)
        first = sorted(r["watcher_first_msg_after_spawn_ms"] for r in rows if "watcher_first_msg_after_spawn_ms" in r)
        checks.append(f"{name}: READY=1 from uid {', '.join(map(str, uids)) or '?'}, MAINPID the program's pid in "
                      f"{good_pid} of {len(rows)} starts, READY before the port opened in {early}, the watcher's "
                      f"first message (STATUS) a median {percentile(first, 50) or 0:.0f} ms after eslaunch was spawned")
    if checks:
        out.append("Checks: " + "; ".join(checks) + ".")
        out.append("")
    read = {n: latency_stats(rows, "latency_read_ms") for n, rows in m["latency"].items()}
    if all(read.values()):
        out.append("For comparison, the same latencies from the times the harness read the two messages (its own "
                   "wake-up delays included), p50 / p99 (ms): "
                   + "; ".join(f"{n} {r['p50']:.1f} / {r['p99']:.1f}" for n, r in read.items()) + ".")
        out.append("")

    # --- supervisord
    out.append(f"### supervisord: RUNNING after startsecs={args['startsecs']}, whatever the program does")
    out.append("")
    out.append("The real supervisord (nodaemon, its log on stdout, stamped by the kernel), the fake as its "
               "program (`user=nobody`, `startsecs` as shown). RUNNING is the `entered RUNNING state` line; the "
               "port opening is the fake's `listening on` line, which the fake writes to a FIFO the harness reads "
               "(stamped when read: well under a millisecond late, against hundreds here). A negative difference "
               "is RUNNING declared before the node serves; a positive one is readiness reported late.")
    out.append("")
    out.append("| port opens after (delay, ms) | program spawned to port open (ms) | program spawned to RUNNING (ms) | RUNNING minus port open (ms) |")
    out.append("|---|---|---|---|")
    for r in m["supervisord"]:
        if r["ok"]:
            sp = r.get("running_after_program_spawn_ms")
            open_after_spawn = sp - r["running_minus_listen_ms"] if sp is not None else None
            out.append(f"| {r['delay_ms']} | {open_after_spawn:.0f} | {sp:.0f} | {r['running_minus_listen_ms']:+.0f} |"
                       if sp is not None else f"| {r['delay_ms']} | – | – | {r['running_minus_listen_ms']:+.0f} |")
        else:
            out.append(f"| {r['delay_ms']} | – | – | failed |")
    out.append("")

    # --- footprint
    fp = m["footprint"]
    w = fp.get("eslaunch-watch", {})
    out.append(f"### Footprint while the port opens only after {args['slow_ms'] / 1000:.0f} s")
    out.append("")
    out.append("Peak RSS: VmHWM of the poller's own process (`/proc/PID/status`), shared library pages included; "
               "PSS and private from `/proc/PID/smaps` at the same moment. For eslaunch-watch: http probe, "
               f"`watchdog=true` with WATCHDOG_USEC={args['watchdog_usec']} (one HTTP GET at READY, then one every "
               f"{args['watchdog_usec'] / 2e6:g} s), sampled 0.5 s before the port opens and again after 3 "
               "watchdog probes. Wakeups: voluntary context switches per second over the polling phase (how often "
               "the poller sleeps and wakes up again). CPU: utime+stime (`/proc/PID/stat`, 10 ms ticks) of the poller, plus those of the "
               "checks it forked and reaped (cutime+cstime), from 1 s after the start to 0.5 s before the port "
               "opens, per wall-clock time, in % of one CPU; for eslaunch-watch also its scheduler run time "
               "(`/proc/PID/schedstat`, ns resolution).")
    out.append("")
    out.append("| process | peak RSS polling (KiB) | peak RSS after HTTP probes (KiB) | PSS / private (KiB) | CPU while polling (% of a core) | wakeups/s while polling | peak RSS ratio to eslaunch-watch |")
    out.append("|---|---|---|---|---|---|---|")
    w_hwm = None
    if "polling" in w:
        w_hwm = max(w["polling"]["status"]["VmHWM"], w.get("after_http", {}).get("status", {}).get("VmHWM", 0))
    ratio = lambda kib: f"{kib / w_hwm:.2f}x" if w_hwm else "–"
    cpu_w = None
    for name, f in fp.items():
        if name == "sleep":
            st, sm = f["status"], f.get("smaps", {})
            out.append(f"| `sleep 30` (the floor: a dynamically linked program doing nothing) | {st['VmHWM']} | – | "
                       f"{smaps_total(sm, 'pss')} / {smaps_total(sm, 'private')} | – | – | {ratio(st['VmHWM'])} |")
            continue
        if "polling" not in f:
            out.append(f"| {name} | – | – | – | – | – | {f.get('error', 'not measured')} |")
            continue
        p = f["polling"]
        hwm = p["status"]["VmHWM"]
        after = f.get("after_http", {}).get("status", {}).get("VmHWM")
        sm = (f.get("after_http") or p)["smaps"]
        c = cpu_pct(p)
        text = f"{c['pct']:.2f} ({c['own_ms']:.0f} ms"
        if c["kids_ms"]:
            text += f" + {c['kids_ms']:.0f} ms of checks"
        text += f" in {c['wall_s']:.1f} s"
        if name == "eslaunch-watch" and c["sched_pct"] is not None:
            text += f"; schedstat {c['sched_pct']:.2f}"
            cpu_w = c
        text += ")"
        label = "eslaunch-watch (http, watchdog=true), as nobody" if name == "eslaunch-watch" else f"{name}: the poller, as root"
        if p.get("ready_yet"):
            label += " (INVALID: ready before the polling phase ended)"
        wakeups = "–"
        if "voluntary_ctxt_switches" in p.get("status_before", {}):
            wakeups = f"{(p['status']['voluntary_ctxt_switches'] - p['status_before']['voluntary_ctxt_switches']) / p['wall_s']:.0f}"
        out.append(f"| {label} | {hwm} | {after if after else '–'} | {smaps_total(sm, 'pss')} / "
                   f"{smaps_total(sm, 'private')} | {text} | {wakeups} | {ratio(max(hwm, after or 0))} |")
        if "helper" in f:
            h = f["helper"]
            out.append(f"| {name}: its s6-ftrigrd (hears the service go down) | {h['status']['VmHWM']} | – | – | "
                       f"{100 * ((h['cpu_after']['own_ms'] - h['cpu_before']['own_ms'])) / (p['wall_s'] * 1000):.2f} | – | "
                       f"{ratio(h['status']['VmHWM'])} |")
    out.append("")
    if "polling" in w:
        sm = (w.get("after_http") or w["polling"])["smaps"]
        libs = [k for k in sm if ".so" in k]
        top = sorted(sm.items(), key=lambda kv: -kv[1]["rss"])
        out.append(f"eslaunch-watch's RSS by mapping after the HTTP probes (KiB, `/proc/PID/smaps`; {len(libs)} shared "
                   f"objects mapped, together {sum(sm[k]['rss'] for k in libs)} KiB): "
                   + ", ".join(f"{k} {v['rss']}" for k, v in top[:14]) + ".")
        out.append("")
    tree = w.get("tree_maxrss_kib")
    if tree:
        out.append(f"Largest peak RSS in the watcher's process tree, from `wait4()` when it exited (Linux carries "
                   f"the ru_maxrss of reaped children up): {tree} KiB. Above the watcher's own peak, it is its sd-bus "
                   "self-check child, which loads libsystemd with dlopen() at the start and exits within 250 ms "
                   "(here it finds no unit: PID 1 is not systemd). An https:// probe does the same with libcurl, "
                   "one child per try (see the notes below).")
        out.append("")

    # --- verdict
    v = []
    for name in ("eslaunch http", "eslaunch tcp"):
        s = stats.get(name)
        if s:
            v.append(f"{name} p50 {s['p50']:.1f} ms ({'met' if s['p50'] <= GOALS['p50_ms'] else 'NOT met'}; goal <= 10) "
                     f"and p99 {s['p99']:.1f} ms ({'met' if s['p99'] <= GOALS['p99_ms'] else 'NOT met'}; goal <= 60)")
    if w_hwm:
        v.append(f"watcher peak RSS {w_hwm} KiB ({'met' if w_hwm <= GOALS['rss_kib'] else 'NOT met'}; goal <= 2048)")
    if cpu_w:
        v.append(f"watcher CPU while polling {cpu_w['pct']:.2f}% of a core by ticks, {cpu_w['sched_pct']:.2f}% by "
                 f"schedstat ({'met' if max(cpu_w['pct'], cpu_w['sched_pct']) < GOALS['cpu_pct'] else 'NOT met'}; goal < 1%)")
    out.append("Verdict: " + "; ".join(v) + ".")
    out.append("")
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(required=True)
    m = sub.add_parser("measure")
    m.add_argument("--work", required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--eslaunch", required=True)
    m.add_argument("--fake", required=True)
    m.add_argument("--s6-notifyoncheck", required=True)
    m.add_argument("--s6-setuidgid", required=True)
    m.add_argument("--s6-supervise", required=True)
    m.add_argument("--s6-svc", required=True)
    m.add_argument("--s6-svwait", required=True)
    m.add_argument("--supervisord", required=True)
    m.add_argument("--user", default="nobody")
    m.add_argument("--runs", type=int, default=60)
    m.add_argument("--delay-min", type=int, default=200)
    m.add_argument("--delay-max", type=int, default=700)
    m.add_argument("--seed", type=int, default=4)
    m.add_argument("--s6-tuned", type=int, default=10)
    m.add_argument("--s6-default-every", type=int, default=2, help="s6 with its default interval every Nth round")
    m.add_argument("--startsecs", type=int, default=1)
    m.add_argument("--sv-delays", type=lambda s: [int(x) for x in s.split(",")], default=[200, 450, 700, 1500, 3000])
    m.add_argument("--slow-ms", type=int, default=10000)
    m.add_argument("--watchdog-usec", type=int, default=2_000_000)
    m.add_argument("--versions", default="")
    m.set_defaults(func=measure)
    r = sub.add_parser("report")
    r.add_argument("json")
    r.add_argument("section")
    r.set_defaults(func=report)
    a = ap.parse_args()
    a.func(a)


if __name__ == "__main__":
    main()
