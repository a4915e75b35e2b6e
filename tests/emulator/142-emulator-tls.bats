#!/usr/bin/env bats
# amlretrain-emulator over https (--tls-cert, --tls-key): test certificates
# made here with openssl, verified by curl --cacert and by amlretrain's
# --ca-bundle (reference notes auth-storage.md §5: verification stays on;
# a self-signed test certificate is given as the CA file).
# `run` sets stderr and stderr_lines, which shellcheck cannot see:
# shellcheck disable=SC2154

bats_require_minimum_version 1.5.0

setup_file() {
  local d="${BATS_FILE_TMPDIR}"
  # A self-signed certificate for the loopback address and localhost.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
    -keyout "${d}/key.pem" -out "${d}/cert.pem" 2>/dev/null
  # A test CA and a certificate it signed; the served file holds the chain.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Test CA' \
    -keyout "${d}/ca-key.pem" -out "${d}/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
    -keyout "${d}/leaf-key.pem" -out "${d}/leaf.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"${d}/ext.cnf"
  openssl x509 -req -in "${d}/leaf.csr" -CA "${d}/ca.pem" \
    -CAkey "${d}/ca-key.pem" -CAcreateserial -days 2 \
    -extfile "${d}/ext.cnf" -out "${d}/leaf.pem" 2>/dev/null
  cat "${d}/leaf.pem" "${d}/ca.pem" >"${d}/chain.pem"
  chmod 600 "${d}"/*key.pem
}

setup() {
  load '../test_helper/common'
  load '../test_helper/emulator'
  CERT="${BATS_FILE_TMPDIR}/cert.pem"
  KEY="${BATS_FILE_TMPDIR}/key.pem"
}

teardown() {
  emu_stop
}

@test "serves https with the certificate; curl verifies it with --cacert" {
  emu_start --tls-cert "${CERT}" --tls-key "${KEY}"
  assert_regex "${AMLR_EMULATOR_URL}" '^https://127\.0\.0\.1:[0-9]+$'
  run -0 curl -sS --cacert "${CERT}" "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(jq -r .status <<<"${output}")" Healthy
  # Without the CA curl refuses the certificate (60: peer not verified).
  run -60 --separate-stderr curl -sS "${AMLR_EMULATOR_URL}/health"
  # Plain http to the https port gets no HTTP answer.
  run --separate-stderr curl -sS --max-time 5 "http://127.0.0.1:$(emu_port)/health"
  ((status != 0))
  refute_output --partial Healthy
}

@test "the env file exports https URLs and AMLR_CA_BUNDLE, an absolute path" {
  cp "${CERT}" "${BATS_TEST_TMPDIR}/it's cert.pem"
  cd "${BATS_TEST_TMPDIR}"
  emu_start --tls-cert "it's cert.pem" --tls-key "${KEY}"
  assert_equal "$(grep '^export AMLR_EMULATOR_URL=' "${EMU_ENV_FILE}")" \
    "export AMLR_EMULATOR_URL='${AMLR_EMULATOR_URL}'"
  assert_regex "${AMLR_EMULATOR_URL}" '^https://'
  run -1 grep -E "^export [A-Z_]+='http://" "${EMU_ENV_FILE}"
  # Sourced (emu_start did), the quoted path comes out whole.
  assert_equal "${AMLR_CA_BUNDLE}" "${BATS_TEST_TMPDIR}/it's cert.pem"
  run -0 curl -sS --cacert "${AMLR_CA_BUNDLE}" "${AMLR_EMULATOR_URL}/health"
}

@test "without TLS the env file has no AMLR_CA_BUNDLE" {
  emu_start
  assert_regex "${AMLR_EMULATOR_URL}" '^http://127\.0\.0\.1:'
  run -1 grep AMLR_CA_BUNDLE "${EMU_ENV_FILE}"
}

@test "amlretrain rest --ca-bundle reaches the emulator over https" {
  emu_start --tls-cert "${CERT}" --tls-key "${KEY}"
  run -0 --separate-stderr amlretrain rest --ca-bundle "${CERT}" \
    --url "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(jq -r .status <<<"${output}")" Healthy
  # localhost is in the certificate too.
  run -0 --separate-stderr amlretrain rest --ca-bundle "${CERT}" \
    --url "https://localhost:$(emu_port)/health"
  assert_equal "$(jq -r .status <<<"${output}")" Healthy
}

@test "with the env file sourced, amlretrain trusts the emulator (AMLR_CA_BUNDLE)" {
  emu_start --tls-cert "${CERT}" --tls-key "${KEY}"
  run -0 --separate-stderr amlretrain rest --url "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(jq -r .status <<<"${output}")" Healthy
}

@test "amlretrain refuses the emulator's certificate without its CA: exit 7" {
  emu_start --tls-cert "${CERT}" --tls-key "${KEY}"
  run -7 --separate-stderr timeout 60 env -u AMLR_CA_BUNDLE \
    amlretrain --error-format json rest --url "${AMLR_EMULATOR_URL}/health"
  assert_output ''
  run -0 jq -r '.error | "\(.exitCode) \(.category)"' <<<"$(last_stderr_line)"
  assert_output '7 Network'
}

@test "a certificate signed by a CA: the file holds the chain and is the bundle" {
  emu_start --tls-cert "${BATS_FILE_TMPDIR}/chain.pem" \
    --tls-key "${BATS_FILE_TMPDIR}/leaf-key.pem"
  assert_equal "${AMLR_CA_BUNDLE}" "${BATS_FILE_TMPDIR}/chain.pem"
  run -0 curl -sS --cacert "${AMLR_CA_BUNDLE}" "${AMLR_EMULATOR_URL}/health"
  run -0 curl -sS --cacert "${BATS_FILE_TMPDIR}/ca.pem" "${AMLR_EMULATOR_URL}/health"
  run -0 --separate-stderr amlretrain rest --ca-bundle "${BATS_FILE_TMPDIR}/ca.pem" \
    --url "${AMLR_EMULATOR_URL}/health"
  assert_equal "$(jq -r .status <<<"${output}")" Healthy
}

@test "faults apply over https too" {
  emu_start --tls-cert "${CERT}" --tls-key "${KEY}"
  curl -sS -o /dev/null --cacert "${CERT}" -X POST \
    --data '{"path": "/health", "kind": "status", "status": 503, "count": 1}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  curl -sS -o /dev/null --cacert "${CERT}" -X POST \
    --data '{"path": "/health", "kind": "reset", "count": 1}' \
    "${AMLR_EMULATOR_URL}/_emulator/faults"
  run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "${CERT}" \
    "${AMLR_EMULATOR_URL}/health"
  assert_output 503
  run --separate-stderr curl -sS --cacert "${CERT}" "${AMLR_EMULATOR_URL}/health"
  ((status != 0))
  assert_output ''
  run -0 curl -sS -o /dev/null -w '%{http_code}' --cacert "${CERT}" \
    "${AMLR_EMULATOR_URL}/health"
  assert_output 200
}

@test "--tls-cert and --tls-key go together: exit 2" {
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${CERT}"
  assert_output ''
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: options '--tls-cert' and '--tls-key' go together"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-key "${KEY}"
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: options '--tls-cert' and '--tls-key' go together"
}

@test "unreadable TLS files exit 9" {
  run -9 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${BATS_TEST_TMPDIR}/none.pem" --tls-key "${KEY}"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr}" "^amlretrain-emulator: cannot read the TLS files: cannot open '.*/none.pem': No such file or directory\$"
  run -9 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${CERT}" --tls-key "${BATS_TEST_TMPDIR}"
  assert_regex "${stderr}" '^amlretrain-emulator: cannot read the TLS files: '
}

