<?php

declare(strict_types=1);

namespace Plasm\Transport;

use Plasm\Exception\ApiException;
use Plasm\Exception\InvalidArgumentException;
use Plasm\Exception\TransportException;
use Plasm\Manifest;

/**
 * Runs jobs on this machine with the `plasm` command: `plasm run --manifest FILE --json --receipt
 * FILE` (docs/cli.md, docs/manifest.md), one process per job, signed with the identity in PLASM_HOME.
 *
 * - The manifest is written as it is to a private temporary directory (removed when the job ends),
 *   with the module and stdin beside it as files, so every field and limit reaches `plasm run`
 *   under its manifest name and the module that runs is exactly the one the receipt is checked
 *   against.
 * - The command checks the manifest when it starts: a value it refuses is thrown as ApiException
 *   with the manifest's field (e.g. `limits.timeoutMillis`) by the first wait() or status() after
 *   submit().
 * - `plasm run --json` prints the output when the job ends, so follow() gets it in one piece; output
 *   that is not UTF-8 arrives exactly, from its base64 form.
 * - What only a daemon can do is refused at submit(), naming the field: a placement other than
 *   `local` or `any`, redundancy above 1, verify `reexecute`, and an idempotency key (nothing here
 *   could find an earlier job by it). The job is never run without them.
 * - Jobs still running when the transport is destroyed are stopped.
 */
final class LocalTransport implements Transport
{
    /** `plasm run` options and their manifest fields, to name the field when the CLI refuses a value. */
    private const FIELDS = ['--timeout' => 'limits.timeoutMillis', '--max-memory' => 'limits.maxMemoryBytes',
        '--max-table-elements' => 'limits.maxTableElements', '--fuel' => 'limits.fuel',
        '--max-output' => 'limits.maxOutputBytes', '--max-module-size' => 'limits.maxModuleBytes',
        '--max-stdin' => 'limits.maxStdinBytes', '--cpus' => 'limits.cpus', '--engine' => 'engine',
        '--env' => 'env', '--nonce' => 'nonce', '--deterministic' => 'deterministic', 'MODULE' => 'module'];
    /** The files of a job's private directory; the manifest names the module and stdin relative to it. */
    private const MANIFEST = 'job.json';
    private const MODULE = 'module.wasm';
    private const STDIN = 'stdin';

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

    public function submit(Manifest $manifest, float $wait = 0.0): JobSnapshot
    {
        self::refuseDaemonOnly($manifest->toArray());
        $id = 'local-' . bin2hex(random_bytes(8));
        $dir = self::privateDir();
        $file = $dir . '/' . self::MANIFEST;
        $receipt = $dir . '/receipt.json';
        $stderr = $dir . '/plasm.stderr';
        try {
            self::write($dir . '/' . self::MODULE, $manifest->module());
            if ($manifest->stdin() !== null) {
                self::write($dir . '/' . self::STDIN, $manifest->stdin());
            }
            self::write($file, $manifest->fileJson(self::MODULE, self::STDIN));
        } catch (TransportException $e) {
            LocalRun::removeDir($dir);
            throw $e;
        }
        // With --manifest every positional argument would be the guest's: the arguments are in the file.
        $cmd = [$this->plasm, 'run', '--manifest', $file, '--json', '--receipt', $receipt, '--job-id', $id];

        $env = null;
        if ($this->home !== null) {
            $env = getenv();
            $env['PLASM_HOME'] = $this->home;
        }
        $pipes = [];
        $process = @proc_open(
            $cmd,
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', $stderr, 'w']],
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
        $run = new LocalRun($id, $process, $pipes[1], $dir, $file, $receipt, $stderr, $manifest);
        $this->runs[$id] = $run;
        if ($wait > 0) {
            $this->pump($run, $wait);
        }
        return $run->snapshot();
    }

    public function status(string $jobId): JobSnapshot
    {
        return $this->wait($jobId, 0.0);
    }

    public function wait(string $jobId, float $timeout): JobSnapshot
    {
        $run = $this->run($jobId);
        $this->pump($run, $timeout);
        return $run->snapshot();
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

    public function cancel(string $jobId): JobSnapshot
    {
        $run = $this->run($jobId);
        $this->pump($run, 0.0);
        if (!$run->ended()) {
            $run->kill('cancelled by the caller');
        }
        return $run->snapshot();
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
            $run->fail(self::refusal($json['error'], $run->manifestFile));
            return;
        }
        $run->complete($json, $receipt === false || $receipt === '' ? null : $receipt);
    }

    private function run(string $jobId): LocalRun
    {
        return $this->runs[$jobId]
            ?? throw new ApiException("no job $jobId was started by this transport", 'not-found', 'id');
    }

    /**
     * `plasm run`'s refusal as the daemon would give it: the manifest's field and the daemon's code.
     * A value refused in the manifest file comes as `--manifest FILE: FIELD: why`; an option's as
     * `--option: why`.
     *
     * @param array<mixed> $err the `error` of `plasm run --json`
     */
    private static function refusal(array $err, string $manifestFile): ApiException
    {
        $code = (string) ($err['code'] ?? 'usage');
        $field = (string) ($err['field'] ?? '');
        $message = (string) ($err['message'] ?? $code);
        $prefix = "--manifest $manifestFile: ";
        if (str_starts_with($message, $prefix)) {
            // The temporary file's name means nothing to the caller; the field path is what counts.
            // plasm names the field inside the file itself; older versions named only `--manifest`.
            $message = substr($message, strlen($prefix));
            if ($field === '--manifest' || $field === '') {
                $field = preg_match('/\A([A-Za-z]\w*(?:\.\w+|\[\d+\])*): /', $message, $m) === 1 ? $m[1] : 'manifest';
            }
        }
        return new ApiException(
            'plasm run refused the job: ' . $message,
            $code === 'usage' ? 'invalid-value' : $code,
            self::FIELDS[$field] ?? ($field === '' ? null : $field)
        );
    }

    /**
     * Refuses what `plasm run` cannot do, naming the field, before anything runs.
     *
     * @param array<string, mixed> $body
     */
    private static function refuseDaemonOnly(array $body): void
    {
        $placement = $body['placement'] ?? 'local';
        $refused = match (true) {
            $placement !== 'local' && $placement !== 'any' => ['placement', "'$placement' runs the job on other peers"],
            ($body['redundancy'] ?? 1) > 1 => ['redundancy', "{$body['redundancy']} runs the job on several nodes"],
            ($body['verify'] ?? 'receipt') === 'reexecute' => ['verify', "'reexecute' checks a result from another node"
                . ' by running the job again'],
            isset($body['idempotencyKey']) => ['idempotencyKey', 'finds an earlier submission of the same job again'],
            default => null,
        };
        if ($refused !== null) {
            [$field, $why] = $refused;
            throw new ApiException(
                "$field: $why, which only a daemon does; the local transport runs each job once with `plasm run`"
                    . " on this machine. Submit it to a daemon with the HTTP transport ('mode' => 'remote'), or"
                    . ' leave the field out',
                'invalid-value',
                $field
            );
        }
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
