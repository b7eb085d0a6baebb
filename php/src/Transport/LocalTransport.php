<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Exception\ApiException;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\TransportException;
use Plasm\Manifest;

/**
 * Runs jobs on this machine with the `plasm` command: `plasm run --json --receipt FILE ...`
 * (docs/cli.md), one process per job, signed with the identity in PLASM_HOME.
 *
 * - The module is written to a private temporary directory under the manifest's program name, so the
 *   guest's argv[0] is the program name and the module that runs is exactly the one the receipt is
 *   checked against; stdin comes from a file there.
 * - The command checks the manifest when it starts: a value it refuses is thrown as ApiException
 *   (with the manifest's field, e.g. `limits.timeoutMillis` for `--timeout`) by the first wait() or
 *   status() after submit().
 * - `plasm run --json` prints the output when the job ends, so follow() gets it in one piece, and
 *   the output is the CLI's UTF-8 text: bytes that are not UTF-8 do not survive it (use a daemon for
 *   binary output).
 * - Fields `plasm run` does not take yet (limits.cpus, limits.maxStdinBytes, placement, redundancy,
 *   verify) are refused with ApiException `unknown-field`, never dropped. An idempotency key has no
 *   effect: nothing here retries a submission.
 * - Jobs still running when the transport is destroyed are stopped.
 */
final class LocalTransport implements Transport
{
    /** CLI options and their manifest fields, to name the field when the CLI refuses a value. */
    private const FIELDS = ['--timeout' => 'limits.timeoutMillis', '--max-memory' => 'limits.maxMemoryBytes',
        '--max-table-elements' => 'limits.maxTableElements', '--fuel' => 'limits.fuel',
        '--max-output' => 'limits.maxOutputBytes', '--max-module-size' => 'limits.maxModuleBytes',
        '--engine' => 'engine', '--env' => 'env', '--nonce' => 'nonce', '--deterministic' => 'deterministic',
        'MODULE' => 'module'];
    private const OPTIONS = ['maxMemoryBytes' => '--max-memory', 'maxTableElements' => '--max-table-elements',
        'fuel' => '--fuel', 'maxOutputBytes' => '--max-output', 'maxModuleBytes' => '--max-module-size'];
    private const UNSUPPORTED = ['placement', 'redundancy', 'verify'];
    private const UNSUPPORTED_LIMITS = ['cpus', 'maxStdinBytes'];

    private readonly string $plasm;
    /** @var array<string, LocalRun> */
    private array $runs = [];

    /**
     * @param ?string $plasm the `plasm` command (default: `plasm` on PATH)
     * @param ?string $home PLASM_HOME for the command: where its identity (the receipts' signer) lives
     */
    public function __construct(?string $plasm = null, private readonly ?string $home = null)
    {
        $this->plasm = self::locate($plasm);
    }

    /** The `plasm` command this transport runs. */
    public function command(): string
    {
        return $this->plasm;
    }

    public function submit(Manifest $manifest, float $wait = 0.0): JobState
    {
        $body = $manifest->toArray();
        foreach (self::UNSUPPORTED as $field) {
            if (array_key_exists($field, $body)) {
                throw self::unsupported($field);
            }
        }
        foreach (self::UNSUPPORTED_LIMITS as $limit) {
            if (array_key_exists($limit, $body['limits'] ?? [])) {
                throw self::unsupported("limits.$limit");
            }
        }
        $id = 'local-' . bin2hex(random_bytes(8));
        $dir = self::privateDir();
        $module = $dir . '/' . $manifest->programName();
        $receipt = $dir . '/receipt.json';
        $stdin = $dir . '/stdin';
        $stderr = $dir . '/plasm.stderr';
        try {
            self::write($module, $manifest->module());
            self::write($stdin, $manifest->stdin() ?? '');
        } catch (TransportException $e) {
            LocalRun::removeDir($dir);
            throw $e;
        }

        $cmd = [$this->plasm, 'run', '--json', '--receipt', $receipt, '--job-id', $id];
        if (isset($body['nonce'])) {
            array_push($cmd, '--nonce', $body['nonce']);
        }
        if (isset($body['engine'])) {
            array_push($cmd, '--engine', $body['engine']);
        }
        if (($body['deterministic'] ?? false) === true) {
            $cmd[] = '--deterministic';
        }
        foreach ($manifest->env() as $name => $value) {
            array_push($cmd, '--env', "$name=$value");
        }
        foreach ($body['limits'] ?? [] as $name => $value) {
            if ($name === 'timeoutMillis') {
                array_push($cmd, '--timeout', $value . 'ms');
            } else {
                array_push($cmd, self::OPTIONS[$name], (string) $value);
            }
        }
        array_push($cmd, $module, '--', ...$manifest->args());

        $env = null;
        if ($this->home !== null) {
            $env = getenv();
            $env['PLASM_HOME'] = $this->home;
        }
        $pipes = [];
        $process = @proc_open(
            $cmd,
            [0 => ['file', $stdin, 'r'], 1 => ['pipe', 'w'], 2 => ['file', $stderr, 'w']],
            $pipes,
            null,
            $env
        );
        if ($process === false) {
            LocalRun::removeDir($dir);
            $why = error_get_last()['message'] ?? 'proc_open failed';
            throw new TransportException("cannot start {$this->plasm}: $why");
        }
        stream_set_blocking($pipes[1], false);
        $run = new LocalRun($id, $process, $pipes[1], $dir, $receipt, $stderr, $manifest);
        $this->runs[$id] = $run;
        if ($wait > 0) {
            $this->pump($run, $wait);
        }
        return $run->state();
    }

