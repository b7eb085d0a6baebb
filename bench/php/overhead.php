<?php

/**
 * The PHP SDK's per-job overhead over raw HTTP (ext-curl) for hello jobs on a running daemon.
 *
 *     php overhead.php --url http://127.0.0.1:PORT --token-file STATE/token --module hello.wasm
 *                      [--jobs N] [--rounds R] [--warmup W]
 *
 * Five ways to run one hello job and read its stdout, measured in the same process against the
 * same daemon: R rounds of N jobs of each way, the ways taking turns job by job in an order that
 * rotates (so drift and load from elsewhere fall on all of them alike):
 *   raw      one curl handle: POST /v1/jobs?wait=60s {module, programName, args}, GET .../stdout
 *   raw+key  the same with a random idempotencyKey, as the SDK sends
 *   sdk-run  $client->createJob(...)->withArgs(...)->run()->stdout()  (POST ?wait, GET stdout)
 *   sdk-wait $client->createJob(...)->withArgs(...)->submit()->wait()->stdout()  (POST, GET wait, GET stdout)
 *   sdk-run+verify  sdk-run, then $result->receipt()->verify(...)  (+ GET receipt, Ed25519)
 * Prints one line per way (median, p90, mean wall ms per job; client CPU ms per job) and the
 * ratios to raw, then one JSON line with everything.
 */

declare(strict_types=1);

require __DIR__ . '/../../php/autoload.php';

$opt = getopt('', ['url:', 'token-file:', 'module:', 'jobs:', 'rounds:', 'warmup:']);
foreach (['url', 'token-file', 'module'] as $required) {
    if (!isset($opt[$required])) {
        fwrite(STDERR, "overhead.php: --$required is required\n");
        exit(64);
    }
}
$url = rtrim((string) $opt['url'], '/');
$token = trim((string) file_get_contents((string) $opt['token-file']));
$modulePath = (string) $opt['module'];
$jobs = (int) ($opt['jobs'] ?? 50);
$rounds = (int) ($opt['rounds'] ?? 10);
$warmup = (int) ($opt['warmup'] ?? 100);

$client = new Plasm\Client(['daemon_url' => $url, 'token' => $token]);
$trusted = [$client->transport()->node()['peerId']];
$manifest = $client->createJob($modulePath);
$sha = $manifest->moduleSha256();
$name = basename($modulePath);

// The raw client: what a PHP developer writes without the SDK, keeping its connection open.
$curl = curl_init();
$raw = static function (array $args, bool $key = false) use ($curl, $url, $token, $sha, $name): string {
    $headers = ["Authorization: Bearer $token", 'Content-Type: application/json', 'Expect:'];
    $body = ['module' => $sha, 'programName' => $name, 'args' => $args];
    if ($key) {
        $body['idempotencyKey'] = 'raw-' . bin2hex(random_bytes(16));
    }
    curl_setopt_array($curl, [CURLOPT_URL => "$url/v1/jobs?wait=60s", CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => json_encode($body),
        CURLOPT_HTTPHEADER => $headers, CURLOPT_RETURNTRANSFER => true]);
    $job = json_decode((string) curl_exec($curl), true);
    if (($job['outcome']['kind'] ?? null) !== 'completed') {
        throw new RuntimeException('raw: the job did not complete: ' . json_encode($job));
    }
    curl_setopt_array($curl, [CURLOPT_URL => "$url/v1/jobs/{$job['id']}/stdout?offset=0", CURLOPT_HTTPGET => true]);
    return (string) curl_exec($curl);
};

// The module is uploaded once, as a raw client would do before its first job.
curl_setopt_array($curl, [CURLOPT_URL => "$url/v1/modules", CURLOPT_POST => true,
    CURLOPT_POSTFIELDS => (string) file_get_contents($modulePath), CURLOPT_RETURNTRANSFER => true,
    CURLOPT_HTTPHEADER => ["Authorization: Bearer $token", 'Content-Type: application/wasm', 'Expect:']]);
if (!in_array(json_decode((string) curl_exec($curl), true)['sha256'] ?? null, [$sha], true)) {
    throw new RuntimeException('raw: the upload failed');
}