@test "a file that is not PEM, or a key of another certificate, exits 2" {
  printf 'not a certificate\n' >"${BATS_TEST_TMPDIR}/junk.pem"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${BATS_TEST_TMPDIR}/junk.pem" --tls-key "${KEY}"
  assert_output ''
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: '${BATS_TEST_TMPDIR}/junk.pem' is not a PEM certificate"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${CERT}" --tls-key "${CERT}"
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: '${CERT}' is not an unencrypted PEM private key"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${CERT}" --tls-key "${BATS_FILE_TMPDIR}/leaf-key.pem"
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: the key '${BATS_FILE_TMPDIR}/leaf-key.pem' does not match the certificate '${CERT}'"
  # An encrypted key is refused without prompting for a passphrase.
  openssl pkey -in "${KEY}" -aes256 -passout pass:secret \
    -out "${BATS_TEST_TMPDIR}/enc-key.pem"
  run -2 --separate-stderr timeout 10 amlretrain-emulator --listen 127.0.0.1:0 \
    --tls-cert "${CERT}" --tls-key "${BATS_TEST_TMPDIR}/enc-key.pem" </dev/null
  assert_equal "${stderr_lines[0]}" \
    "amlretrain-emulator: '${BATS_TEST_TMPDIR}/enc-key.pem' is not an unencrypted PEM private key"
}
