# tests/lib.sh - what every test script (tests/NAME.sh ESMSIM SRCDIR) starts
# with: absolute paths of the binary and the source tree (a test may change
# directory), a work directory removed at exit, and assertions that count;
# a script ends with `finish`.
set -u
esmsim=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { passed=$((passed + 1)); }
ko() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }
expect_eq() { [ "$1" = "$2" ] && ok || ko "$3: got '$1', expected '$2'"; }
expect_in() { case "$1" in *"$2"*) ok ;; *) ko "$3: '$1' lacks '$2'" ;; esac; }

# A command that does not exist fails the test (bash calls this in a
# subshell, so it counts through a file): a helper called before its
# definition printed "command not found" and checked nothing.
command_not_found_handle() {
  echo "FAIL: command not found: $1" >&2
  echo "$1" >> "$work/.commands-not-found"
  return 127
}

# The counts, and the exit status: 0 when nothing failed.
finish() {
  [ ! -s "$work/.commands-not-found" ] || failed=$((failed + $(wc -l < "$work/.commands-not-found")))
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

# wait_until S CMD...: run CMD every 0.1 s until it succeeds (status 0) or S seconds
# of wall time have passed (status 1): a ready-check that cannot hang, whose caller
# says what it waited for when it times out (ko), instead of a fixed sleep.
# Whether process PID has ended: gone, or a zombie (an orphan whose reaper,
# PID 1 of a container, may never reap it has still ended).
ended() {
  local state
  state=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -z "$state" ] || [ "$state" = Z ]
}

wait_until() {
  local until=$((SECONDS + $1))
  shift
  until "$@"; do
    [ "$SECONDS" -ge "$until" ] && return 1
    sleep 0.1
  done
}

# committed DB MS: DB has committed its run up to MS of virtual time (runs.end_ms,
# written with every commit).  Not before the run made the file: sqlite3 would
# create it.
committed() {
  local e
  [ -s "$1" ] || return 1
  e=$(sqlite3 "$1" "SELECT max(end_ms) FROM runs" 2>/dev/null)
  [ -n "$e" ] && [ "$e" -ge "$2" ]
}

# wait_end DB MS: wait (60 s at most) until DB has committed its run up to MS of
# virtual time: the run is underway, its signal handlers in place.
wait_end() { wait_until 60 committed "$1" "$2"; }

# wait_within PID S: wait S seconds at most for PID, a job of this script, to end,
# then SIGKILL it, so that a test fails rather than hangs (a signal lost, a run that
# never ends); PID's exit status, 137 when killed.  It looks every 20 ms, so a time
# taken around it is within 20 ms.  No watchdog job: one killed between its fork and
# its exec ran this script's EXIT trap, which removed $work under the test.
wait_within() {
  local until=$((SECONDS + $2))
  while kill -0 "$1" 2>/dev/null; do
    if [ "$SECONDS" -ge "$until" ]; then
      echo "wait_within: process $1 still running after $2 s: killed" >&2
      kill -KILL "$1" 2>/dev/null
      break
    fi
    sleep 0.02
  done
  wait "$1"
}

# closed_pipe CMD...: run CMD with its standard output a pipe whose reader has
# already gone (`CMD | head -1` once head is done, without the race); prints
# CMD's status as Python gives it: -13 when SIGPIPE ended it.
closed_pipe() {
  python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
print(subprocess.call(sys.argv[1:], stdout=w))' "$@"
}

