# TLS with certificates made here by openssl: a private CA, and server certificates that are
# self-signed, expired or not yet valid (signed by the CA), for the wrong host name (signed by
# the CA), or signed by another CA. With --ca CA every one of them must be refused by tail and
# record (nothing received, nothing stored, a one-line TLS message naming the reason: expired,
# not yet valid, host name mismatch, IP address mismatch, self-signed, unknown issuer; the
# --ca FILE hint only when no --ca was given); the good one works with --ca.
# Also: no libwebsockets ALLOW_*/SKIP_* client flag appears in src/ outside the --insecure branch.
. "$(dirname "$0")/../lib.sh"
command -v openssl >/dev/null || { echo "skip: no openssl"; exit 77; }

# The source check first (cheap): every LCCSCF_ALLOW_* / LCCSCF_SKIP_* use must sit in the
# statement guarded by `if (o->insecure)` (at most 3 lines above).
grep -n 'LCCSCF_\(ALLOW\|SKIP\)_' "$ROOT"/src/*.c >"$T/flags" || true
while IFS=: read -r f l _; do
	prev=$(sed -n "$((l - 3)),${l}p" "$f" | grep -c "if (o->insecure)")
	[ "$prev" -ge 1 ] || die "$f:$l: certificate-check flag not behind --insecure"
done <"$T/flags"
echo "source: $(wc -l <"$T/flags") ALLOW/SKIP flag lines, all behind --insecure"

cd "$T" || exit 1
q() { "$@" >/dev/null 2>&1 || die "openssl: $*"; }
ca() { # NAME CN
	q openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 \
		-subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign"
}
leaf() { # NAME CA CN SAN [STARTDATE ENDDATE]
	q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$3"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$4" >"$1.ext"
	if [ -n "${5:-}" ]; then
		mkdir -p db; : >db/index; echo "$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')" >db/serial
		printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db/index\nserial=db/serial\n' >ca.cnf
		printf 'new_certs_dir=db\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >>ca.cnf
		q openssl ca -batch -config ca.cnf -cert "$2.pem" -keyfile "$2.key" -in "$1.csr" \
			-out "$1.pem" -startdate "$5" -enddate "$6" \
			-extfile "$1.ext" -notext
	else
		q openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial \
			-out "$1.pem" -days 2 -extfile "$1.ext"
	fi
}
SAN="DNS:localhost,IP:127.0.0.1"
ca ca "swarmtop test CA"
ca ca2 "another CA"
leaf good ca localhost "$SAN"
leaf expired ca localhost "$SAN" 20200101000000Z 20200102000000Z
leaf future ca localhost "$SAN" 20990101000000Z 20990102000000Z
leaf wronghost ca elsewhere.example "DNS:elsewhere.example"
leaf untrusted ca2 localhost "$SAN"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 \
	-subj "/CN=localhost" -addext "subjectAltName=$SAN"
openssl verify -CAfile ca.pem expired.pem 2>&1 | grep -q 'expired' || die "expired cert is not"

CASES="self expired future wronghost untrusted good plain" # plain: no TLS at all
CL=""
for c in $CASES; do
	p=$(free_port)
	echo "$p" >"$c.port"
	set -- --tls-cert "$c.pem" --tls-key "$c.key"
	[ "$c" = plain ] && set --
	$PY "$ROOT/tests/hostile_server.py" --port "$p" --mode plain --hello-last-seq 0 "$@" \
		--log "$c.slog" &
	track $!
done
for c in $CASES; do wait_port "$(cat "$c.port")" 20 || die "$c: server"; done

# Clients: NAME SERVER HOST CA(- for none) and the words its refusal must contain ('|'
# separates several). Each runs tail and record, all at once, until every refused one has
# printed its refusal and the good one has everything (bounded), then gets SIGINT.
cat >clients <<'EOF2'
self self localhost ca.pem self-signed certificate|not signed by the --ca CA (ca.pem)
expired expired localhost ca.pem certificate expired|2020-01-02
future future localhost ca.pem not yet valid|2099-01-01
wronghost wronghost localhost ca.pem host name mismatch|for elsewhere.example, not localhost
wrongip wronghost 127.0.0.1 ca.pem IP address mismatch|not 127.0.0.1
untrusted untrusted localhost ca.pem unknown issuer|not signed by the --ca CA (ca.pem)
noca untrusted localhost - unknown issuer|pass --ca FILE
noca_self self localhost - self-signed certificate|pass --ca FILE
notls plain localhost ca.pem not a certificate problem|does it serve wss://
good good localhost ca.pem -
EOF2
while read -r name srv host cafile _; do
	url=wss://$host:$(cat "$srv.port")/swarmtop
	set -- --ca "$cafile"
	[ "$cafile" = - ] && set --
	$SWARMTOP tail "$@" "$url" >"$name.tail" 2>"$name.tailerr" &
	CL="$CL $!"
	track $!
	$SWARMTOP record --db "$name.db" "$@" "$url" 2>"$name.recerr" &
	CL="$CL $!"
	track $!
done <clients
# Done when every refused client printed a refusal and the good one got all 40 events.
all_in() {
	while read -r c _; do
		if [ "$c" = good ]; then
			grep -q 'valid log 39' good.tail 2>/dev/null || return 1
			[ "$(sqlite3 good.db 'select count(*) from events where seq is not null' \
				2>/dev/null)" = 40 ] || return 1
		else
			grep -q 'TLS handshake failed' "$c.recerr" 2>/dev/null || return 1
			grep -q 'TLS handshake failed' "$c.tailerr" 2>/dev/null || return 1
		fi
	done <clients
}
n=0
until all_in; do
	n=$((n + 1)); [ $n -lt 900 ] || break # 90 s; the checks below say what is missing
	sleep 0.1
done
for p in $CL; do kill -INT "$p" 2>/dev/null; done
for p in $CL; do wait "$p"; done
while read -r c _ _ cafile words; do
	[ "$c" = good ] && continue
	check "$(wc -l <"$c.tail")" -eq 0 "$c: lines printed by tail"
	check "$(sqlite3 "$c.db" 'select count(*) from events' 2>/dev/null || echo 0)" -eq 0 \
		"$c: events stored by record"
	for e in tailerr recerr; do
		grep -q 'TLS handshake failed' "$c.$e" || die "$c: no TLS message: $(head -n 2 "$c.$e")"
		grep -q ': connected' "$c.$e" && die "$c: connected"
		[ "$(LC_ALL=C tr -d '\n -~' <"$c.$e" | wc -c)" -eq 0 ] || die "$c: control bytes"
		line=$(grep -m1 'TLS handshake failed' "$c.$e")
		echo "$words" | tr '|' '\n' >want
		while IFS= read -r w; do
			case $line in *"$w"*) ;; *) die "$c ($e): '$w' not in: $line" ;; esac
		done <want
		if [ "$cafile" != - ]; then
			case $line in *'pass --ca'*) die "$c ($e): --ca hint although --ca was given: $line" ;; esac
		fi
		case $line in *'SSL err'*|*'error:0'*) die "$c ($e): raw OpenSSL error: $line" ;; esac
	done
	echo "$c: refused: $(grep -m1 'TLS' "$c.recerr" | sed 's/.*disconnected: //')"
done <clients
grep -q 'valid log 39' good.tail || die "good: tail got nothing: $(head -n 3 good.tailerr)"
check "$(sqlite3 good.db 'select count(*) from events where seq is not null')" -eq 40 \
	"good: events stored with --ca"
grep -q 'WARNING' good.tailerr good.recerr && die "warning without --insecure"
grep -q 'AddressSanitizer\|runtime error' ./*.tailerr ./*.recerr && die "sanitizer report"
exit 0
