#!/usr/bin/env bash
# Generates the TLS material of strait's security tests with openssl and keytool (Java 17) into DIR:
#   gen-test-certs.sh DIR
# Files (every store uses the password in DIR/store-password; JKS key entries use DIR/key-password):
#   ca.pem ca.key                      test CA
#   other-ca.pem other-truststore.jks  an unrelated CA (for "untrusted certificate" tests)
#   broker.keystore.p12                broker key + cert, subjectAltName IP:127.0.0.1 only, so that
#                                      `localhost` is a name the certificate does NOT cover
#   truststore.jks truststore.p12      the test CA as JKS and PKCS12 truststores
#   client.keystore.jks|.p12|.pem      client (mTLS) key + cert chain, CN=strait-client, in each format
#   client.key.pem client.cert.pem     the same key and chain as separate PEM files (inline PEM tests)
#   sasl-plain-password sasl-scram-password   passwords of the SASL users `strait-plain` (PLAIN) and
#                                      `strait-scram` (SCRAM-SHA-256/512) of a `kafka-cluster.sh --secure` broker
# Existing complete output is kept (DIR/done marks it).
set -euo pipefail
dir="${1:?usage: gen-test-certs.sh DIR}"
mkdir -p "$dir"
cd "$dir"
[ -f done ] && exit 0
command -v openssl >/dev/null || { echo "gen-test-certs: openssl not found" >&2; exit 1; }
command -v keytool >/dev/null || { echo "gen-test-certs: keytool not found" >&2; exit 1; }

# Distinctive passwords, so that tests can search logs for them.
pass="strait-StorePw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
keypass="strait-KeyPw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "$pass" > store-password
echo "$keypass" > key-password
echo "strait-PlainPw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > sasl-plain-password
echo "strait-ScramPw-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')" > sasl-scram-password

q() { "$@" >/dev/null 2>&1 || { echo "gen-test-certs: failed: $*" >&2; "$@" >&2 || true; exit 1; }; }

ca() { # NAME CN
  q openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 3650 -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}

leaf() { # NAME CN EXT
  q openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
  printf '%s\n' "$3" > "$1.ext"
  q openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days 3650 \
    -extfile "$1.ext"
}

ca ca strait-test-ca
ca other-ca strait-untrusted-ca

leaf broker strait-test-broker "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth,clientAuth"
leaf client strait-client "extendedKeyUsage=clientAuth"

q openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker \
  -out broker.keystore.p12 -passout "pass:$pass"

q keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.jks -storetype JKS -storepass "$pass"
q keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12 -storepass "$pass"
q keytool -importcert -noprompt -alias other -file other-ca.pem -keystore other-truststore.jks -storetype JKS \
  -storepass "$pass"

q openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -name client \
  -out client.keystore.p12 -passout "pass:$pass"
q keytool -importkeystore -noprompt -srckeystore client.keystore.p12 -srcstoretype PKCS12 \
  -srcstorepass "$pass" -destkeystore client.keystore.jks -deststoretype JKS -deststorepass "$pass" \
  -destkeypass "$keypass" -srcalias client -destalias client
# PEM keystore: unencrypted PKCS#8 key followed by the chain, as Kafka's PEM keystore file.
q openssl pkcs8 -topk8 -nocrypt -in client.key -out client.key.pem
cat client.pem ca.pem > client.cert.pem
cat client.key.pem client.cert.pem > client.keystore.pem

rm -f ./*.csr ./*.ext ./*.srl
touch done
