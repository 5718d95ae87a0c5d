# wss://: certificates are verified by default (an untrusted certificate is a connection
# error), --ca FILE trusts a CA, --insecure skips verification and says so loudly.
. "$ROOT/tests/lib.sh"
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 2 \
	-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 \
	|| { echo "skip: openssl cannot make a certificate"; exit 77; }
P=$(free_port)
$PY "$ROOT/tests/hostile_server.py" --port "$P" --mode plain --hello-last-seq 0 \
	--tls-cert "$T/cert.pem" --tls-key "$T/key.pem" --log "$T/server.log" &
track $!
wait_port "$P" 20 || die "TLS server did not start"
URL=wss://localhost:$P/swarmtop

# Untrusted certificate: refused, exit 2, a message naming the reason and pointing at --ca.
timeout 60 $SWARMTOP ctl "$URL" pause --agent evil >"$T/ctl.out" 2>"$T/ctl.err"
check $? -eq 2 "ctl against an untrusted certificate"
grep -q 'TLS' "$T/ctl.err" || die "no TLS explanation: $(cat "$T/ctl.err")"
grep -q -- '--ca' "$T/ctl.err" || die "no --ca hint"
grep -q 'self-signed certificate' "$T/ctl.err" || die "reason not named: $(cat "$T/ctl.err")"
if grep -q 'WARNING' "$T/ctl.err"; then die "warning without --insecure"; fi

# tail until the 40 events arrived, then SIGINT; $1.. are extra options.
tail_all() {
	out=$1; shift
	$SWARMTOP tail "$@" "$URL" >"$T/$out.out" 2>"$T/$out.err" &
	TP=$!
	track $TP
	n=0
	until grep -q 'valid log 39' "$T/$out.out" 2>/dev/null; do
		n=$((n + 1)); [ $n -lt 600 ] || die "tail $* got nothing: $(cat "$T/$out.err")"
		sleep 0.1
	done
	kill -INT $TP; wait $TP
	check $? -eq 0 "tail $* exit code"
}
tail_all ca --ca "$T/cert.pem"
if grep -q 'WARNING' "$T/ca.err"; then die "warning with --ca"; fi
tail_all insecure --insecure
grep -q 'WARNING: --insecure' "$T/insecure.err" || die "--insecure is not shown loudly"
$SWARMTOP tail --ca "$T/missing.pem" "$URL" >/dev/null 2>"$T/missing.err"
check $? -eq 1 "tail with an unreadable --ca"
grep -q 'missing.pem' "$T/missing.err" || die "unreadable CA message"
exit 0