    public function status(string $jobId): JobState
    {
        return $this->wait($jobId, 0.0);
    }

    public function wait(string $jobId, float $timeout): JobState
    {
        $run = $this->run($jobId);
        $this->pump($run, $timeout);
        return $run->state();
    }

    public function output(string $jobId, string $stream, int $offset): Output
    {
        if ($stream !== 'stdout' && $stream !== 'stderr') {
            throw new InvalidArgumentException('stream', "'$stream' is not stdout or stderr");
        }
        $run = $this->run($jobId);
        $this->pump($run, 0.0);
        $bytes = $run->output[$stream] ?? null;
        if ($bytes === null) {
            return new Output('', $offset, $run->ended());
        }
        if ($offset > strlen($bytes)) {
            $size = strlen($bytes);
            throw new ApiException("offset $offset is past the $size bytes of $stream", 'invalid-value', 'offset');
        }
        return new Output(substr($bytes, $offset), strlen($bytes), true);
    }

    public function receipt(string $jobId): string
    {
        $run = $this->run($jobId);
        $this->pump($run, 0.0);
        if ($run->receipt === null) {
            $why = $run->ended() ? '' : ' yet (it is still running)';
            throw new ApiException("job $jobId has no receipt$why", 'not-found', 'receipt');
        }
        return $run->receipt;
    }

    public function cancel(string $jobId): JobState
    {
        $run = $this->run($jobId);
        $this->pump($run, 0.0);
        if (!$run->ended()) {
            $run->kill('cancelled by the caller');
        }
        return $run->state();
    }

    public function __destruct()
    {
        foreach ($this->runs as $run) {
            if (!$run->ended()) {
                $run->kill('the PHP transport that started it was destroyed');
            }
        }
    }

    /** Reads the job's output until it ends or $timeout seconds pass. */
    private function pump(LocalRun $run, float $timeout): void
    {
        $deadline = microtime(true) + $timeout;
        while (!$run->ended()) {
            $left = max(0.0, $deadline - microtime(true));
            $read = [$run->stdout];
            $none = null;
            $ready = @stream_select($read, $none, $none, (int) $left, (int) (($left - floor($left)) * 1e6));
            if ($ready > 0) {
                $chunk = fread($run->stdout, 1 << 16);
                if ($chunk !== false && $chunk !== '') {
                    $run->buffer .= $chunk;
                    continue;
                }
                if (feof($run->stdout)) {
                    $this->finish($run);
                    return;
                }
            }
            if (microtime(true) >= $deadline) {
                return;
            }
        }
    }

    /** The process closed its stdout: collect its exit code, its JSON and the receipt. */
    private function finish(LocalRun $run): void
    {
        $code = $run->close();
        $stderr = trim((string) @file_get_contents($run->stderrFile));
        $receipt = @file_get_contents($run->receiptFile);
        LocalRun::removeDir($run->dir);
        $json = json_decode($run->buffer, true);
        if (!is_array($json)) {
            $run->fail(new TransportException("{$this->plasm} exited with code $code without a JSON result"
                . ($stderr === '' ? '' : ": $stderr")));
            return;
        }
        if (is_array($json['error'] ?? null)) {
            $err = $json['error'];
            $cliField = (string) ($err['field'] ?? '');
            $code = (string) ($err['code'] ?? 'usage');
            $run->fail(new ApiException(
                'plasm run refused the job: ' . ($err['message'] ?? $code),
                $code === 'usage' ? 'invalid-value' : $code,
                self::FIELDS[$cliField] ?? ($cliField === '' ? null : $cliField)
            ));
            return;
        }
        $run->complete($json, $receipt === false || $receipt === '' ? null : $receipt);
    }

    private function run(string $jobId): LocalRun
    {
        return $this->runs[$jobId]
            ?? throw new ApiException("no job $jobId was started by this transport", 'not-found', 'id');
    }

    private static function unsupported(string $field): ApiException
    {
        return new ApiException(
            "$field: the local `plasm run` does not take this field yet; submit the job to a daemon, or leave it out",
            'unknown-field',
            $field
        );
    }

    private static function locate(?string $plasm): string
    {
        if ($plasm !== null && $plasm !== '') {
            if (is_file($plasm) && is_executable($plasm)) {
                return $plasm;
            }
            throw new TransportException("the plasm command '$plasm' does not exist or is not executable");
        }
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            $candidate = ($dir === '' ? '.' : $dir) . '/plasm';
            if (is_file($candidate) && is_executable($candidate)) {
                return $candidate;
            }
        }
        throw new TransportException("the plasm command is not on PATH; put the runtime image's bin/ on PATH"
            . " (e.g. jlink/target/image/bin) or give the client 'plasm_bin' => '/path/to/plasm'");
    }

    private static function privateDir(): string
    {
        $base = rtrim(sys_get_temp_dir(), '/');
        for ($i = 0; $i < 5; $i++) {
            $dir = $base . '/plasm-php-' . bin2hex(random_bytes(8));
            if (@mkdir($dir, 0700)) {
                return $dir;
            }
        }
        throw new TransportException("cannot create a private directory under $base");
    }

    private static function write(string $path, string $bytes): void
    {
        if (@file_put_contents($path, $bytes) !== strlen($bytes)) {
            throw new TransportException("cannot write $path");
        }
    }
}
