<?php

/**
 * Runs hello.wasm with the local `plasm` command (no daemon), prints its output, and verifies its
 * signed receipt against this machine's node identity.
 *
 *     php examples/hello-local.php [MODULE.wasm] [-- ARGS...]
 *
 * `plasm` must be on PATH (e.g. jlink/target/image/bin), or set PLASM_BIN to it.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Plasm\Client;
use Plasm\Exception\PlasmException;

$rest = array_slice($argv, 1);
$module = ($rest !== [] && $rest[0] !== '--') ? array_shift($rest) : __DIR__ . '/../../examples/hello.wasm';
$args = ($rest !== [] && $rest[0] === '--') ? array_slice($rest, 1) : $rest;

try {
    $client = new Client(['mode' => 'local', 'plasm_bin' => getenv('PLASM_BIN')]);
    $result = $client->createJob($module)->withArgs($args)->withMemory(64)->withTimeout(10)->run();
    echo $result->stdout();
    fwrite(STDERR, $result->stderr());
    $exit = $result->exitCode() === null ? '' : ", exit code {$result->exitCode()}";
    fwrite(STDERR, "outcome: {$result->outcome()}$exit\n");

    // This machine's identity signed the receipt: `plasm identity show` prints its peer id.
    $identity = shell_exec(escapeshellarg($client->transport()->command()) . ' identity show --json');
    $peerId = json_decode((string) $identity, true)['peerId'] ?? null;
    if (!is_string($peerId)) {
        throw new RuntimeException('plasm identity show --json did not print a peer id');
    }
    $result->receipt()->verify(trusted: [$peerId]);
    fwrite(STDERR, "receipt: verified, signed by $peerId\n");
    exit($result->outcome() === 'completed' ? $result->exitCode() : 1);
} catch (PlasmException $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(2);
}