# full_pipe SIG CMD...: run CMD with its standard output a pipe that is full and
# that nobody reads (`CMD | (sleep 1000)` once the pipe has filled, without the
# wait); once CMD blocks writing to it, send SIG (INT, TERM, HUP) once; prints
# CMD's status as Python gives it, or "hung" when it has not ended 10 s later
# (then it is killed).  CMD starts with SIGINT, SIGTERM and SIGHUP at their default,
# as from a terminal, even when the tests run under nohup or in a background job.
# CMD's stderr is the caller's.
full_pipe() {
  python3 -c 'import fcntl, os, signal, subprocess, sys, time
r, w = os.pipe()
fcntl.fcntl(w, 1031, 4096)   # F_SETPIPE_SZ: one page, filled at once
os.set_blocking(w, False)
try:
    while True:
        os.write(w, b"x" * 4096)
except BlockingIOError:
    pass
os.set_blocking(w, True)
def stop_signals_default():   # as a terminal gives them, whatever nohup or a background job ignores
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
p = subprocess.Popen(sys.argv[2:], stdout=w, preexec_fn=stop_signals_default)
os.close(w)
def blocked():
    try:
        return "pipe_write" in open("/proc/%d/wchan" % p.pid).read()
    except OSError:
        return False
until = time.time() + 120
while not blocked() and p.poll() is None and time.time() < until:
    time.sleep(0.02)
p.send_signal(getattr(signal, "SIG" + sys.argv[1]))
try:
    print(p.wait(10))
except subprocess.TimeoutExpired:
    p.kill()
    p.wait()
    print("hung")' "$@"
}

# cut_gnuplot DIR: DIR/gnuplot, a gnuplot as a full disk leaves it: it starts the chart
# (out='...' of its -e: half an SVG, or a PNG's first bytes) and exits 0, as gnuplot does
# when it cannot write its output.
cut_gnuplot() {
  mkdir -p "$1"
  cat >"$1/gnuplot" <<'EOF'
#!/bin/sh
out=$(printf '%s' "$2" | sed -n "s/.*out='\([^']*\)'.*/\1/p")
case "$out" in
  *.png.*) printf '\211PNG\r\n\032\n\0\0' >"$out" ;;
  *) printf '<svg>half' >"$out" ;;
esac
EOF
  chmod +x "$1/gnuplot"
}

# Whether two run logs hold the same rows for "COLUMNS FROM TABLE [WHERE ...]",
# whatever their order: same_rows DB1 DB2 '* FROM invocations'.
same_rows() {
  [ "$(sqlite3 "$1" "SELECT $3" | sort | md5sum)" = "$(sqlite3 "$2" "SELECT $3" | sort | md5sum)" ]
}

# ctrl_c_gnuplot DIR: DIR/gnuplot, a gnuplot that a Ctrl-C meets while it draws: it starts the
# chart (half an SVG into out='...' of its -e), writes its pid to DIR/gnuplot.pid and its
# session to DIR/gnuplot.sid, sends SIGINT to esmsim, its parent, and sleeps until stopped.
# The signal comes once gnuplot runs, whatever the machine's speed: no pause in the test.
ctrl_c_gnuplot() {
  mkdir -p "$1"
  cat >"$1/gnuplot" <<EOF2
#!/bin/sh
out=\$(printf '%s' "\$2" | sed -n "s/.*out='\\([^']*\\)'.*/\\1/p")
[ -z "\$out" ] || printf '<svg>half' >"\$out"
ps -o sid= -p \$\$ | tr -d ' ' >"$1/gnuplot.sid"
echo \$\$ >"$1/gnuplot.pid"
kill -INT \$PPID
exec sleep 60
EOF2
  chmod +x "$1/gnuplot"
}

# no_gnuplot_left DIR WHAT: ctrl_c_gnuplot's DIR/gnuplot ran, and no process is left in its
# session (esmsim's, started with setsid -w): gnuplot was stopped and reaped with esmsim.
no_gnuplot_left() {
  local sid left
  sid=$(cat "$1/gnuplot.sid" 2>/dev/null)
  [ -n "$sid" ] && ok || ko "$2: gnuplot never started"
  left=$(pgrep -s "${sid:-0}")
  expect_eq "$left" "" "$2: no process outlived esmsim"
  [ -z "$left" ] || kill $left
}

# svg_texts FILE.svg: the texts of a chart gnuplot drew, in its order ("|" after each): the tic
# labels of each axis, then the axis labels, the key, the title (each text a <tspan>, or for a
# noenhanced chart a <text>).
svg_texts() { grep -o '>[^<]*</t\(span\|ext\)>' "$1" | sed 's/<.*//; s/^>//; s/^ *//' | tr '\n' '|'; }
