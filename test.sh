#!/usr/bin/env bash
# The one command that runs every check: formatting, lints and all tests
# (unit, integration, and the differential suite against a real redis-server).
# Works on a fresh Debian machine that has Rust; installs the Redis oracle
# when it is missing.
set -euo pipefail
cd "$(dirname "$0")"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v redis-server >/dev/null 2>&1; then
    echo "==> installing redis-server and redis-tools (the differential tests' oracle)"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends redis-server redis-tools
    # The package may start a service on 6379. The tests start their own
    # instances on free ports, but a stray server would still hold 6379.
    as_root service redis-server stop >/dev/null 2>&1 \
        || as_root systemctl stop redis-server >/dev/null 2>&1 \
        || true
    if redis-cli -p 6379 ping >/dev/null 2>&1; then
        redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true
    fi
fi

for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

echo "==> cargo fmt --check"
cargo fmt --check
echo "==> cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "==> cargo test"
cargo test
