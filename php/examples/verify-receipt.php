<?php

/**
 * Verifies a receipt file offline, like `plasm receipt verify`, and prints one line per check.
 *
 *     php examples/verify-receipt.php RECEIPT.json --trust PEER_ID_OR_KEY [--module FILE]
 *         [--stdout FILE] [--stderr FILE] [--job-id ID] [--nonce NONCE]
 *
 * Exit codes as `plasm receipt verify`: 0 valid and trusted, 10 authentic but the signer is not
 * trusted, 11 a check failed, 12 not a well-formed receipt, 64 bad usage, 66 a file is missing.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Plasm\Exception\InvalidArgumentException;
use Plasm\Receipt;

$files = ['--module' => null, '--stdout' => null, '--stderr' => null];
$ids = ['--job-id' => null, '--nonce' => null];
$trusted = [];
$path = null;
$rest = array_slice($argv, 1);
while ($rest !== []) {
    $a = array_shift($rest);
    if ($a === '--trust' && $rest !== []) {
        $trusted[] = array_shift($rest);
    } elseif (array_key_exists($a, $files) && $rest !== []) {
        $files[$a] = array_shift($rest);
    } elseif (array_key_exists($a, $ids) && $rest !== []) {
        $ids[$a] = array_shift($rest);
    } elseif ($path === null && !str_starts_with($a, '--')) {
        $path = $a;
    } else {
        fwrite(STDERR, "usage: php verify-receipt.php RECEIPT.json --trust PEER_ID [--module F] [--stdout F]"
            . " [--stderr F] [--job-id ID] [--nonce N]\n");
        exit(64);
    }
}
if ($path === null) {
    fwrite(STDERR, "usage: php verify-receipt.php RECEIPT.json --trust PEER_ID ...\n");
    exit(64);
}

try {
    $bytes = [];
    foreach ($files as $flag => $file) {
        if ($file !== null) {
            $content = is_file($file) ? file_get_contents($file) : false;
            if ($content === false) {
                fwrite(STDERR, "error: $flag $file: no such file\n");
                exit(66);
            }
            $bytes[substr($flag, 2)] = $content;
        }
    }
    $report = Receipt::fromFile($path)->check(
        trusted: $trusted,
        module: $bytes['module'] ?? null,
        stdout: $bytes['stdout'] ?? null,
        stderr: $bytes['stderr'] ?? null,
        jobId: $ids['--job-id'],
        nonce: $ids['--nonce']
    );
} catch (InvalidArgumentException $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(66);
}

foreach ($report->checks as $check) {
    printf("%-4s %-15s %s\n", $check->passed ? 'ok' : 'FAIL', $check->name, $check->detail);
}
if ($report->passed()) {
    echo "VALID: authentic, matching, and signed by a trusted node\n";
    exit(0);
}
if ($report->authentic()) {
    echo "NOT TRUSTED: authentic and matching, but the signer is not one you trust\n";
    exit(10);
}
echo $report->wellFormed() ? "INVALID\n" : "MALFORMED\n";
exit($report->wellFormed() ? 11 : 12);
