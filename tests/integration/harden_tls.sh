# TLS with certificates made here by openssl: a private CA, and server certificates that are
# self-signed, expired (signed by the CA), for the wrong host name (signed by the CA), or
# signed by another CA. With --ca CA every one of them must be refused by tail and record
# (nothing received, nothing stored, a one-line TLS message); the good one works with --ca.
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
leaf() { # NAME CA CN SAN [expired]
	q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$3"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$4" >"$1.ext"
	if [ "${5:-}" = expired ]; then
		mkdir -p db; : >db/index; echo 01 >db/serial
		printf '[ca]\ndefault_ca=c\n[c]\ndatabase=db/index\nserial=db/serial\n' >ca.cnf
		printf 'new_certs_dir=db\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' >>ca.cnf
		q openssl ca -batch -config ca.cnf -cert "$2.pem" -keyfile "$2.key" -in "$1.csr" \
			-out "$1.pem" -startdate 20200101000000Z -enddate 20200102000000Z \
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
leaf expired ca localhost "$SAN" expired
leaf wronghost ca elsewhere.example "DNS:elsewhere.example"
leaf untrusted ca2 localhost "$SAN"
q openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 \
	-subj "/CN=localhost" -addext "subjectAltName=$SAN"
openssl verify -CAfile ca.pem expired.pem 2>&1 | grep -q 'expired' || die "expired cert is not"

CASES="self expired wronghost untrusted good"
CL=""
for c in $CASES; do
	p=$(free_port)
	echo "$p" >"$c.port"
	$PY "$ROOT/tests/hostile_server.py" --port "$p" --mode plain --hello-last-seq 0 \
		--tls-cert "$c.pem" --tls-key "$c.key" --log "$c.slog" &
	track $!
done
for c in $CASES; do wait_port "$(cat "$c.port")" 20 || die "$c: server"; done

# Each client for a few seconds against each server, all at once.
for c in $CASES; do
	url=wss://localhost:$(cat "$c.port")/swarmtop
	timeout -s INT 8 $SWARMTOP tail --ca ca.pem "$url" >"$c.tail" 2>"$c.tailerr" &
	CL="$CL $!"
	timeout -s INT 8 $SWARMTOP record --db "$c.db" --ca ca.pem "$url" 2>"$c.recerr" &
	CL="$CL $!"
done
for p in $CL; do wait "$p"; done
for c in self expired wronghost untrusted; do
	check "$(wc -l <"$c.tail")" -eq 0 "$c: lines printed by tail"
	check "$(sqlite3 "$c.db" 'select count(*) from events' 2>/dev/null || echo 0)" -eq 0 \
		"$c: events stored by record"
	for e in tailerr recerr; do
		grep -q 'TLS handshake failed' "$c.$e" || die "$c: no TLS message: $(head -n 2 "$c.$e")"
		grep -q ': connected' "$c.$e" && die "$c: connected"
		[ "$(LC_ALL=C tr -d '\n -~' <"$c.$e" | wc -c)" -eq 0 ] || die "$c: control bytes"
	done
	echo "$c: refused: $(grep -m1 'TLS' "$c.recerr" | sed 's/.*disconnected: //')"
done
grep -q 'valid log 39' good.tail || die "good: tail got nothing: $(head -n 3 good.tailerr)"
check "$(sqlite3 good.db 'select count(*) from events where seq is not null')" -eq 40 \
	"good: events stored with --ca"
grep -q 'WARNING' good.tailerr good.recerr && die "warning without --insecure"
grep -q 'AddressSanitizer\|runtime error' ./*.tailerr ./*.recerr && die "sanitizer report"
exit 0