$ways = [
    'raw' => static fn (array $args): string => $raw($args),
    'raw+key' => static fn (array $args): string => $raw($args, true),
    'sdk-run' => static fn (array $args): string => $manifest->withArgs($args)->run()->stdout(),
    'sdk-wait' => static fn (array $args): string => $manifest->withArgs($args)->submit()->wait()->stdout(),
    'sdk-run+verify' => static function (array $args) use ($manifest, $trusted): string {
        $result = $manifest->withArgs($args)->run();
        $result->receipt()->verify(trusted: $trusted);
        return $result->stdout();
    },
];

$expected = "Hello from WebAssembly!\narg 1: bench\n";
$cpu = static function (): float {
    $u = getrusage();
    return $u['ru_utime.tv_sec'] * 1e3 + $u['ru_utime.tv_usec'] / 1e3 + $u['ru_stime.tv_sec'] * 1e3
        + $u['ru_stime.tv_usec'] / 1e3;
};

foreach ($ways as $label => $run) {
    for ($i = 0; $i < intdiv($warmup, count($ways)) + 1; $i++) {
        if ($run(['bench']) !== $expected) {
            throw new RuntimeException("$label: unexpected output");
        }
    }
}

$times = array_fill_keys(array_keys($ways), []);
$cpuMs = array_fill_keys(array_keys($ways), 0.0);
$labels = array_keys($ways);
for ($round = 0; $round < $rounds; $round++) {
    for ($i = 0; $i < $jobs; $i++) {
        // Job by job, in an order that rotates: load from elsewhere falls on every way alike.
        $shift = ($round * $jobs + $i) % count($labels);
        foreach (array_merge(array_slice($labels, $shift), array_slice($labels, 0, $shift)) as $label) {
            $c0 = $cpu();
            $t0 = hrtime(true);
            $out = $ways[$label](['bench']);
            $times[$label][] = (hrtime(true) - $t0) / 1e6;
            $cpuMs[$label] += $cpu() - $c0;
            if ($out !== $expected) {
                throw new RuntimeException("$label: unexpected output " . json_encode($out));
            }
        }
    }
}

$pct = static function (array $xs, float $p): float {
    sort($xs);
    return $xs[(int) min(count($xs) - 1, floor($p * count($xs)))];
};
$summary = [];
foreach ($times as $label => $xs) {
    $summary[$label] = [
        'jobs' => count($xs),
        'p50' => round($pct($xs, 0.5), 3),
        'p90' => round($pct($xs, 0.9), 3),
        'mean' => round(array_sum($xs) / count($xs), 3),
        'cpu' => round($cpuMs[$label] / count($xs), 3),
    ];
}
printf("%-16s %6s %9s %9s %9s %13s %14s\n", 'way', 'jobs', 'p50 ms', 'p90 ms', 'mean ms', 'PHP CPU ms', 'p50 vs raw');
foreach ($summary as $label => $s) {
    printf(
        "%-16s %6d %9.2f %9.2f %9.2f %13.3f %8.2fx %+.2f ms\n",
        $label,
        $s['jobs'],
        $s['p50'],
        $s['p90'],
        $s['mean'],
        $s['cpu'],
        $s['p50'] / $summary['raw']['p50'],
        $s['p50'] - $summary['raw']['p50']
    );
}

// Receipt verification alone, on one receipt held in memory: parse, canonicalise, Ed25519.
$result = $manifest->withArgs(['bench'])->run();
$receipt = new Plasm\Receipt($result->receipt()->json());
$n = 500;
$t0 = hrtime(true);
for ($i = 0; $i < $n; $i++) {
    $receipt->verify(trusted: $trusted, stdout: $expected);
}
$verifyUs = (hrtime(true) - $t0) / 1e3 / $n;
printf("receipt verify alone: %.1f us per receipt (%d receipts)\n", $verifyUs, $n);
echo json_encode(['ways' => $summary, 'verifyMicros' => round($verifyUs, 1), 'php' => PHP_VERSION]), "\n";
