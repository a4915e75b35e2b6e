#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The secret canary's sampler and scanner (tests/canary/run, docs/canary.md).

  canary.py sample OUT          append each new command line of any process
                                (/proc/*/cmdline) to OUT until killed
  canary.py scan RECORD [ROOT...]
                                look for every known secret everywhere the
                                run left something; print the report; exit 1
                                when a secret shows or a private file is not

RECORD is the run's record directory (tests/canary/record writes it):
secrets.emulator and secrets.client ("KIND<TAB>VALUE" lines), runs/
(NAME.PID.TIME.* for each amlretrain or amlretrain-emulator run: argv, cwd,
env, the copied streams out, err or both, out.path and err.path when the
stream was a file, access.log), cmdlines (the sampler's).  The ROOTs are the test directories kept
after the run: every file under them is scanned.
"""

import os
import bisect
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.parse

MIN_LEN = 16  # shorter values are too common to look for

# Secrets also taken from wherever they show: a SAS signature, the
# signature of a JWT, a storage account key in a connection string.
HARVEST = [
    ("sas-signature", re.compile(rb"[?&;]sig=([A-Za-z0-9%+/=_-]{16,})")),
    ("bearer-token", re.compile(
        rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.([A-Za-z0-9_-]{16,})")),
    ("account-key", re.compile(rb"AccountKey=([A-Za-z0-9+/=]{16,})")),
]

# Commands whose documented purpose is to print a secret on standard
# output (docs/man/amlretrain.1): (noun, verb, option required or None).
ALLOWED_STDOUT = [
    ("blob", "sas", None),  # a URL with a SAS
    ("webservice", "keys", None),  # the web service's keys
    ("endpoint", "get", "--show-keys"),
    ("endpoint", "list", "--show-keys"),
    ("job", "submit", None),  # a job's status: its outputs' read SAS
    ("job", "start", None),
    ("job", "status", None),
    ("job", "wait", None),
    ("job", "run", None),
]
NOUNS = {"account", "blob", "endpoint", "fleet", "job", "login", "plan",
         "rest", "retrain", "score", "version", "webservice", "logout"}


def ours(argv, root):
    """Which of our processes a command line is: "client" (amlretrain),
    "script" (bash running one of ROOT/scripts/), or None."""
    if not argv:
        return None
    prog = argv[0].rsplit(b"/", 1)[-1]
    if prog == b"amlretrain":
        return "client"
    if prog in (b"bash", b"sh") and len(argv) > 1:
        script = argv[1]
        if script.startswith(root + b"/scripts/") or \
                script.startswith(b"scripts/"):
            return "script"
    return None


def sample(out, root):
    """Every 20 ms, append each new command line of any process to OUT;
    OUT.ticks gets the time of each sweep, OUT.lives the lifetime (pid,
    first seen, last seen, kind) of each process of ours, so that the scan
    knows when they ran.  Runs until SIGTERM."""
    root = os.fsencode(root)
    # Only the run's processes: those with its CANARY_DIR in their
    # environment (tests/canary/run exports it; the recorder passes it on
    # to the binaries).  Others' tests may share the machine.
    marker = b"\0CANARY_DIR=" + os.fsencode(os.path.dirname(out)) + b"\0"
    mine = {}  # pid -> (cmdline, whether it is the run's)
    seen, alive = set(), {}  # alive: pid -> [cmdline, kind, first, last]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(out, "ab", buffering=0) as f, \
            open(out + ".ticks", "a") as ticks, \
            open(out + ".lives", "a") as lives:
        while not stop:
            now = time.time()
            ticks.write("%.6f\n" % now)
            current = {}
            for pid in os.listdir("/proc"):
                if not pid.isdigit():
                    continue
                try:
                    with open("/proc/%s/cmdline" % pid, "rb") as c:
                        line = c.read()
                except OSError:
                    continue
                if not line:
                    continue
                if mine.get(pid, (None,))[0] != line:
                    try:
                        with open("/proc/%s/environ" % pid, "rb") as e:
                            env = b"\0" + e.read()
                    except OSError:
                        env = b""
                    mine[pid] = (line, marker in env)
                if not mine[pid][1]:
                    continue
                if line not in seen:
                    seen.add(line)
                    f.write(line.rstrip(b"\0").replace(b"\0", b" ")
                            .replace(b"\n", b" ") + b"\n")
                kind = ours(line.split(b"\0"), root)
                if kind:
                    current[pid] = (line, kind)
            for pid, life in list(alive.items()):
                if pid not in current or current[pid][0] != life[0]:
                    lives.write(life_line(pid, life))
                    del alive[pid]
            for pid, (line, kind) in current.items():
                if pid in alive:
                    alive[pid][3] = now
                else:
                    try:
                        cwd = os.readlink("/proc/%s/cwd" % pid)
                    except OSError:
                        cwd = "/"
                    alive[pid] = [line, kind, now, now, cwd]
            time.sleep(0.02)
        for pid, life in alive.items():
            lives.write(life_line(pid, life))


def life_line(pid, life):
    """PID, kind, first and last seen, cwd, argv (0x1f between words)."""
    return "%s\t%s\t%.6f\t%.6f\t%s\t%s\n" % (
        pid, life[1], life[2], life[3], life[4],
        life[0].rstrip(b"\0").replace(b"\0", b"\x1f").replace(
            b"\n", b" ").replace(b"\t", b" ").decode("utf-8", "replace"))


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def mask(value):
    return value[:4] + "…" + "(%d chars)" % len(value)


class Secrets:
    def __init__(self):
        self.kind = {}  # value (str) -> kind
        self.short = 0

    def add(self, kind, value):
        if not value or "\n" in value or "\0" in value:
            return
        if len(value) < MIN_LEN:
            self.short += 1
            return
        self.kind.setdefault(value, kind)
        # The same value URL-encoded, as it travels in a query string.
        enc = urllib.parse.quote(value, safe="")
        if enc != value:
            self.kind.setdefault(enc, kind)

    def load(self, path):
        for line in read(path).decode("utf-8", "replace").splitlines():
            kind, _, value = line.partition("\t")
            self.add(kind, value)

    def harvest(self, data):
        for kind, rx in HARVEST:
            for m in rx.finditer(data):
                v = m.group(1).decode("ascii")
                if v.upper().startswith("REDACTED"):
                    continue
                self.add(kind, urllib.parse.unquote(v))
                self.add(kind, v)


def argv_of(run):
    return [a.decode("utf-8", "replace")
            for a in read(run + ".argv").split(b"\0")[:-1]]


def allowed_stdout(name, argv):
    """Whether this run's standard output may hold a secret."""
    if name == "amlretrain-emulator":
        return "--print-env" in argv  # the exports, by design
    if name != "amlretrain":
        return False  # a script of scripts/
    words = [a for a in argv if not a.startswith("-")]
    noun = next((w for w in words if w in NOUNS), None)
    if noun is None:
        return False
    rest = words[words.index(noun) + 1:]
    verb = rest[0] if rest else None
    return any(noun == n and verb == v and (o is None or o in argv)
               for n, v, o in ALLOWED_STDOUT)


def option_values(argv, names):
    out = []
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                out.append(argv[i + 1])
            elif a.startswith(n + "="):
                out.append(a[len(n) + 1:])
    return out


def grep(patterns_file, paths):
    """Yield (path, offset, match) of every secret in the files."""
    chunk = 500
    for i in range(0, len(paths), chunk):
        p = subprocess.run(
            ["grep", "-aboFHZ", "-f", patterns_file, "--"] + paths[i:i + chunk],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        if p.returncode > 1:
            sys.exit("canary: grep failed")
        for line in p.stdout.split(b"\n"):
            if not line:
                continue
            path, _, rest = line.partition(b"\0")
            off, _, match = rest.partition(b":")
            yield path.decode("utf-8", "replace"), int(off), match.decode(
                "utf-8", "replace")


def private(path, problems, what):
    """A file holding secrets: 0600, in a 0700 directory."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        dmode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
    except OSError:
        return 0
    if mode != 0o600:
        problems.append("%s %s has mode %o, not 600" % (what, path, mode))
    if dmode != 0o700:
        problems.append("%s %s is in a directory of mode %o, not 700" %
                        (what, path, dmode))
    return 1


# What a command says when it refuses a secret on its command line.
REFUSED = re.compile(rb"refusing [^\n\"]* on the command line")

# The files the client derives from a path it is given: fleet's state
# beside its targets (cmd_fleet.c), an atomic write's temporary and a
# download's partial file (lib/fileio.c), the token cache's lock.
DERIVED = re.compile(r"(.+)\.(?:state|tmp-[A-Za-z0-9]{6}|partial|lock)")

SLACK = 0.01  # s: file times are coarse (a jiffy: 10 ms at HZ=100)


def script_lives(record, runs):
    """When each run of a script of scripts/ ran: [(start, end, dirs)].
    The start is the hook's (exact), the end the second sweep after the
    last one that saw it alive (it was gone by then); dirs are its test
    directories."""
    base = os.path.join(record, "cmdlines")
    ticks = [float(t) for t in read(base + ".ticks").split()]
    seen = {}  # pid -> [(first, last)]
    for line in read(base + ".lives").decode("utf-8", "replace").split("\n"):
        f = line.split("\t")
        if len(f) >= 4 and f[1] == "script":
            seen.setdefault(f[0], []).append((float(f[2]), float(f[3])))
    out = []
    for pid, start, dirs in runs:
        last = start
        for first, until in sorted(seen.get(pid, [])):
            if first >= start - 1:
                last = until
                break
        i = bisect.bisect_right(ticks, last) + 1
        out.append((start - SLACK,
                    (ticks[i] if i < len(ticks) else float("inf")) + SLACK,
                    dirs))
    return out


def argv_paths(argv, cwd):
    """The paths named on a command line: an argument, the value after
    '=' of an option or NAME=VALUE, after '@', after 'sas:'."""
    out = set()
    for a in argv:
        for v in (a, a.partition("=")[2], a.partition("=")[2].partition(
                "=")[2]):
            for c in (v, v[1:] if v.startswith("@") else "",
                      v.partition("sas:")[2]):
                if c and ("/" in c or "." in c):
                    out.add(os.path.normpath(os.path.join(cwd, c)))
    return out


KEY_FILE_OPTIONS = ["--api-key-file", "--endpoint-key-file", "--token-file"]


def key_files_of(argv, cwd):
    """The files a run was handed a secret in, instead of on its command
    line: the key and token file options, a value @FILE, NAME=sas:FILE."""
    out = set(option_values(argv, KEY_FILE_OPTIONS))
    for a in argv:
        v = a.partition("=")[2] if a.startswith("--") and "=" in a else a
        if v.startswith("@") and len(v) > 1:
            out.add(v[1:])
        elif "=sas:" in v:
            out.add(v.partition("=sas:")[2])
    return {os.path.normpath(os.path.join(cwd, p)) for p in out if p}


def line_at(path, off):
    """The line of file path holding byte off."""
    data = read(path)
    return data[data.rfind(b"\n", 0, off) + 1:data.find(b"\n", off)]


def cache_path(env):
    """The token cache of a run, as native/cli/auth.c computes it."""
    home, xdg = env[1], env[2]
    if xdg.startswith("/"):
        return os.path.join(xdg, "amlretrain/tokens.json")
    if home:
        return os.path.join(home, ".cache/amlretrain/tokens.json")
    return None


def split_cmdlines(record, root):
    """The sampled command lines in two: those of our software (amlretrain,
    amlretrain-emulator and their recorder, pwsh running the module, bash
    running scripts/) and the test harness's (curl, jq, grep, bats, the
    tests' helpers)."""
    base = os.path.join(record, "cmdlines")
    ours_n = harness_n = 0
    with open(base + ".ours", "wb") as o, open(base + ".harness", "wb") as h:
        for line in read(base).splitlines(keepends=True):
            words = line.split(b" ", 2)
            names = [w.rsplit(b"/", 1)[-1] for w in words[:2]]
            mine = bool({b"amlretrain", b"amlretrain-emulator"} & set(names))
            mine = mine or names[0] == b"pwsh"
            mine = mine or (names[0] in (b"bash", b"sh") and len(words) > 1
                            and (words[1].startswith(root + b"/scripts/") or
                                 words[1].startswith(b"scripts/")))
            if mine:
                o.write(line)
                ours_n += 1
            else:
                h.write(line)
                harness_n += 1
    return base + ".ours", ours_n, base + ".harness", harness_n


def scan(record, roots, extra=()):
    secrets = Secrets()
    secrets.load(os.path.join(record, "secrets.emulator"))
    secrets.load(os.path.join(record, "secrets.client"))
    runs_dir = os.path.join(record, "runs")
    names = sorted(n[:-5] for n in (os.listdir(runs_dir) if os.path.isdir(
        runs_dir) else []) if n.endswith(".argv"))
    root = os.fsencode(os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))

    # Places: (path, label, kind of place, allowed).
    places = []
    exempt = {}  # file -> why it may hold secrets
    backup_dirs, caches, key_files = set(), set(), set()
    named = []  # (path, start): named on one of our command lines
    commands = {"amlretrain": 0, "amlretrain-emulator": 0}
    runs, script_runs = [], []
    for r in names:
        run = os.path.join(runs_dir, r)
        name, pid, stamp = r.split(".")[:3]
        start = int(stamp) / 1e6
        runs.append((run, name, pid, start))
        commands[name] = commands.get(name, 0) + 1
        argv = argv_of(run)
        cwd = read(run + ".cwd").decode().strip() or "/"
        label = ("%s %s" % (name, " ".join(argv)))[:150]
        ok = allowed_stdout(name, argv)
        places.append((run + ".argv", label, "argv", False))
        for s, allowed in (("out", ok), ("both", ok), ("err", False),
                           ("access.log", False)):
            f = run + "." + s
            if os.path.exists(f):
                places.append((f, label, "std" + s if len(s) < 5 else s,
                               allowed))
        for s in ("out", "err"):
            target = read(run + "." + s + ".path").decode().strip()
            if target:
                named.append((target, start))
                if ok and s == "out":
                    exempt[target] = "the standard output of " + label
        for p in argv_paths(argv, cwd):
            named.append((p, start))
        if name == "amlretrain":
            for p in key_files_of(argv, cwd):
                exempt.setdefault(p, "a key file handed to amlretrain")
                key_files.add(p)
        if name == "amlretrain-emulator":
            for v in option_values(argv, ["--env-file"]):
                exempt[os.path.join(cwd, v)] = "the emulator's env file"
            for v in option_values(argv, ["--state", "--state-dir"]):
                exempt[os.path.join(cwd, v).rstrip("/") + "/"] = \
                    "the emulator's state"
        # AMLR_BACKUP_DIR, HOME, XDG_CACHE_HOME, XDG_STATE_HOME
        env = read(run + ".env").decode().split("\n") + ["", "", "", ""]
        if name == "amlretrain":
            c = cache_path(env)
            if c:
                caches.add(c)
                exempt[c] = "the token cache"
        if env[0]:
            backup_dirs.add(os.path.join(cwd, env[0]))
        elif env[3]:
            backup_dirs.add(os.path.join(env[3], "amlretrain/backups"))
        elif env[1]:
            backup_dirs.add(os.path.join(env[1],
                                         ".local/state/amlretrain/backups"))
        if name == "amlretrain":
            # Where it writes unasked: its state (backups), its cache.
            if env[3]:
                named.append((os.path.join(env[3], "amlretrain"), start))
            elif env[1]:
                named.append((os.path.join(env[1], ".local/state/amlretrain"),
                              start))
            if env[0]:
                named.append((os.path.join(cwd, env[0]), start))
            c = cache_path(env)
            if c:
                named.append((os.path.dirname(c), start))
        if name.startswith("script-"):
            script_runs.append((pid, start, {
                os.path.normpath(d) for d in [cwd] + env[4:6] if d}))
    # path -> the start of every run of ours handed it; only paths inside
    # the directories scanned count (a "/" argument names no file).
    named_at = {}
    tops = [os.path.abspath(r).rstrip("/") + "/" for r in
            list(roots) + [os.path.dirname(e) for e in extra]]
    for p, start in named:
        p = os.path.normpath(p)
        if any(p.startswith(top) for top in tops):
            named_at.setdefault(p, []).append(start)

    lives = [(start, end, {d for d in dirs if any(
        (d + "/").startswith(top) for top in tops)})
        for start, end, dirs in script_lives(record, script_runs)]

    def ours(path, mtime):
        """Whether one of our processes may have written the file: it was
        handed its path, a directory above it, or a path it derives one
        from (DERIVED), and the file changed after
        that process started -- unless a run handed the file itself
        started after its last change (then the file was its input); or
        it changed in a script's test directory while the script ran."""
        for start, end, dirs in lives:
            if start <= mtime <= end and any(path.startswith(d + "/")
                                             for d in dirs):
                return True
        t = mtime + SLACK
        if any(s > t for s in named_at.get(path, [])):
            return False
        p = path
        while p not in ("/", ""):
            if any(s <= t for s in named_at.get(p, [])):
                return True
            p = os.path.dirname(p)
        m = DERIVED.fullmatch(path)
        return bool(m and any(s <= t for s in named_at.get(m.group(1), [])))

    cmd_ours, n_ours, cmd_harness, n_harness = split_cmdlines(record, root)
    places.append((cmd_ours, "command lines of our processes", "cmdline",
                   False))
    files, theirs = [], []
    for r in list(roots) + list(extra):
        walk = os.walk(r) if os.path.isdir(r) else [(os.path.dirname(r), [],
                                                     [os.path.basename(r)])]
        for d, _, fnames in walk:
            for n in fnames:
                p = os.path.join(d, n)
                # bats' copies of the test files: the tests' own code
                if re.fullmatch(r"bats\.[0-9]+\.src", n):
                    continue
                if not os.path.isfile(p) or os.path.islink(p):
                    continue
                files.append(p)
                # A key file is exempt where it belongs, not ours by that.
                if (p in exempt and p not in key_files) or p in caches or \
                        p in extra or ours(p, os.stat(p).st_mtime):
                    places.append((p, p, "file", False))
                else:
                    theirs.append(p)

    # For a post-mortem: which files were judged the tests' own.
    with open(os.path.join(record, "files-not-ours"), "w") as f:
        f.writelines(p + "\n" for p in theirs)

    # Secrets that show anywhere (a SAS, a token, an account key), in the
    # tests' own files and command lines too.
    for path, _, _, _ in places:
        secrets.harvest(read(path))
    for path in theirs + [cmd_harness]:
        secrets.harvest(read(path))
    patterns = os.path.join(record, "patterns")
    fd = os.open(patterns, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        for v in sorted(secrets.kind):
            f.write(v + "\n")

    # Runs that refused a secret on their command line: run -> its argv
    # as a sampled command line ends.
    refused = {}
    for run, _, _, _ in runs:
        if REFUSED.search(read(run + ".err") + read(run + ".both")):
            refused[run] = b" ".join(read(run + ".argv").split(b"\0")[:-1])
    refused = {k: v for k, v in refused.items() if v}
    by_path = {p[0]: p for p in places}
    problems, found, allowed_hits, refused_hits = [], [], 0, 0
    hits = grep(patterns, [p[0] for p in places]) if secrets.kind else []
    flagged_private = set()
    for path, off, match in hits:
        _, label, where, allowed = by_path.get(path, (path, path, "file",
                                                      False))
        why = None
        if where == "file":
            why = exempt.get(path) or next(
                (w for k, w in exempt.items()
                 if k.endswith("/") and path.startswith(k)), None)
            if path in key_files and path not in flagged_private:
                flagged_private.add(path)
                mode = stat.S_IMODE(os.stat(path).st_mode)
                if mode != 0o600:
                    problems.append("key file %s has mode %o, not 600" %
                                    (path, mode))
            if why == "the emulator's state" and path not in flagged_private:
                flagged_private.add(path)
                mode = stat.S_IMODE(os.stat(path).st_mode)
                if mode != 0o600:
                    problems.append("emulator state %s holds a secret and has "
                                    "mode %o" % (path, mode))
        if allowed or why:
            allowed_hits += 1
            continue
        if where == "argv" and path[:-5] in refused:
            # The user put it there; the command refused it (its streams
            # are scanned like any other: it must not repeat it).
            refused_hits += 1
            continue
        if where == "cmdline" and any(r in line_at(path, off)
                                      for r in refused.values()):
            refused_hits += 1  # the same, sampled from /proc
            continue
        found.append("%s: %s at byte %d of %s (%s)" % (
            where, secrets.kind.get(match, "secret"), off, label, mask(match)))
    harness_hits = sum(1 for _ in grep(patterns, [cmd_harness])) \
        if secrets.kind else 0

    # The token cache and the backups: 0600 files in 0700 directories.
    backups = cache_files = 0
    for p in files:
        if p in caches:
            cache_files += private(p, problems, "token cache")
    for b in sorted(backup_dirs):
        for d, _, fnames in os.walk(b):
            for n in fnames:
                backups += private(os.path.join(d, n), problems, "backup")

    kinds = {}
    for k in secrets.kind.values():
        kinds[k] = kinds.get(k, 0) + 1
    nfiles = sum(1 for p in places if p[2] == "file")
    nstreams = sum(1 for p in places if p[2].startswith("std"))
    print("canary: commands recorded: %d amlretrain, %d amlretrain-emulator, "
          "%d scripts of scripts/" % (
              commands.get("amlretrain", 0),
              commands.get("amlretrain-emulator", 0),
              sum(n for k, n in commands.items() if k.startswith("script-"))))
    print("canary: secrets checked: %d (%s); %d values under %d characters "
          "not checked" % (len(secrets.kind), ", ".join(
              "%s %d" % kv for kv in sorted(kinds.items())), secrets.short,
              MIN_LEN))
    print("canary: places scanned: %d streams, %d command lines (argv), "
          "%d sampled command lines of our processes, %d files our "
          "processes wrote or may have written; %d token caches and "
          "%d backups checked for 0600 in 0700" % (
              nstreams, len(runs), n_ours, nfiles, cache_files, backups))
    print("canary: not ours, not counted: %d files the tests wrote "
          "(inputs, stand-ins' captures), %d test-harness command lines "
          "(curl, jq, grep...; %d secrets in them)" % (
              len(theirs), n_harness, harness_hits))
    print("canary: where a secret belongs (documented output, token cache, "
          "emulator state, key files handed to amlretrain): %d" %
          allowed_hits)
    print("canary: refused on the command line (a secret the test put on "
          "amlretrain's argv, refused without repeating it): %d" %
          refused_hits)
    for line in found:
        # The command line in the label may hold the secret itself.
        for v in secrets.kind:
            if v in line:
                line = line.replace(v, mask(v))
        print("canary: LEAK " + line)
    for line in problems:
        print("canary: NOT PRIVATE " + line)
    print("canary: occurrences found: %d" % len(found))
    if not secrets.kind:
        print("canary: no secret known: nothing was checked", file=sys.stderr)
        return 1
    return 1 if found or problems else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "sample":
        sample(argv[2], argv[3])
        return 0
    if len(argv) >= 3 and argv[1] == "scan":
        roots = [a for a in argv[3:] if not a.startswith("--extra=")]
        extra = [a[8:] for a in argv[3:] if a.startswith("--extra=")]
        return scan(argv[2], roots, extra)
    print("usage: canary.py sample OUT ROOT | scan RECORD [ROOT...]",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
