# Terminal safety at the byte level. A runtime (tests/escape_runtime.py) puts the escape
# corpus (tests/fixtures/escapes: CSI, OSC 0/2/8/52, DCS, APC, PM/SOS, CSI 21t, raw and
# encoded C1, BEL, BS, CR, bidi, zero-width, tags, invalid UTF-8) into every displayed field.
# 1. The dashboard runs in a pty (Python pty) through every view, the help and the detail
#    pane; every byte it writes is captured: it must be valid UTF-8, and none of the injected
#    sequences (OSC, DCS, APC, PM, SOS, CSI 21t, RIS, C1 in any encoding, BEL, bidi controls,
#    line separators, tags, the payloads' BS/CR runs) may appear. ncurses' own sequences
#    (CSI cursor and SGR) are fine. The injected text itself must show (proof it was drawn).
# 2. tail: no ESC, no C1, no BEL/BS/CR, valid UTF-8. 3. export: every line valid JSON, no
#    raw control byte, and the payloads survive JSON-escaped.
. "$(dirname "$0")/../lib.sh"
P=$(free_port)
$PY "$ROOT/tests/escape_runtime.py" --port "$P" --corpus "$ROOT/tests/fixtures/escapes" &
track $!
wait_port "$P" 20 || die "escape runtime did not start"
URL=ws://127.0.0.1:$P/swarmtop

cat >"$T/ptyrun.py" <<'PYEOF'
import os, pty, select, signal, struct, sys, termios, fcntl, time
out, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(TERM="xterm-256color", LANG="C.UTF-8", LC_ALL="C.UTF-8")
    os.execvp(argv[0], argv)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 180, 0, 0))
os.kill(pid, signal.SIGWINCH)
buf = bytearray()
def pump(secs):
    end = time.time() + secs
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 65536)
            except OSError:
                return False
            if not d:
                return False
            buf.extend(d)
    return True
pump(4)
keys = [b"1", b"j", b"j", b"\r", b"\x1b", b"2", b"j", b"\r", b"\x1b", b"3", b"4", b"5",
        b"G", b"6", b"?", b"\x1b", b"1", b"/", b"A1", b"\r", b"\x1b", b"5"]
for k in keys:
    os.write(fd, k)
    pump(0.6)
os.write(fd, b"q")
pump(5)
_, st = os.waitpid(pid, 0)
open(out, "wb").write(bytes(buf))
sys.exit(os.waitstatus_to_exitcode(st))
PYEOF

cat >"$T/check.py" <<'PYEOF'
import re, sys
kind, path = sys.argv[1], sys.argv[2]
b = open(path, "rb").read()
bad = []
try:
    s = b.decode("utf-8")
except UnicodeDecodeError as e:
    bad.append("invalid UTF-8 at %d: %r" % (e.start, b[max(0, e.start - 20):e.start + 20]))
    s = b.decode("utf-8", "replace")
needles = {
    "OSC": "\x1b]", "DCS": "\x1bP", "APC": "\x1b_", "PM": "\x1b^", "SOS": "\x1bX",
    "CSI 21t": "\x1b[21t", "RIS": "\x1bc", "DECALN": "\x1b#8", "BEL": "\x07",
    "payload BS run": "\x08\x08\x08\x08evil", "payload CR": "rm -rf /\r", "NUL": "\x00",
    "DEL": "\x7f",
}
if kind != "pty":  # line-oriented output: no escape or cursor control at all
    needles.update({"ESC": "\x1b", "BS": "\x08", "CR": "\r", "VT": "\x0b", "FF": "\x0c"})
for name, n in needles.items():
    i = s.find(n)
    if i >= 0:
        bad.append("%s at %d: %r" % (name, i, s[max(0, i - 30):i + 30]))
for name, rx in {"C1": "[\u0080-\u009f]", "bidi": "[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]",
                 "line/para separator": "[\u2028\u2029]", "tag chars": "[\U000e0000-\U000e007f]",
                 "zero-width": "[\u200b-\u200d\u2060\ufeff]"}.items():
    m = re.search(rx, s)
    if m:
        bad.append("%s U+%04X at %d: %r" % (name, ord(m.group()), m.start(),
                                              s[max(0, m.start() - 30):m.start() + 30]))
# Proof the hostile text was drawn or printed at all.
# (ncurses writes only changed cells, so a marker may be split on the pty: ask for 3 of 5.)
shown = [m for m in ("A[0-9]+ ", "T[0-9]+ ", "L[0-9]+ ", "M[0-9]+ ", "E[0-9]+ ") if re.search(m, s)]
if len(shown) < 3:
    bad.append("the hostile fields were not shown (markers seen: %r)" % shown)
print("%s: %d bytes checked, %d findings" % (kind, len(b), len(bad)))
for x in bad[:20]:
    print("  " + x)
sys.exit(1 if bad else 0)
PYEOF

# 1. The dashboard in a pty.
timeout -k 5 90 $PY "$T/ptyrun.py" "$T/pty.bin" $SWARMTOP --db "$T/ui.db" "$URL" 2>"$T/pty.err"
rc=$?
check $rc -eq 0 "dashboard exit (pty)"
$PY "$T/check.py" pty "$T/pty.bin" || die "injected sequences reached the terminal"

# 2. tail (sanitized text lines), also with --json.
timeout -s INT 5 $SWARMTOP tail "$URL" >"$T/tail.out" 2>"$T/tail.err"
$PY "$T/check.py" tail "$T/tail.out" || die "tail printed injected bytes"
timeout -s INT 5 $SWARMTOP tail --json "$URL" >"$T/tailj.out" 2>/dev/null
$PY - "$T/tailj.out" <<'PYEOF' || die "tail --json"
import json, sys
b = open(sys.argv[1], "rb").read()
assert b, "nothing"
for ch in set(range(0x20)) - {0x0a} | {0x7f}:
    assert bytes([ch]) not in b, "raw control 0x%02x" % ch
n = 0
for line in b.decode("utf-8", "replace").splitlines():
    json.loads(line); n += 1
print("tail --json: %d lines, all JSON, no raw control byte" % n)
PYEOF

# 3. record, then export: valid JSON per line, escaped, payloads intact.
timeout -s INT 5 $SWARMTOP record --db "$T/rec.db" "$URL" 2>"$T/rec.err"
$SWARMTOP export --db "$T/rec.db" 1 >"$T/export.jsonl" 2>"$T/export.err" || die "export: $(cat "$T/export.err")"
$PY - "$T/export.jsonl" <<'PYEOF' || die "export"
import json, sys
b = open(sys.argv[1], "rb").read()
for ch in set(range(0x20)) - {0x0a} | {0x7f}:
    assert bytes([ch]) not in b, "raw control 0x%02x in export" % ch
n = 0; seen = set()
for line in b.decode("utf-8", "surrogateescape").splitlines():
    d = json.loads(line); n += 1
    t = json.dumps(d)
    for p in ("\\u001b]52;", "\\u001b]8;", "\\u001bP", "\\u009b", "\\u202e", "\\u0007"):
        if p in t:
            seen.add(p)
assert n > 100, "only %d lines" % n
assert len(seen) >= 5, "payloads lost in export: %r" % seen
print("export: %d lines, all JSON, no raw control byte, payloads kept escaped: %d kinds"
      % (n, len(seen)))
PYEOF
exit 0
