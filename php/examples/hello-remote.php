<?php

/**
 * Runs hello.wasm on a Plasm daemon, prints its output, and verifies its signed receipt.
 *
 *     plasm daemon &                                   # in another terminal
 *     php examples/hello-remote.php [MODULE.wasm] [--follow] [-- ARGS...]
 *
 * The daemon and its token are found as `plasm submit` finds them ($PLASM_DAEMON, $PLASM_HOME, or
 * ~/.plasm where a daemon started by you keeps its daemon.json and token). Exit code: the guest's,
 * 0 when it succeeded and its receipt verified.
 */

declare(strict_types=1);

require __DIR__ . '/../autoload.php';

use Plasm\Client;
use Plasm\Exception\PlasmException;

$module = __DIR__ . '/../../examples/hello.wasm';
$follow = false;
$rest = array_slice($argv, 1);
while ($rest !== [] && $rest[0] !== '--') {
    $a = array_shift($rest);
    if ($a === '--follow') {
        $follow = true;
    } else {
        $module = $a;
    }
}
$args = array_slice($rest, 1);

try {
    $client = new Client(['mode' => 'remote']);
    // The signer to trust: here the node you started yourself. Pin a remote node's peer id from a
    // source you trust (`plasm identity show` on that machine), never from its own answers.
    $trusted = [$client->transport()->node()['peerId']];

    $job = $client->createJob($module)->withArgs($args)->withTimeout(30)
        ->withNonce('hello-' . bin2hex(random_bytes(4)))->submit();
    fwrite(STDERR, "job {$job->id()} submitted\n");
    $result = $follow ? $job->follow(fn (string $chunk) => print($chunk)) : $job->wait(60);
    if (!$follow) {
        echo $result->stdout();
    }
    fwrite(STDERR, $result->stderr());
    $exit = $result->exitCode() === null ? '' : ", exit code {$result->exitCode()}";
    $detail = $result->detail() === null ? '' : " ({$result->detail()})";
    fwrite(STDERR, "outcome: {$result->outcome()}$exit$detail\n");
    $result->receipt()->verify(trusted: $trusted);
    fwrite(STDERR, "receipt: verified, signed by {$trusted[0]}\n");
    exit($result->outcome() === 'completed' ? $result->exitCode() : 1);
} catch (PlasmException $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(2);
}
