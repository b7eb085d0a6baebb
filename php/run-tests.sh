#!/usr/bin/env bash
# Runs the PHP SDK's checks: composer validate, PSR-12 (phpcs), then PHPUnit (unit tests, and
# integration tests against the runtime image's plasm daemon and plasm command: PLASM_BIN, default
# ../jlink/target/image/bin/plasm). Extra arguments go to phpunit (e.g. --testsuite unit).
# scripts/test runs this through the Maven module php/pom.xml.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
if ! command -v php >/dev/null 2>&1; then
  missing+=(php-cli php-curl)
else
  php -r 'exit(extension_loaded("json") && extension_loaded("sodium") ? 0 : 1);' || missing+=(php-cli)
  php -r 'exit(extension_loaded("curl") ? 0 : 1);' || missing+=(php-curl)
fi
command -v phpunit >/dev/null 2>&1 || missing+=(phpunit)
command -v phpcs >/dev/null 2>&1 || missing+=(php-codesniffer)
command -v composer >/dev/null 2>&1 || missing+=(composer)
if [ ${#missing[@]} -gt 0 ]; then
  echo "error: the PHP SDK's tests need PHP 8.1+ with curl, json and sodium, PHPUnit, PHP_CodeSniffer and Composer." >&2
  echo "       Missing: ${missing[*]}. On Debian/Ubuntu: sudo apt-get install ${missing[*]}" >&2
  echo "       (or skip every test with -DskipTests)." >&2
  exit 1
fi

echo "php: composer validate --strict"
composer validate --strict --no-interaction
echo "php: phpcs (PSR-12)"
phpcs -q --no-colors
echo "php: phpunit"
exec phpunit --colors=never "$@"
